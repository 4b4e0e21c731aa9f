import type { UsageSample } from "./driver.ts";

/*
 * A container's CPU and memory from the engine's one-shot stats, the way `docker stats` computes them.
 * Shared by the docker driver (its containers) and the swarm driver (its tasks' containers).
 */

interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface ContainerStats {
  read?: string;
  cpu_stats?: CpuStats;
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

/** The counters a CPU percentage is a difference of. */
export interface CpuReading {
  containerCpu: number;
  systemCpu: number;
}

/**
 * The usage in `stats`, CPU relative to `previous` (0 without one) and to the `limit` in cores (0: none,
 * then 100 = one full core); undefined for a stopped container (empty readings). `reading` is what the
 * next call's `previous` should be.
 */
export function containerUsage(
  stats: ContainerStats,
  previous: CpuReading | undefined,
  limit: number,
): { sample: UsageSample; reading: CpuReading } | undefined {
  const cpu = stats.cpu_stats;
  const containerCpu = cpu?.cpu_usage?.total_usage;
  const systemCpu = cpu?.system_cpu_usage;
  if (containerCpu === undefined || systemCpu === undefined || systemCpu === 0) return undefined;
  const onlineCpus = cpu?.online_cpus || cpu?.cpu_usage?.percpu_usage?.length || 1;
  let cpuPercent = 0;
  if (previous && systemCpu > previous.systemCpu && containerCpu >= previous.containerCpu) {
    // docker stats: share of all host CPU time, times the CPU count, so 100 = one full core.
    cpuPercent =
      ((containerCpu - previous.containerCpu) / (systemCpu - previous.systemCpu)) * onlineCpus * 100;
  }
  if (limit > 0) {
    // Relative to the allowance, so 100 = all of it. The engine enforces the limit, so anything above
    // 100 is measurement jitter.
    cpuPercent = Math.min(100, cpuPercent / limit);
  }
  const memoryStats = stats.memory_stats;
  // As docker stats: page cache the kernel can drop is not the app's memory (cgroup v1, then v2 key).
  const inactiveFile = memoryStats?.stats?.total_inactive_file ?? memoryStats?.stats?.inactive_file ?? 0;
  const usage = memoryStats?.usage ?? 0;
  const read = stats.read ? Date.parse(stats.read) : Number.NaN;
  return {
    sample: {
      cpuPercent: Math.max(0, cpuPercent),
      memoryBytes: Math.max(0, usage - (usage >= inactiveFile ? inactiveFile : 0)),
      at: Number.isFinite(read) ? read : Date.now(),
    },
    reading: { containerCpu, systemCpu },
  };
}
