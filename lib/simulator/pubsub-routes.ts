/**
 * Pub/Sub v1 `projects.topics.publish` (issue 13: wi-atlas publishes its notifications there), as
 * https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.topics/publish describes it:
 * `POST /v1/projects/P/topics/T:publish` with `{messages: [{data (base64), attributes, orderingKey}]}`
 * answers `{messageIds}`, one per message, in order; a topic the estate does not declare (a project's
 * `pubsubTopics`) is 404 NOT_FOUND; an empty request or a message with neither data nor attributes is
 * 400 INVALID_ARGUMENT. Accepted messages are kept for tests and users (`GET /_simulator/pubsub`) and
 * logged in the write log.
 */
import { createHash } from "node:crypto";
import type { World } from "./world";
import { googleError, type Route, type SimRequest, type SimResponse } from "./http-types";
import { recordWrite } from "./write-log";

/** A message the simulator accepted, as a subscriber would receive it. */
export type PublishedMessage = {
  /** `projects/P/topics/T`. */
  topic: string;
  messageId: string;
  /** Base64, as sent. */
  data?: string;
  attributes?: Record<string, string>;
  orderingKey?: string;
  publishTime: string;
};

const published = new WeakMap<World, PublishedMessage[]>();

/** Every message published to the world's topics since it was loaded (or reset), in order. */
export function publishedMessages(world: World): PublishedMessage[] {
  let list = published.get(world);
  if (!list) published.set(world, (list = []));
  return list;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$|^[A-Za-z0-9_-]*={0,2}$/;

function publish(m: RegExpExecArray, req: SimRequest): SimResponse {
  const [, projectId, topicId] = m;
  const name = `projects/${projectId}/topics/${topicId}`;
  const project = req.world.projectByIdOrNumber.get(projectId);
  const topic = project?.pubsubTopics?.find((t) => t.name === `projects/${project.projectId}/topics/${topicId}`);
  if (!project || !topic) return googleError(404, `Resource not found (resource=${topicId}).`);
  const body = req.body as { messages?: unknown } | undefined;
  const messages = Array.isArray(body?.messages) ? (body.messages as Record<string, unknown>[]) : [];
  if (!messages.length) return googleError(400, "The value for message_count is too small. You passed 0 in the request, but the minimum value is 1.");
  if (messages.length > 1000) return googleError(400, `The value for message_count is too large. You passed ${messages.length} in the request, but the maximum value is 1000.`);
  for (const [i, msg] of messages.entries()) {
    const data = msg?.data;
    const attributes = msg?.attributes as Record<string, unknown> | undefined;
    if (data !== undefined && (typeof data !== "string" || !BASE64.test(data))) {
      return googleError(400, `Invalid value at 'messages[${i}].data' (TYPE_BYTES), Base64 decoding failed for "${String(data).slice(0, 40)}"`);
    }
    if (attributes !== undefined && (typeof attributes !== "object" || Object.values(attributes).some((v) => typeof v !== "string"))) {
      return googleError(400, `Invalid value at 'messages[${i}].attributes': attribute values must be strings`);
    }
    if (!data && !(attributes && Object.keys(attributes).length)) {
      return googleError(400, "Some messages are empty. Each message must contain non-empty data, or at least one attribute.");
    }
  }
  const list = publishedMessages(req.world);
  const publishTime = new Date().toISOString();
  const ids = messages.map((msg) => {
    // Numeric strings, unique within the topic, as Pub/Sub's are.
    const messageId = String(BigInt("0x" + createHash("sha256").update(`${name}#${list.length}`).digest("hex").slice(0, 13)));
    list.push({
      topic: name,
      messageId,
      ...(typeof msg.data === "string" ? { data: msg.data } : {}),
      ...(msg.attributes ? { attributes: msg.attributes as Record<string, string> } : {}),
      ...(typeof msg.orderingKey === "string" ? { orderingKey: msg.orderingKey } : {}),
      publishTime,
    });
    return messageId;
  });
  recordWrite(req.world, { api: "pubsub", method: req.method, path: req.path, summary: `published ${ids.length} message${ids.length === 1 ? "" : "s"} to ${name}` });
  return { status: 200, body: { messageIds: ids } };
}

export const pubsubRoutes: Route[] = [
  {
    api: "pubsub",
    method: "POST",
    pattern: /^\/v1\/projects\/([^/:]+)\/topics\/([^/:]+):publish$/,
    permission: () => "pubsub.topics.publish",
    handle: publish,
  },
];
