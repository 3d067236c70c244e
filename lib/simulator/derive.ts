/** Deterministic derivations: the same estate always yields the same ids, names and times. */
import { createHash } from "node:crypto";

export function sha(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** A decimal string of `n` digits derived from `seed`, not starting with 0. */
export function digits(seed: string, n: number): string {
  const h = sha(seed);
  let out = "";
  for (let i = 0; out.length < n; i++) out += (parseInt(h.slice((i * 4) % 60, (i * 4) % 60 + 4), 16) % 10).toString();
  return (out[0] === "0" ? "1" : out[0]) + out.slice(1, n);
}

const K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
/** Kubernetes' random-suffix alphabet (no vowels, no confusable digits), deterministically. */
export function k8sSuffix(seed: string, n: number): string {
  const h = sha(seed);
  let out = "";
  for (let i = 0; i < n; i++) out += K8S_ALPHABET[parseInt(h.slice(i * 2, i * 2 + 2), 16) % K8S_ALPHABET.length];
  return out;
}

export function uid(seed: string): string {
  const h = sha("uid:" + seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function intOf(seed: string, mod: number): number {
  return parseInt(sha(seed).slice(0, 8), 16) % mod;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
