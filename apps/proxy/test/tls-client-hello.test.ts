import { createServer } from "node:net";
import { connect } from "node:tls";
import { describe, expect, it } from "vitest";
import { maxClientHelloBytes, readClientHello } from "../src/tls/client-hello.ts";
import { loopback } from "./helpers.ts";

/** The first bytes a real TLS client (node:tls) sends, captured by a plain TCP server. */
async function captureClientHello(options: { servername?: string; maxVersion?: "TLSv1.2" | "TLSv1.3" }) {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, loopback, resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const captured = new Promise<Buffer>((resolve) => {
    server.once("connection", (socket) => {
      let data = Buffer.alloc(0);
      socket.on("data", (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        if (readClientHello(data).kind !== "more") {
          resolve(data);
          socket.destroy();
        }
      });
    });
  });
  const client = connect({ host: loopback, port, ...options, rejectUnauthorized: false });
  client.on("error", () => {});
  const hello = await captured;
  client.destroy();
  server.close();
  return hello;
}

/** Re-frames one handshake record's payload as records of at most `size` bytes. */
function splitRecords(hello: Buffer, size: number): Buffer {
  const payload = hello.subarray(5, 5 + hello.readUInt16BE(3));
  const records: Buffer[] = [];
  for (let at = 0; at < payload.length; at += size) {
    const part = payload.subarray(at, at + size);
    const header = Buffer.from([22, 3, 1, 0, 0]);
    header.writeUInt16BE(part.length, 3);
    records.push(header, part);
  }
  return Buffer.concat(records);
}

describe("readClientHello", () => {
  it("reads the server name of a real ClientHello, and knows when there is none", async () => {
    const named = await captureClientHello({ servername: "www.example.test" });
    expect(readClientHello(named)).toEqual({ kind: "complete", serverName: "www.example.test" });
    const tls12 = await captureClientHello({ servername: "old.example.test", maxVersion: "TLSv1.2" });
    expect(readClientHello(tls12)).toEqual({ kind: "complete", serverName: "old.example.test" });
    // node:tls sends no SNI for an IP address.
    const unnamed = await captureClientHello({});
    expect(readClientHello(unnamed)).toEqual({ kind: "complete", serverName: undefined });
  });

  it("asks for more until the message is whole, however it is cut", async () => {
    const hello = await captureClientHello({ servername: "cut.example.test" });
    for (let length = 0; length < hello.length; length++)
      expect(readClientHello(hello.subarray(0, length)).kind).toBe("more");
  });

  it("gathers a ClientHello that spans several records", async () => {
    const hello = await captureClientHello({ servername: "split.example.test" });
    for (const size of [1, 3, 4, 100]) {
      const split = splitRecords(hello, size);
      expect(readClientHello(split)).toEqual({ kind: "complete", serverName: "split.example.test" });
    }
  });

  it("refuses what is not a ClientHello", () => {
    expect(readClientHello(Buffer.from("GET / HTTP/1.1\r\nhost: x\r\n\r\n")).kind).toBe("invalid");
    expect(readClientHello(Buffer.from([22, 2, 0, 0, 10])).kind).toBe("invalid");
    expect(readClientHello(Buffer.from([22, 3, 1, 0, 0])).kind).toBe("invalid");
    // A ServerHello (type 2) in a handshake record.
    expect(readClientHello(Buffer.from([22, 3, 3, 0, 4, 2, 0, 0, 0])).kind).toBe("invalid");
  });

  it("holds no more than its bound: an endless run of tiny records is refused", () => {
    const record = Buffer.from([22, 3, 1, 0, 1, 1]);
    const head = Buffer.from([22, 3, 1, 0, 4, 1, 0, 0xea, 0x60]); // a 60,000-byte message, said to follow
    const endless = Buffer.concat([
      head,
      ...Array.from({ length: maxClientHelloBytes / record.length + 1 }, () => record),
    ]);
    expect(readClientHello(endless)).toMatchObject({ kind: "invalid" });
  });

  it("never throws on corrupted input (fuzz: 5,000 mutations of a real ClientHello)", async () => {
    const hello = await captureClientHello({ servername: "fuzz.example.test" });
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const kinds = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const mutated = Buffer.from(hello);
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++)
        mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      const cut = random() < 0.3 ? mutated.subarray(0, Math.floor(random() * mutated.length)) : mutated;
      const result = readClientHello(cut);
      kinds.add(result.kind);
      if (result.kind === "complete" && result.serverName !== undefined)
        expect(result.serverName).toMatch(/^[A-Za-z0-9._*-]{1,255}$/);
    }
    expect(kinds).toEqual(new Set(["more", "complete", "invalid"]));
  });
});
