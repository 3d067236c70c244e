import { describe, expect, it } from "vitest";
import { credentialsPathVariables, keepEnvEntry } from "./env-values";

const KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4";
const PEM = `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n`;
const KEY = JSON.stringify({ type: "service_account", project_id: "acme-prod", private_key_id: "ab12", private_key: PEM, client_email: "ci@acme-prod.iam.gserviceaccount.com" });

describe("keepEnvEntry", () => {
  it("keeps the name and drops the value of a variable that does not decide identity", () => {
    expect(keepEnvEntry({ name: "DATABASE_URL", value: "postgres://app:hunter2@db/app" })).toEqual({ name: "DATABASE_URL", valueWithheld: "not-kept" });
  });

  it("keeps the values of the identity variables", () => {
    for (const [name, value] of [["GOOGLE_APPLICATION_CREDENTIALS", "/var/secrets/google/key.json"], ["HOME", "/home/app"], ["CLOUDSDK_CONFIG", "$(HOME)/.gcloud"], ["GCE_METADATA_HOST", "169.254.169.254:80"], ["GCE_METADATA_IP", "169.254.169.254"]]) {
      expect(keepEnvEntry({ name, value })).toEqual({ name, value });
    }
  });

  it("keeps the values of the variables GOOGLE_APPLICATION_CREDENTIALS builds its path from, and only while they are paths", () => {
    const env = [
      { name: "ROOT", value: "/var" },
      { name: "CREDS_DIR", value: "$(ROOT)/secrets" },
      { name: "DATABASE_URL", value: "postgres://app:hunter2@db/app" },
      { name: "GOOGLE_APPLICATION_CREDENTIALS", value: "$(CREDS_DIR)/key.json:$$(NOT_A_REF)" },
    ];
    const vars = credentialsPathVariables(env);
    expect([...vars].sort()).toEqual(["CREDS_DIR", "ROOT"]);
    expect(env.map((e) => keepEnvEntry(e, vars))).toEqual([
      { name: "ROOT", value: "/var" },
      { name: "CREDS_DIR", value: "$(ROOT)/secrets" },
      { name: "DATABASE_URL", valueWithheld: "not-kept" },
      { name: "GOOGLE_APPLICATION_CREDENTIALS", value: "$(CREDS_DIR)/key.json:$$(NOT_A_REF)" },
    ]);
    // A referenced variable holding JSON (or several lines) is not a path: dropped.
    expect(keepEnvEntry({ name: "CREDS_DIR", value: '{"dir": "/var"}' }, new Set(["CREDS_DIR"]))).toEqual({ name: "CREDS_DIR", valueWithheld: "not-a-path" });
  });

  it("keeps an empty value of any variable (it says nothing, and empty is not unset)", () => {
    expect(keepEnvEntry({ name: "TOKEN", value: "" })).toEqual({ name: "TOKEN", value: "" });
  });

  it("keeps valueFrom references as given, and never a value beside them", () => {
    const valueFrom = { secretKeyRef: { name: "db", key: "password" } };
    expect(keepEnvEntry({ name: "DB_PASSWORD", valueFrom })).toEqual({ name: "DB_PASSWORD", valueFrom });
  });

  it("drops a GOOGLE_APPLICATION_CREDENTIALS value that is not a path: JSON, several lines, too long", () => {
    expect(keepEnvEntry({ name: "GOOGLE_APPLICATION_CREDENTIALS", value: '{"type": "nothing-known"}' })).toEqual({ name: "GOOGLE_APPLICATION_CREDENTIALS", valueWithheld: "not-a-path" });
    expect(keepEnvEntry({ name: "GOOGLE_APPLICATION_CREDENTIALS", value: "/a\n/b" })).toEqual({ name: "GOOGLE_APPLICATION_CREDENTIALS", valueWithheld: "not-a-path" });
    expect(keepEnvEntry({ name: "HOME", value: `/${"x".repeat(1024)}` })).toEqual({ name: "HOME", valueWithheld: "not-a-path" });
  });

  it("drops a key pasted into GOOGLE_APPLICATION_CREDENTIALS and keeps only what it is (type, key id, account, project)", () => {
    expect(keepEnvEntry({ name: "GOOGLE_APPLICATION_CREDENTIALS", value: KEY })).toEqual({
      name: "GOOGLE_APPLICATION_CREDENTIALS",
      valueWithheld: "credential",
      inlineCredential: {
        credentials: [{ dataKey: "GOOGLE_APPLICATION_CREDENTIALS", type: "service_account", clientEmail: "ci@acme-prod.iam.gserviceaccount.com", keyId: "ab12", projectId: "acme-prod", encoding: "json", audience: null, impersonates: null, sourceType: null }],
        credentialTypes: ["service_account"],
      },
    });
  });

  it("finds GOOGLE_CREDENTIALS in base64 and a PEM private key in any variable", () => {
    expect(keepEnvEntry({ name: "GOOGLE_CREDENTIALS", value: Buffer.from(KEY).toString("base64") }).inlineCredential?.credentialTypes).toEqual(["service_account (base64-json)"]);
    expect(keepEnvEntry({ name: "GITHUB_APP_KEY", value: PEM })).toEqual({ name: "GITHUB_APP_KEY", valueWithheld: "credential", inlineCredential: { credentials: [], credentialTypes: ["pem-private-key"] } });
  });
});
