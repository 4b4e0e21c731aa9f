import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { invalidConstraints, placementFromEnvironment, placementVariable } from "./placement.ts";

describe("placementFromEnvironment", () => {
  it("takes the placement variable out of the environment and splits it", () => {
    const { environment, constraints } = placementFromEnvironment({
      GREETING: "hi",
      [placementVariable]: " node.labels.zone==a ;node.role != manager\n\n",
    });
    expect(environment).toEqual({ GREETING: "hi" });
    expect(constraints).toEqual(["node.labels.zone==a", "node.role != manager"]);
    expect(invalidConstraints(constraints)).toBeUndefined();
  });

  it("leaves an environment without it as it is", () => {
    const env = { A: "1" };
    expect(placementFromEnvironment(env)).toEqual({ environment: env, constraints: [] });
  });

  it("names what is not a constraint", () => {
    expect(invalidConstraints(["node.role=manager", "zone==a"])).toContain('"node.role=manager"');
  });

  it("never throws, whatever the variable holds", () => {
    fc.assert(
      fc.property(fc.string(), (raw) => {
        const { constraints } = placementFromEnvironment({ [placementVariable]: raw });
        invalidConstraints(constraints);
        for (const constraint of constraints) expect(constraint).toBe(constraint.trim());
      }),
    );
  });
});
