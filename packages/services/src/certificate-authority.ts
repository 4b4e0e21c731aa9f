import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  X509Certificate,
} from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keyUsageBits, newSerial, pem, serverAuthOid, writeCertificate } from "./certificate-der.ts";

/*
 * scaleout's local certificate authority: the issuer of RequestCertificate's certificates, in place of
 * Amazon's public CAs and their DNS or email validation. One self-signed ECDSA P-256 root per data
 * directory, made on first use and kept there (the key owner-only), so that a client which trusts it once
 * (GET /v1/certificate-authority.pem, `curl --cacert`) keeps trusting every certificate issued later.
 */

/** The root's subject, the same for every installation (each has its own key). */
export const authorityName = { commonName: "scaleout local CA", organization: "scaleout" } as const;

const day = 24 * 60 * 60 * 1000;
/** About ten years. */
const rootValidity = 3650 * day;
/** ACM issues its certificates for 395 days. */
export const issuedValidity = 395 * day;

/** ACM's key algorithms that RequestCertificate takes. */
export type IssuedKeyAlgorithm = "RSA_2048" | "EC_prime256v1" | "EC_secp384r1";

export interface IssuedCertificate {
  certificatePem: string;
  privateKeyPem: string;
  notBefore: number;
  notAfter: number;
}

export interface CertificateAuthority {
  /** The root certificate, PEM: what clients trust. */
  certificatePem(): string;
  /** Issues a server certificate for `dnsNames` (the first is the subject's common name). */
  issue(dnsNames: string[], keyAlgorithm: IssuedKeyAlgorithm, now: number): IssuedCertificate;
}

interface Root {
  key: KeyObject;
  spki: Buffer;
  pem: string;
}

function newKeyPair(algorithm: IssuedKeyAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (algorithm) {
    case "RSA_2048":
      return generateKeyPairSync("rsa", { modulusLength: 2048 });
    case "EC_prime256v1":
      return generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    case "EC_secp384r1":
      return generateKeyPairSync("ec", { namedCurve: "secp384r1" });
  }
}

const spkiOf = (key: KeyObject): Buffer => key.export({ type: "spki", format: "der" });

function makeRoot(now: number): Root {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = spkiOf(publicKey);
  const der = writeCertificate(
    {
      subject: authorityName,
      issuer: authorityName,
      publicKey: spki,
      issuerPublicKey: spki,
      // An hour back: a client whose clock is a little behind still accepts the root at once.
      notBefore: now - 60 * 60 * 1000,
      notAfter: now + rootValidity,
      ca: true,
      keyUsage: [keyUsageBits.digitalSignature, keyUsageBits.keyCertSign, keyUsageBits.cRLSign],
      extendedKeyUsage: [],
      dnsNames: [],
    },
    newSerial(),
    privateKey,
  );
  return { key: privateKey, spki, pem: pem("CERTIFICATE", der) };
}

/** Writes a file whole or not at all, owner-only from its first byte. */
function writeOwnerOnly(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, file);
}

function loadOrCreateRoot(directory: string | undefined, now: number): Root {
  if (directory === undefined) return makeRoot(now);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  chmodSync(directory, 0o700);
  const keyFile = join(directory, "ca-key.pem");
  const certificateFile = join(directory, "ca.pem");
  try {
    const key = createPrivateKey(readFileSync(keyFile, "utf8"));
    const certificatePem = readFileSync(certificateFile, "utf8");
    const certificate = new X509Certificate(certificatePem);
    if (certificate.checkPrivateKey(key)) {
      chmodSync(keyFile, 0o600);
      return { key, spki: spkiOf(createPublicKey(key)), pem: certificatePem };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  // Certificate before key: a crash between the two leaves a key-less pair that the next start replaces.
  const root = makeRoot(now);
  writeOwnerOnly(certificateFile, root.pem);
  writeOwnerOnly(keyFile, root.key.export({ type: "pkcs8", format: "pem" }).toString());
  return root;
}

/**
 * The local CA, kept in `directory` (`<data dir>/ca`), or in memory alone when there is none (a registry
 * in memory). The root is made or read on first use, not at start: most runs never issue a certificate.
 */
export function createCertificateAuthority(
  directory: string | undefined,
  clock: () => number,
): CertificateAuthority {
  let root: Root | undefined;
  const ready = (): Root => {
    root ??= loadOrCreateRoot(directory, clock());
    return root;
  };
  return {
    certificatePem: () => ready().pem,
    issue(dnsNames, keyAlgorithm, now) {
      const authority = ready();
      const [commonName = ""] = dnsNames;
      const { privateKey, publicKey } = newKeyPair(keyAlgorithm);
      // As ACM: valid from the start of the day of issue for 395 days, to the second before midnight.
      const notBefore = now - (now % day);
      const notAfter = notBefore + issuedValidity - 1000;
      const der = writeCertificate(
        {
          // A common name is at most 64 characters (RFC 5280's ub-common-name); the SANs carry the rest.
          subject: { commonName: commonName.slice(0, 64) },
          issuer: authorityName,
          publicKey: spkiOf(publicKey),
          issuerPublicKey: authority.spki,
          notBefore,
          notAfter,
          ca: false,
          keyUsage:
            keyAlgorithm === "RSA_2048"
              ? [keyUsageBits.digitalSignature, keyUsageBits.keyEncipherment]
              : [keyUsageBits.digitalSignature],
          extendedKeyUsage: [serverAuthOid],
          dnsNames,
        },
        newSerial(),
        authority.key,
      );
      return {
        certificatePem: pem("CERTIFICATE", der),
        privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        notBefore,
        notAfter,
      };
    },
  };
}
