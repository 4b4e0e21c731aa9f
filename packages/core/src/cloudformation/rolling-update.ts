/*
 * An Auto Scaling group's UpdatePolicy AutoScalingRollingUpdate, mapped onto an instance refresh (which
 * is how scaleout rolls instances). CloudFormation replaces the instances in batches of at most
 * MaxBatchSize, keeping at least MinInstancesInService in service, launching the batch first (above the
 * desired capacity) when taking it out first would go below that minimum. A refresh bounds the same two
 * things with percentages of the desired capacity: ready instances never below MinHealthyPercentage,
 * instances in service or launching never above MaxHealthyPercentage. So:
 *   floor   = max(MinInstancesInService, desired - MaxBatchSize)   (at most a batch out of service)
 *   ceiling = floor + MaxBatchSize, at least desired               (at most a batch launched ahead)
 * and the replacements under way at once are ceiling - floor = MaxBatchSize.
 */

export interface RollingUpdate {
  /** MinInstancesInService (CloudFormation's default 0). */
  minInService: number;
  /** MaxBatchSize (default 1). */
  maxBatchSize: number;
  /** PauseTime, seconds: how long a batch waits after its instances are in service. */
  pauseSeconds: number;
  /** WaitOnResourceSignals: PauseTime is then the time to wait for signals, not a pause. */
  waitOnResourceSignals: boolean;
}

export interface RollingRefreshPreferences {
  minHealthyPercentage: number;
  maxHealthyPercentage: number;
  /** Seconds a replacement stays healthy before it counts (PauseTime). */
  instanceWarmup: number;
}

/** An ISO 8601 duration as PauseTime writes it (PT5M, PT1H30M, PT45S); anything else counts as none. */
export function pauseSeconds(text: string | undefined): number {
  const match = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(text ?? "");
  if (match === null) return 0;
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

/**
 * The instance refresh preferences that replace a group's `desired` instances as the rolling update
 * would. Percentages round so the refresh's bounds (ceil of the floor, floor of the ceiling) land on the
 * instance counts above; a refresh allows at most 100 points between them, which bounds a batch that
 * launches ahead at the desired capacity.
 */
export function rollingRefreshPreferences(
  desired: number,
  rolling: RollingUpdate,
): RollingRefreshPreferences {
  const batch = Math.max(1, Math.floor(rolling.maxBatchSize));
  const minInService = Math.max(0, Math.min(desired, Math.floor(rolling.minInService)));
  const floor = Math.max(minInService, desired - batch);
  const ceiling = Math.max(desired, floor + batch);
  const minHealthyPercentage = desired === 0 ? 0 : Math.min(100, Math.floor((100 * floor) / desired));
  const maxHealthyPercentage =
    desired === 0
      ? 100
      : Math.min(200, minHealthyPercentage + 100, Math.max(100, Math.ceil((100 * ceiling) / desired)));
  // With signals awaited, PauseTime is a timeout: a batch moves on once its instances are in service and
  // healthy (scaleout's signal), not after the whole PauseTime.
  const instanceWarmup = rolling.waitOnResourceSignals ? 0 : rolling.pauseSeconds;
  return { minHealthyPercentage, maxHealthyPercentage, instanceWarmup };
}
