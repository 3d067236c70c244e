/**
 * A stand-in for Google's IAP key file (kid → PEM), served over HTTP on a free port, and a signer for
 * IAP-shaped JWTs: what WI_ATLAS_IAP_KEYS_URL points at in tests.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from "jose";

export type TestIap = {
  keysUrl: string;
  /** Signs an IAP assertion; `claims` and `header` override the defaults (valid for `audience`). */
  sign: (claims?: Record<string, unknown>, opts?: { header?: Record<string, unknown>; key?: CryptoKey; expiresIn?: string }) => Promise<string>;
  close: () => Promise<void>;
};

export const TEST_IAP_AUDIENCE = "/projects/123456789/global/backendServices/987654321";
export const TEST_KID = "test-iap-key";

export async function startTestIap(): Promise<TestIap> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const pem = await exportSPKI(publicKey);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ [TEST_KID]: pem }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    keysUrl: `http://127.0.0.1:${port}/iap/verify/public_key`,
    sign: (claims = {}, opts = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ email: "ann@example.com", sub: "accounts.google.com:1234", iss: "https://cloud.google.com/iap", aud: TEST_IAP_AUDIENCE, iat: now, exp: now + 600, ...claims })
        .setProtectedHeader({ alg: "ES256", kid: TEST_KID, ...opts.header } as { alg: string })
        .sign(opts.key ?? privateKey);
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
