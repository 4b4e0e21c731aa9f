import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "@scaleout/queue";
import { eventually, integrationTest as test } from "@scaleout/testing";
import { afterEach, expect } from "vitest";

const root = join(import.meta.dirname, "..", "..");
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function exited(process: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (process.exitCode !== null) resolve(process.exitCode);
    else process.once("exit", (code) => resolve(code));
  });
}

/** `npm start` as a user runs it: the bootstrap, a private Redis, api, worker and proxy; Ctrl-C stops all. */
test("npm start runs the whole system and stops cleanly on SIGINT", async ({ dataDir }) => {
  const apiPort = await freePort();
  const listenerPort = await freePort();
  let output = "";
  child = spawn(process.execPath, [join(root, "scripts", "bootstrap.mjs"), "start"], {
    cwd: root,
    env: {
      ...process.env,
      REDIS_URL: "", // the bootstrap must start its own redis-server
      SCALEOUT_API_PORT: String(apiPort),
      SCALEOUT_DATA_DIR: dataDir,
      SCALEOUT_COMPUTE: "process",
      SCALEOUT_FAST: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => {
    output += d;
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d;
  });
  const api = `http://127.0.0.1:${apiPort}`;
  const health = await eventually(
    async () => {
      const res = await fetch(`${api}/healthz`);
      const body = (await res.json()) as { dependencies: Record<string, string> };
      return body.dependencies.redis === "ok" ? body : undefined;
    },
    { timeoutMs: 60_000, message: "the api to answer with Redis connected" },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${output}`);
  });
  expect(health.dependencies.redis).toBe("ok");

  // The supervisor, which starts every app with its own node, runs on Node 24 from packages/node-runtime,
  // or on the node that ran the bootstrap when SCALEOUT_NODE=system.
  const supervisorPid = Number(readFileSync(join(dataDir, "scaleout.pid"), "utf8"));
  const supervisorNode = readlinkSync(`/proc/${supervisorPid}/exe`);
  const version = spawnSync(supervisorNode, ["--version"], { encoding: "utf8" }).stdout.trim();
  if (process.env.SCALEOUT_NODE === "system") expect(version).toBe(process.version);
  else expect(version).toMatch(/^v24\./);

  // The proxy is up: a listener created through the api serves within moments.
  const post = (path: string, body: unknown) =>
    fetch(`${api}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  expect((await post("/v1/load-balancers", { name: "smoke" })).status).toBe(201);
  const listener = await post("/v1/load-balancers/smoke/listeners", {
    protocol: "HTTP",
    port: listenerPort,
    defaultActions: [
      { type: "fixed-response", fixedResponseConfig: { statusCode: "200", messageBody: "up" } },
    ],
  });
  expect(listener.status).toBe(201);
  const answer = await eventually(
    async () => {
      const res = await fetch(`http://127.0.0.1:${listenerPort}/`);
      return res.status === 200 ? res.text() : undefined;
    },
    { timeoutMs: 10_000, message: "the listener to answer" },
  );
  expect(answer).toBe("up");

  child.kill("SIGINT");
  expect(await exited(child)).toBe(0);
  // Nothing left listening.
  await expect(fetch(`${api}/healthz`)).rejects.toThrow();
  await expect(fetch(`http://127.0.0.1:${listenerPort}/`)).rejects.toThrow();
}, 120_000);
