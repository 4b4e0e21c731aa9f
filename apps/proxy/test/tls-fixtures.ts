import { execFile, execFileSync } from "node:child_process";
import { randomUUID, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type PeerCertificate, type TLSSocket } from "node:tls";
import type { Action } from "@scaleout/core";
import { type Db, schema } from "@scaleout/db";
import type { Services } from "@scaleout/services";
import { eq } from "drizzle-orm";
import { freePort, loopback } from "./helpers.ts";

/** What the fixtures write through: a harness, or any open registry with its services. */
export interface Registry {
  handle: { db: Db };
  services: Services;
}

/** PEM material made by the openssl command line, signed by the test authority. */
export interface TestCertificate {
  domainName: string;
  subjectAlternativeNames: string[];
  keyAlgorithm: string;
  certificatePem: string;
  privateKeyPem: string;
  serial: string;
  notAfter: number;
}

export type KeyKind = "rsa" | "ec";

const keyArgs = (kind: KeyKind) =>
  kind === "rsa" ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** A certificate authority for one test file: clients trust it (`ca`), every test certificate is its. */
export class TestAuthority {
  readonly certificatePem: string;
  /** The authority's certificate as a file, for `curl --cacert` and `openssl s_client -CAfile`. */
  readonly caFile: string;
  private readonly dir: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "scaleout-tls-"));
    openssl(
      [
        "req",
        "-x509",
        ...keyArgs("ec"),
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=scaleout test authority",
        "-days",
        "2",
      ],
      this.dir,
    );
    this.caFile = join(this.dir, "ca.pem");
    this.certificatePem = readFileSync(this.caFile, "utf8");
  }

  /** A certificate for `names` (the first is the domain name; all are subject alternative names). */
  issue(names: string[], kind: KeyKind = "rsa"): TestCertificate {
    const [domainName = "example.test"] = names;
    const id = randomUUID();
    writeFileSync(
      join(this.dir, `${id}.ext`),
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\nbasicConstraints=CA:FALSE\n`,
    );
    openssl(
      [
        "req",
        "-new",
        ...keyArgs(kind),
        "-nodes",
        "-keyout",
        `${id}.key`,
        "-out",
        `${id}.csr`,
        "-subj",
        `/CN=${domainName}`,
      ],
      this.dir,
    );
    openssl(
      [
        "x509",
        "-req",
        "-in",
        `${id}.csr`,
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-set_serial",
        `0x${id.replaceAll("-", "").slice(0, 16)}`,
        "-days",
        "2",
        "-extfile",
        `${id}.ext`,
        "-out",
        `${id}.pem`,
      ],
      this.dir,
    );
    const certificatePem = readFileSync(join(this.dir, `${id}.pem`), "utf8");
    const x509 = new X509Certificate(certificatePem);
    return {
      domainName,
      subjectAlternativeNames: names,
      keyAlgorithm: kind === "rsa" ? "RSA_2048" : "EC_prime256v1",
      certificatePem,
      privateKeyPem: readFileSync(join(this.dir, `${id}.key`), "utf8"),
      serial: x509.serialNumber,
      notAfter: Date.parse(x509.validTo),
    };
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Stores `cert` in the registry's certificate store, as ImportCertificate would; answers its ARN. */
export function storeCertificate(h: Registry, cert: TestCertificate, arn = newCertificateArn()): string {
  const now = Date.now();
  const row = {
    arn,
    domainName: cert.domainName,
    subjectAlternativeNames: cert.subjectAlternativeNames,
    type: "IMPORTED",
    status: "ISSUED",
    keyAlgorithm: cert.keyAlgorithm,
    serial: cert.serial,
    subject: `CN=${cert.domainName}`,
    issuer: "CN=scaleout test authority",
    notBefore: now,
    notAfter: cert.notAfter,
    certificatePem: cert.certificatePem,
    chainPem: null,
    privateKeyPem: cert.privateKeyPem,
    request: null,
    createdAt: now,
    importedAt: now,
    issuedAt: null,
  };
  h.handle.db
    .insert(schema.certificates)
    .values(row)
    .onConflictDoUpdate({ target: schema.certificates.arn, set: row })
    .run();
  return arn;
}

export const newCertificateArn = () => `arn:aws:acm:us-east-1:123456789012:certificate/${randomUUID()}`;

/** Rotates a stored certificate in place (ImportCertificate to an existing ARN). */
export function rotateCertificate(h: Registry, arn: string, cert: TestCertificate): void {
  storeCertificate(h, cert, arn);
}

/** Adds SNI certificates to a listener (AddListenerCertificates). */
export function addListenerCertificates(h: Registry, listenerArn: string, arns: string[]): void {
  for (const certificateArn of arns)
    h.handle.db
      .insert(schema.listenerCertificates)
      .values({ listenerArn, certificateArn, isDefault: false })
      .onConflictDoNothing()
      .run();
}

/** Drops every listener_certificates row of a listener: a listener as stored before that table existed. */
export function forgetListenerCertificates(h: Registry, listenerArn: string): void {
  h.handle.db
    .delete(schema.listenerCertificates)
    .where(eq(schema.listenerCertificates.listenerArn, listenerArn))
    .run();
}

/** An HTTPS listener on a free port with `defaultArn` as its default certificate. */
export async function httpsListener(
  h: Registry,
  loadBalancerArn: string,
  defaultArn: string,
  defaultActions: Action[],
  sslPolicy?: string,
): Promise<{ port: number; arn: string }> {
  const port = await freePort();
  const listener = h.services.listeners.create(loadBalancerArn, {
    protocol: "HTTPS",
    port,
    defaultActions,
    certificates: [{ certificateArn: defaultArn }],
    ...(sslPolicy !== undefined && { sslPolicy }),
  });
  h.handle.db
    .insert(schema.listenerCertificates)
    .values({ listenerArn: listener.listenerArn, certificateArn: defaultArn, isDefault: true })
    .onConflictDoNothing()
    .run();
  return { port, arn: listener.listenerArn };
}

export interface HttpsReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  target: string | undefined;
  /** The certificate the proxy served. */
  peer: PeerCertificate;
  protocol: string | null;
  /** The client's port: equal for two requests on one kept-alive connection. */
  localPort: number | undefined;
}

/** One HTTPS request to the proxy on 127.0.0.1, trusting `ca`, naming `servername` by SNI. */
export function sendHttps(
  port: number,
  path: string,
  options: {
    ca: string;
    servername?: string;
    headers?: Record<string, string>;
    agent?: import("node:https").Agent;
  },
): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: loopback,
        port,
        path,
        ca: options.ca,
        servername: options.servername ?? "",
        headers: { host: options.servername ?? "localhost", ...options.headers },
        agent: options.agent ?? false,
        timeout: 10_000,
        // The certificates name test domains, not 127.0.0.1: the chain is verified, the name by the test.
        checkServerIdentity: () => undefined,
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        const protocol = socket.getProtocol();
        const localPort = socket.localPort;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const target = res.headers["x-target"];
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            target: typeof target === "string" ? target : undefined,
            peer,
            protocol,
            localPort,
          });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end();
  });
}

/** A TLS handshake only: the certificate served and what was negotiated. */
export function handshake(
  port: number,
  options: {
    ca: string;
    servername?: string;
    ciphers?: string;
    maxVersion?: "TLSv1.2" | "TLSv1.3";
    sigalgs?: string;
  },
): Promise<{ peer: PeerCertificate; protocol: string | null; cipher: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: loopback,
      port,
      ca: options.ca,
      ...(options.servername !== undefined && { servername: options.servername }),
      ...(options.ciphers !== undefined && { ciphers: options.ciphers }),
      ...(options.maxVersion !== undefined && { maxVersion: options.maxVersion }),
      ...(options.sigalgs !== undefined && { sigalgs: options.sigalgs }),
      checkServerIdentity: () => undefined,
    });
    socket.once("secureConnect", () => {
      const result = {
        peer: socket.getPeerCertificate(),
        protocol: socket.getProtocol(),
        cipher: socket.getCipher().name,
      };
      socket.end();
      resolve(result);
    });
    socket.once("error", reject);
  });
}

/** The CN of a served certificate. */
export const commonName = (peer: PeerCertificate): string => {
  const cn = peer.subject?.CN;
  return Array.isArray(cn) ? (cn[0] ?? "") : (cn ?? "");
};

export interface SClientResult {
  /** The handshake completed. */
  ok: boolean;
  protocol: string | undefined;
  cipher: string | undefined;
  output: string;
}

/**
 * `openssl s_client` against the proxy: one handshake with the given protocol and cipher flags, then
 * EOF. Legacy protocols need the client's own security level lowered, as a legacy client's would be.
 */
export function sClient(
  port: number,
  servername: string,
  caFile: string,
  flags: string[],
): Promise<SClientResult> {
  return new Promise((resolve) => {
    execFile(
      "openssl",
      ["s_client", "-connect", `${loopback}:${port}`, "-servername", servername, "-CAfile", caFile, ...flags],
      { timeout: 10_000 },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        // "New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256"; "New, (NONE), Cipher is (NONE)" when refused.
        // That line names the cipher's own version (SSLv3 for AES128-SHA under TLS 1.2); the session
        // block, printed when the session is complete before EOF (not for TLS 1.3), names the protocol.
        const negotiated = /^New, ((?:TLS|SSL)v[\d.]+), Cipher is (\S+)$/m.exec(output);
        const session = /^\s*Protocol\s*:\s*(\S+)$/m.exec(output);
        resolve({
          ok: error === null && negotiated !== null,
          protocol: session?.[1] ?? negotiated?.[1],
          cipher: negotiated?.[2],
          output,
        });
      },
    ).stdin?.end();
  });
}

/** `curl --cacert` to the proxy, resolving `host` to 127.0.0.1; answers the status line's code and body. */
export function curl(
  port: number,
  host: string,
  caFile: string,
  path = "/",
): Promise<{ status: number; body: string; error: string }> {
  return new Promise((resolve) => {
    execFile(
      "curl",
      [
        "--silent",
        "--show-error",
        "--http1.1",
        "--max-time",
        "10",
        "--cacert",
        caFile,
        "--resolve",
        `${host}:${port}:${loopback}`,
        "--write-out",
        "\n%{http_code}",
        `https://${host}:${port}${path}`,
      ],
      { timeout: 15_000 },
      (_error, stdout, stderr) => {
        const cut = stdout.lastIndexOf("\n");
        resolve({ status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut), error: stderr });
      },
    );
  });
}

/** A kept-alive HTTPS connection to the proxy, driven by hand: several requests, one TLS session. */
export interface OpenConnection {
  peer: PeerCertificate;
  /** One GET on this connection; answers the status and body. */
  get(path: string, host: string): Promise<{ status: number; body: string }>;
  close(): void;
}

export function openConnection(
  port: number,
  options: { ca: string; servername: string },
): Promise<OpenConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: loopback,
      port,
      ca: options.ca,
      servername: options.servername,
      checkServerIdentity: () => undefined,
    });
    socket.once("error", reject);
    socket.once("secureConnect", () => {
      resolve({
        peer: socket.getPeerCertificate(),
        get: (path, host) =>
          new Promise((answer, fail) => {
            let received = Buffer.alloc(0);
            const onData = (chunk: Buffer) => {
              received = Buffer.concat([received, chunk]);
              const text = received.toString("latin1");
              const end = text.indexOf("\r\n\r\n");
              if (end < 0) return;
              const head = text.slice(0, end);
              let body: string;
              if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
                if (!text.endsWith("\r\n0\r\n\r\n")) return;
                body = dechunk(received.subarray(end + 4));
              } else {
                const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
                if (received.length < end + 4 + length) return;
                body = received.subarray(end + 4, end + 4 + length).toString("utf8");
              }
              socket.off("data", onData);
              answer({ status: Number(text.slice(9, 12)), body });
            };
            socket.on("data", onData);
            socket.once("close", () => fail(new Error("the connection closed")));
            socket.write(`GET ${path} HTTP/1.1\r\nhost: ${host}\r\n\r\n`);
          }),
        close: () => socket.destroy(),
      });
    });
  });
}

/** A whole chunked body, its chunks joined. */
function dechunk(data: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at);
    const size = Number.parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
    if (!(size > 0)) return Buffer.concat(parts).toString("utf8");
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
