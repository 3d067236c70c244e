import "reflect-metadata"; // @peculiar/x509's dependency injection needs it loaded first
import { describe, expect, it } from "vitest";
import { X509Certificate as NodeCertificate, createPrivateKey, createPublicKey } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { clusterTls, loopbackAddress } from "./cluster-tls";

x509.cryptoProvider.set(globalThis.crypto);

const mint = (i: number, createTime = "2024-03-01T08:30:00Z") =>
  clusterTls({ seed: `tls-test/asia-northeast1/c${i}`, address: loopbackAddress(i), commonName: `ca-${i}`, createTime });

describe("loopbackAddress", () => {
  it("gives each cluster its own 127/8 address, past 250 clusters onto the next third octet, never .0 or .255", () => {
    expect([0, 1, 249, 250, 251, 499, 500, 256 * 250 - 1, 256 * 250].map(loopbackAddress)).toEqual([
      "127.100.0.1",
      "127.100.0.2",
      "127.100.0.250",
      "127.100.1.1",
      "127.100.1.2",
      "127.100.1.250",
      "127.100.2.1",
      "127.100.255.250",
      "127.101.0.1",
    ]);
    const seen = new Set(Array.from({ length: 2000 }, (_, i) => loopbackAddress(i)));
    expect(seen.size).toBe(2000);
  });

  it("refuses an index it has no address for", () => {
    expect(() => loopbackAddress(-1)).toThrow(/no loopback address/);
    expect(() => loopbackAddress(156 * 256 * 250)).toThrow(/no loopback address/);
  });
});

describe("clusterTls", () => {
  it("mints a P-256 CA and an API server certificate it signed, for the endpoint address, as an independent X.509 parser reads them", async () => {
    const tls = mint(0);
    const ca = new x509.X509Certificate(tls.caPem);
    const leaf = new x509.X509Certificate(tls.certPem);
    expect(ca.subject).toBe("CN=ca-0");
    expect(ca.issuer).toBe("CN=ca-0");
    expect(await ca.verify({ signatureOnly: true })).toBe(true);
    expect(ca.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    expect(ca.publicKey.algorithm).toMatchObject({ name: "ECDSA", namedCurve: "P-256" });

    expect(leaf.issuer).toBe("CN=ca-0");
    expect(await leaf.verify({ publicKey: ca.publicKey, signatureOnly: true })).toBe(true);
    expect(leaf.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    expect(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([x509.ExtendedKeyUsage.serverAuth]);
    expect(leaf.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON()).toEqual([
      { type: "ip", value: "127.100.0.1" },
      { type: "dns", value: "kubernetes" },
      { type: "dns", value: "kubernetes.default" },
      { type: "dns", value: "kubernetes.default.svc" },
      { type: "dns", value: "kubernetes.default.svc.cluster.local" },
    ]);
    // The leaf's authority key id is the CA's subject key id: chain building finds the CA by it.
    expect(Buffer.from(leaf.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId!, "hex")).toEqual(
      Buffer.from(ca.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId, "hex"),
    );
  });

  it("is valid from the cluster's creation for 30 years, as GKE's cluster CAs are, and OpenSSL accepts the chain for the IP", () => {
    const tls = mint(1);
    const ca = new NodeCertificate(tls.caPem);
    const leaf = new NodeCertificate(tls.certPem);
    expect([ca.validFrom, ca.validTo]).toEqual(["Mar  1 08:30:00 2024 GMT", "Mar  1 08:30:00 2054 GMT"]);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIP("127.100.0.2")).toBe("127.100.0.2");
    expect(leaf.checkIP("127.100.0.1")).toBeUndefined();
    // The private key is the certificate's.
    expect(createPublicKey(createPrivateKey(tls.keyPem)).export({ format: "jwk" })).toEqual(leaf.publicKey.export({ format: "jwk" }));
  });

  it("starts no later than 2025 for an estate dated in the future, so clients on the real clock accept it", () => {
    expect(new NodeCertificate(mint(2, "2031-06-01T00:00:00Z").caPem).validFrom).toBe("Jan  1 00:00:00 2025 GMT");
  });

  it("keeps one CA per cluster for the life of the process (an estate reload keeps clients' trust) and a different CA for every cluster", () => {
    expect(mint(3)).toBe(mint(3));
    const cas = new Set(Array.from({ length: 5 }, (_, i) => new NodeCertificate(mint(10 + i).caPem).publicKey.export({ format: "jwk" }).x));
    expect(cas.size).toBe(5);
  });

  it("mints 50 clusters' material quickly (org-l has 50 clusters)", () => {
    const started = performance.now();
    for (let i = 0; i < 50; i++) clusterTls({ seed: `speed/${i}`, address: loopbackAddress(i), commonName: `s${i}`, createTime: "2024-01-01T00:00:00Z" });
    // About 2 ms a cluster on an idle core; the bound leaves room for a machine busy with other tests.
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
