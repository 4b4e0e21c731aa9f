import { describe, expect, it } from "vitest";
import { parseTimestamp } from "./metrics.ts";
import { maxTimestampMs, timestampInRange } from "./timestamps.ts";

describe("timestamps", () => {
  it("admits the epoch to the end of year 9999", () => {
    expect(timestampInRange(0)).toBe(true);
    expect(timestampInRange(maxTimestampMs)).toBe(true);
    expect(new Date(maxTimestampMs).toISOString()).toBe("9999-12-31T23:59:59.999Z");
    expect(timestampInRange(maxTimestampMs + 1)).toBe(false);
    expect(timestampInRange(-1)).toBe(false);
    expect(timestampInRange(Number.NaN)).toBe(false);
    expect(timestampInRange(8.64e15 + 1)).toBe(false);
  });

  it("parseTimestamp answers InvalidParameterValue, never RangeError, outside that range", () => {
    expect(parseTimestamp("StartTime", "2026-01-01T00:00:00Z")).toBe(1_767_225_600);
    expect(parseTimestamp("StartTime", 1_767_225_600)).toBe(1_767_225_600);
    for (const bad of [
      "+275760-09-13T00:00:00.000Z",
      "-000001-01-01T00:00:00Z",
      "garbage",
      8.64e12 + 1,
      -1,
      1e308,
    ]) {
      expect(() => parseTimestamp("StartTime", bad)).toThrow(
        expect.objectContaining({ code: "InvalidParameterValue" }),
      );
    }
  });
});
