import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SseParser } from "./sse-parser.ts";

describe("server-sent events parser", () => {
  it("answers complete events, named or not, skipping comments", () => {
    const parser = new SseParser();
    expect(parser.push(': hi\n\nevent: hello\ndata: {"a":1}\n')).toEqual([]);
    expect(parser.push("\ndata: one\ndata: two\n\n")).toEqual([
      { event: "hello", data: '{"a":1}' },
      { event: "message", data: "one\ntwo" },
    ]);
  });

  it("takes CRLF and CR line ends, split anywhere", () => {
    const parser = new SseParser();
    expect(parser.push("event: v\r")).toEqual([]);
    // A CR last in a chunk may be half of a CRLF: the event completes with the next byte.
    expect(parser.push("\ndata: 1\r\r")).toEqual([]);
    expect(parser.push(": next")).toEqual([{ event: "v", data: "1" }]);
  });

  it("refuses an endless line", () => {
    const parser = new SseParser(100);
    expect(() => parser.push("x".repeat(200))).toThrow(/too long/);
  });

  it("yields the same events however the bytes are split, and never throws on bounded input", () => {
    const events = fc.array(
      fc.record({
        event: fc.stringMatching(/^[a-z]{1,8}$/),
        data: fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, " ")),
      }),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(events, fc.array(fc.nat(), { maxLength: 6 }), (list, cuts) => {
        const text = list.map((e) => `event: ${e.event}\ndata: ${e.data}\n\n`).join("");
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const parser = new SseParser();
        const got = [];
        let at = 0;
        for (const point of [...points, text.length]) {
          got.push(...parser.push(text.slice(at, point)));
          at = point;
        }
        expect(got).toEqual(list);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (junk) => {
        new SseParser(1000).push(junk);
      }),
    );
  });
});
