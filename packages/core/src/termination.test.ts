import { describe, expect, it } from "vitest";
import {
  chooseInstancesToTerminate,
  chooseInstanceToTerminate,
  type TerminationCandidate,
  type TerminationContext,
} from "./termination.ts";

/*
 * Expectations come from the Amazon EC2 Auto Scaling User Guide, "Configure termination policies for
 * Amazon EC2 Auto Scaling": the default policy terminates instances on an outdated configuration first
 * (another launch template than the group's, then the oldest version of the group's template), then
 * the one closest to the next instance hour, then one at random; OldestInstance, NewestInstance and
 * OldestLaunchTemplate do what their names say; instances protected from scale-in are never chosen;
 * several policies apply in the order the group lists them.
 */

const minute = 60_000;
const now = Date.parse("2026-11-23T10:00:00Z");
const template = { id: "lt-0123456789abcdef0", version: 3 };

function instance(id: string, overrides: Partial<TerminationCandidate> = {}): TerminationCandidate {
  return {
    instanceId: id,
    launchedAt: now - 10 * minute,
    launchTemplateId: template.id,
    launchTemplateVersion: template.version,
    protectedFromScaleIn: false,
    ...overrides,
  };
}

function context(policies: string[], overrides: Partial<TerminationContext> = {}): TerminationContext {
  return { policies, launchTemplate: template, now, random: () => 0, ...overrides };
}

const chosen = (candidates: TerminationCandidate[], policies: string[], random?: () => number) =>
  chooseInstanceToTerminate(candidates, context(policies, random ? { random } : {}))?.instanceId;

describe("OldestInstance and NewestInstance", () => {
  const group = [
    instance("i-middle", { launchedAt: now - 20 * minute }),
    instance("i-oldest", { launchedAt: now - 90 * minute }),
    instance("i-newest", { launchedAt: now - 1 * minute }),
  ];

  it("OldestInstance terminates the instance launched first", () => {
    expect(chosen(group, ["OldestInstance"])).toBe("i-oldest");
  });

  it("NewestInstance terminates the instance launched last", () => {
    expect(chosen(group, ["NewestInstance"])).toBe("i-newest");
  });
});

describe("OldestLaunchTemplate", () => {
  it("terminates instances on another launch template before any on the current one", () => {
    const group = [
      instance("i-current-old-version", { launchTemplateVersion: 1 }),
      instance("i-other-template", { launchTemplateId: "lt-0fedcba9876543210", launchTemplateVersion: 7 }),
      instance("i-current"),
    ];
    expect(chosen(group, ["OldestLaunchTemplate"])).toBe("i-other-template");
  });

  it("then those on the oldest version of the current template", () => {
    const group = [
      instance("i-v3"),
      instance("i-v1", { launchTemplateVersion: 1 }),
      instance("i-v2", { launchTemplateVersion: 2 }),
    ];
    expect(chosen(group, ["OldestLaunchTemplate"])).toBe("i-v1");
  });
});

describe("Default", () => {
  it("prefers an outdated launch template over age", () => {
    const group = [
      instance("i-old-but-current", { launchedAt: now - 300 * minute }),
      instance("i-new-but-outdated", { launchedAt: now - 1 * minute, launchTemplateVersion: 2 }),
    ];
    expect(chosen(group, ["Default"])).toBe("i-new-but-outdated");
  });

  it("then the instance closest to the next instance hour", () => {
    // 59 minutes into its hour, 1 minute from the next; the others are 1 and 31 minutes in.
    const group = [
      instance("i-1-minute", { launchedAt: now - 1 * minute }),
      instance("i-59-minutes", { launchedAt: now - 119 * minute }),
      instance("i-31-minutes", { launchedAt: now - 31 * minute }),
    ];
    expect(chosen(group, ["Default"])).toBe("i-59-minutes");
  });

  it("breaks a remaining tie at random", () => {
    const group = [instance("i-a"), instance("i-b"), instance("i-c")];
    expect(chosen(group, ["Default"], () => 0)).toBe("i-a");
    expect(chosen(group, ["Default"], () => 0.5)).toBe("i-b");
    expect(chosen(group, ["Default"], () => 0.999)).toBe("i-c");
  });

  it("is what an empty policy list means", () => {
    const group = [instance("i-current"), instance("i-outdated", { launchTemplateVersion: 1 })];
    expect(chosen(group, [])).toBe("i-outdated");
  });
});

describe("several policies", () => {
  it("apply in the order listed, each narrowing what the previous left", () => {
    const group = [
      instance("i-outdated-old", { launchTemplateVersion: 1, launchedAt: now - 50 * minute }),
      instance("i-outdated-new", { launchTemplateVersion: 1, launchedAt: now - 5 * minute }),
      instance("i-current-newest", { launchedAt: now - 1 * minute }),
    ];
    expect(chosen(group, ["OldestLaunchTemplate", "NewestInstance"])).toBe("i-outdated-new");
    expect(chosen(group, ["NewestInstance", "OldestLaunchTemplate"])).toBe("i-current-newest");
  });

  it("leave ties to the default policy", () => {
    const launchedAt = now - 10 * minute;
    const group = [
      instance("i-current", { launchedAt }),
      instance("i-outdated", { launchedAt, launchTemplateVersion: 2 }),
    ];
    // Both are equally old: OldestInstance ties, and Default then prefers the outdated template.
    expect(chosen(group, ["OldestInstance"], () => 0)).toBe("i-outdated");
  });

  it("OldestLaunchConfiguration and AllocationStrategy never narrow here", () => {
    const group = [instance("i-a"), instance("i-b", { launchTemplateVersion: 1 })];
    expect(chosen(group, ["OldestLaunchConfiguration", "AllocationStrategy"])).toBe("i-b");
  });
});

describe("scale-in protection", () => {
  it("skips protected instances whatever the policy prefers", () => {
    const group = [
      instance("i-oldest", { launchedAt: now - 90 * minute, protectedFromScaleIn: true }),
      instance("i-newer", { launchedAt: now - 5 * minute }),
    ];
    expect(chosen(group, ["OldestInstance"])).toBe("i-newer");
  });

  it("answers nothing when every instance is protected", () => {
    expect(chosen([instance("i-a", { protectedFromScaleIn: true })], ["Default"])).toBeUndefined();
  });
});

describe("chooseInstancesToTerminate", () => {
  it("chooses one after another, each from what is left", () => {
    const group = [
      instance("i-1", { launchedAt: now - 40 * minute }),
      instance("i-2", { launchedAt: now - 30 * minute }),
      instance("i-3", { launchedAt: now - 20 * minute }),
      instance("i-4", { launchedAt: now - 10 * minute }),
    ];
    const ids = chooseInstancesToTerminate(group, 3, context(["OldestInstance"])).map((c) => c.instanceId);
    expect(ids).toEqual(["i-1", "i-2", "i-3"]);
  });

  it("stops short when the rest are protected", () => {
    const group = [instance("i-1"), instance("i-2", { protectedFromScaleIn: true }), instance("i-3")];
    const ids = chooseInstancesToTerminate(group, 3, context(["Default"])).map((c) => c.instanceId);
    expect(ids.sort()).toEqual(["i-1", "i-3"]);
  });

  it("rejects a policy it does not know", () => {
    expect(() =>
      chooseInstancesToTerminate([instance("i-1"), instance("i-2")], 1, context(["Nope"])),
    ).toThrow(RangeError);
  });
});
