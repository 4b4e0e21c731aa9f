// What bench/proxy prints: one table a scenario (every system, ratios to nginx), the issue's matrix with
// systems as columns, scaleout's ratios to nginx and HAProxy, and the issue's targets as PASS/MISS lines.
import { type Cell, type Scenario, type Summary, summarise } from "./matrix.ts";
import type { System } from "./systems.ts";

/** Which system plays which part in the ratios and targets (undefined: not in this run). */
export interface Roles {
  oneWorker: System | undefined;
  allWorkers: System | undefined;
  baseline: System | undefined;
  nginxOne: System | undefined;
  nginxAuto: System | undefined;
  haproxyOne: System | undefined;
  haproxyAll: System | undefined;
}

const fmt = (n: number | undefined, digits = 1): string =>
  n === undefined || Number.isNaN(n)
    ? "-"
    : n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b) || b === 0
    ? "-"
    : (a / b).toFixed(2);

const rateUnit = (s: Scenario) =>
  s.unit === "request" ? "req/s" : s.unit === "connection" ? "conn/s" : "MiB/s";
const cpuUnit = (s: Scenario) =>
  `CPU µs/${s.unit === "request" ? "req" : s.unit === "connection" ? "conn" : "MiB"}`;

export class Report {
  private readonly summaries = new Map<string, Summary>();

  constructor(
    cells: Cell[],
    private readonly systems: System[],
    private readonly scenarios: Scenario[],
    private readonly roles: Roles,
    private readonly print: (line: string) => void,
  ) {
    for (const cell of cells) this.summaries.set(`${cell.scenario.id}/${cell.system.name}`, summarise(cell));
  }

  get(scenarioId: string, system: System | undefined): Summary | undefined {
    return system ? this.summaries.get(`${scenarioId}/${system.name}`) : undefined;
  }

  /** Per scenario: every system with its figures and its ratios to nginx at 1 worker and at auto. */
  scenarioTables(): void {
    const { nginxOne, nginxAuto } = this.roles;
    for (const scenario of this.scenarios) {
      this.print(`\n### ${scenario.label}\n`);
      this.print(
        `| system | procs | ${rateUnit(scenario)} | × nginx 1 | × nginx auto | p50 ms | p99 ms | p99 × nginx auto | ${cpuUnit(scenario)} | × nginx 1 | cores busy | RSS MB sum (each process) | upstream conns peak / median | errors |`,
      );
      this.print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
      for (const system of this.systems) {
        const s = this.get(scenario.id, system);
        if (!s) continue;
        const one = this.get(scenario.id, nginxOne);
        const auto = this.get(scenario.id, nginxAuto);
        this.print(
          `| ${system.name} | ${system.pid === undefined ? "-" : s.processes} | ${fmt(s.rate, 0)} | ${ratio(s.rate, one?.rate)} | ${ratio(s.rate, auto?.rate)} | ${fmt(s.p50, 2)} | ${fmt(s.p99, 2)} | ${ratio(s.p99, auto?.p99)} | ${fmt(s.cpuPerUnit)} | ${ratio(s.cpuPerUnit, one?.cpuPerUnit)} | ${fmt(s.cores, 2)} | ${fmt(s.rssSum, 0)}${s.rssEach.length > 1 ? ` (${s.rssEach.map((mb) => mb.toFixed(0)).join(" + ")})` : ""} | ${fmt(s.upstream, 0)} / ${fmt(s.upstreamTypical, 0)} | ${s.errors} |`,
        );
      }
    }
  }

  /** The issue's table: measures as rows, systems as columns. */
  matrix(): void {
    const proxies = this.systems.filter((s) => s.kind !== "direct");
    const keepAlive = this.scenarios.filter((s) => s.unit === "request");
    const close = this.scenarios.find((s) => s.unit === "connection");
    const large = this.scenarios.find((s) => s.unit === "MiB");
    const rows: Array<[string, (system: System) => string]> = [];
    for (const s of keepAlive) {
      rows.push([`${s.label} req/s`, (sys) => fmt(this.get(s.id, sys)?.rate, 0)]);
      rows.push([
        `${s.label} p50 / p99 ms`,
        (sys) => `${fmt(this.get(s.id, sys)?.p50, 2)} / ${fmt(this.get(s.id, sys)?.p99, 2)}`,
      ]);
    }
    if (close) rows.push([`${close.label}, conn/s`, (sys) => fmt(this.get(close.id, sys)?.rate, 0)]);
    if (large) rows.push([`${large.label}, MiB/s`, (sys) => fmt(this.get(large.id, sys)?.rate, 0)]);
    rows.push([
      `proxy CPU µs per small request (${keepAlive.map((s) => `c${s.connections}`).join(" / ")})`,
      (sys) => keepAlive.map((s) => fmt(this.get(s.id, sys)?.cpuPerUnit)).join(" / "),
    ]);
    // The part the proxy's own code hardly moves: a write on loopback also runs the reader's TCP receive
    // in the writer's system call, so the kernel's part is much the same for every proxy making the same
    // calls.
    const small = close ? [...keepAlive, close] : keepAlive;
    rows.push([
      `of which in the kernel (stime; ${small.map((s) => (s === close ? "new connection" : `c${s.connections}`)).join(" / ")})`,
      (sys) => small.map((s) => fmt(this.get(s.id, sys)?.kernelPerUnit)).join(" / "),
    ]);
    if (close || large)
      rows.push([
        "proxy CPU µs per new connection / per 1 MiB",
        (sys) =>
          `${close ? fmt(this.get(close.id, sys)?.cpuPerUnit) : "-"} / ${large ? fmt(this.get(large.id, sys)?.cpuPerUnit, 0) : "-"}`,
      ]);
    const last = keepAlive.at(-1);
    if (last) {
      rows.push([
        `proxy RSS after ${`c${last.connections}`}, MB (sum / largest process)`,
        (sys) =>
          `${fmt(this.get(last.id, sys)?.rssSum, 0)} / ${fmt(this.get(last.id, sys)?.rssMaxProcess, 0)}`,
      ]);
      rows.push([`processes`, (sys) => String(this.get(last.id, sys)?.processes ?? "-")]);
      rows.push([
        `upstream connections held at c${last.connections} (peak / median of the samples)`,
        (sys) =>
          `${fmt(this.get(last.id, sys)?.upstream, 0)} / ${fmt(this.get(last.id, sys)?.upstreamTypical, 0)}`,
      ]);
      rows.push([
        `cores busy at c${last.connections} (proxy CPU / wall time)`,
        (sys) => fmt(this.get(last.id, sys)?.cores, 2),
      ]);
    }
    rows.push([
      "errors (all runs)",
      (sys) => String(this.scenarios.reduce((a, s) => a + (this.get(s.id, sys)?.errors ?? 0), 0)),
    ]);
    this.print(`\n### The matrix (median of the runs)\n`);
    this.print(`| measure | ${proxies.map((p) => p.name).join(" | ")} |`);
    this.print(`|---|${proxies.map(() => "---:").join("|")}|`);
    for (const [label, value] of rows) this.print(`| ${label} | ${proxies.map(value).join(" | ")} |`);
  }

  /** scaleout at one worker against the one-worker peers, at all workers against the all-core peers. */
  ratios(): void {
    const { oneWorker, allWorkers, nginxOne, nginxAuto, haproxyOne, haproxyAll } = this.roles;
    const pairs: Array<[string, System | undefined, System | undefined]> = [
      [`${oneWorker?.name ?? "w1"} ÷ ${nginxOne?.name ?? "nginx 1"}`, oneWorker, nginxOne],
      [`${oneWorker?.name ?? "w1"} ÷ ${haproxyOne?.name ?? "HAProxy 1"}`, oneWorker, haproxyOne],
      [`${allWorkers?.name ?? "wN"} ÷ ${nginxAuto?.name ?? "nginx auto"}`, allWorkers, nginxAuto],
      [`${allWorkers?.name ?? "wN"} ÷ ${haproxyAll?.name ?? "HAProxy N"}`, allWorkers, haproxyAll],
    ];
    const present = pairs.filter(([, a, b]) => a && b);
    if (!present.length) return;
    this.print(`\n### Ratios (rate: higher is better; CPU and p99: lower is better)\n`);
    this.print(`| measure | ${present.map(([label]) => label).join(" | ")} |`);
    this.print(`|---|${present.map(() => "---:").join("|")}|`);
    for (const s of this.scenarios) {
      const line = (label: string, pick: (x: Summary) => number | undefined) =>
        this.print(
          `| ${s.label} ${label} | ${present
            .map(([, a, b]) => {
              const x = this.get(s.id, a);
              const y = this.get(s.id, b);
              return ratio(x && pick(x), y && pick(y));
            })
            .join(" | ")} |`,
        );
      line(rateUnit(s), (x) => x.rate);
      line(cpuUnit(s), (x) => x.cpuPerUnit);
      if (s.unit === "request") line("p99", (x) => x.p99);
    }
  }

  /** The issue's "Done when" targets, worded as the issue words them. */
  targets(): void {
    const { oneWorker, allWorkers, nginxOne, nginxAuto } = this.roles;
    const check = (
      label: string,
      value: number | undefined,
      limit: number | undefined,
      atMost: boolean,
      detail: (v: number, l: number) => string,
    ) => {
      if (value === undefined || limit === undefined || Number.isNaN(value) || Number.isNaN(limit)) {
        this.print(`SKIP  ${label}: not measured in this run`);
        return;
      }
      const ok = atMost ? value <= limit : value >= limit;
      this.print(`${ok ? "PASS" : "MISS"}  ${label}: ${detail(value, limit)}`);
    };
    const g = (id: string, sys: System | undefined) => this.get(id, sys);
    const times = (v: number, l: number, factor: number) =>
      `${(v / (l / factor)).toFixed(2)}× (${fmt(v, v < 100 ? 2 : 0)} vs ${fmt(l / factor, v < 100 ? 2 : 0)})`;
    this.print(
      `\nTargets (issue 10, "Done when"; ${oneWorker?.name ?? "-"} and ${allWorkers?.name ?? "-"}):`,
    );
    if (allWorkers?.note) this.print(`      (${allWorkers.name}: ${allWorkers.note})`);
    check(
      "one worker: CPU per small request ≤ 45 µs (c50 keep-alive)",
      g("ka50", oneWorker)?.cpuPerUnit,
      45,
      true,
      (v) => `${fmt(v)} µs`,
    );
    check(
      "one worker: CPU per new connection ≤ 100 µs",
      g("close50", oneWorker)?.cpuPerUnit,
      100,
      true,
      (v) => `${fmt(v)} µs`,
    );
    const r = (
      id: string,
      factor: number,
      a: System | undefined,
      b: System | undefined,
      pick: (x: Summary) => number,
      atMost: boolean,
      label: string,
    ) => {
      const x = g(id, a);
      const y = g(id, b);
      check(label, x && pick(x), y && factor * pick(y), atMost, (v, l) => times(v, l, factor));
    };
    r(
      "ka50",
      0.5,
      oneWorker,
      nginxOne,
      (x) => x.rate,
      false,
      "one worker: c50 req/s ≥ 0.5× nginx with one worker",
    );
    r(
      "ka50",
      0.7,
      allWorkers,
      nginxAuto,
      (x) => x.rate,
      false,
      "workers = cores: c50 req/s ≥ 0.7× nginx auto",
    );
    r(
      "ka200",
      0.7,
      allWorkers,
      nginxAuto,
      (x) => x.rate,
      false,
      "workers = cores: c200 req/s ≥ 0.7× nginx auto",
    );
    r(
      "close50",
      0.6,
      allWorkers,
      nginxAuto,
      (x) => x.rate,
      false,
      "workers = cores: new connections per second ≥ 0.6× nginx auto",
    );
    r(
      "large8",
      0.8,
      allWorkers,
      nginxAuto,
      (x) => x.rate,
      false,
      "workers = cores: 1 MiB MiB/s ≥ 0.8× nginx auto",
    );
    r("ka50", 2, allWorkers, nginxAuto, (x) => x.p99, true, "workers = cores: p99 at c50 ≤ 2× nginx auto");
    for (const sys of [oneWorker, allWorkers]) {
      if (!sys) continue;
      const peak = Math.max(
        ...this.scenarios
          .map((s) => g(s.id, sys)?.rssMaxProcess ?? Number.NaN)
          .filter((v) => !Number.isNaN(v)),
      );
      check(
        `RSS ≤ 100 MB a worker (${sys.name}, largest process in any run)`,
        Number.isFinite(peak) ? peak : undefined,
        100,
        true,
        (v) => `${fmt(v)} MB`,
      );
    }
  }

  /** --baseline: the current build against another build at one worker, every row (issue 9's 5 % rule). */
  baseline(): void {
    const { oneWorker, baseline } = this.roles;
    if (!oneWorker || !baseline) return;
    this.print("");
    for (const s of this.scenarios) {
      const now = this.get(s.id, oneWorker);
      const before = this.get(s.id, baseline);
      if (!now || !before) continue;
      const ok = now.rate >= 0.95 * before.rate;
      this.print(
        `${ok ? "PASS" : "MISS"}  ${s.label} ${rateUnit(s)} within 5 % of the baseline build or better: ${fmt(now.rate, 0)} vs ${fmt(before.rate, 0)} (${ratio(now.rate, before.rate)}×); ${cpuUnit(s)} ${fmt(now.cpuPerUnit)} vs ${fmt(before.cpuPerUnit)}`,
      );
    }
  }
}
