/**
 * TLS for the simulated clusters, as GKE has it: every cluster its own certificate authority (the
 * one it advertises in `masterAuth.clusterCaCertificate`) and an API server certificate issued by
 * that CA for the cluster's endpoint address — so clients connect with `https://ENDPOINT` and trust
 * only that CA, exactly as `gcloud container clusters get-credentials` sets them up.
 *
 * A cluster's `endpoint` is a bare IPv4 address in GKE; here each cluster gets its own loopback
 * address (on Linux all of 127.0.0.0/8 is loopback), so one port serves every cluster and the
 * certificate's IP SAN is the endpoint the container API reports.
 *
 * Certificates are built synchronously (the world is built synchronously, and `setEstate` swaps it
 * in one step): the ASN.1 with @peculiar/asn1-x509, the signature with node:crypto. ECDSA P-256,
 * because handshakes and key generation are cheap: 50 clusters' material takes a few milliseconds.
 * Keys are random per process and cached per cluster, so reloading an estate keeps every cluster's
 * CA (and the kubeconfigs and clients that trust it) as long as the simulator runs.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_serverAuth,
} from "@peculiar/asn1-x509";

export type ClusterTls = {
  /** The loopback address the cluster's Kubernetes API listens on; also its `endpoint`. */
  address: string;
  /** The cluster CA, PEM; `masterAuth.clusterCaCertificate` is its base64. */
  caPem: string;
  /** The API server's certificate, PEM, issued by the CA with `address` as its IP SAN. */
  certPem: string;
  /** The API server's private key, PEM (PKCS#8). Never leaves the simulator. */
  keyPem: string;
};

/** The first loopback block cluster endpoints use: 127.100.0.1, 127.100.0.2, … */
const FIRST_OCTET2 = 100;
/** Last octets 1–250 per /24, so no address ends in .0 or .255. */
const PER_BLOCK = 250;
const MAX_CLUSTERS = (256 - FIRST_OCTET2) * 256 * PER_BLOCK;

/**
 * The loopback address of the cluster at `index` (0-based, in estate order): 127.100.0.1 for the
 * first, 127.100.0.250 for the 250th, 127.100.1.1 for the 251st, then on through 127.255.255.250.
 */
export function loopbackAddress(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_CLUSTERS) throw new Error(`no loopback address for cluster #${index} (at most ${MAX_CLUSTERS} clusters)`);
  const block = Math.floor(index / PER_BLOCK);
  return `127.${FIRST_OCTET2 + Math.floor(block / 256)}.${block % 256}.${(index % PER_BLOCK) + 1}`;
}

const ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
const COMMON_NAME = "2.5.4.3";
/** Clients check validity against the real clock: an estate dated in the future must not mint a not-yet-valid CA. */
const LATEST_NOT_BEFORE = Date.parse("2025-01-01T00:00:00Z");

function nameOf(cn: string): Name {
  return new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: COMMON_NAME, value: new AttributeValue({ utf8String: cn }) })])]);
}

function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** RFC 5280's method 1: the SHA-1 of the subjectPublicKey bits. */
function keyIdOf(spki: SubjectPublicKeyInfo): ArrayBuffer {
  const id = createHash("sha1").update(Buffer.from(spki.subjectPublicKey)).digest();
  return id.buffer.slice(id.byteOffset, id.byteOffset + id.byteLength);
}

function serialNumber(): ArrayBuffer {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x01; // positive, and no leading zero byte to strip
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

function pem(tag: string, der: Buffer): string {
  const b64 = der.toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${tag}-----\n${b64.replace(/\n$/, "")}\n-----END ${tag}-----\n`;
}

function issue(args: {
  subject: Name;
  issuer: Name;
  publicKey: KeyObject;
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
}): Buffer {
  const signature = new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber(),
    signature,
    issuer: args.issuer,
    validity: new Validity({ notBefore: args.notBefore, notAfter: args.notAfter }),
    subject: args.subject,
    subjectPublicKeyInfo: AsnConvert.parse(args.publicKey.export({ type: "spki", format: "der" }), SubjectPublicKeyInfo),
    extensions: new Extensions(args.extensions),
  });
  // node:crypto signs ECDSA as a DER ECDSA-Sig-Value, which is what X.509's signatureValue holds.
  const sig = sign("sha256", Buffer.from(AsnConvert.serialize(tbs)), args.signingKey);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: signature, signatureValue: sig.buffer.slice(sig.byteOffset, sig.byteOffset + sig.byteLength) });
  return Buffer.from(AsnConvert.serialize(cert));
}

const cache = new Map<string, ClusterTls>();

/**
 * The CA and API server certificate of one cluster, minted once per process for its
 * (`seed`, `address`, `createTime`) and cached: the same cluster keeps its CA across estate reloads.
 * `commonName` is the CA's subject (GKE uses a random UUID per cluster).
 */
export function clusterTls(args: { seed: string; address: string; commonName: string; createTime: string }): ClusterTls {
  const cacheKey = `${args.seed}|${args.address}|${args.createTime}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const notBefore = new Date(Math.min(Date.parse(args.createTime) || LATEST_NOT_BEFORE, LATEST_NOT_BEFORE));
  // GKE's cluster CAs are valid for 30 years (older clusters' for 5).
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 30);
  const ca = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const server = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const caName = nameOf(args.commonName);
  const caSpki = AsnConvert.parse(createPublicKey(ca.privateKey).export({ type: "spki", format: "der" }), SubjectPublicKeyInfo);
  const caKeyId = keyIdOf(caSpki);
  const caDer = issue({
    subject: caName,
    issuer: caName,
    publicKey: ca.publicKey,
    signingKey: ca.privateKey,
    notBefore,
    notAfter,
    extensions: [
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true })),
      extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature)),
      extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(caKeyId)),
    ],
  });
  const certDer = issue({
    subject: nameOf("kube-apiserver"),
    issuer: caName,
    publicKey: server.publicKey,
    signingKey: ca.privateKey,
    notBefore,
    notAfter,
    extensions: [
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
      extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
      extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([id_kp_serverAuth])),
      extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(caKeyId) })),
      // The names a GKE API server's certificate carries, with the endpoint as its IP SAN.
      extension(
        id_ce_subjectAltName,
        false,
        new SubjectAlternativeName([
          new GeneralName({ iPAddress: args.address }),
          ...["kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"].map((d) => new GeneralName({ dNSName: d })),
        ]),
      ),
    ],
  });
  const out: ClusterTls = {
    address: args.address,
    caPem: pem("CERTIFICATE", caDer),
    certPem: pem("CERTIFICATE", certDer),
    keyPem: server.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  };
  cache.set(cacheKey, out);
  return out;
}
