import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generatedName } from "./generated-name.ts";
import { placeholderAttributes, placeholderPhysicalId } from "./resource-placeholder.ts";
import { resourceTypeSpec, supportedResourceTypes } from "./resource-types.ts";
import type { TemplateValue } from "./value.ts";

const input = (properties: Record<string, string> = {}, seed = "seed-1") => ({
  stackName: "web",
  logicalId: "Thing",
  properties,
  partition: { region: "eu-west-1", accountId: "123456789012" },
  seed,
});

function specOf(type: string) {
  const spec = resourceTypeSpec(type)?.placeholder;
  if (spec === undefined) throw new Error(`${type} is no placeholder`);
  return spec;
}

describe("placeholder values from the declarative spec", () => {
  it("derives ids from the seed, so a resumed create comes to the same id, and attributes from the id", () => {
    const vpc = specOf("AWS::EC2::VPC");
    const id = placeholderPhysicalId(vpc, input());
    expect(id).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(placeholderPhysicalId(vpc, input())).toBe(id);
    expect(placeholderPhysicalId(vpc, input({}, "seed-2"))).not.toBe(id);
    const attributes = placeholderAttributes(vpc, id, input({ CidrBlock: "10.9.0.0/16" }));
    expect(attributes).toMatchObject({ VpcId: id, CidrBlock: "10.9.0.0/16", Ipv6CidrBlocks: [] });
    expect(attributes.DefaultSecurityGroup).toMatch(/^sg-[0-9a-f]{17}$/);
    // An update (same id, other seed) answers the same generated attributes.
    expect(placeholderAttributes(vpc, id, input({}, "seed-2")).DefaultSecurityGroup).toBe(
      attributes.DefaultSecurityGroup,
    );
    expect(placeholderAttributes(specOf("AWS::EC2::Subnet"), "subnet-1", input()).AvailabilityZone).toBe(
      "eu-west-1a",
    );
  });

  it("names named types by their property or CloudFormation's generated name; IAM ARNs have no region", () => {
    const role = specOf("AWS::IAM::Role");
    expect(placeholderPhysicalId(role, input({ RoleName: "app-role" }))).toBe("app-role");
    const generated = placeholderPhysicalId(role, input());
    expect(generated).toBe(generatedName("web", "Thing", 64, "seed-1"));
    expect(generated).toMatch(/^web-Thing-[A-Z0-9]{12}$/);
    const attributes = placeholderAttributes(role, "app-role", input());
    expect(attributes.Arn).toBe("arn:aws:iam::123456789012:role/app-role");
    expect(attributes.RoleId).toMatch(/^AROA[0-9A-F]{17}$/);
    expect(resourceTypeSpec("AWS::IAM::Role")?.replacing).toEqual(["RoleName"]);
  });

  it("makes ARN ids of types whose Ref is an ARN, and reads the name back out of them", () => {
    const topic = specOf("AWS::SNS::Topic");
    const arn = placeholderPhysicalId(topic, input({ TopicName: "alerts" }));
    expect(arn).toBe("arn:aws:sns:eu-west-1:123456789012:alerts");
    expect(placeholderAttributes(topic, arn, input())).toEqual({ TopicArn: arn, TopicName: "alerts" });
    const policy = specOf("AWS::IAM::ManagedPolicy");
    expect(placeholderPhysicalId(policy, input({ ManagedPolicyName: "read" }))).toBe(
      "arn:aws:iam::123456789012:policy/read",
    );
  });

  it("makes values of any properties a template gives, never throwing (fuzz)", () => {
    const placeholders = supportedResourceTypes().filter((type) => resourceTypeSpec(type)?.placeholder);
    const value: fc.Arbitrary<TemplateValue> = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...placeholders),
        fc.dictionary(
          fc.constantFrom("RoleName", "TopicName", "Name", "CidrBlock", "VpcId", "{name}"),
          value,
        ),
        fc.string(),
        (type, properties, seed) => {
          const spec = specOf(type);
          const given = { ...input(), properties, seed };
          const id = placeholderPhysicalId(spec, given);
          expect(typeof id).toBe("string");
          const attributes = placeholderAttributes(spec, id, given);
          expect(Object.keys(attributes).sort()).toEqual(Object.keys(spec.attributes).sort());
        },
      ),
      { numRuns: 500 },
    );
  });
});
