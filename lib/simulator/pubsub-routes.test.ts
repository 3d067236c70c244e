import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { estateFromYaml, simulatorFor } from "../testing/scan-helpers";
import type { Simulator } from "./server";
import { pubsubPublisher } from "../notify/pubsub";

/* Pub/Sub topics.publish through the real googleapis client (issue 13). */

const ESTATE = `
now: "2026-11-29T00:00:00Z"
projects:
  - projectId: ps-project
    projectNumber: "100000000001"
    pubsubTopics:
      - {name: projects/ps-project/topics/alerts}
`;

describe("the simulator's Pub/Sub topics.publish", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await simulatorFor(estateFromYaml(ESTATE));
  });
  afterAll(async () => {
    await sim.close();
  });

  it("answers one message id per message, in order, and lists what it received at /_simulator/pubsub", async () => {
    const ids = await pubsubPublisher(sim.url).publish(
      "projects/ps-project/topics/alerts",
      [
        { data: Buffer.from('{"a":1}').toString("base64"), attributes: { event: "finding" } },
        { data: Buffer.from('{"a":2}').toString("base64"), attributes: {} },
      ],
      AbortSignal.timeout(5000),
    );
    expect(ids).toHaveLength(2);
    expect(ids.every((id) => /^\d+$/.test(id)) && ids[0] !== ids[1]).toBe(true);
    const got = (await (await fetch(`${sim.url}/_simulator/pubsub`)).json()) as { messages: { topic: string; messageId: string; data: string; attributes: Record<string, string> }[] };
    expect(got.messages.map((m) => [m.topic, m.messageId, Buffer.from(m.data, "base64").toString(), m.attributes])).toEqual([
      ["projects/ps-project/topics/alerts", ids[0], '{"a":1}', { event: "finding" }],
      ["projects/ps-project/topics/alerts", ids[1], '{"a":2}', {}],
    ]);
    const writes = (await (await fetch(`${sim.url}/_simulator/writes`)).json()) as { writes: { api: string; summary: string }[] };
    expect(writes.writes.map((w) => [w.api, w.summary])).toEqual([["pubsub", "published 2 messages to projects/ps-project/topics/alerts"]]);
  });

  it("answers 404 NOT_FOUND in Google's error shape for a topic the estate does not declare", async () => {
    const err = await pubsubPublisher(sim.url)
      .publish("projects/ps-project/topics/nope", [{ data: "e30=", attributes: {} }], AbortSignal.timeout(5000))
      .catch((e: { response?: { status: number; data: unknown } }) => e);
    expect([(err as { response: { status: number } }).response.status, (err as { response: { data: unknown } }).response.data]).toEqual([
      404,
      { error: { code: 404, message: "Resource not found (resource=nope).", status: "NOT_FOUND" } },
    ]);
  });

  it("refuses an empty request and a message with neither data nor attributes with 400 INVALID_ARGUMENT", async () => {
    const post = (body: unknown) =>
      fetch(`${sim.url}/v1/projects/ps-project/topics/alerts:publish`, { method: "POST", headers: { authorization: "Bearer t", "content-type": "application/json" }, body: JSON.stringify(body) }).then(async (r) => [r.status, ((await r.json()) as { error: { status: string } }).error.status]);
    expect(await post({ messages: [] })).toEqual([400, "INVALID_ARGUMENT"]);
    expect(await post({ messages: [{ attributes: {} }] })).toEqual([400, "INVALID_ARGUMENT"]);
  });
});
