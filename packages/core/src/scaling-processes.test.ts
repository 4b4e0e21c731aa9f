import { describe, expect, it } from "vitest";
import {
  isScalingProcess,
  isSuspended,
  resumeProcesses,
  scalingProcesses,
  suspendProcesses,
  userSuspensionReason,
} from "./scaling-processes.ts";

const reason = userSuspensionReason("2026-12-01T10:00:00Z");

describe("suspendProcesses", () => {
  it("suspends every process when none is named, as AWS does", () => {
    const all = suspendProcesses([], undefined, reason);
    expect(all.map((p) => p.processName).sort()).toEqual([...scalingProcesses].sort());
    expect(all.every((p) => p.suspensionReason === "User suspended at 2026-12-01T10:00:00Z")).toBe(true);
    expect(suspendProcesses([], [], reason)).toHaveLength(scalingProcesses.length);
  });

  it("adds the named ones and keeps the reason of one already suspended", () => {
    const first = suspendProcesses([], ["Launch"], "User suspended at 2026-12-01T09:00:00Z");
    const next = suspendProcesses(first, ["Launch", "Terminate"], reason);
    expect(next).toEqual([
      { processName: "Launch", suspensionReason: "User suspended at 2026-12-01T09:00:00Z" },
      { processName: "Terminate", suspensionReason: reason },
    ]);
    expect(isSuspended({ suspendedProcesses: next }, "Terminate")).toBe(true);
    expect(isSuspended({ suspendedProcesses: next }, "HealthCheck")).toBe(false);
  });
});

describe("resumeProcesses", () => {
  const suspended = suspendProcesses([], ["Launch", "Terminate", "HealthCheck"], reason);
  it("resumes the named ones", () => {
    expect(resumeProcesses(suspended, ["Terminate"]).map((p) => p.processName)).toEqual([
      "HealthCheck",
      "Launch",
    ]);
  });
  it("resumes everything when none is named", () => {
    expect(resumeProcesses(suspended, undefined)).toEqual([]);
    expect(resumeProcesses(suspended, [])).toEqual([]);
  });
});

describe("isScalingProcess", () => {
  it("knows AWS's nine processes and nothing else", () => {
    expect(scalingProcesses).toHaveLength(9);
    expect(isScalingProcess("AddToLoadBalancer")).toBe(true);
    expect(isScalingProcess("launch")).toBe(false);
    expect(isScalingProcess("RemoveFromLoadBalancerLowPriority")).toBe(false);
  });
});
