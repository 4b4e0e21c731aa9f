// `npm start` heals: kill -9 of the api, the worker, Redis and the proxy, each in turn, and each is back
// within seconds with the registry intact; traffic through a listener sees no failure while the api, the
// worker or Redis restart (the proxy serves from its snapshot). A second start against the same port or
// data directory says so in one line. Only processes this test started are signalled, by pid; traffic
// goes to 127.0.0.1 only.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { createRedis, freePort } from "@scaleout/queue";
import { eventually, integrationTest as test } from "@scaleout/testing";
import { afterEach, expect } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const token = "heal-test-token";
const cleanups: (() => void | Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Requests through the listener from `concurrency` loops until stopped; counts answers that are not 200. */
function sendTraffic(port: number, concurrency = 4) {
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const loop = async () => {
    while (running) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) });
        const body = await res.text();
        if (res.status === 200 && body === "target") ok++;
        else failures.push(`${res.status} ${body.slice(0, 80)}`);
      } catch (error) {
        failures.push(
          error instanceof Error ? `${error.message} ${String(error.cause ?? "")}` : String(error),
        );
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { ok, failures };
    },
  };
}

/** `npm start` as a user runs it (the bootstrap, a build, scripts/start.ts), its output collected. */
function npmStart(env: NodeJS.ProcessEnv) {
  let output = "";
  const system = spawn(process.execPath, [join(root, "scripts", "bootstrap.mjs"), "start"], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [system.stdout, system.stderr]) {
    stream.on("data", (d: Buffer) => {
      output += d;
    });
  }
  // A failed test must leave nothing running: stop the system as a user would, then SIGKILL whatever
  // process its supervisor reported starting that is still alive (by pid; nothing else is signalled).
  cleanups.push(async () => {
    if (system.exitCode === null && system.signalCode === null) {
      system.kill("SIGINT");
      await Promise.race([exited(system), new Promise((resolve) => setTimeout(resolve, 20_000))]);
    }
    for (const match of output.matchAll(/started \w+ \(pid (\d+)\)/g)) {
      const pid = Number(match[1]);
      if (alive(pid)) process.kill(pid, "SIGKILL");
    }
  });
  return {
    system,
    output: () => output,
    fail: (error: unknown): never => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- output ---\n${output}`);
    },
    /** The pid the supervisor last reported for `name` ("started <name> (pid N)"). */
    pidOf: (name: string): number | undefined => {
      const matches = [...output.matchAll(new RegExp(`started ${name} \\(pid (\\d+)\\)`, "g"))];
      const last = matches.at(-1)?.[1];
      return last === undefined ? undefined : Number(last);
    },
  };
}

/** Resolves once the api at `api` answers /healthz with Redis connected. */
function apiHealthy(api: string, headers: Record<string, string> = {}) {
  return eventually(
    async () => {
      const res = await fetch(`${api}/healthz`, { headers, signal: AbortSignal.timeout(5_000) });
      const body = (await res.json()) as { dependencies?: Record<string, string> };
      return body.dependencies?.redis === "ok" ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100, message: "the api to answer with Redis connected" },
  );
}

test("npm start restarts each process killed with -9, keeps the registry, and serves throughout", async ({
  dataDir,
}) => {
  const apiPort = await freePort();
  const api = `http://127.0.0.1:${apiPort}`;
  const env = {
    ...process.env,
    REDIS_URL: "", // the supervisor's own redis-server, so it can be killed and restarted
    SCALEOUT_API_PORT: String(apiPort),
    SCALEOUT_API_TOKEN: token,
    SCALEOUT_DATA_DIR: dataDir,
    SCALEOUT_COMPUTE: "process",
    SCALEOUT_FAST: "1",
    SCALEOUT_ACCESS_LOG: "off",
  };
  const sys = npmStart(env);
  const { system, pidOf, fail } = sys;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5_000),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const healthy = () => apiHealthy(api, { authorization: `Bearer ${token}` }).catch(fail);

  const startedAt = Date.now();
  await healthy();
  console.info(`npm start: api healthy after ${Date.now() - startedAt} ms`);
  // It says where everything is, once the api answers; not on a terminal, every line is JSON.
  await eventually(() => (sys.output().includes("scaleout is up") ? true : undefined), {
    timeoutMs: 10_000,
    message: "the line saying where scaleout is",
  }).catch(fail);
  const upLine = sys
    .output()
    .split("\n")
    .find((line) => line.includes("scaleout is up"));
  expect(JSON.parse(upLine ?? "{}")).toMatchObject({
    level: "info",
    process: "scaleout",
    msg: `scaleout is up: console ${api}/console, API docs ${api}/docs, REST ${api}/v1, AWS endpoint ${api} (aws --endpoint-url ${api}); data in ${dataDir}`,
  });

  // ---- A load balancer, a listener and a target group with a local target, through the REST api --------
  const target: Server = createServer((_req, res) => res.end("target"));
  const targetPort = await freePort();
  await new Promise<void>((resolve) => target.listen(targetPort, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => target.close(() => resolve())));
  target.keepAliveTimeout = 120_000;
  expect((await call("POST", "/v1/load-balancers", { name: "heal" })).status).toBe(201);
  const group = await call("POST", "/v1/target-groups", {
    name: "heal-tg",
    protocol: "HTTP",
    port: 80,
    targetType: "ip",
    healthCheckPath: "/",
    healthCheckIntervalSeconds: 1,
    healthCheckTimeoutSeconds: 1,
    healthyThresholdCount: 2,
  });
  expect(group.status).toBe(201);
  const targetGroupArn = String(group.body.targetGroupArn);
  expect(
    (
      await call("POST", "/v1/target-groups/heal-tg/targets", {
        targets: [{ id: "127.0.0.1", port: targetPort }],
      })
    ).status,
  ).toBe(200);
  let listenerPort = 0;
  for (let attempt = 0; attempt < 3 && listenerPort === 0; attempt++) {
    const port = await freePort();
    const created = await call("POST", "/v1/load-balancers/heal/listeners", {
      protocol: "HTTP",
      port,
      defaultActions: [{ type: "forward", targetGroupArn }],
    });
    expect(created.status).toBe(201);
    const answered = await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) });
        return (await res.text()) === "target" ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, message: "the listener to answer" },
    ).catch(() => false);
    // A port found free can be taken before the proxy binds it: then use another.
    if (answered) listenerPort = port;
    else await call("DELETE", `/v1/listeners/${encodeURIComponent(String(created.body.listenerArn))}`);
  }
  expect(listenerPort).not.toBe(0);
  const registryIntact = async () => {
    const lbs = await call("GET", "/v1/load-balancers");
    const tgs = await call("GET", "/v1/target-groups");
    expect(JSON.stringify(lbs.body)).toContain('"heal"');
    expect(JSON.stringify(tgs.body)).toContain('"heal-tg"');
  };

  // The private Redis demands the generated password, which only REDIS_URL in the children's environment
  // carries; it appears in no sys.output().
  const apiPid = pidOf("api");
  if (apiPid === undefined) fail(new Error("no api pid"));
  const childEnv = readFileSync(`/proc/${apiPid}/environ`, "utf8").split("\0");
  const redisUrl = childEnv.find((entry) => entry.startsWith("REDIS_URL="))?.slice("REDIS_URL=".length) ?? "";
  const password = decodeURIComponent(new URL(redisUrl).password);
  expect(password).toMatch(/^[0-9a-f]{48}$/);
  expect(sys.output()).not.toContain(password);
  const redisPort = new URL(redisUrl).port;
  const anonymous = createRedis(`redis://127.0.0.1:${redisPort}`, "worker");
  anonymous.on("error", () => {});
  await expect(anonymous.get("x")).rejects.toThrow(/NOAUTH/);
  anonymous.disconnect();
  const redis = createRedis(redisUrl, "worker");
  redis.on("error", () => {}); // refused while Redis restarts; it reconnects
  cleanups.push(() => redis.disconnect());
  await redis.set("heal-test:survives", "yes");

  // ---- kill -9 of the api, the worker and Redis: back within seconds, no failed request meanwhile -----
  const heal = async (name: string, back: () => Promise<unknown>) => {
    const before = pidOf(name);
    if (before === undefined) fail(new Error(`no pid for ${name}`));
    const traffic = sendTraffic(listenerPort);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const killedAt = Date.now();
    process.kill(Number(before), "SIGKILL");
    await eventually(() => (pidOf(name) !== before ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 20,
      message: `${name} to be restarted`,
    }).catch(fail);
    await back();
    const healedMs = Date.now() - killedAt;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { ok, failures } = await traffic.stop();
    console.info(`kill -9 ${name}: back in ${healedMs} ms; ${ok} requests ok, ${failures.length} failed`);
    expect(sys.output()).toMatch(
      new RegExp(`${name} died \\(signal SIGKILL\\) after [\\d.]+ s.*; restarting in \\d+ ms`),
    );
    await registryIntact();
    return { ok, failures, healedMs };
  };

  const apiRun = await heal("api", healthy);
  expect(apiRun.failures).toEqual([]);
  expect(apiRun.ok).toBeGreaterThan(0);

  const workerStarts = () => sys.output().match(/"process":"worker"[^\n]*worker started/g)?.length ?? 0;
  const workerStartsBefore = workerStarts();
  const workerRun = await heal("worker", () =>
    eventually(() => (workerStarts() > workerStartsBefore ? true : undefined), {
      timeoutMs: 15_000,
      message: "the restarted worker to start its processors",
    }).catch(fail),
  );
  expect(workerRun.failures).toEqual([]);

  const redisRun = await heal("redis", async () => {
    await healthy();
    // Its data came back from the append-only file in the data directory.
    await eventually(async () => ((await redis.get("heal-test:survives")) === "yes" ? true : undefined), {
      timeoutMs: 10_000,
      message: "the key written before the crash",
    }).catch(fail);
  });
  expect(redisRun.failures).toEqual([]);
  expect(existsSync(join(dataDir, "redis", "appendonlydir"))).toBe(true);

  // ---- kill -9 of the proxy: requests fail while it is gone, then it serves again ----------------------
  const proxyBefore = Number(pidOf("proxy"));
  const killedAt = Date.now();
  process.kill(proxyBefore, "SIGKILL");
  await eventually(
    async () => {
      const res = await fetch(`http://127.0.0.1:${listenerPort}/`, { signal: AbortSignal.timeout(1_000) });
      return (await res.text()) === "target" && pidOf("proxy") !== proxyBefore ? true : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 50, message: "the restarted proxy to serve the listener" },
  ).catch(fail);
  console.info(`kill -9 proxy: serving again in ${Date.now() - killedAt} ms`);
  await registryIntact();

  // ---- A second start against the same port, or the same data directory, says so in one line -------------
  const secondStart = async (overrides: Record<string, string>) => {
    const second = spawn(process.execPath, [join(root, "scripts", "bootstrap.mjs"), "start"], {
      cwd: root,
      env: { ...env, ...overrides },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    second.stdout.on("data", (d: Buffer) => {
      text += d;
    });
    second.stderr.on("data", (d: Buffer) => {
      text += d;
    });
    const timer = setTimeout(() => second.kill("SIGKILL"), 20_000);
    const code = await exited(second);
    clearTimeout(timer);
    return { code, lines: text.trimEnd().split("\n") };
  };
  const samePort = await secondStart({ SCALEOUT_DATA_DIR: join(dataDir, "other") });
  expect(samePort.code).toBe(1);
  // Not a terminal: npm start's own lines are JSON too (scripts/pretty-log.ts).
  const messages = (lines: string[]) => lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
  expect(messages(samePort.lines)).toEqual([
    `the api port ${apiPort} on 127.0.0.1 is already in use (another scaleout or program); stop it or set SCALEOUT_API_PORT`,
  ]);
  const sameDir = await secondStart({ SCALEOUT_API_PORT: String(await freePort()) });
  expect(sameDir.code).toBe(1);
  expect(sameDir.lines).toHaveLength(1);
  expect(messages(sameDir.lines)[0]).toMatch(/^data directory .* is in use by another scaleout \(pid \d+/);

  // ---- Ctrl-C stops everything, Redis last, and exits 0 -------------------------------------------------
  const last = ["api", "worker", "proxy", "redis"].map((name) => Number(pidOf(name)));
  system.kill("SIGINT");
  expect(await exited(system)).toBe(0);
  for (const pid of last) expect(alive(pid)).toBe(false);
  expect(existsSync(join(dataDir, "scaleout.pid"))).toBe(false);
  const all = sys.output();
  const stopping = all.slice(all.lastIndexOf("stopping..."));
  const order = [
    /"process":"proxy","msg":"SIGTERM: draining"/,
    /"process":"worker","msg":"shutting down"/,
    /"process":"api","msg":"shutting down"/,
  ].map((marker) => stopping.search(marker));
  expect(order.every((index) => index >= 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  // It says the instances stay, and how to stop them.
  expect(stopping).toContain(
    "scaleout stopped; its instances keep running and the next npm start adopts them. To stop them: npm run stop-instances",
  );
}, 90_000);

test("after a kill -9 of npm start itself its apps stop, and the next start takes over the data directory", async ({
  dataDir,
}) => {
  const apiPort = await freePort();
  const api = `http://127.0.0.1:${apiPort}`;
  const env = {
    ...process.env,
    REDIS_URL: "",
    SCALEOUT_API_PORT: String(apiPort),
    SCALEOUT_DATA_DIR: dataDir,
    SCALEOUT_COMPUTE: "process",
    SCALEOUT_FAST: "1",
    SCALEOUT_ACCESS_LOG: "off",
  };
  const first = npmStart(env);
  await apiHealthy(api).catch(first.fail);
  const names = ["api", "worker", "proxy"];
  const apps = names.map((name) => Number(first.pidOf(name)));
  const redisPid = Number(first.pidOf("redis"));
  // The supervisor's pid is the one in the data directory's lock.
  const supervisorPid = Number(readFileSync(join(dataDir, "scaleout.pid"), "utf8"));
  expect(alive(supervisorPid)).toBe(true);
  process.kill(supervisorPid, "SIGKILL");
  // Its apps see their channel close and stop; its Redis cannot notice.
  // Within their stop timeout (15 s), after which they exit regardless.
  await eventually(() => (apps.every((pid) => !alive(pid)) ? true : undefined), {
    timeoutMs: 20_000,
    message: "the apps of a killed npm start to stop",
  }).catch((error: unknown) =>
    first.fail(
      new Error(
        `${error instanceof Error ? error.message : String(error)}; still running: ${names
          .flatMap((name, i) => {
            const pid = Number(apps[i]);
            if (!alive(pid)) return [];
            const proc = (file: string) => {
              try {
                return readFileSync(`/proc/${pid}/${file}`, "utf8").trim();
              } catch {
                return "?";
              }
            };
            const state = proc("status").match(/State:.*/)?.[0];
            return [`${name} (pid ${pid}, ${state}, wchan ${proc("wchan")})`];
          })
          .join(", ")}`,
      ),
    ),
  );
  expect(alive(redisPid)).toBe(true);
  await exited(first.system);

  const second = npmStart(env);
  await apiHealthy(api).catch(second.fail);
  expect(second.output()).toContain(
    `stopped the redis-server (pid ${redisPid}) an earlier start left running`,
  );
  expect(alive(redisPid)).toBe(false);
  second.system.kill("SIGINT");
  expect(await exited(second.system)).toBe(0);
}, 90_000);
