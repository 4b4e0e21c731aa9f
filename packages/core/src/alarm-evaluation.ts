import { breaches } from "./alarms.ts";
import type { AlarmState, ComparisonOperator, Statistic, TreatMissingData } from "./types.ts";

/*
 * CloudWatch's metric-alarm evaluation, as documented in "Configuring how CloudWatch alarms treat missing
 * data" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html).
 * Both of its example tables are pinned row by row in alarm-evaluation.test.ts; where the prose and the
 * tables disagree (awsdocs/amazon-cloudwatch-user-guide#129), the tables win.
 */

/** One period's aggregate of the alarm's statistic, as the metric store returns it. */
export interface PeriodDatapoint {
  /** Start of the period, Unix seconds: one of the evaluation range's period starts. */
  timestamp: number;
  /** The alarm's statistic over the period. */
  value: number;
  /** How many samples the period holds; reported in the state reason data. */
  sampleCount?: number;
}

/** The periods one evaluation looks at, from {@link evaluationWindow}. */
export interface EvaluationWindow {
  /** Start of the oldest period in the evaluation range, Unix seconds: where the metric query begins. */
  start: number;
  /** End of the newest complete period (exclusive), Unix seconds: where the metric query ends. */
  end: number;
  /** Starts of the `EvaluationPeriods` most recent periods, oldest first. */
  periodStarts: number[];
  /** Starts of every period of the wider evaluation range, oldest first; it ends with `periodStarts`. */
  rangeStarts: number[];
}

/** What an evaluated period counted as: a real datapoint's comparison, or the missing-data treatment. */
export type DatapointVerdict = "breaching" | "notBreaching" | "missing";

/** One of the `EvaluationPeriods` datapoints an evaluation settled on. */
export interface EvaluatedDatapoint {
  /** Period start, Unix seconds. */
  timestamp: number;
  /** The statistic, absent for a missing period. */
  value?: number;
  sampleCount?: number;
  /** False for a missing period that the evaluation filled in (or left unknown). */
  real: boolean;
  verdict: DatapointVerdict;
}

/** CloudWatch's `StateReasonData` document, before serialization by {@link formatStateReasonData}. */
export interface StateReasonData {
  version: "1.0";
  /** When the evaluation ran, e.g. `2021-12-18T08:08:12.500+0000`. */
  queryDate: string;
  /** Start of the oldest evaluated period; absent when no real datapoint was evaluated. */
  startDate?: string;
  unit?: string;
  statistic: Statistic;
  period: number;
  /** Values of the real evaluated datapoints, oldest first. */
  recentDatapoints: number[];
  threshold: number;
  /** The evaluated periods, newest first; a missing period carries only its timestamp. */
  evaluatedDatapoints: Array<{ timestamp: string; sampleCount?: number; value?: number }>;
}

/** One alarm, one evaluation: its settings, its current state and the datapoints of its range. */
export interface EvaluationInput {
  /** Evaluation time, Unix seconds (fractions kept): the reason data's `queryDate`. */
  now: number;
  /** Period starts of the evaluation range, oldest first: {@link EvaluationWindow.rangeStarts}. */
  rangeStarts: readonly number[];
  /**
   * The statistic per period, keyed by period start. Periods without data are absent; points outside
   * `rangeStarts` are ignored, and of two points for one period the later in the list wins.
   */
  datapoints: readonly PeriodDatapoint[];
  period: number;
  statistic: Statistic;
  unit?: string;
  /** N of "M out of N". */
  evaluationPeriods: number;
  /** M of "M out of N". */
  datapointsToAlarm: number;
  threshold: number;
  comparisonOperator: ComparisonOperator;
  treatMissingData: TreatMissingData;
  currentState: AlarmState;
}

/** The state an evaluation arrives at, with CloudWatch's explanation of it. */
export interface EvaluationResult {
  /** The alarm's state after this evaluation; `currentState` itself when `retained`. */
  state: AlarmState;
  /** Whether `state` differs from `currentState`: a transition, with history and actions. */
  changed: boolean;
  /**
   * True when TreatMissingData `ignore` kept the current state for want of data. CloudWatch then leaves
   * the alarm untouched, so the stored reason stays and `reason` here is informational only.
   */
  retained: boolean;
  /** `StateReason`, worded as CloudWatch words it. */
  reason: string;
  /** `StateReasonData`; serialize with {@link formatStateReasonData}. */
  reasonData: StateReasonData;
  /** The `EvaluationPeriods` datapoints the decision rests on, oldest first. */
  evaluated: EvaluatedDatapoint[];
  /** How many of `evaluated` count as breaching, filled-in periods included. */
  breaching: number;
}

/**
 * How many periods the evaluation range spans for `evaluationPeriods` N. AWS does not publish the rule
 * (awsdocs/amazon-cloudwatch-user-guide#102); its worked examples retrieve 5 datapoints for N = 3, so
 * scaleout looks back two periods beyond N.
 */
export function evaluationRangeSize(evaluationPeriods: number): number {
  return evaluationPeriods + 2;
}

function checkWhole(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer of at least ${min}, got ${value}`);
  }
}

/**
 * The periods an evaluation at `now` reads: the newest complete period ends at `now` rounded down to the
 * minute (to the period, for periods under a minute), as CloudWatch's reason data shows: a query at
 * 08:08:12 with a 6-hour period evaluated the period starting 02:08:00. The range reaches
 * `rangeSize` periods back, `evaluationPeriods` of which are the evaluation periods proper.
 */
export function evaluationWindow(
  now: number,
  period: number,
  evaluationPeriods: number,
  rangeSize: number = evaluationRangeSize(evaluationPeriods),
): EvaluationWindow {
  checkWhole("period", period, 1);
  checkWhole("evaluationPeriods", evaluationPeriods, 1);
  checkWhole("rangeSize", rangeSize, evaluationPeriods);
  const alignment = Math.min(period, 60);
  const end = Math.floor(now / alignment) * alignment;
  const rangeStarts = Array.from({ length: rangeSize }, (_, i) => end - (rangeSize - i) * period);
  return {
    start: end - rangeSize * period,
    end,
    periodStarts: rangeStarts.slice(rangeSize - evaluationPeriods),
    rangeStarts,
  };
}

interface Slot {
  timestamp: number;
  /** 1 for the newest period of the range, 2 for the one before, and so on. */
  age: number;
  point?: PeriodDatapoint;
  breach: boolean;
}

type Decision =
  | { kind: "threshold"; state: "OK" | "ALARM" }
  | { kind: "noData"; state: "OK" | "ALARM" }
  | { kind: "partial"; state: "OK" | "ALARM"; fill: number }
  | { kind: "insufficient"; unknown: number }
  | { kind: "retain"; unknown: number };

/**
 * Evaluates one alarm once. The rules, from "How alarm state is evaluated when data is missing":
 * - with at least N real datapoints in the evaluation range, the N most recent real ones decide and
 *   TreatMissingData is not consulted;
 * - with fewer, every real datapoint of the range counts and only the missing periods needed to make up
 *   N are filled in ("as few times as possible"), the most recent first;
 * - ALARM when at least M of the N breach, OK otherwise;
 * - `missing` and `ignore` fill nothing: a real non-breaching point makes OK, M real breaching points
 *   make ALARM, and under `missing` the "premature alarm state" rule makes ALARM when every real point
 *   breaches and the oldest is at least M periods old; anything else leaves `missing` at
 *   INSUFFICIENT_DATA and `ignore` at the current state.
 */
export function evaluateAlarm(input: EvaluationInput): EvaluationResult {
  const { evaluationPeriods: n, datapointsToAlarm: m, rangeStarts, treatMissingData } = input;
  checkWhole("evaluationPeriods", n, 1);
  checkWhole("datapointsToAlarm", m, 1);
  if (m > n) throw new RangeError(`datapointsToAlarm (${m}) exceeds evaluationPeriods (${n})`);
  if (rangeStarts.length < n) {
    throw new RangeError(`The evaluation range has ${rangeStarts.length} periods, fewer than ${n}`);
  }
  for (let i = 1; i < rangeStarts.length; i++) {
    const previous = rangeStarts[i - 1];
    const current = rangeStarts[i];
    if (previous === undefined || current === undefined || current <= previous) {
      throw new RangeError("rangeStarts must be strictly increasing");
    }
  }

  const byStart = new Map<number, PeriodDatapoint>();
  for (const point of input.datapoints) {
    // An Average over no samples is no datapoint at all, not a value to compare.
    if (Number.isFinite(point.value)) byStart.set(point.timestamp, point);
  }
  const slots: Slot[] = rangeStarts.map((timestamp, i) => {
    const point = byStart.get(timestamp);
    return {
      timestamp,
      age: rangeStarts.length - i,
      ...(point && { point }),
      breach: point !== undefined && breaches(input.comparisonOperator, point.value, input.threshold),
    };
  });
  const real = slots.filter((slot) => slot.point !== undefined);

  let chosen: Slot[];
  let fill: Slot[];
  if (real.length >= n) {
    chosen = real.slice(real.length - n);
    fill = [];
  } else {
    chosen = real;
    const missing = slots.filter((slot) => slot.point === undefined);
    fill = missing.slice(missing.length - (n - real.length));
  }
  const fillVerdict: DatapointVerdict =
    treatMissingData === "breaching"
      ? "breaching"
      : treatMissingData === "notBreaching"
        ? "notBreaching"
        : "missing";
  const evaluated: EvaluatedDatapoint[] = [...chosen, ...fill]
    .sort((a, b) => a.timestamp - b.timestamp)
    .map((slot) =>
      slot.point
        ? {
            timestamp: slot.timestamp,
            value: slot.point.value,
            ...(slot.point.sampleCount !== undefined && { sampleCount: slot.point.sampleCount }),
            real: true,
            verdict: slot.breach ? "breaching" : "notBreaching",
          }
        : { timestamp: slot.timestamp, real: false, verdict: fillVerdict },
    );
  const breaching = evaluated.filter((point) => point.verdict === "breaching").length;
  const realBreaching = chosen.filter((slot) => slot.breach).length;
  const verdictOf = (count: number): "OK" | "ALARM" => (count >= m ? "ALARM" : "OK");

  let decision: Decision;
  if (fill.length === 0) {
    decision = { kind: "threshold", state: verdictOf(breaching) };
  } else if (treatMissingData === "breaching" || treatMissingData === "notBreaching") {
    decision =
      chosen.length === 0
        ? { kind: "noData", state: verdictOf(breaching) }
        : { kind: "partial", state: verdictOf(breaching), fill: fill.length };
  } else {
    const unknown = fill.length;
    const oldest = chosen[0];
    const noData: Decision =
      treatMissingData === "ignore" ? { kind: "retain", unknown } : { kind: "insufficient", unknown };
    if (oldest === undefined) decision = noData;
    // Whatever the unknown periods hold, M real breaching points already make ALARM.
    else if (realBreaching >= m) decision = { kind: "threshold", state: "ALARM" };
    // The tables, not the prose: a non-breaching point anywhere in the range ("0 - X - -", 2 of 3) keeps
    // the alarm OK, even where the prose's premature rule would alarm.
    else if (realBreaching < chosen.length) decision = { kind: "threshold", state: "OK" };
    // "Premature alarm state": only breaching points, the oldest of them at least M periods old.
    else if (oldest.age >= m)
      decision =
        treatMissingData === "ignore" ? { kind: "retain", unknown } : { kind: "threshold", state: "ALARM" };
    else decision = noData;
  }

  const state = decision.kind === "retain" ? input.currentState : decisionState(decision);
  return {
    state,
    changed: state !== input.currentState,
    retained: decision.kind === "retain",
    reason: describe(decision, input, chosen),
    reasonData: reasonData(input, evaluated),
    evaluated,
    breaching,
  };
}

function decisionState(decision: Exclude<Decision, { kind: "retain" }>): AlarmState {
  return decision.kind === "insufficient" ? "INSUFFICIENT_DATA" : decision.state;
}

// ---- Wording ----------------------------------------------------------------------------------------

const operatorWords: Record<ComparisonOperator, string> = {
  GreaterThanOrEqualToThreshold: "greater than or equal to",
  GreaterThanThreshold: "greater than",
  LessThanThreshold: "less than",
  LessThanOrEqualToThreshold: "less than or equal to",
};

const datapoints = (count: number): string => (count === 1 ? "datapoint" : "datapoints");
const was = (count: number): string => (count === 1 ? "was" : "were");

/** Reason lists put the newest datapoint first: "[91.0 (23/11/26 10:00:00), 85.3 (23/11/26 09:59:00)]". */
function listPoints(slots: readonly Slot[]): string {
  const items = [...slots]
    .sort((a, b) => b.timestamp - a.timestamp)
    .map((slot) => `${javaDouble(slot.point?.value ?? Number.NaN)} (${reasonDate(slot.timestamp)})`);
  return `[${items.join(", ")}]`;
}

function describe(decision: Decision, input: EvaluationInput, chosen: readonly Slot[]): string {
  const { evaluationPeriods: n, datapointsToAlarm: m } = input;
  const words = operatorWords[input.comparisonOperator];
  const threshold = javaDouble(input.threshold);
  const treatedAs = input.treatMissingData === "breaching" ? "[Breaching]" : "[NonBreaching]";
  switch (decision.kind) {
    case "threshold": {
      const alarm = decision.state === "ALARM";
      const listed = chosen.filter((slot) => slot.breach === alarm);
      const count = listed.length;
      // The "minimum" clause only appears on transitions between OK and ALARM, not out of INSUFFICIENT_DATA.
      const minimum = alarm
        ? input.currentState === "OK"
          ? ` (minimum ${m} ${datapoints(m)} for OK -> ALARM transition)`
          : ""
        : input.currentState === "ALARM"
          ? ` (minimum ${n - m + 1} ${datapoints(n - m + 1)} for ALARM -> OK transition)`
          : "";
      return `Threshold Crossed: ${count} out of the last ${n} datapoints ${listPoints(listed)} ${was(count)} ${alarm ? "" : "not "}${words} the threshold (${threshold})${minimum}.`;
    }
    case "noData":
      return `Threshold Crossed: no datapoints were received for ${n} ${n === 1 ? "period" : "periods"} and ${n} missing ${datapoints(n)} ${was(n)} treated as ${treatedAs}.`;
    case "partial": {
      // CloudWatch describes the real points by their own comparison: "1 datapoint [1.0 (26/08/26
      // 16:16:00)] was not less than the threshold (1.0) and 2 missing datapoints were treated as
      // [Breaching]". Mixed real points are worded as "j out of k" (an approximation).
      const breachingReal = chosen.filter((slot) => slot.breach);
      const uniform = breachingReal.length === 0 || breachingReal.length === chosen.length;
      const showBreaching = uniform ? breachingReal.length > 0 : decision.state === "ALARM";
      const listed = chosen.filter((slot) => slot.breach === showBreaching);
      const subject = uniform
        ? `${listed.length} ${datapoints(listed.length)}`
        : `${listed.length} out of ${chosen.length} datapoints`;
      return `Threshold Crossed: ${subject} ${listPoints(listed)} ${was(listed.length)} ${showBreaching ? "" : "not "}${words} the threshold (${threshold}) and ${decision.fill} missing ${datapoints(decision.fill)} ${was(decision.fill)} treated as ${treatedAs}.`;
    }
    case "insufficient":
    case "retain":
      return `Insufficient Data: ${decision.unknown} ${datapoints(decision.unknown)} ${was(decision.unknown)} unknown.`;
  }
}

function reasonData(input: EvaluationInput, evaluated: readonly EvaluatedDatapoint[]): StateReasonData {
  const realPoints = evaluated.filter((point) => point.real);
  const oldest = evaluated[0];
  return {
    version: "1.0",
    queryDate: isoDate(input.now),
    ...(realPoints.length > 0 && oldest && { startDate: isoDate(oldest.timestamp) }),
    ...(input.unit !== undefined && { unit: input.unit }),
    statistic: input.statistic,
    period: input.period,
    recentDatapoints: realPoints.map((point) => point.value ?? Number.NaN),
    threshold: input.threshold,
    evaluatedDatapoints: [...evaluated].reverse().map((point) => ({
      timestamp: isoDate(point.timestamp),
      ...(point.sampleCount !== undefined && { sampleCount: point.sampleCount }),
      ...(point.value !== undefined && { value: point.value }),
    })),
  };
}

/**
 * `StateReasonData` as CloudWatch serializes it: compact JSON in CloudWatch's key order, doubles in
 * Java's notation (`80.0`, not `80`).
 */
export function formatStateReasonData(data: StateReasonData): string {
  const fields: string[] = [
    `"version":${JSON.stringify(data.version)}`,
    `"queryDate":${JSON.stringify(data.queryDate)}`,
  ];
  if (data.startDate !== undefined) fields.push(`"startDate":${JSON.stringify(data.startDate)}`);
  if (data.unit !== undefined) fields.push(`"unit":${JSON.stringify(data.unit)}`);
  fields.push(
    `"statistic":${JSON.stringify(data.statistic)}`,
    `"period":${data.period}`,
    `"recentDatapoints":[${data.recentDatapoints.map(javaDouble).join(",")}]`,
    `"threshold":${javaDouble(data.threshold)}`,
  );
  const evaluated = data.evaluatedDatapoints.map((point) => {
    const parts = [`"timestamp":${JSON.stringify(point.timestamp)}`];
    if (point.sampleCount !== undefined) parts.push(`"sampleCount":${javaDouble(point.sampleCount)}`);
    if (point.value !== undefined) parts.push(`"value":${javaDouble(point.value)}`);
    return `{${parts.join(",")}}`;
  });
  fields.push(`"evaluatedDatapoints":[${evaluated.join(",")}]`);
  return `{${fields.join(",")}}`;
}

// ---- Formats ----------------------------------------------------------------------------------------

/** Java's Double.toString, which CloudWatch's texts use: `80.0`, `0.02`, `1.0E7`. */
function javaDouble(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const text = String(value);
    return text.includes(".") ? text : `${text}.0`;
  }
  const [mantissa = "", exponent = ""] = value.toExponential().split("e");
  return `${mantissa.includes(".") ? mantissa : `${mantissa}.0`}E${exponent.replace("+", "")}`;
}

const pad = (n: number): string => String(n).padStart(2, "0");

/** `dd/MM/yy HH:mm:ss` in UTC, as in "[85.3 (23/11/26 10:00:00)]". */
function reasonDate(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** `2021-12-18T02:08:00.000+0000`: ISO 8601 with CloudWatch's offset notation. */
function isoDate(seconds: number): string {
  return new Date(Math.round(seconds * 1000)).toISOString().replace("Z", "+0000");
}
