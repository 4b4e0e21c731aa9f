import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileTransformations, supportedTransformations } from "./transform.ts";
import type { TextTransformationType } from "./types.ts";

const run = (types: TextTransformationType[], input: string) =>
  (compileTransformations(types.map((Type, Priority) => ({ Type, Priority }))) ?? ((s: string) => s))(input);

describe("text transformations", () => {
  it("decode and normalise as WAF documents", () => {
    expect(run(["URL_DECODE"], "/adm%69n+x%zz")).toBe("/admin x%zz");
    expect(run(["URL_DECODE_UNI"], "%u0041%uff21")).toBe("AA");
    expect(run(["LOWERCASE"], "AbC")).toBe("abc");
    expect(run(["COMPRESS_WHITE_SPACE"], "a \t\n b")).toBe("a b");
    expect(run(["HTML_ENTITY_DECODE"], "&lt;script&gt;&#x41;&#66;")).toBe("<script>AB");
    expect(run(["BASE64_DECODE"], Buffer.from("hello").toString("base64"))).toBe("hello");
    expect(run(["HEX_DECODE"], "414243")).toBe("ABC");
    expect(run(["NORMALIZE_PATH"], "/a//b/./c/../d")).toBe("/a/b/d");
    expect(run(["REMOVE_NULLS"], "a\0b")).toBe("ab");
    expect(run(["CMD_LINE"], 'C^MD.e"x"e /c, dir')).toBe("cmd.exe/c dir");
  });

  it("apply in priority order, not list order", () => {
    const lowerThenDecode = compileTransformations([
      { Type: "URL_DECODE", Priority: 2 },
      { Type: "LOWERCASE", Priority: 1 },
    ]);
    expect(lowerThenDecode?.("%41")).toBe("A");
  });

  it("never throw, whatever the input and the chain", () => {
    const types = [...supportedTransformations];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...types), { maxLength: 10 }),
        fc.string({
          unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
          maxLength: 200,
        }),
        (chain, input) => {
          const out = run(chain, input);
          expect(typeof out).toBe("string");
        },
      ),
      { numRuns: 500 },
    );
  });
});
