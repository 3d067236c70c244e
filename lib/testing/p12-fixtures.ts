/**
 * PKCS#12 files for tests, built here byte by byte so anyone can see there is no key in them.
 *
 * The shape is the part of a PFX (RFC 7292) the detector reads without a password: version 3, an
 * authSafe of content type `data` holding one plain `data` SafeContents with one
 * pkcs8ShroudedKeyBag and its attributes (friendly name, local key id) — where OpenSSL and Google
 * put them. Google's legacy P12 keys carry the friendly name `privatekey` and are encrypted with
 * pbeWithSHAAnd3-KeyTripleDES-CBC; a Java-style keystore carries its alias (`kafka-client`). The
 * "encrypted" key is readable ASCII filler, so nothing decrypts to anything, and no certificate
 * bag (or MAC) is included: the detector never decrypts and never reads them.
 */

/** One DER TLV. */
function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const octets = (b: Buffer) => tlv(0x04, b);
const int = (n: number) => tlv(0x02, n < 0x80 ? Buffer.from([n]) : Buffer.from([n >> 8, n & 0xff]));
const explicit0 = (b: Buffer) => tlv(0xa0, b);
const bmp = (s: string) => tlv(0x1e, Buffer.from([...s].flatMap((c) => [0, c.charCodeAt(0)])));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * a + b];
  for (const v of rest) {
    const group = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) group.unshift((x & 0x7f) | 0x80);
    bytes.push(...group);
  }
  return tlv(0x06, Buffer.from(bytes));
}

const ID_DATA = "1.2.840.113549.1.7.1";
const PKCS8_SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2";
const PBE_SHA1_3DES = "1.2.840.113549.1.12.1.3";
const FRIENDLY_NAME = "1.2.840.113549.1.9.20";
const LOCAL_KEY_ID = "1.2.840.113549.1.9.21";

/** A PFX whose only bag is a shrouded key bag named `friendlyName`, holding filler instead of a key. */
export function fakePkcs12(friendlyName: string): Buffer {
  const filler = Buffer.from("NOT-A-KEY:wi-atlas-test-fixture;".repeat(10), "ascii");
  const encryptedKey = seq(seq(oid(PBE_SHA1_3DES), seq(octets(Buffer.from("wi-atlas", "ascii")), int(2048))), octets(filler));
  const attributes = set(
    seq(oid(FRIENDLY_NAME), set(bmp(friendlyName))),
    seq(oid(LOCAL_KEY_ID), set(octets(Buffer.from("Time 1700000000000", "ascii")))),
  );
  const bag = seq(oid(PKCS8_SHROUDED_KEY_BAG), explicit0(encryptedKey), attributes);
  const safeContents = seq(bag);
  const authenticatedSafe = seq(seq(oid(ID_DATA), explicit0(octets(safeContents))));
  return seq(int(3), seq(oid(ID_DATA), explicit0(octets(authenticatedSafe))));
}

/** Google's legacy P12 key shape (friendly name `privatekey`), base64 as a Secret's `data` holds it. */
export const GOOGLE_P12_BASE64 = fakePkcs12("privatekey").toString("base64");

/** A Java-style keystore (alias `kafka-client`): PKCS#12, but not Google's key. */
export const KEYSTORE_P12_BASE64 = fakePkcs12("kafka-client").toString("base64");
