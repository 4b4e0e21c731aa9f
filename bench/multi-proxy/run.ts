// bench/multi-proxy: the throughput of one proxy process against two behind the same listeners. Two
// `scaleout proxy --api` processes on 127.0.0.2 and 127.0.0.3 (each fed only by the api) serve one
// listener over the same two targets; "one" loads 127.0.0.2 alone with wrk c<C>, "two" loads both with
// two wrk c<C/2> at once, and the rows alternate run by run. Prints each row's rate and the ratio.
// See README.md (and docs/multi-host.md for what a second host adds).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { limitsFor } from "@scaleout/core";
import { createDb, runMigrations } from "@scaleout/db";
import { freePort } from "@scaleout/queue";
import { createContext, createServices } from "@scaleout/services";
import { buildApp } from "../../apps/api/src/app.ts";
import { hasCommand, median, start, stopAll, waitForHttp, wrkAsync } from "../lib/measure.ts";

const { values: flags } = parseArgs({
  options: {
    seconds: { type: "string", default: "8" },
    repeats: { type: "string", default: "3" },
    connections: { type: "string", default: "50" },
  },
});
const seconds = Number(flags.seconds);
const repeats = Number(flags.repeats);
const connections = Number(flags.connections);
const log = (line: string) => process.stderr.write(`${line}\n`);
if (!hasCommand("wrk")) throw new Error("wrk is needed (apt-get install wrk)");

const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "scaleout-multi-proxy-"));
const handle = createDb(join(dir, "scaleout.db"));
runMigrations(handle.db);
const services = createServices(createContext(handle.db, { limits: limitsFor(true) }));
const app = await buildApp({ services, proxyFeed: { leaseTtlMs: 3000 } });
await app.listen({ host: "127.0.0.1", port: 0 });
const api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

const targetPorts = [await freePort(), await freePort()];
for (const port of targetPorts) start(process.execPath, [join(root, "bench/proxy/target.cjs"), String(port)]);
for (const port of targetPorts) await waitForHttp(`http://127.0.0.1:${port}/`);
const lb = services.loadBalancers.create({ name: "bench" }).loadBalancer.loadBalancerArn;
const { targetGroup } = services.targetGroups.create({
  name: "bench",
  protocol: "HTTP",
  port: 80,
  targetType: "ip",
  healthCheckPath: "/",
  healthCheckIntervalSeconds: 5,
});
services.targetGroups.register(
  "bench",
  targetPorts.map((port) => ({ id: "127.0.0.1", port })),
);
const port = await freePort();
const { listenerArn } = services.listeners.create(lb, {
  protocol: "HTTP",
  port,
  defaultActions: [{ type: "forward", targetGroupArn: targetGroup.targetGroupArn }],
});

const hosts = ["127.0.0.2", "127.0.0.3"];
for (const [i, host] of hosts.entries()) {
  const child = spawn(
    process.execPath,
    [join(root, "bin/scaleout.mjs"), "proxy", "--api", api, "--bind", host, "--id", `bench-${i}`],
    { env: { PATH: process.env.PATH ?? "", SCALEOUT_FAST: "1", LOG_LEVEL: "warn" }, stdio: "inherit" },
  );
  process.on("exit", () => child.kill("SIGTERM"));
}
for (const host of hosts) await waitForHttp(`http://${host}:${port}/`, 60_000);

/**
 * Issue 17's propagation figure: from the api's answer to a CreateRule (REST) until a proxy serves the
 * new rule, polled back to back on each proxy. The worse of the two proxies counts for a rule.
 */
async function servedAfterCreate(n: number): Promise<number[]> {
  const path = `/propagation-${n}`;
  const body = `rule ${n}`;
  const response = await fetch(`${api}/v1/listeners/${encodeURIComponent(listenerArn)}/rules`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      priority: 100 + n,
      conditions: [{ field: "path-pattern", values: [path] }],
      actions: [{ type: "fixed-response", fixedResponseConfig: { statusCode: "200", messageBody: body } }],
    }),
  });
  if (response.status !== 201) throw new Error(`CreateRule answered ${response.status}`);
  const created = performance.now();
  return Promise.all(
    hosts.map(async (host) => {
      const deadline = created + 10_000;
      while (performance.now() < deadline) {
        const answer = await fetch(`http://${host}:${port}${path}`);
        if ((await answer.text()) === body) return performance.now() - created;
      }
      throw new Error(`${host} did not serve ${path} within 10 s`);
    }),
  );
}
const propagation: number[][] = [];
for (let n = 1; n <= 5; n++) propagation.push(await servedAfterCreate(n));
const worstPerRule = propagation.map((times) => Math.max(...times));

const rows: Record<"one" | "two", number[]> = { one: [], two: [] };
const measure = async (row: "one" | "two", runSeconds: number) => {
  if (row === "one")
    return (await wrkAsync(`http://${hosts[0]}:${port}/`, connections, runSeconds)).requestsPerSecond;
  const results = await Promise.all(
    hosts.map((host) => wrkAsync(`http://${host}:${port}/`, Math.max(1, connections / 2), runSeconds)),
  );
  return results.reduce((sum, r) => sum + r.requestsPerSecond, 0);
};
log(
  `warm-up (2 s each), then ${repeats} × ${seconds} s per row, c${connections}, ${availableParallelism()} cores`,
);
await measure("one", 2);
await measure("two", 2);
for (let r = 0; r < repeats; r++) {
  const order: Array<"one" | "two"> = r % 2 === 0 ? ["one", "two"] : ["two", "one"];
  for (const row of order) {
    const rate = await measure(row, seconds);
    rows[row].push(rate);
    log(`  run ${r + 1} ${row}: ${Math.round(rate)} req/s`);
  }
}
const one = median(rows.one);
const two = median(rows.two);
process.stdout.write(
  [
    `bench/multi-proxy: keep-alive c${connections}, ${seconds} s × ${repeats}, ${availableParallelism()} cores, fed by the api`,
    `  one proxy process (127.0.0.2)                 ${Math.round(one)} req/s (median; runs ${rows.one.map(Math.round).join(", ")})`,
    `  two proxy processes (127.0.0.2 + 127.0.0.3)   ${Math.round(two)} req/s (median; runs ${rows.two.map(Math.round).join(", ")})`,
    `  two / one: ${(two / one).toFixed(2)}`,
    `  rule created through the api → served by both proxies, ms (5 rules; 127.0.0.2 / 127.0.0.3): ${propagation.map((t) => t.map(Math.round).join(" / ")).join(", ")}`,
    `${median(worstPerRule) < 100 ? "PASS" : "MISS"} a new rule served by both proxies within 100 ms (median of the worse proxy): ${Math.round(median(worstPerRule))} ms`,
    "",
  ].join("\n"),
);
stopAll();
await app.close();
handle.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
