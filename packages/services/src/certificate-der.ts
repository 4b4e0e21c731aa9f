import { createHash, type KeyObject, randomBytes, sign } from "node:crypto";

/*
 * Just enough DER (ITU-T X.690) to write an X.509 v3 certificate: node:crypto makes keys, exports their
 * SubjectPublicKeyInfo and signs, but has no certificate builder. Writing is the easy half of ASN.1 (no
 * parser: certificates are read back with node's X509Certificate, and tests check every certificate
 * written here with it and with OpenSSL). @peculiar/x509 would do this too, but it needs a global Reflect
 * metadata polyfill (tsyringe) installed in every process that imports the services.
 */

type Der = Buffer;

function lengthOf(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, content: Buffer): Der =>
  Buffer.concat([Buffer.from([tag]), lengthOf(content.length), content]);

export const sequence = (...items: Der[]): Der => tlv(0x30, Buffer.concat(items));
const set = (...items: Der[]): Der => tlv(0x31, Buffer.concat(items));
const boolean = (value: boolean): Der => tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
const nullValue: Der = Buffer.from([0x05, 0x00]);
const octetString = (content: Buffer): Der => tlv(0x04, content);
/** A BIT STRING of whole bytes (a signature, a key). */
const bitString = (content: Buffer): Der => tlv(0x03, Buffer.concat([Buffer.from([0]), content]));
const utf8String = (text: string): Der => tlv(0x0c, Buffer.from(text, "utf8"));
/** `[n]` EXPLICIT: a constructed context-specific wrapper. */
const explicit = (n: number, content: Der): Der => tlv(0xa0 + n, content);

/** A non-negative INTEGER from its big-endian magnitude. */
export function unsignedInteger(magnitude: Buffer): Der {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const bytes = magnitude.subarray(start);
  // A set high bit would read as negative: a leading zero byte keeps the value positive.
  const first = bytes[0] ?? 0;
  return tlv(0x02, first & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : Buffer.from(bytes));
}

export function objectIdentifier(dotted: string): Der {
  const arcs = dotted.split(".").map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  const bytes: number[] = [40 * first + second];
  for (const arc of rest) {
    const groups: number[] = [];
    for (let value = arc; ; value = Math.floor(value / 128)) {
      groups.unshift(value % 128);
      if (value < 128) break;
    }
    bytes.push(...groups.map((group, i) => (i < groups.length - 1 ? group | 0x80 : group)));
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050, both to the second in UTC. */
export function time(ms: number): Der {
  const iso = new Date(ms).toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = new Date(ms).getUTCFullYear();
  return year < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2), "ascii"))
    : tlv(0x18, Buffer.from(digits, "ascii"));
}

const oids = {
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  sha256WithRsa: "1.2.840.113549.1.1.11",
};

/** The OID of TLS server authentication, the one extended key usage an issued certificate carries. */
export const serverAuthOid = "1.3.6.1.5.5.7.3.1";

/** A distinguished name of common name and, optionally, organisation. */
export interface Name {
  commonName: string;
  organization?: string;
}

function name(value: Name): Der {
  const rdn = (oid: string, text: string) => set(sequence(objectIdentifier(oid), utf8String(text)));
  return sequence(
    ...(value.organization !== undefined ? [rdn(oids.organization, value.organization)] : []),
    rdn(oids.commonName, value.commonName),
  );
}

const extension = (oid: string, critical: boolean, value: Der): Der =>
  sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));

/** KeyUsage bits, numbered as RFC 5280 numbers them (digitalSignature is bit 0). */
export const keyUsageBits = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

function keyUsage(bits: number[]): Der {
  const byte = bits.reduce((acc, bit) => acc | (0x80 >> bit), 0);
  // DER drops trailing zero bits and says how many it dropped.
  const unused = byte === 0 ? 0 : Math.min(...[0, 1, 2, 3, 4, 5, 6, 7].filter((i) => byte & (1 << i)));
  return tlv(0x03, Buffer.from([unused, byte]));
}

/** A key identifier: SHA-1 over the DER SubjectPublicKeyInfo (RFC 7093 allows any stable hash). */
export const keyIdentifier = (spki: Buffer): Buffer => createHash("sha1").update(spki).digest();

export interface CertificateTemplate {
  subject: Name;
  issuer: Name;
  /** The certified key, DER SubjectPublicKeyInfo. */
  publicKey: Buffer;
  /** The issuer's SubjectPublicKeyInfo, for the authority key identifier. */
  issuerPublicKey: Buffer;
  notBefore: number;
  notAfter: number;
  ca: boolean;
  keyUsage: number[];
  extendedKeyUsage: string[];
  dnsNames: string[];
}

/** 16 random bytes, high bit clear: positive, unique, within RFC 5280's 20 octets. */
export function newSerial(): Buffer {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 1) & 0x7f) | 0x01;
  return serial;
}

/** A signed certificate in DER; `signer` is the issuer's private key (ECDSA P-256 or RSA). */
export function writeCertificate(template: CertificateTemplate, serial: Buffer, signer: KeyObject): Der {
  const ec = signer.asymmetricKeyType === "ec";
  const algorithm = ec
    ? sequence(objectIdentifier(oids.ecdsaWithSha256))
    : sequence(objectIdentifier(oids.sha256WithRsa), nullValue);
  const extensions = [
    extension(oids.basicConstraints, true, sequence(...(template.ca ? [boolean(true)] : []))),
    extension(oids.keyUsage, true, keyUsage(template.keyUsage)),
    ...(template.extendedKeyUsage.length > 0
      ? [extension(oids.extKeyUsage, false, sequence(...template.extendedKeyUsage.map(objectIdentifier)))]
      : []),
    ...(template.dnsNames.length > 0
      ? [
          extension(
            oids.subjectAltName,
            false,
            sequence(...template.dnsNames.map((dns) => tlv(0x82, Buffer.from(dns, "ascii")))),
          ),
        ]
      : []),
    extension(oids.subjectKeyIdentifier, false, octetString(keyIdentifier(template.publicKey))),
    extension(
      oids.authorityKeyIdentifier,
      false,
      sequence(tlv(0x80, keyIdentifier(template.issuerPublicKey))),
    ),
  ];
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))),
    unsignedInteger(serial),
    algorithm,
    name(template.issuer),
    sequence(time(template.notBefore), time(template.notAfter)),
    name(template.subject),
    template.publicKey,
    explicit(3, sequence(...extensions)),
  );
  const signature = sign("sha256", tbs, signer);
  return sequence(tbs, algorithm, bitString(signature));
}

export function pem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
