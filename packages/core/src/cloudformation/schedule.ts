/**
 * The order a stack operation runs its resources in, as the resources finish rather than wave by wave:
 * a resource starts as soon as everything it waits for is done, so one slow resource holds back only
 * what depends on it. The executor asks `next()` for what to start, reports `done` or `failed`, and
 * stops starting new work after a failure (CloudFormation lets what is in flight finish, then rolls back).
 */
export interface Schedule {
  /** Resources ready to start now (their prerequisites done); each is handed out once. */
  next(): string[];
  done(id: string): void;
  /** A failed resource stops the schedule: `next()` answers nothing more. */
  failed(id: string): void;
  /** Started and not yet reported. */
  inFlight(): string[];
  /** Reported done, in the order they finished. */
  completed(): string[];
  /** Every resource done (true at once for none). */
  finished(): boolean;
  /** Whether a failure stopped the schedule. */
  stopped(): boolean;
}

/** A schedule where each id waits for the ids `waitsFor` gives it (ids outside `ids` are ignored). */
export function createSchedule(
  ids: readonly string[],
  waitsFor: (id: string) => readonly string[],
): Schedule {
  const members = new Set(ids);
  const pending = new Set(ids);
  const started = new Set<string>();
  const finished: string[] = [];
  const finishedSet = new Set<string>();
  let failure = false;
  const known = (id: string) => {
    if (!members.has(id)) throw new Error(`${id} is not in this schedule`);
  };
  return {
    next() {
      if (failure) return [];
      const ready = [...pending].filter((id) =>
        waitsFor(id).every((prerequisite) => !members.has(prerequisite) || finishedSet.has(prerequisite)),
      );
      for (const id of ready) {
        pending.delete(id);
        started.add(id);
      }
      return ready;
    },
    done(id) {
      known(id);
      if (!started.delete(id)) return;
      finished.push(id);
      finishedSet.add(id);
    },
    failed(id) {
      known(id);
      started.delete(id);
      failure = true;
    },
    inFlight: () => [...started],
    completed: () => [...finished],
    finished: () => finishedSet.size === members.size,
    stopped: () => failure,
  };
}

/** Each resource's dependents: who must go before it on deletion. */
export function dependentsOf(
  dependencies: Readonly<Record<string, readonly string[]>>,
): Record<string, string[]> {
  const dependents: Record<string, string[]> = {};
  for (const id of Object.keys(dependencies)) dependents[id] = [];
  for (const [id, prerequisites] of Object.entries(dependencies)) {
    for (const prerequisite of prerequisites) dependents[prerequisite]?.push(id);
  }
  return dependents;
}

/** Creation: each resource after its dependencies. */
export function creationSchedule(dependencies: Readonly<Record<string, readonly string[]>>): Schedule {
  return createSchedule(Object.keys(dependencies), (id) => dependencies[id] ?? []);
}

/**
 * Deletion of `ids` (all of a stack's resources, or on rollback those that were created): each after the
 * resources that depend on it.
 */
export function deletionSchedule(
  dependencies: Readonly<Record<string, readonly string[]>>,
  ids: readonly string[] = Object.keys(dependencies),
): Schedule {
  const dependents = dependentsOf(dependencies);
  return createSchedule(ids, (id) => dependents[id] ?? []);
}
