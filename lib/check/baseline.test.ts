import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { assertNoSecretMaterial, CheckRunError, readSnapshot, writeSnapshot, type Baseline } from "./baseline";
import { CheckInputError } from "./read-manifests";

const dir = mkdtempSync(path.join(tmpdir(), "baseline-"));

const baseline: Baseline = {
  scan: { id: 7, startedAt: "2026-11-29T00:00:05.000Z" },
  now: new Date("2026-11-29T00:00:00.000Z"),
  records: [
    { kind: "gsa", subject: "gsa:app@p-123456.iam.gserviceaccount.com", source: "iam.serviceAccounts:p-123456", project: "p-123456", cluster: null, namespace: null, data: { email: "app@p-123456.iam.gserviceaccount.com", disabled: false } },
    {
      kind: "secret",
      subject: "secret:p-123456/us-central1/c/ns/key",
      source: "k8s.secrets:p-123456/us-central1/c",
      project: "p-123456",
      cluster: "cluster:p-123456/us-central1/c",
      namespace: "ns",
      data: { namespace: "ns", name: "key", type: "Opaque", dataKeys: ["key.json"], credentials: [{ dataKey: "key.json", type: "service_account", clientEmail: "app@p-123456.iam.gserviceaccount.com", keyId: "abc", projectId: "p-123456", encoding: "json" }] },
    },
  ],
  sources: new Map([["iam.serviceAccounts:p-123456", "ok"], ["k8s.secrets:p-123456/us-central1/c", "partial"]]),
  firstSeen: new Map([["gsa:app@p-123456.iam.gserviceaccount.com", new Date("2026-10-01T00:00:00.000Z")]]),
};

function inputError(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof CheckInputError) return err.message;
    throw err;
  }
  throw new Error("no CheckInputError");
}

describe("check snapshots", () => {
  it("read back what was written: records, source statuses, first-seen times and the clock", () => {
    const file = path.join(dir, "round.json");
    writeSnapshot(file, baseline);
    expect(readSnapshot(file)).toEqual(baseline);
  });

  it("refuse to write anything holding private key material", () => {
    expect(() => assertNoSecretMaterial('{"data":"-----BEGIN PRIVATE KEY-----\\nX"}', "The snapshot s.json")).toThrow(CheckRunError);
    expect(() => assertNoSecretMaterial('{"private_key": "x"}', "The snapshot s.json")).toThrow("The snapshot s.json would hold private key material");
    expect(() => assertNoSecretMaterial('{"private_key_id":"abc","keyId":"abc"}', "The snapshot s.json")).not.toThrow();
    const file = path.join(dir, "leak.json");
    const leaking = { ...baseline, records: [{ ...baseline.records[0], data: { note: "-----BEGIN RSA PRIVATE KEY-----" } }] };
    expect(() => writeSnapshot(file, leaking)).toThrow(CheckRunError);
    expect(existsSync(file)).toBe(false);
  });

  it("name the file and what is wrong when a snapshot cannot be used", () => {
    expect(inputError(() => readSnapshot(path.join(dir, "none.json")))).toBe(`--snapshot ${path.join(dir, "none.json")}: cannot be read: no such file`);
    writeFileSync(path.join(dir, "bad.json"), "{not json");
    expect(inputError(() => readSnapshot(path.join(dir, "bad.json")))).toMatch(new RegExp(`^--snapshot ${path.join(dir, "bad.json")}: not JSON: `));
    writeFileSync(path.join(dir, "v2.json"), JSON.stringify({ format: "wi-atlas-check-snapshot", version: 2, exportedAt: "x", scan: { id: 1, startedAt: "x" }, now: "2026-11-29T00:00:00Z", sources: {}, firstSeen: {}, records: [] }));
    expect(inputError(() => readSnapshot(path.join(dir, "v2.json")))).toBe(
      `Not a wi-atlas check snapshot (format wi-atlas-check-snapshot, version 1; write one with npm run check -- --export-snapshot FILE):\n--snapshot ${path.join(dir, "v2.json")}: version: Invalid input: expected 1`,
    );
  });
});
