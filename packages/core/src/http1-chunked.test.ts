import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChunkedDecoder, type ChunkedResult } from "./http1-chunked.ts";

const decodeAll = (text: string): ChunkedResult => new ChunkedDecoder().decode(Buffer.from(text, "latin1"));

describe("ChunkedDecoder", () => {
  it("decodes chunks, extensions and trailers, and hands back what follows", () => {
    const result = decodeAll("5;a=b\r\nhello\r\n1\r\n!\r\n0\r\nX-T: 1\r\n\r\nGET");
    expect(result.kind).toBe("done");
    if (result.kind !== "done") return;
    expect(result.data.toString()).toBe("hello!");
    expect(result.rest.toString()).toBe("GET");
  });

  it("refuses bare line ends, bad sizes and a chunk without its CRLF", () => {
    expect(decodeAll("5\nhello\r\n")).toMatchObject({ reason: "BadChunkSize" });
    expect(decodeAll("5\r\nhello\n")).toMatchObject({ reason: "MissingChunkEnd" });
    expect(decodeAll("5\rhello")).toMatchObject({ reason: "BareCarriageReturn" });
    expect(decodeAll("x\r\n")).toMatchObject({ reason: "BadChunkSize" });
    expect(decodeAll(" 5\r\n")).toMatchObject({ reason: "BadChunkSize" });
    expect(decodeAll("fffffffffffffff\r\n")).toMatchObject({ reason: "ChunkSizeTooLarge" });
    expect(decodeAll("1;\0\r\n")).toMatchObject({ reason: "BadChunkExtension" });
    expect(decodeAll("0\r\nX: a\nb\r\n\r\n")).toMatchObject({ reason: "BareLineFeed" });
  });

  it("gives the same body however the bytes are split", () => {
    const body = fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 6 });
    fc.assert(
      fc.property(body, fc.array(fc.nat(), { maxLength: 5 }), (chunks, cuts) => {
        const wire = Buffer.concat([
          ...chunks.flatMap((c) => [
            Buffer.from(`${c.length.toString(16)}\r\n`),
            Buffer.from(c),
            Buffer.from("\r\n"),
          ]),
          Buffer.from("0\r\n\r\nNEXT"),
        ]);
        const points = [...new Set(cuts.map((c) => c % wire.length))].sort((a, b) => a - b);
        const decoder = new ChunkedDecoder();
        const out: Buffer[] = [];
        let rest: Buffer | undefined;
        let from = 0;
        for (const at of [...points, wire.length]) {
          const result = decoder.decode(wire.subarray(from, at));
          from = at;
          expect(result.kind).not.toBe("invalid");
          if (result.kind === "invalid") return;
          out.push(result.data);
          if (result.kind === "done") {
            rest = Buffer.concat([result.rest, wire.subarray(at)]);
            break;
          }
        }
        expect(Buffer.concat(out)).toEqual(Buffer.concat(chunks.map((c) => Buffer.from(c))));
        expect(rest?.toString()).toBe("NEXT");
      }),
    );
  });

  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (input) => {
        expect(["data", "done", "invalid"]).toContain(new ChunkedDecoder().decode(Buffer.from(input)).kind);
      }),
    );
  });
});
