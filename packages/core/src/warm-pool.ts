import { check } from "./errors.ts";
import type { LifecycleState } from "./types.ts";

/*
 * Warm pools (Amazon EC2 Auto Scaling user guide, "Warm pools"; API PutWarmPool): instances launched and
 * prepared ahead of a scale-out, kept stopped (or running) beside the group, never counted toward its
 * capacity, never given traffic. These are the pure decisions: the configuration PutWarmPool leaves, how
 * many prepared instances the pool keeps, and which instances a scale-out takes from it.
 */

export const warmPoolStates = ["Stopped", "Running", "Hibernated"] as const;
export type WarmPoolState = (typeof warmPoolStates)[number];

export interface WarmPoolConfig {
  minSize: number;
  /** Null: unset, the group's MaxSize applies. */
  maxGroupPreparedCapacity: number | null;
  poolState: WarmPoolState;
  reuseOnScaleIn: boolean;
}

/** What PutWarmPool was given: a member left out keeps the pool's current value (or AWS's default). */
export interface WarmPoolInput {
  minSize?: number;
  /** -1 removes a value set before. */
  maxGroupPreparedCapacity?: number;
  poolState?: string;
  reuseOnScaleIn?: boolean;
}

const defaults: WarmPoolConfig = {
  minSize: 0,
  maxGroupPreparedCapacity: null,
  poolState: "Stopped",
  reuseOnScaleIn: false,
};

export function isWarmPoolState(value: string): value is WarmPoolState {
  return (warmPoolStates as readonly string[]).includes(value);
}

/**
 * The configuration PutWarmPool leaves: the input over the current pool (PutWarmPool updates in place:
 * Terraform and the CLI rely on an omitted member keeping its value, and -1 being how
 * MaxGroupPreparedCapacity is unset), checked as AWS checks it.
 */
export function normalizeWarmPool(input: WarmPoolInput, current?: WarmPoolConfig): WarmPoolConfig {
  const base = current ?? defaults;
  const minSize = input.minSize ?? base.minSize;
  check(Number.isInteger(minSize) && minSize >= 0, "MinSize must be greater than or equal to 0.");
  let maxGroupPreparedCapacity = base.maxGroupPreparedCapacity;
  if (input.maxGroupPreparedCapacity !== undefined) {
    const value = input.maxGroupPreparedCapacity;
    check(
      Number.isInteger(value) && value >= -1,
      "MaxGroupPreparedCapacity must be greater than or equal to -1.",
    );
    maxGroupPreparedCapacity = value === -1 ? null : value;
  }
  if (maxGroupPreparedCapacity !== null) {
    check(
      minSize <= maxGroupPreparedCapacity,
      `MinSize (${minSize}) must be less than or equal to MaxGroupPreparedCapacity (${maxGroupPreparedCapacity}).`,
    );
  }
  const poolState = input.poolState ?? base.poolState;
  check(
    isWarmPoolState(poolState),
    `PoolState '${poolState}' is not valid; valid values are ${warmPoolStates.join(", ")}.`,
  );
  return {
    minSize,
    maxGroupPreparedCapacity,
    poolState,
    reuseOnScaleIn: input.reuseOnScaleIn ?? base.reuseOnScaleIn,
  };
}

/**
 * How many instances the pool keeps prepared: MaxGroupPreparedCapacity (else the group's MaxSize) less
 * the desired capacity, and never fewer than MinSize. The user guide: "If the desired capacity of the
 * Auto Scaling group is higher than the MaxGroupPreparedCapacity, the capacity of the warm pool is 0,
 * unless you specify a value for MinSize".
 */
export function warmPoolTargetSize(
  config: Pick<WarmPoolConfig, "minSize" | "maxGroupPreparedCapacity">,
  group: { maxSize: number; desiredCapacity: number },
): number {
  const prepared = config.maxGroupPreparedCapacity ?? group.maxSize;
  return Math.max(config.minSize, prepared - group.desiredCapacity, 0);
}

/** The lifecycle state a prepared pool instance rests in, by the pool's PoolState. */
export function warmedState(poolState: WarmPoolState): LifecycleState {
  return `Warmed:${poolState}`;
}

/** Every lifecycle state of an instance in the warm pool (DescribeWarmPool lists these, the group does not). */
export const warmPoolLifecycleStates: ReadonlySet<string> = new Set<LifecycleState>([
  "Warmed:Pending",
  "Warmed:Pending:Wait",
  "Warmed:Pending:Proceed",
  "Warmed:Terminating",
  "Warmed:Terminating:Wait",
  "Warmed:Terminating:Proceed",
  "Warmed:Stopped",
  "Warmed:Running",
  "Warmed:Hibernated",
]);

export const isWarmPoolLifecycleState = (state: string): boolean => warmPoolLifecycleStates.has(state);

/** Prepared: a scale-out may take it. An instance still being prepared is not (yet). */
const preparedStates: ReadonlySet<string> = new Set([
  "Warmed:Stopped",
  "Warmed:Running",
  "Warmed:Hibernated",
]);

/** States that count as the pool's size (everything in the pool that is not on its way out). */
const poolSizeStates: ReadonlySet<string> = new Set([
  "Warmed:Pending",
  "Warmed:Pending:Wait",
  "Warmed:Pending:Proceed",
  ...preparedStates,
]);

export interface PoolInstance {
  instanceId: string;
  lifecycleState: string;
  launchedAt: number;
  /** Same launch template and version as a launch would use now. */
  current: boolean;
}

/**
 * The instances a scale-out of `count` takes from the pool: prepared ones, those on the group's current
 * launch template first, then the oldest (AWS does not say which; oldest first keeps the pool's ages even).
 */
export function takeFromPool(pool: readonly PoolInstance[], count: number): PoolInstance[] {
  if (count <= 0) return [];
  return pool
    .filter((instance) => preparedStates.has(instance.lifecycleState))
    .sort((a, b) => Number(b.current) - Number(a.current) || a.launchedAt - b.launchedAt)
    .slice(0, count);
}

export interface PoolPlan {
  /** New instances to launch into the pool. */
  launch: number;
  /** Pool instances to terminate: the pool is larger than its target. */
  terminate: PoolInstance[];
}

/**
 * What keeps the pool at its target size: launches when it is short, terminations when it is over (those
 * on an outdated launch template first, then the newest: an instance a scale-in is returning to the pool
 * is older than the ones launched to refill it, and its return is what ReuseOnScaleIn asked for).
 */
export function planWarmPool(pool: readonly PoolInstance[], target: number): PoolPlan {
  const sized = pool.filter((instance) => poolSizeStates.has(instance.lifecycleState));
  if (sized.length < target) return { launch: target - sized.length, terminate: [] };
  const surplus = sized.length - target;
  if (surplus === 0) return { launch: 0, terminate: [] };
  const order = [...sized].sort(
    (a, b) => Number(a.current) - Number(b.current) || b.launchedAt - a.launchedAt,
  );
  return { launch: 0, terminate: order.slice(0, surplus) };
}

/** Whether a pool instance is prepared (Warmed:Stopped, Warmed:Running or Warmed:Hibernated). */
export const isPreparedInPool = (state: string): boolean => preparedStates.has(state);
