import { StringEnum, wire } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { describe, expect, test } from "vitest";
import { deriveMembers, deriveShape } from "../../src/aws/derive-shape.ts";
import { bool, dbl, int, list, map, req, str, struct, ts } from "../../src/aws/shapes.ts";

describe("deriveShape: the AWS wire shape of a service's TypeBox declaration", () => {
  test("scalars, date-times, enums, arrays, records and nested objects", () => {
    const schema = Type.Object({
      name: Type.String({ maxLength: 255 }),
      count: Type.Optional(Type.Integer()),
      ratio: Type.Optional(Type.Number()),
      enabled: Type.Optional(Type.Boolean()),
      createdTime: Type.String({ format: "date-time" }),
      state: Type.Optional(StringEnum(["A", "B"])),
      items: Type.Optional(
        Type.Array(Type.Object({ key: Type.String(), value: Type.Optional(Type.String()) })),
      ),
      labels: Type.Optional(Type.Record(Type.String(), Type.Integer())),
    });
    expect(deriveShape(schema)).toEqual(
      struct({
        name: req(str),
        count: int,
        ratio: dbl,
        enabled: bool,
        createdTime: req(ts),
        state: str,
        items: list(struct({ key: req(str), value: str })),
        labels: map(int),
      }),
    );
  });

  test("annotations give AWS member names, list item names and EC2's names; JSON never sees them", () => {
    const schema = Type.Object({
      vpcZoneIds: Type.Optional(wire(Type.String(), { name: "VPCZoneIdentifier" })),
      tags: Type.Optional(
        wire(Type.Array(Type.String(), { maxItems: 5 }), { memberName: "item", xml: "tagSet" }),
      ),
      ids: wire(Type.Array(Type.String()), { query: "Id" }),
    });
    expect(deriveShape(schema)).toEqual(
      struct({
        vpcZoneIds: { name: "VPCZoneIdentifier", shape: str },
        tags: { xml: "tagSet", shape: list(str, "item") },
        ids: { required: true, query: "Id", shape: list(str) },
      }),
    );
    expect(JSON.parse(JSON.stringify(schema))).not.toHaveProperty("properties.tags.memberName");
    expect(JSON.stringify(schema)).not.toContain("tagSet");
  });

  test("members spread into an operation's own structure, which overrides what the wire requires", () => {
    const schema = Type.Object({ period: Type.Optional(Type.Integer()), unit: Type.Optional(Type.String()) });
    expect(struct({ name: req(str), ...deriveMembers(schema), period: req(int) })).toEqual(
      struct({ name: req(str), period: req(int), unit: str }),
    );
  });

  test("a schema with no AWS counterpart is refused when the door is built, not when a request comes", () => {
    expect(() => deriveShape(Type.Object({ either: Type.Union([Type.String(), Type.Number()]) }))).toThrow(
      /either: a Union schema has no AWS wire shape/,
    );
  });
});
