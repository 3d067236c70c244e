import { describe, expect, it } from "vitest";
import { openSession, openSignIn, safeReturnTo, sealSession, sealSignIn } from "./session";

const SECRET = "a".repeat(32);

describe("session cookie", () => {
  it("opens what it sealed", async () => {
    const token = await sealSession({ email: "ann@example.com", groups: ["sre"], name: "Ann" }, SECRET);
    expect(await openSession(token, SECRET)).toEqual({ email: "ann@example.com", groups: ["sre"], name: "Ann" });
  });

  it("does not show its content to whoever holds it", async () => {
    const token = await sealSession({ email: "ann@example.com", groups: [] }, SECRET);
    expect(Buffer.from(token.split(".")[3] ?? "", "base64url").toString("latin1")).not.toContain("ann@example.com");
  });

  it("a cookie sealed with another secret, or altered, is no session", async () => {
    const token = await sealSession({ email: "ann@example.com", groups: [] }, SECRET);
    expect(await openSession(token, "b".repeat(32))).toBeNull();
    const parts = token.split(".");
    parts[3] = parts[3].slice(0, -2) + (parts[3].endsWith("AA") ? "BB" : "AA");
    expect(await openSession(parts.join("."), SECRET)).toBeNull();
    expect(await openSession(undefined, SECRET)).toBeNull();
  });

  it("a sign-in cookie cannot be used as a session, nor the other way round", async () => {
    const tx = await sealSignIn({ state: "s", nonce: "n", verifier: "v", returnTo: "/x" }, SECRET);
    expect(await openSession(tx, SECRET)).toBeNull();
    const session = await sealSession({ email: "ann@example.com", groups: [] }, SECRET);
    expect(await openSignIn(session, SECRET)).toBeNull();
    expect(await openSignIn(tx, SECRET)).toEqual({ state: "s", nonce: "n", verifier: "v", returnTo: "/x" });
  });

  it("returns only to a path on this site", () => {
    expect(safeReturnTo("/findings?rule=x")).toBe("/findings?rule=x");
    expect(safeReturnTo("//evil.example/")).toBe("/");
    expect(safeReturnTo("/\\evil.example")).toBe("/");
    expect(safeReturnTo("https://evil.example/")).toBe("/");
    expect(safeReturnTo(undefined)).toBe("/");
  });
});
