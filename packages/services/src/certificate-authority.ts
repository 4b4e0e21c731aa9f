import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  X509Certificate,
} from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
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
  /**
   * Issues a server certificate for `dnsNames` (the first is the subject's common name). Asynchronous: an
   * RSA key takes node's thread pool up to a second or more, which must not stall the api's event loop.
   */
  issue(dnsNames: string[], keyAlgorithm: IssuedKeyAlgorithm, now: number): Promise<IssuedCertificate>;
}

interface Root {
  key: KeyObject;
  spki: Buffer;
  pem: string;
}

const generate = promisify(generateKeyPair);

function newKeyPair(algorithm: IssuedKeyAlgorithm): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  switch (algorithm) {
    case "RSA_2048":
      return generate("rsa", { modulusLength: 2048 });
    case "EC_prime256v1":
      return generate("ec", { namedCurve: "prime256v1" });
    case "EC_secp384r1":
      return generate("ec", { namedCurve: "secp384r1" });
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

const keyFileName = "ca-key.pem";
const certificateFileName = "ca.pem";
const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** The root kept in `directory`, or undefined when there is none yet. */
function readRoot(directory: string): Root | undefined {
  let keyPem: string;
  let certificatePem: string;
  try {
    keyPem = readFileSync(join(directory, keyFileName), "utf8");
    certificatePem = readFileSync(join(directory, certificateFileName), "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
  try {
    const key = createPrivateKey(keyPem);
    if (!new X509Certificate(certificatePem).checkPrivateKey(key))
      throw new Error("key and certificate differ");
    chmodSync(directory, 0o700);
    chmodSync(join(directory, keyFileName), 0o600);
    return { key, spki: spkiOf(createPublicKey(key)), pem: certificatePem };
  } catch (error) {
    // Replacing it silently would break every client that trusts it: say so, and let the user decide.
    throw new Error(
      `The local certificate authority in ${directory} is unreadable (${(error as Error).message}); remove the directory to make a new one`,
    );
  }
}

function loadOrCreateRoot(directory: string | undefined, now: number): Root {
  if (directory === undefined) return makeRoot(now);
  const existing = readRoot(directory);
  if (existing) return existing;
  // Both files are written in a directory of their own that is renamed into place: a crash leaves no
  // half-made CA, and of two processes making one at once the second finds the first's and uses it.
  const root = makeRoot(now);
  mkdirSync(dirname(directory), { recursive: true, mode: 0o700 });
  const staging = `${directory}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  mkdirSync(staging, { mode: 0o700 });
  try {
    writeFileSync(join(staging, certificateFileName), root.pem, { mode: 0o600 });
    writeFileSync(join(staging, keyFileName), root.key.export({ type: "pkcs8", format: "pem" }).toString(), {
      mode: 0o600,
    });
    renameSync(staging, directory);
    return root;
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const winner = ["ENOTEMPTY", "EEXIST"].includes(errorCode(error) ?? "") ? readRoot(directory) : undefined;
    if (winner) return winner;
    throw error;
  }
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
    async issue(dnsNames, keyAlgorithm, now) {
      const authority = ready();
      const [commonName = ""] = dnsNames;
      const { privateKey, publicKey } = await newKeyPair(keyAlgorithm);
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
