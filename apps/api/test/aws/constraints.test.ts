import { describe, expect, test } from "vitest";
import { type Constraint, checkConstraints, constraintsOf } from "../../src/aws/constraints.ts";
import { validationErrors } from "../../src/aws/operation.ts";
import { awsServices } from "../../src/aws/registry.ts";

const autoScaling = awsServices.find((s) => s.id === "autoscaling");
const operation = autoScaling?.operations.DescribeAutoScalingGroups;

function check(names: string[]): void {
  if (!operation) throw new Error("DescribeAutoScalingGroups is not served");
  checkConstraints(
    operation.input,
    { autoScalingGroupNames: names },
    constraintsOf("autoscaling", "DescribeAutoScalingGroups"),
    "",
    validationErrors,
  );
}

describe("checkConstraints", () => {
  test("counts length in code points, as Smithy does", () => {
    expect(() => check(["😀".repeat(255)])).not.toThrow();
    expect(() => check(["😀".repeat(256)])).toThrow(/length less than or equal to 255/);
    expect(() => check(["a".repeat(255)])).not.toThrow();
    expect(() => check(["a".repeat(256)])).toThrow(/at 'AutoScalingGroupNames\.1'/);
  });

  test("the model's pattern is read as Java reads it: supplementary characters pass, controls do not", () => {
    expect(() => check(["a\u0001b"])).toThrow(/regular expression pattern/);
    expect(() => check(["tab\there"])).not.toThrow();
    expect(() => check(["\ud800"])).toThrow(/regular expression pattern/);
  });

  test("an action that is an Object member has no constraints", () => {
    expect(constraintsOf("elbv2", "constructor")).toBeUndefined();
    expect(constraintsOf("elbv2", "__proto__")).toBeUndefined();
  });

  test("every pattern in the file compiles as a Unicode expression", () => {
    const patterns = new Set<string>();
    const walk = (rule: Constraint | undefined): void => {
      if (!rule) return;
      if (rule.pattern !== undefined) patterns.add(rule.pattern);
      for (const child of Object.values(rule.members ?? {})) walk(child);
      walk(rule.member);
      walk(rule.key);
      walk(rule.value);
    };
    for (const service of awsServices) {
      for (const action of Object.keys(service.operations)) walk(constraintsOf(service.id, action));
    }
    expect(patterns.size).toBeGreaterThan(5);
    for (const pattern of patterns) expect(() => new RegExp(`^(?:${pattern})$`, "u"), pattern).not.toThrow();
  });
});
