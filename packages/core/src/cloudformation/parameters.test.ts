import { describe, expect, it } from "vitest";
import { compileAllowedPattern, nestsUnboundedQuantifiers } from "./allowed-pattern.ts";
import { readParameters } from "./parameter-declarations.ts";
import { bindParameters } from "./parameters.ts";

const declarations = readParameters({
  Env: { Type: "String", AllowedValues: ["dev", "prod"] },
  Size: { Type: "Number", MinValue: 1, MaxValue: 10, Default: 2 },
  Name: { Type: "String", MinLength: 3, MaxLength: 5, AllowedPattern: "[a-z]+", Default: "web" },
  Ports: { Type: "List<Number>", Default: "80, 443" },
  Subnets: { Type: "CommaDelimitedList", Default: "a, b ,c" },
  Secret: { Type: "String", NoEcho: true, Default: "s" },
  Key: {
    Type: "AWS::EC2::KeyPair::KeyName",
    Default: "k",
    ConstraintDescription: "must be a key pair name",
    MinLength: 1,
  },
});

const bind = (
  inputs: Array<{ key: string; value?: string; usePreviousValue?: boolean }>,
  previous?: Record<string, string>,
) => bindParameters(declarations, inputs, previous);

describe("parameter binding (CreateStack's errors)", () => {
  it("binds given values and defaults; lists split and trimmed", () => {
    const bound = bind([{ key: "Env", value: "prod" }]);
    expect(bound.Env).toEqual({ value: "prod", noEcho: false });
    expect(bound.Size?.value).toBe("2");
    expect(bound.Ports?.list).toEqual(["80", "443"]);
    expect(bound.Subnets?.list).toEqual(["a", "b", "c"]);
    expect(bound.Secret?.noEcho).toBe(true);
  });

  it("names missing and unknown parameters", () => {
    expect(() => bind([])).toThrow("Parameters: [Env] must have values");
    expect(() =>
      bind([
        { key: "Env", value: "dev" },
        { key: "Bogus", value: "1" },
      ]),
    ).toThrow("Parameters: [Bogus] do not exist in the template");
  });

  it("applies AllowedValues, numbers and their bounds, lengths and patterns", () => {
    const withEnv = (key: string, value: string) =>
      bind([
        { key: "Env", value: "dev" },
        { key, value },
      ]);
    expect(() => bind([{ key: "Env", value: "test" }])).toThrow(
      "Parameter 'Env' must be one of AllowedValues",
    );
    expect(() => withEnv("Size", "many")).toThrow("Parameter 'Size' must be a number");
    expect(() => withEnv("Size", "0")).toThrow("Parameter 'Size' must be a number not less than 1");
    expect(() => withEnv("Size", "11")).toThrow("Parameter 'Size' must be a number not greater than 10");
    expect(() => withEnv("Name", "ab")).toThrow("Parameter 'Name' must contain at least 3 characters");
    expect(() => withEnv("Name", "abcdef")).toThrow("Parameter 'Name' must contain at most 5 characters");
    expect(() => withEnv("Name", "AB1")).toThrow(
      "Parameter 'Name' failed to satisfy constraint: must match pattern [a-z]+",
    );
    expect(() => withEnv("Ports", "80,x")).toThrow("Parameter 'Ports' must be a number");
    expect(() => withEnv("Key", "")).toThrow(
      "Parameter 'Key' failed to satisfy constraint: must be a key pair name",
    );
  });

  it("takes previous values on UsePreviousValue and refuses it with a value", () => {
    const bound = bind([{ key: "Env", usePreviousValue: true }], { Env: "prod" });
    expect(bound.Env?.value).toBe("prod");
    expect(() => bind([{ key: "Env", usePreviousValue: true, value: "dev" }])).toThrow(
      /Cannot specify usePreviousValue/,
    );
  });

  it("does not run patterns whose backtracking could hold the event loop", () => {
    expect(nestsUnboundedQuantifiers("(a+)+$")).toBe(true);
    expect(nestsUnboundedQuantifiers("([a-z]*,)*")).toBe(true);
    expect(nestsUnboundedQuantifiers("(\\d{1,3}\\.){3}\\d{1,3}")).toBe(false);
    expect(nestsUnboundedQuantifiers("[a-z]+(-[a-z]+)?")).toBe(false);
    expect(compileAllowedPattern("(a+)+$")).toBeUndefined();
    const started = Date.now();
    bindParameters(readParameters({ P: { Type: "String", AllowedPattern: "(a+)+$" } }), [
      { key: "P", value: `${"a".repeat(4000)}!` },
    ]);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
