import type { Tx } from "@scaleout/db";

/** An activity as its start is announced (ChangeEvents.activityStarted). */
export interface StartedActivity {
  activityId: string;
  groupName: string;
  description: string;
  cause: string;
}

/**
 * Activities started inside a transaction, by the transaction: `mutate` takes them once it has committed,
 * so a start is announced once and never for a rollback.
 */
const startedIn = new WeakMap<Tx, StartedActivity[]>();

export function recordActivityStart(tx: Tx, activity: StartedActivity): void {
  const started = startedIn.get(tx) ?? [];
  started.push(activity);
  startedIn.set(tx, started);
}

export function takeStartedActivities(tx: Tx): StartedActivity[] {
  const started = startedIn.get(tx) ?? [];
  startedIn.delete(tx);
  return started;
}
