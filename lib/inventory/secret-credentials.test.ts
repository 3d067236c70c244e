import { describe, expect, it } from "vitest";
import { credentialClass, credentialFromValue, scanConfigMapData, scanSecretData } from "./secret-credentials";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** A private key body that must never come out of the scan, in any form. */
const KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4";
const PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n`;
const KEY_ID = "5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b";

// A service account key file as `gcloud iam service-accounts keys create` / the console downloads it
// (pretty-printed, two-space indent):
// https://cloud.google.com/iam/docs/keys-create-delete#creating
// https://google.aip.dev/auth/4112
const KEY_FILE = JSON.stringify(
  {
    type: "service_account",
    project_id: "acme-prod",
    private_key_id: KEY_ID,
    private_key: PRIVATE_KEY,
    client_email: "batch@acme-prod.iam.gserviceaccount.com",
    client_id: "103456789012345678901",
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: "https://oauth2.googleapis.com/token",
    auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
    client_x509_cert_url: "https://www.googleapis.com/robot/v1/metadata/x509/batch%40acme-prod.iam.gserviceaccount.com",
    universe_domain: "googleapis.com",
  },
  null,
  2,
);

// A Workload Identity Federation credential configuration (`gcloud iam workload-identity-pools
// create-cred-config ... --service-account=...`):
// https://cloud.google.com/iam/docs/workload-identity-federation-with-other-providers#create-cred-config
// https://google.aip.dev/auth/4117
const EXTERNAL_ACCOUNT = JSON.stringify({
  universe_domain: "googleapis.com",
  type: "external_account",
  audience: "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/aws-pool/providers/aws",
  subject_token_type: "urn:ietf:params:aws:token-type:aws4_request",
  service_account_impersonation_url:
    "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/Uploader@acme-prod.iam.gserviceaccount.com:generateAccessToken",
  token_url: "https://sts.googleapis.com/v1/token",
  credential_source: {
    environment_id: "aws1",
    region_url: "http://169.254.169.254/latest/meta-data/placement/availability-zone",
    url: "http://169.254.169.254/latest/meta-data/iam/security-credentials",
    regional_cred_verification_url: "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15",
  },
});

// The same without impersonation: the federated identity itself is granted roles.
// https://cloud.google.com/iam/docs/workload-identity-federation-with-other-providers#create-cred-config
const EXTERNAL_ACCOUNT_DIRECT = JSON.stringify({
  type: "external_account",
  audience: "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/oidc-pool/providers/gitlab",
  subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
  token_url: "https://sts.googleapis.com/v1/token",
  credential_source: { file: "/var/run/secrets/gitlab/token" },
});

// Application Default Credentials written by `gcloud auth application-default login
// --impersonate-service-account=...`; the source credentials hold a user's refresh token:
// https://cloud.google.com/docs/authentication/use-service-account-impersonation#adc
// https://google.aip.dev/auth/4111
const REFRESH_TOKEN = "1//0gRefreshTokenThatMustNotLeak-abcdefghijklmnop";
const IMPERSONATED = JSON.stringify(
  {
    delegates: [],
    service_account_impersonation_url:
      "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/deployer%40acme-prod.iam.gserviceaccount.com:generateAccessToken",
    source_credentials: {
      account: "",
      client_id: "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com",
      client_secret: "d-FL95Q19q7MQmFpd7hHD0Ty",
      refresh_token: REFRESH_TOKEN,
      type: "authorized_user",
      universe_domain: "googleapis.com",
    },
    type: "impersonated_service_account",
  },
  null,
  2,
);

// Application Default Credentials of a user (`gcloud auth application-default login`):
// https://cloud.google.com/docs/authentication/application-default-credentials#personal
const AUTHORIZED_USER = JSON.stringify({
  account: "",
  client_id: "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com",
  client_secret: "d-FL95Q19q7MQmFpd7hHD0Ty",
  quota_project_id: "acme-prod",
  refresh_token: REFRESH_TOKEN,
  type: "authorized_user",
  universe_domain: "googleapis.com",
});

function expectNoSecretMaterial(value: unknown) {
  const text = JSON.stringify(value);
  expect(text).not.toContain(KEY_BODY);
  expect(text).not.toContain("PRIVATE KEY");
  expect(text).not.toContain(REFRESH_TOKEN);
  expect(text).not.toContain("d-FL95Q19q7MQmFpd7hHD0Ty");
  // Nor the values as the Secret held them.
  expect(text).not.toContain(b64(KEY_FILE).slice(0, 40));
}

describe("scanSecretData", () => {
  it("finds a JSON key file stored as plain base64 data, keeping only its email, key id and project", () => {
    // A Secret as the API returns it (`kubectl create secret generic gcp-key --from-file=key.json`):
    // https://kubernetes.io/docs/reference/kubernetes-api/config-and-storage-resources/secret-v1/
    const result = scanSecretData({ "key.json": b64(KEY_FILE) });
    expect(result).toEqual({
      credentials: [
        {
          dataKey: "key.json",
          type: "service_account",
          clientEmail: "batch@acme-prod.iam.gserviceaccount.com",
          keyId: KEY_ID,
          projectId: "acme-prod",
          encoding: "json",
          audience: null,
          impersonates: null,
          sourceType: null,
        },
      ],
      credentialTypes: ["service_account"],
    });
    expectNoSecretMaterial(result);
  });

  it("finds Terraform's private_key output (base64 of the key file) stored as data: base64 twice", () => {
    // google_service_account_key.private_key is "The private key in JSON format, base64 encoded";
    // a kubernetes_secret's `data` base64-encodes it once more:
    // https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/google_service_account_key
    const result = scanSecretData({ credentials: b64(b64(KEY_FILE)) });
    expect(result).toEqual({
      credentials: [
        {
          dataKey: "credentials",
          type: "service_account",
          clientEmail: "batch@acme-prod.iam.gserviceaccount.com",
          keyId: KEY_ID,
          projectId: "acme-prod",
          encoding: "base64-json",
          audience: null,
          impersonates: null,
          sourceType: null,
        },
      ],
      credentialTypes: ["service_account (base64-json)"],
    });
    expectNoSecretMaterial(result);
  });

  it("reads Terraform's base64 even when it was line-wrapped", () => {
    const wrapped = b64(KEY_FILE).replace(/(.{76})/g, "$1\n");
    const result = scanSecretData({ "sa.json": b64(wrapped) });
    expect(result.credentials.map((c) => [c.dataKey, c.keyId, c.encoding])).toEqual([["sa.json", KEY_ID, "base64-json"]]);
    expectNoSecretMaterial(result);
  });

  it("keeps only the type, audience and impersonation target (lower-cased) of an external_account file: no key, so no key account", () => {
    const result = scanSecretData({ "wif.json": b64(EXTERNAL_ACCOUNT), "direct.json": b64(EXTERNAL_ACCOUNT_DIRECT) });
    expect(result).toEqual({
      credentials: [
        {
          dataKey: "wif.json",
          type: "external_account",
          clientEmail: null,
          keyId: null,
          projectId: null,
          encoding: "json",
          audience: "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/aws-pool/providers/aws",
          impersonates: "uploader@acme-prod.iam.gserviceaccount.com",
          sourceType: null,
        },
        {
          dataKey: "direct.json",
          type: "external_account",
          clientEmail: null,
          keyId: null,
          projectId: null,
          encoding: "json",
          audience: "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/oidc-pool/providers/gitlab",
          impersonates: null,
          sourceType: null,
        },
      ],
      credentialTypes: ["external_account"],
    });
    // The credential source (a URL, a token file path) and the token URL are not kept.
    expect(JSON.stringify(result)).not.toContain("169.254.169.254");
    expect(JSON.stringify(result)).not.toContain("/var/run/secrets/gitlab/token");
  });

  it("takes an impersonated_service_account's target from service_account_impersonation_url, URL-decoded, keeps its source's type, and drops the source credentials", () => {
    const result = scanSecretData({ "application_default_credentials.json": b64(IMPERSONATED) });
    expect(result).toEqual({
      credentials: [
        {
          dataKey: "application_default_credentials.json",
          type: "impersonated_service_account",
          clientEmail: null,
          keyId: null,
          projectId: null,
          encoding: "json",
          audience: null,
          impersonates: "deployer@acme-prod.iam.gserviceaccount.com",
          sourceType: "authorized_user",
        },
      ],
      credentialTypes: ["impersonated_service_account"],
    });
    expectNoSecretMaterial(result);
  });

  it("records an authorized_user file by type alone", () => {
    const result = scanSecretData({ adc: b64(AUTHORIZED_USER) });
    expect(result.credentials).toEqual([
      { dataKey: "adc", type: "authorized_user", clientEmail: null, keyId: null, projectId: null, encoding: "json", audience: null, impersonates: null, sourceType: null },
    ]);
    expectNoSecretMaterial(result);
  });

  it("ignores JSON that is not a Google credential, and other values", () => {
    // A docker registry Secret (kubernetes.io/dockerconfigjson):
    // https://kubernetes.io/docs/concepts/configuration/secret/#docker-config-secrets
    const dockerConfig = JSON.stringify({ auths: { "asia-docker.pkg.dev": { username: "_json_key", password: "x", auth: "X2pzb25fa2V5Ong=" } } });
    const result = scanSecretData({
      ".dockerconfigjson": b64(dockerConfig),
      "config.json": b64(JSON.stringify({ type: "kubernetes.io/tls", name: "x" })),
      array: b64("[1,2,3]"),
      password: b64("hunter2-hunter2"),
      "tls.key": b64(PRIVATE_KEY),
      broken: b64('{"type":"service_account",'),
    });
    // The TLS key is a private key, but not a Google credential: it is named, never flagged as a key.
    expect(result).toEqual({ credentials: [], credentialTypes: ["pem-private-key"] });
  });

  it("keeps no value at all, not even one shaped like a file path", () => {
    const result = scanSecretData({
      GOOGLE_APPLICATION_CREDENTIALS: b64("/var/secrets/google/key.json"),
      CONFIG_DIR: b64(" /etc/app/conf.d \n"),
    });
    expect(result).toEqual({ credentials: [], credentialTypes: [] });
    expect(JSON.stringify(result)).not.toContain("/var/secrets");
  });

  it("returns nothing for a Secret without data", () => {
    expect(scanSecretData(undefined)).toEqual({ credentials: [], credentialTypes: [] });
    expect(scanSecretData(null)).toEqual({ credentials: [], credentialTypes: [] });
    expect(scanSecretData({})).toEqual({ credentials: [], credentialTypes: [] });
  });

  it("finds several credentials in one Secret, in data order", () => {
    const result = scanSecretData({ a: b64(KEY_FILE), b: b64(b64(IMPERSONATED)), path: b64("/secrets/a") });
    expect(result.credentials.map((c) => [c.dataKey, c.type, c.encoding])).toEqual([
      ["a", "service_account", "json"],
      ["b", "impersonated_service_account", "base64-json"],
    ]);
    expect(result.credentialTypes).toEqual(["impersonated_service_account (base64-json)", "service_account"]);
    expectNoSecretMaterial(result);
  });
});

describe("credentialFromValue", () => {
  it("lower-cases and trims the client email of a key file", () => {
    const upper = JSON.stringify({ ...JSON.parse(KEY_FILE), client_email: "  Batch@Acme-Prod.iam.gserviceaccount.com " });
    expect(credentialFromValue("k", upper)).toEqual({
      dataKey: "k",
      type: "service_account",
      clientEmail: "batch@acme-prod.iam.gserviceaccount.com",
      keyId: KEY_ID,
      projectId: "acme-prod",
      encoding: "json",
      audience: null,
      impersonates: null,
      sourceType: null,
    });
  });

  it("answers null fields for a key file that lacks them", () => {
    expect(credentialFromValue("k", JSON.stringify({ type: "service_account", private_key: PRIVATE_KEY }))).toEqual({
      dataKey: "k",
      type: "service_account",
      clientEmail: null,
      keyId: null,
      projectId: null,
      encoding: "json",
      audience: null,
      impersonates: null,
      sourceType: null,
    });
  });

  it("returns undefined for a value that is neither JSON nor base64 JSON", () => {
    expect(credentialFromValue("k", "plain text")).toBeUndefined();
    expect(credentialFromValue("k", b64("plain text, base64"))).toBeUndefined();
  });
});

// `gcloud auth application-default login --impersonate-service-account` run with a service account
// key as the active credential: the source is the key itself.
// https://google.aip.dev/auth/4111 (source_credentials may be a service_account key)
const IMPERSONATED_BY_KEY = JSON.stringify({
  delegates: [],
  service_account_impersonation_url: "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/deployer@acme-prod.iam.gserviceaccount.com:generateAccessToken",
  source_credentials: JSON.parse(KEY_FILE),
  type: "impersonated_service_account",
});

// Workforce Identity Federation: a person's refresh token (`gcloud auth application-default login`
// with a workforce pool login configuration).
// https://cloud.google.com/java/docs/reference/google-auth-library/latest/com.google.auth.oauth2.ExternalAccountAuthorizedUserCredentials
const WORKFORCE_USER = JSON.stringify({
  type: "external_account_authorized_user",
  audience: "//iam.googleapis.com/locations/global/workforcePools/acme-staff/providers/okta",
  refresh_token: REFRESH_TOKEN,
  token_url: "https://sts.googleapis.com/v1/oauthtoken",
  token_info_url: "https://sts.googleapis.com/v1/introspect",
  client_id: "acme-staff-client",
  client_secret: "d-FL95Q19q7MQmFpd7hHD0Ty",
});

// Fleet Workload Identity (GKE fleets, attached clusters): the ConfigMap of Google's fleet docs.
// https://cloud.google.com/anthos/fleet-management/docs/use-workload-identity
const FLEET_CONFIG = JSON.stringify({
  type: "external_account",
  audience: "identitynamespace:fleet-host.svc.id.goog:https://gkehub.googleapis.com/projects/fleet-host/locations/global/memberships/eks-prod",
  service_account_impersonation_url: "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/orders@acme-prod.iam.gserviceaccount.com:generateAccessToken",
  subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
  token_url: "https://sts.googleapis.com/v1/token",
  credential_source: { file: "/var/run/secrets/tokens/gcp-ksa/token" },
});

describe("credential summaries beyond plain keys", () => {
  it("an impersonated_service_account file whose source is a key keeps the source's key id, email and project: it is a key", () => {
    const c = credentialFromValue("adc.json", IMPERSONATED_BY_KEY)!;
    expect(c).toEqual({
      dataKey: "adc.json",
      type: "impersonated_service_account",
      clientEmail: "batch@acme-prod.iam.gserviceaccount.com",
      keyId: KEY_ID,
      projectId: "acme-prod",
      encoding: "json",
      audience: null,
      impersonates: "deployer@acme-prod.iam.gserviceaccount.com",
      sourceType: "service_account",
    });
    expect(credentialClass(c)).toBe("key");
    expectNoSecretMaterial(c);
  });

  it("external_account_authorized_user keeps its workforce audience and is a person's token", () => {
    const c = credentialFromValue("adc", WORKFORCE_USER)!;
    expect(c).toMatchObject({ type: "external_account_authorized_user", clientEmail: null, keyId: null, audience: "//iam.googleapis.com/locations/global/workforcePools/acme-staff/providers/okta" });
    expect(credentialClass(c)).toBe("user-token");
    expectNoSecretMaterial(c);
  });

  it("classifies: external_account (fleet or provider) is keyless; an impersonation is what its source is", () => {
    expect(credentialClass(credentialFromValue("c", FLEET_CONFIG)!)).toBe("keyless");
    expect(credentialClass(credentialFromValue("c", EXTERNAL_ACCOUNT)!)).toBe("keyless");
    expect(credentialClass(credentialFromValue("c", IMPERSONATED)!)).toBe("user-token");
    expect(credentialClass(credentialFromValue("c", KEY_FILE)!)).toBe("key");
    expect(credentialClass(credentialFromValue("c", AUTHORIZED_USER)!)).toBe("user-token");
    expect(credentialClass({ type: "impersonated_service_account", sourceType: "external_account" })).toBe("keyless");
    expect(credentialClass({ type: "impersonated_service_account", sourceType: null })).toBe("unknown");
  });
});

describe("scanConfigMapData", () => {
  it("keeps only the keys it was sent for: path-like env values, and the summary of credential files", () => {
    const result = scanConfigMapData(
      {
        GOOGLE_APPLICATION_CREDENTIALS: "/var/run/secrets/tokens/gcp-ksa/google-application-credentials.json",
        DATABASE_URL: "postgres://app:hunter2@db:5432/app",
        LOG_LEVEL: "debug",
        config: FLEET_CONFIG,
      },
      null,
      { envKeys: ["GOOGLE_APPLICATION_CREDENTIALS", "DATABASE_URL", "MISSING"], fileKeys: ["config"] },
    );
    expect(result).toEqual({
      looked: ["DATABASE_URL", "GOOGLE_APPLICATION_CREDENTIALS", "MISSING", "config"],
      present: ["DATABASE_URL", "GOOGLE_APPLICATION_CREDENTIALS", "config"],
      // A value that is no path is not kept, even for a key it was sent for.
      values: { GOOGLE_APPLICATION_CREDENTIALS: "/var/run/secrets/tokens/gcp-ksa/google-application-credentials.json" },
      credentials: [
        {
          dataKey: "config",
          type: "external_account",
          clientEmail: null,
          keyId: null,
          projectId: null,
          encoding: "json",
          audience: "identitynamespace:fleet-host.svc.id.goog:https://gkehub.googleapis.com/projects/fleet-host/locations/global/memberships/eks-prod",
          impersonates: "orders@acme-prod.iam.gserviceaccount.com",
          sourceType: null,
        },
      ],
    });
    expect(JSON.stringify(result)).not.toContain("hunter2");
    expect(JSON.stringify(result)).not.toContain("debug");
  });

  it("finds a key pasted into a ConfigMap (data or binaryData) and keeps only its summary", () => {
    const result = scanConfigMapData({}, { "sa.json": b64(KEY_FILE) }, { envKeys: [], fileKeys: ["sa.json"] });
    expect(result.credentials.map((c) => [c.dataKey, c.type, c.clientEmail, c.keyId])).toEqual([["sa.json", "service_account", "batch@acme-prod.iam.gserviceaccount.com", KEY_ID]]);
    expectNoSecretMaterial(result);
  });

  it("an env key only in binaryData is no variable (the kubelet reads data only)", () => {
    const result = scanConfigMapData({}, { GOOGLE_APPLICATION_CREDENTIALS: b64("/k.json") }, { envKeys: ["GOOGLE_APPLICATION_CREDENTIALS"], fileKeys: [] });
    expect(result).toEqual({ looked: ["GOOGLE_APPLICATION_CREDENTIALS"], present: [], values: {}, credentials: [] });
  });
});
