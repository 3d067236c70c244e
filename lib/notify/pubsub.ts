/**
 * Pub/Sub `topics.publish` through the real `googleapis` client (issue 13): against the simulator
 * (estate mode) with a fixed fake token, against Google with Application Default Credentials. The
 * library's retries are off: send.ts applies the shared retry policy.
 */
import { pubsub_v1 } from "googleapis/build/src/apis/pubsub/v1";
import { GoogleAuth, OAuth2Client } from "google-auth-library";

export type PubsubPublisher = {
  /** Publishes messages to `topic` (`projects/P/topics/T`); answers the message ids. */
  publish: (topic: string, messages: { data: string; attributes: Record<string, string> }[], signal: AbortSignal) => Promise<string[]>;
};

/** A publisher for the simulator at `simulatorUrl`, or for Google when it is undefined. */
export function pubsubPublisher(simulatorUrl?: string): PubsubPublisher {
  let client: pubsub_v1.Pubsub;
  if (simulatorUrl) {
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: "simulated-token", expiry_date: Date.now() + 10 * 365 * 86_400_000 });
    client = new pubsub_v1.Pubsub({ auth, rootUrl: simulatorUrl.endsWith("/") ? simulatorUrl : simulatorUrl + "/", retry: false });
  } else {
    client = new pubsub_v1.Pubsub({ auth: new GoogleAuth({ scopes: ["https://www.googleapis.com/auth/pubsub"] }), retry: false });
  }
  return {
    publish: async (topic, messages, signal) => {
      const r = await client.projects.topics.publish({ topic, requestBody: { messages } }, { signal, retry: false });
      return r.data.messageIds ?? [];
    },
  };
}
