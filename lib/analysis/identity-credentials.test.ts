/**
 * GOOGLE_APPLICATION_CREDENTIALS and ADC's files, end to end (simulator, real clients, collector,
 * analysis): Kubernetes' env rules over ConfigMaps and Secrets, the ConfigMaps the scanner reads for
 * it, credential configurations that are not keys, keys that hide in impersonation files and
 * ConfigMaps, ADC's well-known file, and what stays `unverified` when a source could not be read.
 */
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "./testing";
import type { AnalysisResult } from "./run-analysis";
import type { WorkloadStatus } from "./model";

type Obj = Record<string, unknown>;

const P = "shop-prod";
const P_NUMBER = "200000000001";
const LOC = "asia-northeast1-a";
const C = `${P}/${LOC}/apps`;
const LOCKED = `${P}/${LOC}/locked`;
const NS = "shop";
const GAC = "GOOGLE_APPLICATION_CREDENTIALS";
const UPLOADER = `uploader@${P}.iam.gserviceaccount.com`;
const ORDERS = `orders@${P}.iam.gserviceaccount.com`;
const K1 = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";

const keyFile = (email: string, keyId: string) =>
  JSON.stringify({ type: "service_account", project_id: P, private_key_id: keyId, private_key: "-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----\n", client_email: email, client_id: "1" });

// Fleet Workload Identity's credential configuration, in the ConfigMap of Google's fleet docs:
// https://cloud.google.com/anthos/fleet-management/docs/use-workload-identity
const FLEET_CONFIG = JSON.stringify({
  type: "external_account",
  audience: `identitynamespace:${P}.svc.id.goog:https://gkehub.googleapis.com/projects/${P}/locations/global/memberships/apps`,
  service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${ORDERS}:generateAccessToken`,
  subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
  token_url: "https://sts.googleapis.com/v1/token",
  credential_source: { file: "/var/run/secrets/tokens/gcp-ksa/token" },
});

// `gcloud auth application-default login`: a person's refresh token.
const AUTHORIZED_USER = JSON.stringify({ account: "", client_id: "764086051850.apps.googleusercontent.com", client_secret: "FAKE", refresh_token: "1//FAKE", type: "authorized_user" });

// An impersonation whose source is a service account key: the key is what the workload holds.
const IMPERSONATED_BY_KEY = JSON.stringify({
  delegates: [],
  service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${ORDERS}:generateAccessToken`,
  source_credentials: JSON.parse(keyFile(UPLOADER, K1)),
  type: "impersonated_service_account",
});

const cm = (name: string, data: Record<string, string>) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: NS }, data });
const secret = (name: string, stringData: Record<string, string>) => ({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: NS }, type: "Opaque", stringData });
const keyMount = { name: "gcp-key", mountPath: "/var/secrets/google", readOnly: true };
const keyVolume = { name: "gcp-key", secret: { secretName: "gcp-key" } };

function deploy(name: string, container: Obj, volumes: Obj[] = []) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: NS },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name, containers: [{ name: "app", image: `asia-docker.pkg.dev/${P}/shop/${name}:1.4.0`, ...container }], volumes } },
    },
  };
}

const ksas = (names: string[]) => names.map((n) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: n, namespace: NS } }));

const APPS = [
  // Kubernetes' env rules over ConfigMaps.
  deploy("envfrom-cm", { envFrom: [{ configMapRef: { name: "orders-env" } }], volumeMounts: [keyMount] }, [keyVolume]),
  deploy("envfrom-prefix", { envFrom: [{ prefix: "GOOGLE_", configMapRef: { name: "prefixed-env" } }], volumeMounts: [keyMount] }, [keyVolume]),
  deploy("envfrom-other-prefix", { envFrom: [{ prefix: "GCP_", configMapRef: { name: "orders-env" } }] }),
  deploy("env-beats-envfrom", { env: [{ name: GAC, value: "/etc/app/none.json" }], envFrom: [{ configMapRef: { name: "orders-env" } }] }),
  deploy("later-envfrom-wins", { envFrom: [{ configMapRef: { name: "orders-env" } }, { configMapRef: { name: "no-creds-env" } }, { configMapRef: { name: "override-env" } }] }),
  deploy("optional-missing", { envFrom: [{ configMapRef: { name: "not-created-yet", optional: true } }] }),
  // HOME is an identity variable (its value is kept); a variable that is not one would make the path unknown (pod-env.test.ts).
  deploy("expanded", { env: [{ name: GAC, value: "$(HOME)/key.json" }], envFrom: [{ configMapRef: { name: "paths" } }], volumeMounts: [keyMount] }, [keyVolume]),
  deploy("keyref", { env: [{ name: GAC, valueFrom: { configMapKeyRef: { name: "gcp-config", key: "credentials-path" } } }], volumeMounts: [keyMount] }, [keyVolume]),
  deploy("cm-forbidden", { envFrom: [{ configMapRef: { name: "locked-env" } }] }),
  // Credential files that are not keys, and keys that hide.
  deploy(
    "fleet-wif",
    { env: [{ name: GAC, value: "/var/run/secrets/tokens/gcp-ksa/google-application-credentials.json" }], volumeMounts: [{ name: "gcp-ksa", mountPath: "/var/run/secrets/tokens/gcp-ksa", readOnly: true }] },
    [
      {
        name: "gcp-ksa",
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { path: "token", audience: `${P}.svc.id.goog`, expirationSeconds: 172800 } },
            { configMap: { name: "my-cloudsdk-config", optional: false, items: [{ key: "config", path: "google-application-credentials.json" }] } },
          ],
        },
      },
    ],
  ),
  deploy("cm-key", { env: [{ name: GAC, value: "/etc/gcp/sa.json" }], volumeMounts: [{ name: "legacy", mountPath: "/etc/gcp" }] }, [{ name: "legacy", configMap: { name: "legacy-sa" } }]),
  deploy("impersonating", { env: [{ name: GAC, value: "/var/secrets/adc/adc.json" }], volumeMounts: [{ name: "adc", mountPath: "/var/secrets/adc" }] }, [{ name: "adc", secret: { secretName: "deployer-adc" } }]),
  // ADC's files without the variable.
  deploy("home-adc", { volumeMounts: [{ name: "adc", mountPath: "/home/app/.config/gcloud" }] }, [{ name: "adc", secret: { secretName: "dev-adc" } }]),
  deploy("cloudsdk-config", { env: [{ name: "CLOUDSDK_CONFIG", value: "/etc/gcloud" }], volumeMounts: [{ name: "gcloud", mountPath: "/etc/gcloud" }] }, [{ name: "gcloud", secret: { secretName: "gcloud-dir" } }]),
];

const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "shop.example" },
  projects: [
    {
      projectId: P,
      projectNumber: P_NUMBER,
      serviceAccounts: [{ email: UPLOADER, keys: [{ keyId: K1, validAfterTime: "2026-01-10T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" }] }, { email: ORDERS }],
      clusters: [
        {
          cluster: { name: "apps", location: LOC, workloadIdentityConfig: { workloadPool: `${P}.svc.id.goog` }, nodePools: [{ name: "wi", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }] },
          manifests: [
            ...ksas(APPS.map((a) => a.metadata.name)),
            secret("gcp-key", { "key.json": keyFile(UPLOADER, K1) }),
            secret("deployer-adc", { "adc.json": IMPERSONATED_BY_KEY }),
            secret("dev-adc", { "application_default_credentials.json": AUTHORIZED_USER }),
            secret("gcloud-dir", { "application_default_credentials.json": keyFile(UPLOADER, K1) }),
            cm("orders-env", { [GAC]: "/var/secrets/google/key.json", LOG_LEVEL: "info", DB_PASSWORD: "hunter2" }),
            cm("prefixed-env", { APPLICATION_CREDENTIALS: "/var/secrets/google/key.json" }),
            cm("no-creds-env", { LOG_LEVEL: "debug" }),
            cm("override-env", { [GAC]: "/etc/override/creds.json" }),
            cm("paths", { HOME: "/var/secrets/google", CREDS_DIR: "/var/secrets/google" }),
            cm("gcp-config", { "credentials-path": "/var/secrets/google/key.json" }),
            cm("locked-env", { [GAC]: "/var/secrets/google/key.json" }),
            cm("my-cloudsdk-config", { config: FLEET_CONFIG }),
            cm("legacy-sa", { "sa.json": keyFile(UPLOADER, K1) }),
            // Never referenced by a credential: the scanner must not read it.
            cm("feature-flags", { FLAGS: "checkout-v2" }),
            ...APPS,
          ],
        },
        {
          cluster: { name: "locked", location: LOC, workloadIdentityConfig: { workloadPool: `${P}.svc.id.goog` }, nodePools: [{ name: "wi", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }] },
          manifests: [
            ...ksas(["secret-env"]),
            secret("app-env", { [GAC]: "/var/secrets/google/key.json" }),
            deploy("secret-env", { envFrom: [{ secretRef: { name: "app-env" } }] }),
          ],
        },
      ],
    },
  ],
  faults: [
    { match: { path: `/clusters/${LOCKED}/api/v1/secrets` }, status: 403 },
    { match: { method: "GET", path: `/clusters/${C}/api/v1/namespaces/${NS}/configmaps/locked-env` }, status: 403 },
  ],
});

let r: AnalysisResult;
beforeAll(async () => {
  r = await analyzeEstate(ESTATE);
});

const st = (name: string, cluster = C): WorkloadStatus => {
  const s = r.statuses.find((x) => x.subject === `workload:${cluster}/${NS}/Deployment/${name}`);
  if (!s) throw new Error(`no ${name}`);
  return s;
};
const ids = (name: string, cluster = C) => st(name, cluster).identity.shares.map((s) => s.identity);
const KEY = (path = "/var/secrets/google/key.json") => ({ type: "key-file", email: UPLOADER, keyId: K1, secret: `secret:${C}/${NS}/gcp-key`, dataKey: "key.json", path, container: "app", keyExists: true });
const federated = (ksa: string) => ({ type: "federated", principal: `principal://iam.googleapis.com/projects/${P_NUMBER}/locations/global/workloadIdentityPools/${P}.svc.id.goog/subject/ns/${NS}/sa/${ksa}`, pool: `${P}.svc.id.goog`, grants: [] });

describe("GOOGLE_APPLICATION_CREDENTIALS by Kubernetes' env rules", () => {
  it("envFrom of a ConfigMap sets it: the key file it names is used", () => {
    expect(ids("envfrom-cm")).toEqual([KEY()]);
  });

  it("a prefix is put in front of every key: GOOGLE_ + APPLICATION_CREDENTIALS sets it, GCP_ + GOOGLE_APPLICATION_CREDENTIALS does not", () => {
    expect(ids("envfrom-prefix")).toEqual([KEY()]);
    expect(ids("envfrom-other-prefix")).toEqual([federated("envfrom-other-prefix")]);
  });

  it("env beats envFrom", () => {
    expect(ids("env-beats-envfrom")).toEqual([{ type: "unknown-key-file", path: "/etc/app/none.json", container: "app", reason: "/etc/app/none.json is not on any mounted volume, so ADC fails to read it", lacking: [] }]);
  });

  it("a later envFrom source beats an earlier one (one without the key changes nothing)", () => {
    expect(ids("later-envfrom-wins")).toEqual([{ type: "unknown-key-file", path: "/etc/override/creds.json", container: "app", reason: "/etc/override/creds.json is not on any mounted volume, so ADC fails to read it", lacking: [] }]);
  });

  it("a missing optional source leaves it unset: the metadata server answers", () => {
    expect(ids("optional-missing")).toEqual([federated("optional-missing")]);
  });

  it("$(VAR) in a value is expanded with envFrom variables (an identity variable's); configMapKeyRef is read", () => {
    expect(ids("expanded")).toEqual([KEY()]);
    expect(ids("keyref")).toEqual([KEY()]);
  });

  it("a ConfigMap that answered 403 makes it possibly set: unknown (key file), naming the source, and the finding is unverified, not open", () => {
    expect(st("cm-forbidden").identity.label).toBe("unknown (key file)");
    expect(ids("cm-forbidden")).toEqual([
      { type: "unknown-key-file", path: null, container: "app", reason: `${GAC} may come from ConfigMap locked-env, which could not be read`, lacking: [`k8s.configmaps:${C}`], possible: true },
    ]);
    const f = r.findings.find((x) => x.rule === "workload-uses-key-file" && x.subject.endsWith("/cm-forbidden"))!;
    expect([f.state, f.lacking]).toEqual(["unverified", [`k8s.configmaps:${C}`]]);
    expect(st("cm-forbidden").steps.find((s) => s.n === 7)!.state).toBe("unknown");
  });

  it("envFrom of a Secret in a cluster whose Secrets answer 403: the same, lacking k8s.secrets", () => {
    expect(ids("secret-env", LOCKED)).toEqual([
      { type: "unknown-key-file", path: null, container: "app", reason: `${GAC} may come from Secret app-env, which could not be read`, lacking: [`k8s.secrets:${LOCKED}`], possible: true },
    ]);
    expect(findingLines(r, "workload-uses-key-file").filter((l) => l.includes("/locked/"))).toEqual([`workload-uses-key-file workload:${LOCKED}/${NS}/Deployment/secret-env unverified`]);
  });
});

describe("credential files: keys, people's tokens and keyless configurations", () => {
  it("a fleet credential configuration from a ConfigMap is keyless: the KSA's principal in the fleet pool and the account it impersonates; step 7 done", () => {
    expect(ids("fleet-wif")).toEqual([
      {
        type: "external-account",
        credentialType: "external_account",
        principal: federated("fleet-wif").principal,
        pool: `${P}.svc.id.goog`,
        audience: `identitynamespace:${P}.svc.id.goog:https://gkehub.googleapis.com/projects/${P}/locations/global/memberships/apps`,
        email: ORDERS,
        secret: `configmap:${C}/${NS}/my-cloudsdk-config`,
        path: "/var/run/secrets/tokens/gcp-ksa/google-application-credentials.json",
        container: "app",
      },
    ]);
    expect(st("fleet-wif").identity.label).toBe(`${ORDERS} (via ${P}.svc.id.goog)`);
    expect(st("fleet-wif").steps.find((s) => s.n === 7)).toMatchObject({ state: "done" });
  });

  it("a key in a ConfigMap is a key: workload-uses-key-file and key-in-configmap", () => {
    expect(ids("cm-key")).toEqual([{ ...KEY("/etc/gcp/sa.json"), secret: `configmap:${C}/${NS}/legacy-sa`, dataKey: "sa.json" }]);
    expect(findingLines(r, "key-in-configmap")).toEqual([`key-in-configmap configmap:${C}/${NS}/legacy-sa open`]);
  });

  it("an impersonated_service_account file whose source is a key: the key (its id and account), acting as the target", () => {
    expect(ids("impersonating")).toEqual([
      { type: "key-file", email: UPLOADER, keyId: K1, secret: `secret:${C}/${NS}/deployer-adc`, dataKey: "adc.json", path: "/var/secrets/adc/adc.json", container: "app", keyExists: true, impersonates: ORDERS },
    ]);
  });

  it("fires workload-uses-key-file on every key and token, never on the federation configuration", () => {
    expect(findingLines(r, "workload-uses-key-file").filter((l) => !l.includes("/locked/"))).toEqual(
      ["cm-forbidden unverified", "cm-key open", "envfrom-cm open", "envfrom-prefix open", "env-beats-envfrom open", "expanded open", "home-adc open", "impersonating open", "keyref open", "later-envfrom-wins open", "cloudsdk-config open"]
        .map((x) => `workload-uses-key-file workload:${C}/${NS}/Deployment/${x}`)
        .sort(),
    );
  });
});

describe("ADC's well-known file", () => {
  it("a credential mounted at HOME/.config/gcloud/application_default_credentials.json is used without the variable", () => {
    expect(ids("home-adc")).toEqual([
      { type: "credential-file", credentialType: "authorized_user", email: null, secret: `secret:${C}/${NS}/dev-adc`, path: "/home/app/.config/gcloud/application_default_credentials.json", container: "app", via: "well-known-file" },
    ]);
  });

  it("one reachable only through CLOUDSDK_CONFIG is possible, not certain (the Secret it mounts holds a key all the same: that is open)", () => {
    expect(ids("cloudsdk-config")).toEqual([
      {
        type: "unknown-key-file",
        path: "/etc/gcloud/application_default_credentials.json",
        container: "app",
        reason: "/etc/gcloud/application_default_credentials.json is reachable only through CLOUDSDK_CONFIG, which some client libraries read and others do not (it holds a service account key)",
        lacking: [],
        possible: true,
      },
    ]);
  });
});

describe("what the scanner reads of ConfigMaps", () => {
  it("only those a credential comes from, keeping the looked-for keys' path values and credential summaries", () => {
    const cms = [...r.context.configMaps.values()].map((x) => [x.data.name, x.data.looked, x.data.values, x.data.credentials.map((c) => c.type), x.data.absent ?? false]).sort();
    // envFrom sources are looked at for the variable (and CLOUDSDK_CONFIG, where ADC's file may be);
    // `locked-env` answered 403 and is not in the inventory; `not-created-yet` answered 404.
    expect(cms).toEqual([
      ["gcp-config", ["credentials-path"], { "credentials-path": "/var/secrets/google/key.json" }, [], false],
      ["legacy-sa", ["sa.json"], {}, ["service_account"], false],
      ["my-cloudsdk-config", ["config"], {}, ["external_account"], false],
      ["no-creds-env", ["CLOUDSDK_CONFIG", GAC], {}, [], false],
      ["not-created-yet", ["CLOUDSDK_CONFIG", GAC], {}, [], true],
      ["orders-env", ["CLOUDSDK_CONFIG", GAC], { [GAC]: "/var/secrets/google/key.json" }, [], false],
      ["override-env", ["CLOUDSDK_CONFIG", GAC], { [GAC]: "/etc/override/creds.json" }, [], false],
      ["paths", ["CLOUDSDK_CONFIG", "HOME"], { HOME: "/var/secrets/google" }, [], false],
      ["prefixed-env", ["APPLICATION_CREDENTIALS"], { APPLICATION_CREDENTIALS: "/var/secrets/google/key.json" }, [], false],
    ]);
    expect(JSON.stringify([...r.context.configMaps.values()])).not.toContain("hunter2");
  });
});
