// The matrix (keep-alive at each concurrency, a new connection per request, 1 MiB responses),
// run by alternating systems run by run: round r measures every system once before round r + 1 starts,
// and each round starts one system further along, so a burst of load from elsewhere on the machine (or a
// system's position after a heavy neighbour) lands on all systems alike instead of on one system's runs.
import {
  cpuSplitMicros,
  establishedTo,
  median,
  processTree,
  rssMb,
  rssMbEach,
  wrkAsync,
} from "../lib/measure.ts";
import type { System } from "./systems.ts";

export interface Scenario {
  id: string;
  label: string;
  connections: number;
  path: string;
  wrkExtra: string[];
  /** What one request is: a small request, a new connection, or 1 MiB (so rate and CPU read per unit). */
  unit: "request" | "connection" | "MiB";
}

export function scenarios(keepAlive: number[]): Scenario[] {
  return [
    ...keepAlive.map(
      (c): Scenario => ({
        id: `ka${c}`,
        label: `c${c} keep-alive`,
        connections: c,
        path: "/",
        wrkExtra: [],
        unit: "request",
      }),
    ),
    {
      id: "close50",
      label: "new connection per request, c50",
      connections: 50,
      path: "/",
      wrkExtra: ["-H", "Connection: close"],
      unit: "connection",
    },
    {
      id: "large8",
      label: "1 MiB responses, c8",
      connections: 8,
      path: "/1m",
      wrkExtra: [],
      unit: "MiB",
    },
  ];
}

export interface Run {
  /** Requests, connections or MiB per second (every request of the large scenario is 1 MiB). */
  rate: number;
  p50: number;
  p99: number;
  /** Proxy CPU (utime + stime of all its processes) per request, connection or MiB, in µs. */
  cpuPerUnit: number | undefined;
  /** The part of it in the kernel (stime): the same unit. */
  kernelPerUnit: number | undefined;
  /** Fraction of one core the proxy used over the run. */
  cores: number | undefined;
  rssSum: number | undefined;
  rssMaxProcess: number | undefined;
  /** Each process's RSS after the run, in MB, largest first. */
  rssEach: number[];
  processes: number;
  /** Most ESTABLISHED sockets from the proxy to the targets seen in the samples taken during the run. */
  upstream: number | undefined;
  /** The median of those samples: what the targets see most of the run, not at its busiest moment. */
  upstreamTypical: number | undefined;
  errors: number;
}

export interface Cell {
  system: System;
  scenario: Scenario;
  runs: Run[];
}

async function measure(
  system: System,
  scenario: Scenario,
  seconds: number,
  targetPorts: number[],
): Promise<Run> {
  const url = `http://127.0.0.1:${system.port}${scenario.path}`;
  const pids = system.pid === undefined ? [] : processTree(system.pid);
  let upstream = 0;
  const samples: number[] = [];
  const sample = pids.length
    ? () => {
        const held = establishedTo(pids, targetPorts);
        samples.push(held);
        upstream = Math.max(upstream, held);
      }
    : undefined;
  const cpuBefore = cpuSplitMicros(pids);
  const startedAt = process.hrtime.bigint();
  const result = await wrkAsync(url, scenario.connections, seconds, scenario.wrkExtra, sample);
  const elapsedUs = Number(process.hrtime.bigint() - startedAt) / 1000;
  const cpuAfter = cpuSplitMicros(pids);
  const kernel = cpuAfter.kernel - cpuBefore.kernel;
  const cpu = cpuAfter.user - cpuBefore.user + kernel;
  const each = rssMbEach(pids);
  return {
    rate: result.requestsPerSecond,
    p50: result.p50Ms,
    p99: result.p99Ms,
    cpuPerUnit: pids.length ? cpu / result.requests : undefined,
    kernelPerUnit: pids.length ? kernel / result.requests : undefined,
    cores: pids.length ? cpu / elapsedUs : undefined,
    rssSum: pids.length ? rssMb(pids) : undefined,
    rssMaxProcess: each.length ? Math.max(...each) : undefined,
    rssEach: [...each].sort((a, b) => b - a),
    processes: pids.length,
    upstream: sample ? upstream : undefined,
    upstreamTypical: sample && samples.length ? median(samples) : undefined,
    errors: result.errors,
  };
}

export async function runMatrix(options: {
  systems: System[];
  scenarios: Scenario[];
  seconds: number;
  warmupSeconds: number;
  repeats: number;
  targetPorts: number[];
  log: (line: string) => void;
}): Promise<Cell[]> {
  const { systems, seconds, repeats, targetPorts, log } = options;
  const cells: Cell[] = [];
  for (const scenario of options.scenarios) {
    const rowSystems = systems.filter((system) => !(system.smallOnly && scenario.unit === "MiB"));
    // Warm-up per scenario: JIT, keep-alive pools at this concurrency, TCP state from the previous row.
    for (const system of rowSystems) {
      await wrkAsync(
        `http://127.0.0.1:${system.port}${scenario.path}`,
        scenario.connections,
        options.warmupSeconds,
        scenario.wrkExtra,
      );
    }
    const rowCells = rowSystems.map((system): Cell => ({ system, scenario, runs: [] }));
    for (let round = 0; round < repeats; round++) {
      for (let k = 0; k < rowCells.length; k++) {
        const cell = rowCells[(round + k) % rowCells.length];
        if (!cell) continue;
        const run = await measure(cell.system, scenario, seconds, targetPorts);
        cell.runs.push(run);
        log(
          `${scenario.label} round ${round + 1}/${repeats} ${cell.system.name}: ${run.rate.toFixed(0)}/s` +
            (run.cpuPerUnit === undefined ? "" : `, ${run.cpuPerUnit.toFixed(1)} µs CPU`) +
            (run.errors ? `, ${run.errors} errors` : ""),
        );
      }
    }
    cells.push(...rowCells);
  }
  return cells;
}

/**
 * The medians of a cell's runs, in a run's shape (RSS: the largest seen, since it only matters at its
 * peak; rssEach from the run whose sum was largest).
 */
export type Summary = Run;

function medianOf(runs: Run[], pick: (run: Run) => number | undefined): number | undefined {
  const values = runs.map(pick).filter((v): v is number => v !== undefined);
  return values.length ? median(values) : undefined;
}

function maxOf(runs: Run[], pick: (run: Run) => number | undefined): number | undefined {
  const values = runs.map(pick).filter((v): v is number => v !== undefined);
  return values.length ? Math.max(...values) : undefined;
}

export function summarise(cell: Cell): Summary {
  const { runs } = cell;
  return {
    rate: medianOf(runs, (r) => r.rate) ?? Number.NaN,
    p50: medianOf(runs, (r) => r.p50) ?? Number.NaN,
    p99: medianOf(runs, (r) => r.p99) ?? Number.NaN,
    cpuPerUnit: medianOf(runs, (r) => r.cpuPerUnit),
    kernelPerUnit: medianOf(runs, (r) => r.kernelPerUnit),
    cores: medianOf(runs, (r) => r.cores),
    rssSum: maxOf(runs, (r) => r.rssSum),
    rssMaxProcess: maxOf(runs, (r) => r.rssMaxProcess),
    rssEach:
      runs.reduce<Run | undefined>((a, r) => (!a || (r.rssSum ?? 0) > (a.rssSum ?? 0) ? r : a), undefined)
        ?.rssEach ?? [],
    processes: maxOf(runs, (r) => r.processes) ?? 0,
    upstream: medianOf(runs, (r) => r.upstream),
    upstreamTypical: medianOf(runs, (r) => r.upstreamTypical),
    errors: runs.reduce((a, r) => a + r.errors, 0),
  };
}
