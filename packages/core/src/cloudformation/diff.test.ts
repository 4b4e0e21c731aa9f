import { describe, expect, it } from "vitest";
import { diffResources, sameValue } from "./diff.ts";

describe("resource diffs", () => {
  it("splits logical ids into add, modify (with the properties that changed) and remove", () => {
    const before = {
      Group: {
        type: "AWS::AutoScaling::AutoScalingGroup",
        properties: { MinSize: "1", MaxSize: "3", Tags: [{ Key: "a", Value: "1" }] },
      },
      Old: { type: "AWS::S3::Bucket", properties: {} },
      Same: { type: "AWS::S3::Bucket", properties: { A: { x: 1, y: 2 } } },
      Typed: { type: "AWS::S3::Bucket", properties: {} },
    };
    const after = {
      Group: {
        type: "AWS::AutoScaling::AutoScalingGroup",
        properties: { MinSize: "2", Tags: [{ Key: "a", Value: "1" }], DesiredCapacity: "2" },
        attributes: { UpdatePolicy: { AutoScalingRollingUpdate: {} } },
      },
      Same: { type: "AWS::S3::Bucket", properties: { A: { y: 2, x: 1 } } },
      Typed: { type: "AWS::SQS::Queue", properties: {} },
      New: { type: "AWS::S3::Bucket", properties: {} },
    };
    expect(diffResources(before, after)).toEqual({
      add: ["New"],
      modify: [
        {
          logicalId: "Group",
          properties: ["MinSize", "MaxSize", "DesiredCapacity"],
          attributes: ["UpdatePolicy"],
          typeChanged: false,
        },
        { logicalId: "Typed", properties: [], attributes: [], typeChanged: true },
      ],
      remove: ["Old"],
    });
  });

  it("compares values structurally", () => {
    expect(sameValue({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true);
    expect(sameValue([1, 2], [2, 1])).toBe(false);
    expect(sameValue({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameValue("1", 1)).toBe(false);
  });
});
