import { check } from "./errors.ts";

/*
 * Lifecycle hooks (EC2 Auto Scaling user guide, "Amazon EC2 Auto Scaling lifecycle hooks"): the pure
 * decisions. A hook holds a launching instance in Pending:Wait or a terminating one in Terminating:Wait
 * until every action on it is completed, or its heartbeat timeout (extended by heartbeats, never past
 * the global timeout) applies the hook's DefaultResult.
 */

export const launchingTransition = "autoscaling:EC2_INSTANCE_LAUNCHING";
export const terminatingTransition = "autoscaling:EC2_INSTANCE_TERMINATING";
export const lifecycleTransitions = [launchingTransition, terminatingTransition] as const;
export type LifecycleTransition = (typeof lifecycleTransitions)[number];

export const lifecycleResults = ["CONTINUE", "ABANDON"] as const;
export type LifecycleResult = (typeof lifecycleResults)[number];

/** AWS's quota of lifecycle hooks per group. */
export const maxLifecycleHooksPerGroup = 50;
export const defaultHeartbeatTimeoutSeconds = 3600;
export const maxHeartbeatTimeoutSeconds = 7200;
/** The global timeout: 100 × the heartbeat timeout, at most 48 hours. */
export const maxGlobalTimeoutSeconds = 172_800;

/** AWS's floor is 30 s; fast mode lowers it to 1 s like every other time floor. */
export const minHeartbeatTimeoutSeconds = (fast: boolean): number => (fast ? 1 : 30);

export function isLifecycleTransition(value: string): value is LifecycleTransition {
  return (lifecycleTransitions as readonly string[]).includes(value);
}

export function isLifecycleResult(value: string): value is LifecycleResult {
  return (lifecycleResults as readonly string[]).includes(value);
}

/** LifecycleHookName: 1-255 characters of [A-Za-z0-9-_/] (botocore's AsciiStringMaxLen255 pattern). */
export function checkLifecycleHookName(name: string): void {
  check(
    name.length >= 1 && name.length <= 255,
    "1 validation error detected: Value at 'lifecycleHookName' failed to satisfy constraint: Member must have length between 1 and 255",
  );
  check(
    /^[A-Za-z0-9\-_/]+$/.test(name),
    `1 validation error detected: Value '${name}' at 'lifecycleHookName' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9\\-_\\/]+`,
  );
}

export function checkLifecycleTransition(value: string): LifecycleTransition {
  check(isLifecycleTransition(value), `Invalid Lifecycle Transition: ${value}`);
  return value;
}

export function checkDefaultResult(value: string): LifecycleResult {
  check(
    isLifecycleResult(value),
    `Invalid value for DefaultResult: ${value}. Valid values are CONTINUE and ABANDON`,
  );
  return value;
}

/** CompleteLifecycleAction's LifecycleActionResult: the same two values. */
export function checkActionResult(value: string): LifecycleResult {
  check(
    isLifecycleResult(value),
    `Invalid value for LifecycleActionResult: ${value}. Valid values are CONTINUE and ABANDON`,
  );
  return value;
}

export function checkHeartbeatTimeout(seconds: number, fast: boolean): void {
  const min = minHeartbeatTimeoutSeconds(fast);
  check(
    Number.isInteger(seconds) && seconds >= min && seconds <= maxHeartbeatTimeoutSeconds,
    `Heartbeat timeout must be between ${min} and ${maxHeartbeatTimeoutSeconds} seconds, got ${seconds}`,
  );
}

export function checkNotificationMetadata(metadata: string): void {
  check(
    metadata.length >= 1 && metadata.length <= 1023,
    "1 validation error detected: Value at 'notificationMetadata' failed to satisfy constraint: Member must have length between 1 and 1023",
  );
}

/** The global timeout of a hook, in seconds: min(100 × HeartbeatTimeout, 48 h). */
export function globalTimeoutSeconds(heartbeatTimeout: number): number {
  return Math.min(100 * heartbeatTimeout, maxGlobalTimeoutSeconds);
}

/** The deadlines of an action that starts at `startedAt` (Unix ms) for a hook. */
export function actionDeadlines(
  startedAt: number,
  hook: { heartbeatTimeout: number; globalTimeout: number },
): { heartbeatDeadline: number; globalDeadline: number } {
  const globalDeadline = startedAt + hook.globalTimeout * 1000;
  return {
    heartbeatDeadline: Math.min(startedAt + hook.heartbeatTimeout * 1000, globalDeadline),
    globalDeadline,
  };
}

/** A heartbeat at `now` restarts the heartbeat timeout, never past the global deadline. */
export function heartbeatDeadlineAfter(
  now: number,
  heartbeatTimeout: number,
  globalDeadline: number,
): number {
  return Math.min(now + heartbeatTimeout * 1000, globalDeadline);
}

/** One action on one hook as the worker reads it. */
export interface ActionState {
  /** CONTINUE or ABANDON once completed, else null. */
  result: string | null;
  heartbeatDeadline: number;
  globalDeadline: number;
  /** The hook's DefaultResult (ABANDON when the hook is gone: nothing will complete it). */
  defaultResult: string;
}

/** Why an action ended: completed by a user, or its timeout applied the default result. */
export type ActionEnd =
  | { result: LifecycleResult; reason: "completed" }
  | { result: LifecycleResult; reason: "timeout" };

/** How an action stands at `now`: ended (and how), or still waiting. */
export function actionOutcome(action: ActionState, now: number): ActionEnd | undefined {
  if (action.result !== null) {
    return { result: action.result === "CONTINUE" ? "CONTINUE" : "ABANDON", reason: "completed" };
  }
  if (now >= action.heartbeatDeadline || now >= action.globalDeadline) {
    return { result: action.defaultResult === "CONTINUE" ? "CONTINUE" : "ABANDON", reason: "timeout" };
  }
  return undefined;
}

/**
 * What an instance waiting on several hooks does at `now`: one ABANDON ends the wait at once (AWS stops
 * the other actions); otherwise it proceeds when every action has ended with CONTINUE, and waits while
 * one is open. (The worker looks again at every pass while the instance waits in a transit state.)
 */
export function waitDecision(
  actions: readonly ActionState[],
  now: number,
): { decision: "abandon"; end: ActionEnd; index: number } | { decision: "continue" } | { decision: "wait" } {
  let open = false;
  for (const [index, action] of actions.entries()) {
    const end = actionOutcome(action, now);
    if (end?.result === "ABANDON") return { decision: "abandon", end, index };
    if (end === undefined) open = true;
  }
  return open ? { decision: "wait" } : { decision: "continue" };
}

/** The status message of a launch activity whose lifecycle action was abandoned (AWS's wording). */
export function abandonedLaunchMessage(token: string, end: ActionEnd): string {
  const why =
    end.reason === "timeout" ? "Heartbeat Timeout" : "Lifecycle Action Completed with ABANDON Result";
  return `Instance failed to complete user's Lifecycle Action: Lifecycle Action with token ${token} was abandoned: ${why}`;
}
