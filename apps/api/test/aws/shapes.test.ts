import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, test } from "vitest";
import type { AwsService } from "../../src/aws/operation.ts";
import { awsServices } from "../../src/aws/registry.ts";
import { awsName, type Member, memberOptions, memberShape, type Shape } from "../../src/aws/shapes.ts";

/*
 * The door's shapes against the AWS SDK's own schemas (generated from the same service models as
 * botocore's): every member the door reads or writes exists there, with the same kind, and, for EC2, the
 * same request key and response element name. A typo in a member name would otherwise go unnoticed by
 * clients, which silently drop what they do not know.
 */

const require = createRequire(import.meta.url);
const packages: Record<AwsService["id"], string> = {
  elbv2: "@aws-sdk/client-elastic-load-balancing-v2",
  autoscaling: "@aws-sdk/client-auto-scaling",
  ec2: "@aws-sdk/client-ec2",
  cloudwatch: "@aws-sdk/client-cloudwatch",
  acm: "@aws-sdk/client-acm",
  wafv2: "@aws-sdk/client-wafv2",
  cloudformation: "@aws-sdk/client-cloudformation",
};

interface SdkSchema {
  isStructSchema(): boolean;
  isListSchema(): boolean;
  isMapSchema(): boolean;
  isStringSchema(): boolean;
  isNumericSchema(): boolean;
  isBooleanSchema(): boolean;
  isTimestampSchema(): boolean;
  isBlobSchema(): boolean;
  getName(withNamespace?: boolean): string | undefined;
  getMergedTraits(): { xmlName?: string; ec2QueryName?: string };
  getValueSchema(): SdkSchema;
  structIterator(): Iterable<[string, SdkSchema]>;
}

function sdkFor(id: AwsService["id"]) {
  const client = require(packages[id]) as Record<string, unknown>;
  // @smithy/core is the client's dependency, not the api's: load it from where the client lives.
  const fromClient = createRequire(realpathSync(require.resolve(packages[id])));
  const { NormalizedSchema } = fromClient("@smithy/core/schema") as {
    NormalizedSchema: { of(schema: unknown): SdkSchema };
  };
  return (operation: string): { input: SdkSchema; output: SdkSchema } | undefined => {
    const schema = client[`${operation}$`];
    if (!Array.isArray(schema)) return undefined;
    const resolve = (value: unknown) => (typeof value === "function" ? value() : value);
    return {
      input: NormalizedSchema.of(resolve(schema[4])),
      output: NormalizedSchema.of(resolve(schema[5])),
    };
  };
}

const capitalize = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

function compare(
  mine: Shape,
  sdk: SdkSchema,
  path: string,
  direction: "input" | "output",
  wire: AwsService["wire"],
  problems: string[],
): void {
  const kind = (ok: boolean, expected: string) => {
    if (!ok) problems.push(`${path}: the door has ${mine.kind}, the model ${expected}`);
    return ok;
  };
  switch (mine.kind) {
    case "structure": {
      // An operation without input ("unit" in the model) reads as an empty structure here.
      if (Object.keys(mine.members).length === 0 && !sdk.isStructSchema()) return;
      if (!kind(sdk.isStructSchema(), sdk.getName(true) ?? "not a structure")) return;
      const members = new Map([...sdk.structIterator()]);
      for (const [key, member] of Object.entries(mine.members) as Array<[string, Member]>) {
        const name = awsName(key, member);
        const theirs = members.get(name);
        if (!theirs) {
          problems.push(`${path}.${name}: not a member of ${sdk.getName(true)}`);
          continue;
        }
        if (wire === "ec2") {
          const traits = theirs.getMergedTraits();
          if (direction === "input") {
            const expected = traits.ec2QueryName ?? capitalize(traits.xmlName ?? name);
            const actual = memberOptions(member).query ?? name;
            if (expected !== actual)
              problems.push(`${path}.${name}: request key ${actual}, the model ${expected}`);
          } else {
            const expected = traits.xmlName ?? name;
            const actual = memberOptions(member).xml ?? key;
            if (expected !== actual)
              problems.push(`${path}.${name}: element ${actual}, the model ${expected}`);
          }
        }
        compare(memberShape(member), theirs, `${path}.${name}`, direction, wire, problems);
      }
      return;
    }
    case "list": {
      if (!kind(sdk.isListSchema(), "not a list")) return;
      const item = sdk.getValueSchema();
      if (direction === "output") {
        const expected = item.getMergedTraits().xmlName ?? "member";
        const actual = mine.memberName ?? (wire === "ec2" ? "item" : "member");
        if (expected !== actual) problems.push(`${path}: list items <${actual}>, the model <${expected}>`);
      }
      compare(mine.member, item, `${path}[]`, direction, wire, problems);
      return;
    }
    case "map":
      if (kind(sdk.isMapSchema(), "not a map"))
        compare(mine.value, sdk.getValueSchema(), `${path}{}`, direction, wire, problems);
      return;
    case "string":
      kind(sdk.isStringSchema(), "not a string");
      return;
    case "integer":
    case "double":
      kind(sdk.isNumericSchema(), "not a number");
      return;
    case "boolean":
      kind(sdk.isBooleanSchema(), "not a boolean");
      return;
    case "timestamp":
      kind(sdk.isTimestampSchema(), "not a timestamp");
      return;
    case "blob":
      kind(sdk.isBlobSchema(), "not a blob");
      return;
    case "unsupported":
    // A document is whatever the model has there: the services read it by the model.
    case "document":
      return;
  }
}

describe.each(awsServices.map((service) => [service.id, service] as const))("%s", (_id, service) => {
  const sdk = sdkFor(service.id);
  test.each(Object.keys(service.operations))("%s matches the service model", (name) => {
    const operation = service.operations[name];
    const theirs = sdk(name);
    expect(theirs, `${name} is an operation of the model`).toBeDefined();
    if (!operation || !theirs) return;
    const problems: string[] = [];
    compare(operation.input, theirs.input, `${name}Request`, "input", service.wire, problems);
    if (operation.output)
      compare(operation.output, theirs.output, `${name}Result`, "output", service.wire, problems);
    expect(problems).toEqual([]);
  });
});
