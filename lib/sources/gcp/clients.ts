/**
 * The real `googleapis` clients, pointed at Google or at the simulator. Against the simulator each
 * client gets its own `rootUrl` (a global one is ignored) and an OAuth2Client holding a fake token;
 * against Google, Application Default Credentials. Library retries are off: lib/sources/http/caller.ts
 * owns the retry policy.
 */
import { google, type cloudresourcemanager_v1, type cloudresourcemanager_v3, type iam_v1, type container_v1, type policyanalyzer_v1, type cloudasset_v1 } from "googleapis";
import { GoogleAuth, OAuth2Client } from "google-auth-library";

export type GoogleClients = {
  crmV1: cloudresourcemanager_v1.Cloudresourcemanager;
  crmV3: cloudresourcemanager_v3.Cloudresourcemanager;
  iam: iam_v1.Iam;
  container: container_v1.Container;
  policyanalyzer: policyanalyzer_v1.Policyanalyzer;
  cloudasset: cloudasset_v1.Cloudasset;
  /** A current access token (refreshed as needed); GKE clusters accept it as a bearer token. */
  accessToken: () => Promise<string>;
};

type AuthClient = OAuth2Client | GoogleAuth;

function build(auth: AuthClient, rootUrl?: string): Omit<GoogleClients, "accessToken"> {
  const common = { auth, ...(rootUrl ? { rootUrl } : {}), retry: false } as const;
  return {
    crmV1: google.cloudresourcemanager({ version: "v1", ...common }),
    crmV3: google.cloudresourcemanager({ version: "v3", ...common }),
    iam: google.iam({ version: "v1", ...common }),
    container: google.container({ version: "v1", ...common }),
    policyanalyzer: google.policyanalyzer({ version: "v1", ...common }),
    cloudasset: google.cloudasset({ version: "v1", ...common }),
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
