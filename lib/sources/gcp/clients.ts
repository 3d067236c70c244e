/**
 * The real `googleapis` clients, pointed at Google or at the simulator. Against the simulator each
 * client gets its own `rootUrl` (a global one is ignored) and an OAuth2Client holding a fake token;
 * against Google, Application Default Credentials. Library retries are off: lib/sources/http/caller.ts
 * owns the retry policy.
 */
// Each API's version module on its own: importing the `googleapis` root loads all ~400 APIs
// (about +110 MB and a second of start-up); these are the same generated clients.
import { cloudresourcemanager_v1 } from "googleapis/build/src/apis/cloudresourcemanager/v1";
import { cloudresourcemanager_v3 } from "googleapis/build/src/apis/cloudresourcemanager/v3";
import { iam_v1 } from "googleapis/build/src/apis/iam/v1";
import { iam_v2 } from "googleapis/build/src/apis/iam/v2";
import { container_v1 } from "googleapis/build/src/apis/container/v1";
import { policyanalyzer_v1 } from "googleapis/build/src/apis/policyanalyzer/v1";
import { cloudasset_v1 } from "googleapis/build/src/apis/cloudasset/v1";
import { gkehub_v1 } from "googleapis/build/src/apis/gkehub/v1";
import { GoogleAuth, OAuth2Client } from "google-auth-library";
import http from "node:http";
import https from "node:https";
import { nodeHttpFetch } from "../http/node-http-fetch";

export type GoogleClients = {
  crmV1: cloudresourcemanager_v1.Cloudresourcemanager;
  crmV3: cloudresourcemanager_v3.Cloudresourcemanager;
  iam: iam_v1.Iam;
  /** IAM v2: deny policies. */
  iamV2: iam_v2.Iam;
  container: container_v1.Container;
  policyanalyzer: policyanalyzer_v1.Policyanalyzer;
  cloudasset: cloudasset_v1.Cloudasset;
  /** GKE Hub: fleet memberships (attached, on-prem and other-cloud clusters sharing a fleet's workload pool). */
  gkehub: gkehub_v1.Gkehub;
  /** A current access token (refreshed as needed); GKE clusters accept it as a bearer token. */
  accessToken: () => Promise<string>;
};

type AuthClient = OAuth2Client | GoogleAuth;

/**
 * The connections every client of one set shares, kept alive between requests: a scan makes
 * thousands of small requests to a handful of hosts, and a new connection (a TLS handshake, to
 * Google) for each would cost more CPU and time than the request. Node 20's global agents keep
 * connections alive too, but that is a runtime default (Node 18's did not) shared with everything
 * else in the process; the scanner's own agents make it a property of the scanner. gaxios takes
 * `agent` as an Agent or a function of the request's URL, and node-fetch calls it per request.
 */
function agents(): (url: URL) => http.Agent {
  const plain = new http.Agent({ keepAlive: true, scheduling: "lifo" });
  const tls = new https.Agent({ keepAlive: true, scheduling: "lifo" });
  return (url) => (url.protocol === "http:" ? plain : tls);
}

function build(auth: AuthClient, rootUrl?: string): Omit<GoogleClients, "accessToken"> {
  const agent = agents();
  // gaxios's default fetch on Node (node-fetch 3) costs more CPU per request than the rest of the
  // client together; see node-http-fetch.ts. Same requests, same keep-alive agents.
  const common = { auth, ...(rootUrl ? { rootUrl } : {}), retry: false, agent, fetchImplementation: nodeHttpFetch(agent) } as const;
  return {
    crmV1: new cloudresourcemanager_v1.Cloudresourcemanager(common),
    crmV3: new cloudresourcemanager_v3.Cloudresourcemanager(common),
    iam: new iam_v1.Iam(common),
    iamV2: new iam_v2.Iam(common),
    container: new container_v1.Container(common),
    policyanalyzer: new policyanalyzer_v1.Policyanalyzer(common),
    cloudasset: new cloudasset_v1.Cloudasset(common),
    gkehub: new gkehub_v1.Gkehub(common),
  };
}

/** Clients for the simulator at `url`: a fixed fake token, never Google's default credentials. */
export function simulatorClients(url: string): GoogleClients {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: "simulated-token", expiry_date: Date.now() + 10 * 365 * 86_400_000 });
  const rootUrl = url.endsWith("/") ? url : url + "/";
  return { ...build(auth, rootUrl), accessToken: async () => "simulated-token" };
}

/** Clients for real Google Cloud through Application Default Credentials (tokens refresh themselves). */
export function googleCloudClients(): GoogleClients {
  const auth = new GoogleAuth({ scopes: ["https://www.googleapis.com/auth/cloud-platform"] });
  return {
    ...build(auth),
    accessToken: async () => {
      const t = await auth.getAccessToken();
      if (!t) throw new Error("Application Default Credentials gave no access token");
      return t;
    },
  };
}
