import { describe, expect, it } from "vitest";
import { creationSchedule, deletionSchedule } from "./schedule.ts";

// Listener waits for the load balancer and target group; the group for the target group and template.
const dependencies = {
  LoadBalancer: [],
  TargetGroup: [],
  LaunchTemplate: [],
  Listener: ["LoadBalancer", "TargetGroup"],
  Group: ["TargetGroup", "LaunchTemplate"],
  Policy: ["Group"],
};

describe("schedules", () => {
  it("starts each resource as soon as what it waits for is done, not wave by wave", () => {
    const schedule = creationSchedule(dependencies);
    expect(schedule.next()).toEqual(["LoadBalancer", "TargetGroup", "LaunchTemplate"]);
    expect(schedule.next()).toEqual([]);
    schedule.done("TargetGroup");
    schedule.done("LaunchTemplate");
    // The load balancer is still in flight: the group need not wait for it.
    expect(schedule.next()).toEqual(["Group"]);
    schedule.done("Group");
    expect(schedule.next()).toEqual(["Policy"]);
    schedule.done("LoadBalancer");
    expect(schedule.next()).toEqual(["Listener"]);
    schedule.done("Policy");
    schedule.done("Listener");
    expect(schedule.finished()).toBe(true);
    expect(schedule.completed()).toEqual([
      "TargetGroup",
      "LaunchTemplate",
      "Group",
      "LoadBalancer",
      "Policy",
      "Listener",
    ]);
  });

  it("stops at a failure and rolls back what was created, dependents first", () => {
    const schedule = creationSchedule(dependencies);
    schedule.next();
    schedule.done("TargetGroup");
    schedule.done("LaunchTemplate");
    schedule.next();
    schedule.failed("Group");
    expect(schedule.next()).toEqual([]);
    expect(schedule.stopped()).toBe(true);
    expect(schedule.inFlight()).toEqual(["LoadBalancer"]);
    schedule.done("LoadBalancer");
    const rollback = deletionSchedule(dependencies, schedule.completed());
    expect(rollback.next()).toEqual(["TargetGroup", "LaunchTemplate", "LoadBalancer"]);
  });

  it("deletes a whole stack in reverse dependency order", () => {
    const schedule = deletionSchedule(dependencies);
    expect(schedule.next()).toEqual(["Listener", "Policy"]);
    schedule.done("Policy");
    expect(schedule.next()).toEqual(["Group"]);
    schedule.done("Listener");
    expect(schedule.next()).toEqual(["LoadBalancer"]);
    schedule.done("Group");
    expect(schedule.next()).toEqual(["TargetGroup", "LaunchTemplate"]);
  });

  it("is finished at once with nothing to do", () => {
    expect(creationSchedule({}).finished()).toBe(true);
    expect(creationSchedule({}).next()).toEqual([]);
  });
});
