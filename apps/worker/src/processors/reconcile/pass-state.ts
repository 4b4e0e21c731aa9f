import type { RunningInstance } from "@scaleout/compute";
import type { GroupSnapshot, InstanceRow, ResolvedLaunchTemplate } from "@scaleout/services";

/** What a pass leaves behind: nothing more to do, or a look again after `followUpMs`. */
export interface PassOutcome {
  followUpMs?: number;
  launched: number;
  terminated: number;
  failed: number;
}

/** What one pass over a group has seen and done so far; the steps of the pass share it. */
export interface PassState {
  groupName: string;
  /** The snapshot the instance steps read (the capacity step reads a fresh one). */
  snapshot: GroupSnapshot;
  /** The runtime's instances of the group, by instance id. */
  runtime: Map<string, RunningInstance>;
  now: number;
  outcome: PassOutcome;
  /** Instances taken out of service for failed health this pass: their replacements are not a capacity change. */
  replaced: number;
  /**
   * An instance refresh in progress (reconcile/refresh.ts): instances the capacity step may run above the
   * desired capacity (MaxHealthyPercentage above 100), the template version new instances launch from,
   * and the refresh they belong to.
   */
  refresh?: {
    id: string;
    surplus: number;
    launchTemplate: ResolvedLaunchTemplate;
    /** Surplus launches' cause (launched ahead of terminations). */
    launchCause?: string;
  };
}

/** A runtime instance that can serve (or is about to). */
export const alive = (instance: RunningInstance | undefined): boolean =>
  instance !== undefined && (instance.state === "running" || instance.state === "starting");

/**
 * What one lifecycle state's instances do in a pass: one step along the lifecycle, or nothing yet. A step
 * may stop anywhere; the next pass reads the registry afresh and carries on.
 */
export type InstanceStep = (row: InstanceRow, pass: PassState) => Promise<void>;

/**
 * States in which an instance moves without a user's action (a launch, a drain, a hook's timeout, a
 * warm-up): while a group has one, its pass comes back after `followUpMs`. A slice that adds a state that
 * moves by itself adds it here.
 */
export const transitStates: ReadonlySet<string> = new Set([
  "Pending",
  "Pending:Wait",
  "Pending:Proceed",
  "Terminating",
  "Terminating:Wait",
  "Terminating:Proceed",
  "EnteringStandby",
  "Detaching",
  "Warmed:Pending",
  "Warmed:Pending:Wait",
  "Warmed:Pending:Proceed",
  "Warmed:Terminating",
  "Warmed:Terminating:Wait",
  "Warmed:Terminating:Proceed",
]);
