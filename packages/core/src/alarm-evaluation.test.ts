import { describe, expect, it } from "vitest";
import {
  type EvaluationInput,
  evaluateAlarm,
  evaluationRangeSize,
  evaluationWindow,
  formatStateReasonData,
  type PeriodDatapoint,
} from "./alarm-evaluation.ts";
import type { AlarmState, ComparisonOperator, TreatMissingData } from "./types.ts";

const at = (iso: string): number => Date.parse(iso) / 1000;

const NOW = at("2026-11-23T10:01:05Z");
const THRESHOLD = 80;
const BREACHING_VALUE = 90;
const GOOD_VALUE = 10;
const states: AlarmState[] = ["OK", "ALARM", "INSUFFICIENT_DATA"];
const treatments: TreatMissingData[] = ["missing", "ignore", "breaching", "notBreaching"];

/**
 * Datapoints from the AWS tables' notation, oldest first: "0" not breaching, "X" breaching, "-" missing,
 * one character per period of the evaluation range.
 */
function fromPattern(pattern: string, rangeStarts: readonly number[]): PeriodDatapoint[] {
  const marks = pattern.split(" ");
  expect(marks).toHaveLength(rangeStarts.length);
  return marks.flatMap((mark, i) => {
    const timestamp = rangeStarts[i];
    if (mark === "-" || timestamp === undefined) return [];
    return [{ timestamp, value: mark === "X" ? BREACHING_VALUE : GOOD_VALUE, sampleCount: 1 }];
  });
}

function alarmInput(overrides: Partial<EvaluationInput> & { pattern?: string } = {}): EvaluationInput {
  const { pattern, ...rest } = overrides;
  const evaluationPeriods = rest.evaluationPeriods ?? 3;
  const rangeStarts = rest.rangeStarts ?? evaluationWindow(NOW, 60, evaluationPeriods).rangeStarts;
  return {
    now: NOW,
    rangeStarts,
    datapoints: pattern === undefined ? [] : fromPattern(pattern, rangeStarts),
    period: 60,
    statistic: "Average",
    evaluationPeriods,
    datapointsToAlarm: evaluationPeriods,
    threshold: THRESHOLD,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "missing",
    currentState: "OK",
    ...rest,
  };
}

type Expected = AlarmState | "retain";

/**
 * The two example tables of https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
 * (evaluation range 5, Evaluation Periods 3), columns MISSING, IGNORE, BREACHING, NOT BREACHING.
 */
const threeOfThree: Array<[string, Expected, Expected, Expected, Expected]> = [
  ["0 - X - X", "OK", "OK", "OK", "OK"],
  ["0 - - - -", "OK", "OK", "OK", "OK"],
  ["- - - - -", "INSUFFICIENT_DATA", "retain", "ALARM", "OK"],
  ["0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"],
  ["- - X - -", "ALARM", "retain", "ALARM", "OK"],
];
const twoOfThree: Array<[string, Expected, Expected, Expected, Expected]> = [
  ["0 - X - X", "ALARM", "ALARM", "ALARM", "ALARM"],
  ["0 0 X 0 X", "ALARM", "ALARM", "ALARM", "ALARM"],
  ["0 - X - -", "OK", "OK", "ALARM", "OK"],
  ["- - - - 0", "OK", "OK", "ALARM", "OK"],
  ["- - - X -", "ALARM", "retain", "ALARM", "OK"],
];
/**
 * Rows of earlier revisions of the same page (awsdocs/amazon-cloudwatch-user-guide, AlarmThatSendsEmail.md)
 * and of its "Avoiding premature transitions to alarm state" prose, 3 out of 3.
 */
const threeOfThreeEarlier: Array<[string, Expected, Expected, Expected, Expected]> = [
  ["- - - - X", "INSUFFICIENT_DATA", "retain", "ALARM", "OK"],
  ["X - - - -", "ALARM", "retain", "ALARM", "OK"],
];

function checkRow(
  datapointsToAlarm: number,
  [pattern, ...expected]: [string, Expected, Expected, Expected, Expected],
): void {
  treatments.forEach((treatMissingData, column) => {
    for (const currentState of states) {
      const result = evaluateAlarm(
        alarmInput({ pattern, datapointsToAlarm, treatMissingData, currentState }),
      );
      const want = expected[column];
      const context = `${pattern} ${treatMissingData} from ${currentState}`;
      if (want === "retain") {
        expect(result.state, context).toBe(currentState);
        expect(result.retained, context).toBe(true);
        expect(result.changed, context).toBe(false);
      } else {
        expect(result.state, context).toBe(want);
        expect(result.retained, context).toBe(false);
        expect(result.changed, context).toBe(want !== currentState);
      }
    }
  });
}

describe("AWS's missing-data table, 3 out of 3", () => {
  it.each(threeOfThree)("%s: MISSING %s, IGNORE %s, BREACHING %s, NOT BREACHING %s", (...row) => {
    checkRow(3, row);
  });
  it.each(threeOfThreeEarlier)("%s: MISSING %s, IGNORE %s, BREACHING %s, NOT BREACHING %s", (...row) => {
    checkRow(3, row);
  });

  it("goes to ALARM one evaluation later, once the lone non-breaching point leaves the range (row 2)", () => {
    const first = evaluationWindow(NOW, 60, 3);
    const datapoints = fromPattern("0 - - - -", first.rangeStarts);
    const base = { datapoints, treatMissingData: "breaching" as const };
    expect(evaluateAlarm(alarmInput({ ...base, rangeStarts: first.rangeStarts })).state).toBe("OK");
    const next = evaluationWindow(NOW + 60, 60, 3);
    expect(evaluateAlarm(alarmInput({ ...base, rangeStarts: next.rangeStarts })).state).toBe("ALARM");
  });

  it("does not alarm prematurely on - - - X - (the breach is not yet M periods old)", () => {
    const result = evaluateAlarm(alarmInput({ pattern: "- - - X -" }));
    expect(result.state).toBe("INSUFFICIENT_DATA");
    expect(result.reason).toBe("Insufficient Data: 2 datapoints were unknown.");
  });
});

describe("AWS's missing-data table, 2 out of 3", () => {
  it.each(twoOfThree)("%s: MISSING %s, IGNORE %s, BREACHING %s, NOT BREACHING %s", (...row) => {
    checkRow(2, row);
  });

  it("ignores the two oldest points when the three most recent are all present (row 2)", () => {
    const result = evaluateAlarm(alarmInput({ pattern: "0 0 X 0 X", datapointsToAlarm: 2 }));
    const window = evaluationWindow(NOW, 60, 3);
    expect(result.evaluated.map((point) => point.timestamp)).toEqual(window.periodStarts);
    expect(result.breaching).toBe(2);
  });

  it("fills the two most recent missing periods when missing data breaches (row 4)", () => {
    const result = evaluateAlarm(
      alarmInput({ pattern: "- - - - 0", datapointsToAlarm: 2, treatMissingData: "breaching" }),
    );
    const window = evaluationWindow(NOW, 60, 3);
    expect(result.evaluated.map((point) => [point.timestamp, point.real, point.verdict])).toEqual([
      [window.rangeStarts[2], false, "breaching"],
      [window.rangeStarts[3], false, "breaching"],
      [window.rangeStarts[4], true, "notBreaching"],
    ]);
    expect(result.breaching).toBe(2);
  });
});

describe("the evaluation range", () => {
  it("evaluates the most recent real datapoints, reaching back past gaps, without consulting TreatMissingData", () => {
    for (const treatMissingData of treatments) {
      const result = evaluateAlarm(alarmInput({ pattern: "X X - X 0", treatMissingData }));
      expect(result.state).toBe("OK");
      const window = evaluationWindow(NOW, 60, 3);
      expect(result.evaluated.map((point) => point.timestamp)).toEqual([
        window.rangeStarts[1],
        window.rangeStarts[3],
        window.rangeStarts[4],
      ]);
      expect(result.evaluated.every((point) => point.real)).toBe(true);
    }
  });

  it("includes every real point of the range and fills missing periods as few times as possible", () => {
    const result = evaluateAlarm(
      alarmInput({ pattern: "X 0 - - -", datapointsToAlarm: 2, treatMissingData: "breaching" }),
    );
    const window = evaluationWindow(NOW, 60, 3);
    expect(result.evaluated.map((point) => [point.timestamp, point.verdict])).toEqual([
      [window.rangeStarts[0], "breaching"],
      [window.rangeStarts[1], "notBreaching"],
      [window.rangeStarts[4], "breaching"],
    ]);
    expect(result.state).toBe("ALARM");
  });

  it("alarms on M real breaching points even with fewer than N real points, whatever the treatment", () => {
    for (const treatMissingData of treatments) {
      const result = evaluateAlarm(
        alarmInput({ pattern: "- - - X X", datapointsToAlarm: 2, treatMissingData, currentState: "OK" }),
      );
      expect(result.state, treatMissingData).toBe("ALARM");
    }
  });

  it("ignores datapoints outside the range, keeps the later of two points for one period, and skips non-finite values", () => {
    const window = evaluationWindow(NOW, 60, 1);
    const newest = window.rangeStarts[2] ?? 0;
    const result = evaluateAlarm(
      alarmInput({
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        rangeStarts: window.rangeStarts,
        datapoints: [
          { timestamp: window.end, value: 1000 },
          { timestamp: newest, value: 1000 },
          { timestamp: newest, value: 5 },
          { timestamp: window.rangeStarts[1] ?? 0, value: Number.NaN },
        ],
      }),
    );
    expect(result.state).toBe("OK");
    expect(result.evaluated).toEqual([{ timestamp: newest, value: 5, real: true, verdict: "notBreaching" }]);
  });

  it("keeps re-evaluating the last datapoints for a while after the metric stops (the documented note)", () => {
    const datapoints = [{ timestamp: at("2026-11-23T10:00:00Z"), value: BREACHING_VALUE }];
    const base = { evaluationPeriods: 1, datapointsToAlarm: 1, datapoints };
    const stateAt = (now: number): AlarmState =>
      evaluateAlarm(alarmInput({ ...base, now, rangeStarts: evaluationWindow(now, 60, 1).rangeStarts }))
        .state;
    expect(stateAt(at("2026-11-23T10:01:05Z"))).toBe("ALARM");
    expect(stateAt(at("2026-11-23T10:03:05Z"))).toBe("ALARM");
    expect(stateAt(at("2026-11-23T10:04:05Z"))).toBe("INSUFFICIENT_DATA");
  });
});

describe("M out of N with complete data", () => {
  const values = (marks: string): string => marks.split("").join(" ");

  it.each([
    ["00XX0X0", 3, 5, "ALARM"],
    ["XXX0X00", 3, 5, "OK"],
    ["00000XX", 2, 5, "ALARM"],
    ["X000000", 1, 5, "OK"],
    ["0000X00", 1, 5, "ALARM"],
    ["00XXXXX", 5, 5, "ALARM"],
    ["XXXX0XX", 5, 5, "OK"],
  ] as const)("%s, %i out of %i: %s", (marks, m, n, want) => {
    const rangeStarts = evaluationWindow(NOW, 60, n).rangeStarts;
    const result = evaluateAlarm(
      alarmInput({
        evaluationPeriods: n,
        datapointsToAlarm: m,
        rangeStarts,
        datapoints: fromPattern(values(marks), rangeStarts),
      }),
    );
    expect(result.state).toBe(want);
    expect(result.evaluated).toHaveLength(n);
  });
});

describe("comparison operators at and around the threshold", () => {
  const cases: Array<[ComparisonOperator, number, boolean]> = [
    ["GreaterThanOrEqualToThreshold", 79.99, false],
    ["GreaterThanOrEqualToThreshold", 80, true],
    ["GreaterThanOrEqualToThreshold", 80.01, true],
    ["GreaterThanThreshold", 79.99, false],
    ["GreaterThanThreshold", 80, false],
    ["GreaterThanThreshold", 80.01, true],
    ["LessThanThreshold", 79.99, true],
    ["LessThanThreshold", 80, false],
    ["LessThanThreshold", 80.01, false],
    ["LessThanOrEqualToThreshold", 79.99, true],
    ["LessThanOrEqualToThreshold", 80, true],
    ["LessThanOrEqualToThreshold", 80.01, false],
  ];
  it.each(cases)("%s with %d against 80: breaching %s", (comparisonOperator, value, breaching) => {
    const rangeStarts = evaluationWindow(NOW, 60, 1).rangeStarts;
    const result = evaluateAlarm(
      alarmInput({
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        comparisonOperator,
        rangeStarts,
        datapoints: [{ timestamp: rangeStarts[2] ?? 0, value }],
      }),
    );
    expect(result.state).toBe(breaching ? "ALARM" : "OK");
    expect(result.breaching).toBe(breaching ? 1 : 0);
  });
});

describe("reasons, worded as CloudWatch words them", () => {
  const twoPoints: PeriodDatapoint[] = [
    { timestamp: at("2026-11-23T09:59:00Z"), value: 91, sampleCount: 3 },
    { timestamp: at("2026-11-23T10:00:00Z"), value: 85.3, sampleCount: 4 },
  ];
  const twoOfTwo = { evaluationPeriods: 2, datapointsToAlarm: 2, datapoints: twoPoints };

  it("lists the breaching datapoints newest first on an OK -> ALARM transition", () => {
    const result = evaluateAlarm(alarmInput(twoOfTwo));
    expect(result.state).toBe("ALARM");
    expect(result.reason).toBe(
      "Threshold Crossed: 2 out of the last 2 datapoints [85.3 (23/11/26 10:00:00), 91.0 (23/11/26 09:59:00)] were greater than the threshold (80.0) (minimum 2 datapoints for OK -> ALARM transition).",
    );
  });

  it("serializes the state reason data in CloudWatch's shape", () => {
    const result = evaluateAlarm(alarmInput(twoOfTwo));
    expect(formatStateReasonData(result.reasonData)).toBe(
      '{"version":"1.0","queryDate":"2026-11-23T10:01:05.000+0000","startDate":"2026-11-23T09:59:00.000+0000","statistic":"Average","period":60,"recentDatapoints":[91.0,85.3],"threshold":80.0,"evaluatedDatapoints":[{"timestamp":"2026-11-23T10:00:00.000+0000","sampleCount":4.0,"value":85.3},{"timestamp":"2026-11-23T09:59:00.000+0000","sampleCount":3.0,"value":91.0}]}',
    );
    expect(JSON.parse(formatStateReasonData(result.reasonData))).toEqual(result.reasonData);
  });

  it("words an ALARM -> OK transition with the minimum of non-breaching points (N - M + 1)", () => {
    const result = evaluateAlarm(alarmInput({ ...twoOfTwo, threshold: 95, currentState: "ALARM" }));
    expect(result.state).toBe("OK");
    expect(result.reason).toBe(
      "Threshold Crossed: 2 out of the last 2 datapoints [85.3 (23/11/26 10:00:00), 91.0 (23/11/26 09:59:00)] were not greater than the threshold (95.0) (minimum 1 datapoint for ALARM -> OK transition).",
    );
  });

  it("leaves out the minimum clause when leaving INSUFFICIENT_DATA", () => {
    const result = evaluateAlarm(alarmInput({ ...twoOfTwo, currentState: "INSUFFICIENT_DATA" }));
    expect(result.reason).toBe(
      "Threshold Crossed: 2 out of the last 2 datapoints [85.3 (23/11/26 10:00:00), 91.0 (23/11/26 09:59:00)] were greater than the threshold (80.0).",
    );
  });

  it("words a single datapoint in the singular", () => {
    const rangeStarts = evaluationWindow(at("2021-12-18T08:08:12.5Z"), 21600, 1).rangeStarts;
    const result = evaluateAlarm(
      alarmInput({
        now: at("2021-12-18T08:08:12.5Z"),
        period: 21600,
        statistic: "Maximum",
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        threshold: 0.02,
        currentState: "ALARM",
        rangeStarts,
        datapoints: [{ timestamp: at("2021-12-18T02:08:00Z"), value: 0, sampleCount: 1 }],
      }),
    );
    expect(result.reason).toBe(
      "Threshold Crossed: 1 out of the last 1 datapoints [0.0 (18/12/21 02:08:00)] was not greater than the threshold (0.02) (minimum 1 datapoint for ALARM -> OK transition).",
    );
    // The StateReasonData of the same CloudWatch alarm (AWS/Billing EstimatedCharges), with evaluatedDatapoints.
    expect(formatStateReasonData(result.reasonData)).toBe(
      '{"version":"1.0","queryDate":"2021-12-18T08:08:12.500+0000","startDate":"2021-12-18T02:08:00.000+0000","statistic":"Maximum","period":21600,"recentDatapoints":[0.0],"threshold":0.02,"evaluatedDatapoints":[{"timestamp":"2021-12-18T02:08:00.000+0000","sampleCount":1.0,"value":0.0}]}',
    );
  });

  it("says no datapoints were received when every period is filled", () => {
    const one = evaluateAlarm(
      alarmInput({ evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: "breaching" }),
    );
    expect(one.state).toBe("ALARM");
    expect(one.reason).toBe(
      "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching].",
    );
    const two = evaluateAlarm(
      alarmInput({
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: "notBreaching",
        currentState: "ALARM",
      }),
    );
    expect(two.state).toBe("OK");
    expect(two.reason).toBe(
      "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [NonBreaching].",
    );
    expect(two.reasonData.startDate).toBeUndefined();
    expect(two.reasonData.recentDatapoints).toEqual([]);
  });

  it("describes the real points and the filled ones when data is partly missing", () => {
    const now = at("2026-08-26T16:17:30Z");
    const rangeStarts = evaluationWindow(now, 60, 3).rangeStarts;
    const result = evaluateAlarm(
      alarmInput({
        now,
        rangeStarts,
        comparisonOperator: "LessThanThreshold",
        threshold: 1,
        treatMissingData: "breaching",
        currentState: "ALARM",
        datapoints: [{ timestamp: at("2026-08-26T16:16:00Z"), value: 1 }],
      }),
    );
    expect(result.state).toBe("OK");
    expect(result.reason).toBe(
      "Threshold Crossed: 1 datapoint [1.0 (26/08/26 16:16:00)] was not less than the threshold (1.0) and 2 missing datapoints were treated as [Breaching].",
    );
  });

  it("reports unknown datapoints for INSUFFICIENT_DATA, with their timestamps only", () => {
    const result = evaluateAlarm(alarmInput({ evaluationPeriods: 3, currentState: "OK" }));
    expect(result.state).toBe("INSUFFICIENT_DATA");
    expect(result.reason).toBe("Insufficient Data: 3 datapoints were unknown.");
    const window = evaluationWindow(NOW, 60, 3);
    expect(formatStateReasonData(result.reasonData)).toBe(
      `{"version":"1.0","queryDate":"2026-11-23T10:01:05.000+0000","statistic":"Average","period":60,"recentDatapoints":[],"threshold":80.0,"evaluatedDatapoints":[${[
        ...window.periodStarts,
      ]
        .reverse()
        .map((t) => `{"timestamp":"${new Date(t * 1000).toISOString().replace("Z", "+0000")}"}`)
        .join(",")}]}`,
    );
  });

  it("words a premature alarm with the count out of N", () => {
    const result = evaluateAlarm(alarmInput({ pattern: "- - X - -" }));
    expect(result.reason).toMatch(
      /^Threshold Crossed: 1 out of the last 3 datapoints \[90\.0 \(23\/11\/26 09:58:00\)\] was greater than the threshold \(80\.0\) \(minimum 3 datapoints for OK -> ALARM transition\)\.$/,
    );
  });

  it("writes numbers as Java doubles and keeps the unit", () => {
    const result = evaluateAlarm(
      alarmInput({
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        threshold: 1e7,
        unit: "Bytes",
        currentState: "INSUFFICIENT_DATA",
        datapoints: [{ timestamp: at("2026-11-23T10:00:00Z"), value: 12_500_000 }],
      }),
    );
    expect(result.reason).toBe(
      "Threshold Crossed: 1 out of the last 1 datapoints [1.25E7 (23/11/26 10:00:00)] was greater than the threshold (1.0E7).",
    );
    expect(formatStateReasonData(result.reasonData)).toContain(
      '"unit":"Bytes","statistic":"Average","period":60,"recentDatapoints":[1.25E7],"threshold":1.0E7',
    );
  });
});

describe("evaluationWindow", () => {
  it("ends at the minute and spans two periods beyond N, as CloudWatch's 6-hour example shows", () => {
    const window = evaluationWindow(at("2021-12-18T08:08:12.5Z"), 21600, 1);
    expect(window.end).toBe(at("2021-12-18T08:08:00Z"));
    expect(window.periodStarts).toEqual([at("2021-12-18T02:08:00Z")]);
    expect(window.rangeStarts).toEqual([
      at("2021-12-17T14:08:00Z"),
      at("2021-12-17T20:08:00Z"),
      at("2021-12-18T02:08:00Z"),
    ]);
    expect(window.start).toBe(at("2021-12-17T14:08:00Z"));
  });

  it("uses the five-period range of AWS's examples for 3 evaluation periods", () => {
    expect(evaluationRangeSize(3)).toBe(5);
    const window = evaluationWindow(at("2026-11-23T10:01:05Z"), 60, 3);
    expect(window.rangeStarts).toHaveLength(5);
    expect(window.periodStarts).toEqual([
      at("2026-11-23T09:58:00Z"),
      at("2026-11-23T09:59:00Z"),
      at("2026-11-23T10:00:00Z"),
    ]);
    expect(window.rangeStarts.slice(2)).toEqual(window.periodStarts);
    expect(window.end).toBe(at("2026-11-23T10:01:00Z"));
    expect(window.start).toBe(at("2026-11-23T09:56:00Z"));
  });

  it("treats a time exactly on the minute as the end of the newest complete period", () => {
    const window = evaluationWindow(at("2026-11-23T10:01:00Z"), 300, 2);
    expect(window.periodStarts).toEqual([at("2026-11-23T09:51:00Z"), at("2026-11-23T09:56:00Z")]);
  });

  it("aligns high-resolution periods to the period", () => {
    const window = evaluationWindow(at("2026-11-23T10:00:27Z"), 10, 2);
    expect(window.end).toBe(at("2026-11-23T10:00:20Z"));
    expect(window.periodStarts).toEqual([at("2026-11-23T10:00:00Z"), at("2026-11-23T10:00:10Z")]);
  });

  it("takes an explicit range size", () => {
    const window = evaluationWindow(at("2026-11-23T10:01:05Z"), 60, 2, 2);
    expect(window.rangeStarts).toEqual(window.periodStarts);
    expect(window.start).toBe(at("2026-11-23T09:59:00Z"));
  });

  it("refuses nonsense", () => {
    expect(() => evaluationWindow(NOW, 0, 1)).toThrow(RangeError);
    expect(() => evaluationWindow(NOW, 60, 0)).toThrow(RangeError);
    expect(() => evaluationWindow(NOW, 60, 3, 2)).toThrow(RangeError);
  });
});

describe("evaluateAlarm's preconditions", () => {
  it("refuses M greater than N, a range shorter than N, and an unordered range", () => {
    expect(() => evaluateAlarm(alarmInput({ datapointsToAlarm: 4 }))).toThrow(RangeError);
    expect(() => evaluateAlarm(alarmInput({ rangeStarts: [0, 60] }))).toThrow(RangeError);
    expect(() => evaluateAlarm(alarmInput({ rangeStarts: [0, 120, 60] }))).toThrow(RangeError);
  });
});
