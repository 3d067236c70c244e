/**
 * A tiny OpenID Connect provider for the sign-in browser tests (jose + node:http, nothing else):
 * discovery, JWKS, an authorize page with one button per configured user (no password, no consent),
 * a token endpoint that checks the client secret, the redirect URI and the PKCE verifier and returns
 * an RS256 ID token with the nonce, `email` and `groups`, and userinfo. It also serves `/evil`, a page
 * on another site with a form that posts to the dashboard (the cross-site request test).
 */
import http from "node:http";
import { createHash, randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

/** A person the provider can sign in. */
export type ProviderUser = { email: string; name: string; groups: string[] };

export type Provider = { issuer: string; close: () => Promise<void> };

type Grant = { user: ProviderUser; redirectUri: string; nonce: string; challenge: string; used: boolean };

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startProvider(opts: { clientId: string; clientSecret: string; redirectUri: string; users: ProviderUser[] }): Promise<Provider> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-oidc-key", alg: "RS256", use: "sig" };
  const grants = new Map<string, Grant>();
  const tokens = new Map<string, ProviderUser>();
  let issuer = "";

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, { "content-type": typeof body === "string" ? "text/html; charset=utf-8" : "application/json", "cache-control": "no-store", ...headers });
    res.end(text);
  };
  const readBody = (req: http.IncomingMessage) =>
    new Promise<URLSearchParams>((resolve) => {
      let data = "";
      req.on("data", (c) => (data += c));
      req.on("end", () => resolve(new URLSearchParams(data)));
    });

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", issuer);
    const q = url.searchParams;
    if (url.pathname === "/.well-known/openid-configuration") {
      return send(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        userinfo_endpoint: `${issuer}/userinfo`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
        scopes_supported: ["openid", "email", "profile"],
      });
    }
    if (url.pathname === "/jwks") return send(res, 200, { keys: [jwk] });
    if (url.pathname === "/authorize") {
      if (q.get("client_id") !== opts.clientId || q.get("redirect_uri") !== opts.redirectUri) return send(res, 400, "<p>unknown client or redirect_uri</p>");
      if (q.get("response_type") !== "code" || q.get("code_challenge_method") !== "S256" || !q.get("code_challenge") || !q.get("state") || !q.get("nonce")) {
        return send(res, 400, "<p>code flow with PKCE (S256), state and nonce required</p>");
      }
      const hidden = ["redirect_uri", "state", "nonce", "code_challenge"].map((k) => `<input type="hidden" name="${k}" value="${esc(q.get(k)!)}">`).join("");
      const buttons = opts.users.map((u) => `<form method="get" action="/approve">${hidden}<input type="hidden" name="user" value="${esc(u.email)}"><button type="submit">Sign in as ${esc(u.email)}</button></form>`).join("");
      return send(res, 200, `<!doctype html><html><head><title>Test identity provider</title></head><body><h1>Test identity provider</h1>${buttons}</body></html>`);
    }
    if (url.pathname === "/approve") {
      const user = opts.users.find((u) => u.email === q.get("user"));
      if (!user || q.get("redirect_uri") !== opts.redirectUri) return send(res, 400, "<p>unknown user</p>");
      const code = randomBytes(16).toString("hex");
      grants.set(code, { user, redirectUri: q.get("redirect_uri")!, nonce: q.get("nonce")!, challenge: q.get("code_challenge")!, used: false });
      const back = new URL(opts.redirectUri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", q.get("state")!);
      res.writeHead(302, { location: back.href });
      return res.end();
    }
    if (url.pathname === "/token" && req.method === "POST") {
      const form = await readBody(req);
      let clientId = form.get("client_id");
      let secret = form.get("client_secret");
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
      if (basic) [clientId, secret] = Buffer.from(basic[1], "base64").toString().split(":").map(decodeURIComponent);
      if (clientId !== opts.clientId || secret !== opts.clientSecret) return send(res, 401, { error: "invalid_client" });
      const grant = grants.get(form.get("code") ?? "");
      if (!grant || grant.used || form.get("grant_type") !== "authorization_code" || form.get("redirect_uri") !== grant.redirectUri) return send(res, 400, { error: "invalid_grant" });
      const challenge = createHash("sha256").update(form.get("code_verifier") ?? "").digest("base64url");
      if (challenge !== grant.challenge) return send(res, 400, { error: "invalid_grant", error_description: "PKCE verifier does not match" });
      grant.used = true;
      const accessToken = randomBytes(16).toString("hex");
      tokens.set(accessToken, grant.user);
      const idToken = await new SignJWT({ nonce: grant.nonce, email: grant.user.email, email_verified: true, name: grant.user.name, groups: grant.user.groups })
        .setProtectedHeader({ alg: "RS256", kid: jwk.kid })
        .setIssuer(issuer)
        .setAudience(opts.clientId)
        .setSubject(`sub-${grant.user.email}`)
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(privateKey);
      return send(res, 200, { access_token: accessToken, token_type: "Bearer", expires_in: 300, id_token: idToken });
    }
    if (url.pathname === "/userinfo") {
      const user = tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
      if (!user) return send(res, 401, { error: "invalid_token" });
      return send(res, 200, { sub: `sub-${user.email}`, email: user.email, email_verified: true, name: user.name, groups: user.groups });
    }
    if (url.pathname === "/evil") {
      // Another site's page that tries to start a scan in the dashboard with the visitor's session.
      const target = q.get("target") ?? "";
      return send(res, 200, `<!doctype html><html><head><title>Win a prize</title></head><body><form method="post" action="${esc(target)}"><input type="hidden" name="x" value="1"><button type="submit">Claim</button></form></body></html>`);
    }
    send(res, 404, { error: "not_found" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { issuer, close: () => new Promise((r) => server.close(() => r())) };
}
