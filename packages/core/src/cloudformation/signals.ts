import { Errors } from "../errors.ts";
import { isObject, own, type TemplateValue } from "./value.ts";

/*
 * CreationPolicy's resource signals: a resource that declares `CreationPolicy.ResourceSignal` stays
 * CREATE_IN_PROGRESS until `Count` SUCCESS signals arrive (SignalResource, as cfn-signal sends it), and
 * fails on a FAILURE signal or when `Timeout` passes. For an Auto Scaling group,
 * `AutoScalingCreationPolicy.MinSuccessfulInstancesPercent` lowers how many of the Count must succeed.
 * Pure: the executor feeds it the signals received and the time elapsed.
 */

export interface SignalPolicy {
  count: number;
  timeoutSeconds: number;
  /** How many of `count` must signal SUCCESS (MinSuccessfulInstancesPercent of it, rounded up). */
  required: number;
  /** Whether MinSuccessfulInstancesPercent was given (an Auto Scaling group's policy). */
  minSuccessfulPercent?: number;
}

export type SignalStatus = "SUCCESS" | "FAILURE";
export interface ReceivedSignal {
  uniqueId: string;
  status: SignalStatus;
}

export type SignalVerdict =
  | { state: "waiting" }
  | { state: "complete" }
  | { state: "failed"; reason: string };

/** CloudFormation's longest Timeout: 12 hours. */
export const maxSignalTimeoutSeconds = 12 * 3600;
/** CloudFormation's default Timeout (PT5M) and Count (1). */
const defaultTimeoutSeconds = 300;

const invalid = (message: string) => new Errors.ValidationError(`Invalid CreationPolicy: ${message}`);

/** An ISO 8601 duration as CreationPolicy's Timeout writes it (PT30M, PT1H30M, PT45S, P0DT5M); else undefined. */
export function isoDurationSeconds(text: string): number | undefined {
  const match = /^P(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,8})S)?)?$/.exec(text);
  if (match === null || text === "P" || text.endsWith("T")) return undefined;
  const [days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0));
  return (days ?? 0) * 86_400 + (hours ?? 0) * 3600 + (minutes ?? 0) * 60 + (seconds ?? 0);
}

function numberOf(value: TemplateValue | undefined, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number = typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN;
  if (!Number.isFinite(number) || (typeof value === "string" && value.trim() === ""))
    throw invalid(`${name} must be a number`);
  return number;
}

/**
 * The signals a resource waits for, from its resolved CreationPolicy; undefined when it declares no
 * ResourceSignal (it completes as soon as it is created).
 */
export function signalPolicyOf(creationPolicy: TemplateValue | undefined): SignalPolicy | undefined {
  if (creationPolicy === undefined || creationPolicy === null) return undefined;
  if (!isObject(creationPolicy)) throw invalid("CreationPolicy must be an object");
  const signal = own(creationPolicy, "ResourceSignal");
  if (signal === undefined) return undefined;
  if (!isObject(signal)) throw invalid("ResourceSignal must be an object");
  const count = numberOf(own(signal, "Count"), "Count") ?? 1;
  if (!Number.isInteger(count) || count < 0) throw invalid("Count must be a whole number of 0 or more");
  const timeout = own(signal, "Timeout");
  let timeoutSeconds = defaultTimeoutSeconds;
  if (timeout !== undefined) {
    const parsed = typeof timeout === "string" ? isoDurationSeconds(timeout) : undefined;
    if (parsed === undefined) throw invalid(`Timeout ${JSON.stringify(timeout)} is not an ISO 8601 duration`);
    if (parsed > maxSignalTimeoutSeconds) throw invalid("Timeout must be at most PT12H");
    timeoutSeconds = parsed;
  }
  const autoScaling = own(creationPolicy, "AutoScalingCreationPolicy");
  const percent = isObject(autoScaling)
    ? numberOf(own(autoScaling, "MinSuccessfulInstancesPercent"), "MinSuccessfulInstancesPercent")
    : undefined;
  if (percent !== undefined && (percent < 0 || percent > 100))
    throw invalid("MinSuccessfulInstancesPercent must be between 0 and 100");
  // "Rounds to the nearest tenth of a percent": 5 instances at 50 % need 3.
  const required = Math.ceil((count * Math.round((percent ?? 100) * 10)) / 1000);
  return { count, timeoutSeconds, required, ...(percent !== undefined && { minSuccessfulPercent: percent }) };
}

/** The stack event a signal is recorded as (and the executor reads it back from). */
export const signalEventReason = (status: SignalStatus, uniqueId: string): string =>
  `Received ${status} signal with UniqueId ${uniqueId}`;

export function signalOfEventReason(reason: string | null): ReceivedSignal | undefined {
  const match = /^Received (SUCCESS|FAILURE) signal with UniqueId (.+)$/s.exec(reason ?? "");
  if (match === null || match[2] === undefined) return undefined;
  return { status: match[1] === "SUCCESS" ? "SUCCESS" : "FAILURE", uniqueId: match[2] };
}

/**
 * Where a resource stands after `signals` (in the order received) and `elapsedMs` since its creation
 * began. A UniqueId counts once, as its last signal says.
 */
export function signalVerdict(
  policy: SignalPolicy,
  signals: readonly ReceivedSignal[],
  elapsedMs: number,
): SignalVerdict {
  const last = new Map<string, SignalStatus>();
  for (const signal of signals) last.set(signal.uniqueId, signal.status);
  const statuses = [...last.values()];
  const successes = statuses.filter((status) => status === "SUCCESS").length;
  const failures = statuses.length - successes;
  if (successes >= policy.required) return { state: "complete" };
  if (policy.minSuccessfulPercent !== undefined) {
    if (failures > policy.count - policy.required)
      return {
        state: "failed",
        reason: `Received ${failures} FAILURE signal(s) out of ${policy.count}. Unable to satisfy ${policy.minSuccessfulPercent}% MinSuccessfulInstancesPercent requirement`,
      };
  } else {
    const failed = signals.find(
      (signal) => signal.status === "FAILURE" && last.get(signal.uniqueId) === "FAILURE",
    );
    if (failed !== undefined)
      return { state: "failed", reason: signalEventReason("FAILURE", failed.uniqueId) };
  }
  if (elapsedMs >= policy.timeoutSeconds * 1000)
    return {
      state: "failed",
      reason: `Failed to receive ${policy.required - successes} resource signal(s) within the specified duration`,
    };
  return { state: "waiting" };
}
