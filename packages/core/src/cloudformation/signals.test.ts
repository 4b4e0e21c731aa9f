import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  isoDurationSeconds,
  signalEventReason,
  signalOfEventReason,
  signalPolicyOf,
  signalVerdict,
} from "./signals.ts";
import type { TemplateValue } from "./value.ts";

describe("signalPolicyOf", () => {
  test("Count and Timeout, with CloudFormation's defaults (1, PT5M)", () => {
    expect(signalPolicyOf({ ResourceSignal: { Count: 3, Timeout: "PT10M" } })).toEqual({
      count: 3,
      timeoutSeconds: 600,
      required: 3,
    });
    expect(signalPolicyOf({ ResourceSignal: {} })).toEqual({ count: 1, timeoutSeconds: 300, required: 1 });
    expect(signalPolicyOf({ ResourceSignal: { Count: "2", Timeout: "PT1H30M5S" } })?.timeoutSeconds).toBe(
      5405,
    );
    expect(
      signalPolicyOf({ AutoScalingCreationPolicy: { MinSuccessfulInstancesPercent: 50 } }),
    ).toBeUndefined();
    expect(signalPolicyOf(undefined)).toBeUndefined();
  });

  test("MinSuccessfulInstancesPercent: five at 50 % need three", () => {
    expect(
      signalPolicyOf({
        ResourceSignal: { Count: 5 },
        AutoScalingCreationPolicy: { MinSuccessfulInstancesPercent: 50 },
      }),
    ).toEqual({ count: 5, timeoutSeconds: 300, required: 3, minSuccessfulPercent: 50 });
  });

  test("a bad Count, Timeout or percentage is a ValidationError", () => {
    const policies: TemplateValue[] = [
      { ResourceSignal: { Count: -1 } },
      { ResourceSignal: { Count: "x" } },
      { ResourceSignal: { Timeout: "5 minutes" } },
      { ResourceSignal: { Timeout: "PT13H" } },
      { ResourceSignal: { Timeout: 300 } },
      { ResourceSignal: {}, AutoScalingCreationPolicy: { MinSuccessfulInstancesPercent: 101 } },
      { ResourceSignal: "yes" },
    ];
    for (const policy of policies) expect(() => signalPolicyOf(policy)).toThrow(/^Invalid CreationPolicy: /);
  });
});

test("ISO 8601 durations", () => {
  expect(isoDurationSeconds("PT15M")).toBe(900);
  expect(isoDurationSeconds("PT2S")).toBe(2);
  expect(isoDurationSeconds("P0DT1H")).toBe(3600);
  for (const bad of ["", "P", "PT", "15M", "PT-1S", "PT1.5S", "pt5m"])
    expect(isoDurationSeconds(bad)).toBeUndefined();
  fc.assert(
    fc.property(fc.string(), (text) => {
      const seconds = isoDurationSeconds(text);
      expect(seconds === undefined || (Number.isSafeInteger(seconds) && seconds >= 0)).toBe(true);
    }),
  );
});

describe("signalVerdict", () => {
  const policy = { count: 2, timeoutSeconds: 60, required: 2 };
  const s = (uniqueId: string, status: "SUCCESS" | "FAILURE" = "SUCCESS") => ({ uniqueId, status });

  test("complete once Count distinct SUCCESS signals have arrived", () => {
    expect(signalVerdict(policy, [s("i-1")], 1_000)).toEqual({ state: "waiting" });
    expect(signalVerdict(policy, [s("i-1"), s("i-1")], 1_000)).toEqual({ state: "waiting" });
    expect(signalVerdict(policy, [s("i-1"), s("i-2")], 1_000)).toEqual({ state: "complete" });
    expect(signalVerdict({ count: 0, timeoutSeconds: 1, required: 0 }, [], 0)).toEqual({ state: "complete" });
  });

  test("a FAILURE signal fails it at once; the timeout in CloudFormation's words", () => {
    expect(signalVerdict(policy, [s("i-1"), s("i-2", "FAILURE")], 1_000)).toEqual({
      state: "failed",
      reason: "Received FAILURE signal with UniqueId i-2",
    });
    expect(signalVerdict(policy, [s("i-1")], 60_000)).toEqual({
      state: "failed",
      reason: "Failed to receive 1 resource signal(s) within the specified duration",
    });
  });

  test("an Auto Scaling group tolerates failures down to MinSuccessfulInstancesPercent", () => {
    const group = { count: 4, timeoutSeconds: 60, required: 3, minSuccessfulPercent: 75 };
    expect(signalVerdict(group, [s("i-1", "FAILURE"), s("i-2"), s("i-3")], 1_000)).toEqual({
      state: "waiting",
    });
    expect(signalVerdict(group, [s("i-1", "FAILURE"), s("i-2"), s("i-3"), s("i-4")], 1_000)).toEqual({
      state: "complete",
    });
    expect(signalVerdict(group, [s("i-1", "FAILURE"), s("i-2", "FAILURE")], 1_000)).toEqual({
      state: "failed",
      reason:
        "Received 2 FAILURE signal(s) out of 4. Unable to satisfy 75% MinSuccessfulInstancesPercent requirement",
    });
  });
});

test("a signal's event reason reads back", () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, maxLength: 64 }),
      fc.constantFrom("SUCCESS" as const, "FAILURE" as const),
      (id, status) => {
        expect(signalOfEventReason(signalEventReason(status, id))).toEqual({ uniqueId: id, status });
      },
    ),
  );
  expect(signalOfEventReason("Resource creation Initiated")).toBeUndefined();
  expect(signalOfEventReason(null)).toBeUndefined();
});
