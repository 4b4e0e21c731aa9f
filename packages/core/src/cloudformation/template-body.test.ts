// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub writes its variables as ${Name}
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AwsError } from "../errors.ts";
import { maxInlineTemplateBytes, parseTemplateBody } from "./template-body.ts";

const formatError = (body: string) => {
  try {
    parseTemplateBody(body);
  } catch (error) {
    expect(error).toBeInstanceOf(AwsError);
    return (error as AwsError).message;
  }
  throw new Error("parsed");
};

describe("template bodies", () => {
  it("maps every short-form tag to its long form", () => {
    const body = [
      "Resources:",
      "  R:",
      "    Type: X",
      "    Properties:",
      "      A: !Ref P",
      "      B: !GetAtt LB.DNSName",
      "      C: !GetAtt [LB, DNSName]",
      "      D: !GetAtt DB.Endpoint.Address",
      "      E: !Sub 'x-${AWS::Region}'",
      "      F: !Sub ['${a}', {a: !Ref P}]",
      "      G: !Join [',', [a, b]]",
      "      H: !Select [0, !GetAZs '']",
      "      I: !Split [',', 'a,b']",
      "      J: !If [C, a, !Ref AWS::NoValue]",
      "      K: !Not [!Equals [a, b]]",
      "      L: !And [!Condition C, !Or [!Condition C, !Condition D]]",
      "      M: !FindInMap [Map, Top, Second]",
      "      N: !Base64 text",
      "      O: !Cidr [10.0.0.0/16, 2, 8]",
      "      Q: !ImportValue Shared",
    ].join("\n");
    const properties = (parseTemplateBody(body).Resources as Record<string, Record<string, unknown>>).R
      ?.Properties;
    expect(properties).toEqual({
      A: { Ref: "P" },
      B: { "Fn::GetAtt": ["LB", "DNSName"] },
      C: { "Fn::GetAtt": ["LB", "DNSName"] },
      D: { "Fn::GetAtt": ["DB", "Endpoint.Address"] },
      E: { "Fn::Sub": "x-${AWS::Region}" },
      F: { "Fn::Sub": ["${a}", { a: { Ref: "P" } }] },
      G: { "Fn::Join": [",", ["a", "b"]] },
      H: { "Fn::Select": [0, { "Fn::GetAZs": "" }] },
      I: { "Fn::Split": [",", "a,b"] },
      J: { "Fn::If": ["C", "a", { Ref: "AWS::NoValue" }] },
      K: { "Fn::Not": [{ "Fn::Equals": ["a", "b"] }] },
      L: { "Fn::And": [{ Condition: "C" }, { "Fn::Or": [{ Condition: "C" }, { Condition: "D" }] }] },
      M: { "Fn::FindInMap": ["Map", "Top", "Second"] },
      N: { "Fn::Base64": "text" },
      O: { "Fn::Cidr": ["10.0.0.0/16", 2, 8] },
      Q: { "Fn::ImportValue": "Shared" },
    });
  });

  it("reads JSON templates and YAML's unquoted format version as the string it is", () => {
    expect(parseTemplateBody('{"Resources": {"A": {"Type": "X"}}}')).toEqual({
      Resources: { A: { Type: "X" } },
    });
    expect(parseTemplateBody("AWSTemplateFormatVersion: 2010-09-09\n").AWSTemplateFormatVersion).toBe(
      "2010-09-09",
    );
  });

  it("refuses bodies over the limit, with CloudFormation's prefix", () => {
    const big = `Description: ${"x".repeat(maxInlineTemplateBytes)}`;
    expect(() => parseTemplateBody(big, maxInlineTemplateBytes)).toThrow(
      /^Template format error: .*51200 bytes/,
    );
  });

  it("refuses duplicate keys in YAML and JSON, naming the line", () => {
    expect(formatError("A: 1\nA: 2\n")).toBe(
      "Template format error: YAML not well-formed. Duplicate key (line 2, column 1)",
    );
    expect(formatError('{"A": 1, "A": 2}')).toMatch(
      /^Template format error: JSON not well-formed. Duplicate key/,
    );
  });

  it("refuses malformed JSON and YAML, unknown tags, and bodies that are not objects", () => {
    expect(formatError('{"A": 1,}')).toMatch(
      /^Template format error: JSON not well-formed\. \(line 1, column \d+\)$/,
    );
    expect(formatError("A: [1, 2\n")).toMatch(/^Template format error: YAML not well-formed\./);
    expect(formatError("A: !Bogus x")).toMatch(/Unsupported tag !Bogus/);
    expect(formatError("- a\n- b\n")).toMatch(/^Template format error: not a valid template/);
    expect(formatError("")).toMatch(/^Template format error: not a valid template/);
    expect(formatError("a: 1\n---\nb: 2\n")).toMatch(/A template is one YAML document/);
  });

  it("bounds alias expansion (billion laughs) and nesting, without crashing the process", () => {
    const laughs = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) {
      const previous = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      laughs.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(", ")}]`);
    }
    expect(formatError(laughs.join("\n"))).toMatch(/too many values/);
    // Each of these overflows the stack of the yaml package's composer, fatally, if it gets that far.
    expect(formatError(`a: ${"[".repeat(20_000)}`)).toMatch(/nests deeper/);
    expect(formatError(`${"- ".repeat(20_000)}x`)).toMatch(/nests deeper/);
    expect(formatError(`{"a": ${"[".repeat(20_000)}`)).toMatch(/nests deeper/);
    expect(formatError("a: &a [*a]")).toMatch(/nests deeper/);
  });

  it("keeps a __proto__ key as data", () => {
    const value = parseTemplateBody("__proto__: {polluted: true}\n");
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["__proto__"]);
  });

  it("throws nothing but a ValidationError, whatever the bytes (fuzz)", () => {
    const pieces = fc.constantFrom(
      "!Ref ",
      "!GetAtt ",
      "!Sub ",
      "!If ",
      "&a ",
      "*a ",
      "[",
      "]",
      "{",
      "}",
      ":",
      "- ",
      "\n",
      "  ",
      '"',
      "'",
      ",",
      "#",
      "? ",
      "!!str ",
      "<<: ",
      "%YAML 1.2\n",
      "---\n",
      "...\n",
      "a",
      "1",
      ".inf",
      "~",
      "|\n",
      ">\n",
      "!",
      "\t",
      "\\",
      "\u0000",
      "é",
    );
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.array(pieces, { maxLength: 80 }).map((p) => p.join("")),
    );
    fc.assert(
      fc.property(body, (text) => {
        try {
          parseTemplateBody(text);
        } catch (error) {
          expect(error).toBeInstanceOf(AwsError);
          expect((error as AwsError).code).toBe("ValidationError");
        }
      }),
      { numRuns: 2000 },
    );
  });
});
