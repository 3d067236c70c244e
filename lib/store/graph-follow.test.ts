import { describe, expect, it } from "vitest";
import { followFromKey } from "./graph-query";

const e = (kind: string, src: string, dst: string) => ({ kind, src, dst });
const KEY = "key:a@p.iam.gserviceaccount.com/k1";
const GSA = "gsa:a@p.iam.gserviceaccount.com";
const SECRET = "secret:p/l/c/ns/s";
const WL = "workload:p/l/c/ns/Deployment/w";
const NS = "namespace:p/l/c/ns";

describe("a key's walk follows only what reaches the key", () => {
  it("goes from the key up to its GSA and out to the Secrets holding it", () => {
    expect(followFromKey(KEY, e("key-of", GSA, KEY))).toBe(true);
    expect(followFromKey(KEY, e("key-in-secret", KEY, SECRET))).toBe(true);
  });
  it("stops at the GSA: neither its other keys, nor its roles, nor the workloads acting as it", () => {
    expect(followFromKey(GSA, e("key-of", GSA, "key:a@p.iam.gserviceaccount.com/k2"))).toBe(false);
    expect(followFromKey(GSA, e("holds-role", GSA, "project:p"))).toBe(false);
    expect(followFromKey(GSA, e("effective-identity", "workload:p/l/c/other/Deployment/x", GSA))).toBe(false);
  });
  it("goes from a Secret to the workloads mounting it and its namespace, and from a workload to its KSA, pool and namespace", () => {
    expect(followFromKey(SECRET, e("secret-mounted", SECRET, WL))).toBe(true);
    expect(followFromKey(SECRET, e("contains", NS, SECRET))).toBe(true);
    expect(followFromKey(WL, e("runs-as", WL, "ksa:p/l/c/ns/default"))).toBe(true);
    expect(followFromKey(WL, e("runs-on", WL, "nodepool:p/l/c/pool"))).toBe(true);
    expect(followFromKey(WL, e("contains", NS, WL))).toBe(true);
    expect(followFromKey(WL, e("effective-identity", WL, "gsa:other@p.iam.gserviceaccount.com"))).toBe(false);
  });
  it("climbs from a namespace to its cluster but never down to the namespace's other workloads", () => {
    expect(followFromKey(NS, e("contains", "cluster:p/l/c", NS))).toBe(true);
    expect(followFromKey(NS, e("contains", NS, "workload:p/l/c/ns/Deployment/other"))).toBe(false);
    expect(followFromKey("cluster:p/l/c", e("contains", "cluster:p/l/c", "namespace:p/l/c/other"))).toBe(false);
  });
});
