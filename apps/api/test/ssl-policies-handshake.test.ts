import type { AddressInfo } from "node:net";
import { type ConnectionOptions, connect, createServer, type Server } from "node:tls";
import { availableHybridPqGroups, findSslPolicy, tlsOptionsOf } from "@scaleout/core";
import { beforeAll, describe, expect, test } from "vitest";
import { selfSigned } from "./listener-certificates-fixture.ts";

/*
 * The policies' options against real TLS clients over loopback: what the proxy's HTTPS listeners will
 * apply, with a self-signed EC certificate.
 */

let key: string;
let cert: string;
beforeAll(() => {
  const material = selfSigned("localhost");
  key = material.privateKeyPem;
  cert = material.certificatePem;
});

interface Handshake {
  protocol: string | null;
  cipher: string;
  group: string | undefined;
}

/** The key exchange group of a client's handshake (`{}` for TLS 1.3 resumptions, null on a server). */
const groupOf = (info: object | null): string | undefined =>
  info !== null && "name" in info && typeof info.name === "string" ? info.name : undefined;

/** One handshake of `client` against a server with `policyName`'s options: what was negotiated, or the error. */
async function handshake(policyName: string, client: ConnectionOptions = {}): Promise<Handshake | Error> {
  const policy = findSslPolicy(policyName);
  if (!policy) throw new Error(`no policy ${policyName}`);
  const server: Server = createServer({ ...tlsOptionsOf(policy), key, cert }, (socket) => socket.end());
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<Handshake | Error>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...client }, () => {
        resolve({
          protocol: socket.getProtocol(),
          cipher: socket.getCipher().name,
          group: groupOf(socket.getEphemeralKeyInfo()),
        });
        socket.end();
      });
      socket.on("error", resolve);
    });
  } finally {
    server.close();
  }
}

describe("security policies in real handshakes", () => {
  test("2016-08 accepts a TLS 1.1 client; the TLS 1.3 policies refuse it", async () => {
    const tls11 = { minVersion: "TLSv1.1", maxVersion: "TLSv1.1", ciphers: "DEFAULT:@SECLEVEL=0" } as const;
    const legacy = await handshake("ELBSecurityPolicy-2016-08", tls11);
    expect(legacy).toMatchObject({ protocol: "TLSv1.1", cipher: "ECDHE-ECDSA-AES128-SHA" });
    expect(await handshake("ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09", tls11)).toBeInstanceOf(Error);
    expect(await handshake("ELBSecurityPolicy-TLS13-1-2-2021-06", tls11)).toBeInstanceOf(Error);
  });

  test("the server's cipher order decides, as ELB's does", async () => {
    const tls12 = {
      maxVersion: "TLSv1.2",
      ciphers: "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256",
    } as const;
    expect(await handshake("ELBSecurityPolicy-TLS13-1-2-2021-06", tls12)).toMatchObject({
      protocol: "TLSv1.2",
      cipher: "ECDHE-ECDSA-AES128-GCM-SHA256",
    });
    expect(await handshake("ELBSecurityPolicy-TLS13-1-3-2021-06", tls12)).toBeInstanceOf(Error);
  });

  test("a PQ policy negotiates hybrid ML-KEM where OpenSSL has it, X25519 otherwise", async () => {
    const result = await handshake("ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09");
    expect(result).toMatchObject({ protocol: "TLSv1.3" });
    const expected = availableHybridPqGroups().includes("X25519MLKEM768") ? "X25519MLKEM768" : "X25519";
    expect((result as Handshake).group).toBe(expected);
  });
});
