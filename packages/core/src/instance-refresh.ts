/*
 * Instance refresh (Strategy Rolling), the decisions: given a group's instances and the refresh's
 * preferences, which outdated instances to take out of service now and how many instances the group may
 * run above its desired capacity (MaxHealthyPercentage above 100: launch before terminating). The
 * reconciler acts on the plan; the capacity step launches the replacements, so the refresh and the
 * capacity logic never fight.
 *
 * The invariants (AWS's "Instance refresh" user guide, instance maintenance policy):
 * - ready instances (in service, healthy, warmed for InstanceWarmup) never drop below
 *   ceil(desired × MinHealthyPercentage / 100), except where the range leaves no room for one
 *   replacement (MinHealthy 100 with MaxHealthy 100, or a group of one): then one at a time, as AWS;
 * - instances in service or pending never exceed floor(desired × MaxHealthyPercentage / 100);
 * - a checkpoint stops the replacements at its percentage until CheckpointDelay has passed.
 */

export type ScaleInProtectedPolicy = "Refresh" | "Ignore" | "Wait";
export type StandbyPolicy = "Terminate" | "Ignore" | "Wait";

export interface RefreshPlanPreferences {
  minHealthyPercentage: number;
  maxHealthyPercentage: number;
  /** Seconds a replacement stays healthy before the refresh counts it and moves on. */
  instanceWarmup: number;
  /** Ascending, 1..100. */
  checkpointPercentages: number[];
  /** Seconds the refresh waits at each checkpoint. */
  checkpointDelay: number;
  scaleInProtectedInstances: ScaleInProtectedPolicy;
  standbyInstances: StandbyPolicy;
}

export interface RefreshInstance {
  instanceId: string;
  lifecycleState: string;
  /** To be replaced: launched before the refresh (and, with SkipMatching, from another configuration). */
  outdated: boolean;
  /** Launched by this refresh (or while it runs): a replacement. */
  replacement: boolean;
  /** Since when it has been in service and passing the group's health checks (ms); unset while not. */
  healthySince?: number;
  protectedFromScaleIn: boolean;
  launchedAt: number;
}

/** What the refresh remembers between passes (its `state`). */
export interface RefreshCursor {
  /** Instances to update when the refresh began. */
  total: number;
  /** The last checkpoint reached, and when. */
  checkpoint?: { percentage: number; reachedAt: number };
}

export interface RefreshPlanInput {
  desired: number;
  instances: RefreshInstance[];
  preferences: RefreshPlanPreferences;
  cursor: RefreshCursor;
  now: number;
}

export interface RefreshPlan {
  /** Outdated instances to take out of service now (they drain first). */
  terminate: string[];
  /** Instances the group may run above its desired capacity now, for replacements launched first. */
  surplus: number;
  percentageComplete: number;
  instancesToUpdate: number;
  /** A checkpoint reached by this pass. */
  checkpointReached?: number;
  /** Why the refresh does not move (a checkpoint's delay, an instance it waits for). */
  waiting?: string;
  /** Every instance is replaced and ready: the refresh has succeeded. */
  done: boolean;
}

const capacityStates: ReadonlySet<string> = new Set([
  "Pending",
  "Pending:Wait",
  "Pending:Proceed",
  "InService",
]);
const standbyStates: ReadonlySet<string> = new Set(["Standby", "EnteringStandby"]);

/** The healthy floor and the ceiling of instances, in instances, for a desired capacity. */
export function refreshBounds(
  desired: number,
  preferences: Pick<RefreshPlanPreferences, "minHealthyPercentage" | "maxHealthyPercentage">,
): { floor: number; ceiling: number } {
  const ceiling = Math.max(desired, Math.floor((desired * preferences.maxHealthyPercentage) / 100));
  const floor = Math.ceil((desired * preferences.minHealthyPercentage) / 100);
  // No room for even one replacement: AWS replaces one instance at a time.
  return { floor: desired > 0 && floor >= ceiling ? ceiling - 1 : floor, ceiling };
}

/**
 * Whether an instance counts toward the healthy percentage: in service and healthy, and a new instance
 * also warmed for InstanceWarmup (an outdated one is the capacity the group already had).
 */
export function isRefreshReady(instance: RefreshInstance, warmupSeconds: number, now: number): boolean {
  if (instance.lifecycleState !== "InService" || instance.healthySince === undefined) return false;
  return instance.outdated || now >= instance.healthySince + warmupSeconds * 1000;
}

/** Whether an outdated instance is replaced, waited for, or left alone, by the preferences. */
function disposition(
  instance: RefreshInstance,
  preferences: RefreshPlanPreferences,
): "replace" | "wait" | "ignore" | "terminate" {
  if (standbyStates.has(instance.lifecycleState)) {
    return preferences.standbyInstances === "Terminate"
      ? "terminate"
      : preferences.standbyInstances === "Wait"
        ? "wait"
        : "ignore";
  }
  if (instance.protectedFromScaleIn) {
    return preferences.scaleInProtectedInstances === "Refresh"
      ? "replace"
      : preferences.scaleInProtectedInstances === "Wait"
        ? "wait"
        : "ignore";
  }
  return "replace";
}

/** The instances an instance refresh would replace, given who is outdated (InstancesToUpdate at start). */
export function refreshTargets(
  instances: RefreshInstance[],
  preferences: RefreshPlanPreferences,
): RefreshInstance[] {
  return instances.filter(
    (i) =>
      i.outdated &&
      (capacityStates.has(i.lifecycleState) || standbyStates.has(i.lifecycleState)) &&
      disposition(i, preferences) !== "ignore",
  );
}

export function planRefresh(input: RefreshPlanInput): RefreshPlan {
  const { desired, preferences, cursor, now } = input;
  const { floor, ceiling } = refreshBounds(desired, preferences);
  const ready = (i: RefreshInstance) => isRefreshReady(i, preferences.instanceWarmup, now);
  const counted = input.instances.filter((i) => capacityStates.has(i.lifecycleState));
  const targets = refreshTargets(input.instances, preferences);
  const outdated = targets.filter((i) => capacityStates.has(i.lifecycleState));
  const standby = targets.filter((i) => standbyStates.has(i.lifecycleState));
  const blocked = targets.filter((i) => disposition(i, preferences) === "wait");

  // Progress: an instance counts as updated once it is replaced and its replacement is ready.
  const total = Math.max(cursor.total, 0);
  const started = Math.max(0, total - targets.length);
  const completed = Math.min(started, counted.filter((i) => i.replacement && ready(i)).length);
  const percentageComplete = total === 0 ? 100 : Math.min(100, Math.floor((completed * 100) / total));
  const progress = { percentageComplete, instancesToUpdate: total - completed };

  // Outdated instances the capacity step must not scale in while they wait: the surplus keeps them.
  const hold = (remaining: number, count: number) =>
    remaining > 0 ? Math.max(0, Math.min(ceiling - desired, count - desired)) : 0;

  // A checkpoint: wait out its delay before the next batch.
  const checkpoints = [...preferences.checkpointPercentages].sort((a, b) => a - b);
  const reached = cursor.checkpoint;
  if (reached && now < reached.reachedAt + preferences.checkpointDelay * 1000) {
    return {
      terminate: [],
      surplus: hold(outdated.length, counted.length),
      ...progress,
      waiting: `Waiting for the checkpoint delay of ${preferences.checkpointDelay} seconds at ${reached.percentage}%`,
      done: false,
    };
  }
  const next = checkpoints.find((p) => p > (reached?.percentage ?? 0));
  if (next !== undefined && next < 100 && percentageComplete >= next) {
    const last = checkpoints[checkpoints.length - 1] === next;
    return {
      terminate: [],
      surplus: last ? 0 : hold(outdated.length, counted.length),
      ...progress,
      checkpointReached: next,
      // The last checkpoint below 100 ends the refresh there, as AWS.
      done: last,
      ...(!last && { waiting: `Checkpoint reached at ${next}%` }),
    };
  }
  // Instances to start replacing before the next checkpoint (all of them without one).
  const batchEnd = next === undefined || next >= 100 ? total : Math.ceil((total * next) / 100);

  const replaceable = outdated.filter((i) => disposition(i, preferences) === "replace");
  const terminate: string[] = [];
  let budget = counted.filter(ready).length - floor;
  let room = batchEnd - started;
  // Instances that are not ready cost nothing to take out; then the oldest ready ones, within the budget.
  const order = [...replaceable].sort(
    (a, b) => Number(ready(a)) - Number(ready(b)) || a.launchedAt - b.launchedAt,
  );
  for (const instance of order) {
    if (room <= 0) break;
    if (instance.lifecycleState !== "InService") continue;
    if (ready(instance)) {
      if (budget <= 0) continue;
      budget--;
    }
    terminate.push(instance.instanceId);
    room--;
  }
  // Outdated instances in service left after this pass, and what the group counts then.
  const left = outdated.length - terminate.length;
  const countAfter = counted.length - terminate.length;
  for (const instance of standby) {
    if (disposition(instance, preferences) === "terminate") terminate.push(instance.instanceId);
  }
  const ahead = Math.max(0, Math.min(ceiling - desired, left, room));
  const surplus = left > 0 ? Math.max(ahead, hold(left, countAfter)) : 0;

  // AWS's status reason while a replacement warms up.
  const warming = counted.find(
    (i) => !i.outdated && i.lifecycleState === "InService" && i.healthySince !== undefined && !ready(i),
  );
  const waiting =
    blocked.length > 0
      ? `Waiting for ${blocked.length} instance(s) in Standby or protected from scale in`
      : warming && terminate.length === 0
        ? `Waiting for instances to warm up before continuing. For example: ${warming.instanceId} is warming up.`
        : undefined;
  const done =
    targets.length === 0 && terminate.length === 0 && counted.every(ready) && counted.length === desired;
  return {
    terminate,
    surplus,
    ...(done ? { percentageComplete: 100, instancesToUpdate: 0 } : progress),
    ...(waiting && { waiting }),
    done,
  };
}
