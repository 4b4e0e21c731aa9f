// examples/cpu-autoscaling with --nlb against the whole system (fast mode, process driver): the example
// builds a Network Load Balancer with a TCP listener and a TCP target group health-checked over TCP in
// front of its auto scaling group, its CPU load reaches the instances through the TCP listener, and
// Ctrl-C deletes what it created.

import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { freePort } from "@scaleout/queue";
import { eventually, integrationTest as test } from "@scaleout/testing";
import { afterEach, expect } from "vitest";
import { type RunningSystem, root, startSystem } from "../../../../tests/e2e/system.ts";

let system: RunningSystem | undefined;
let example: ChildProcess | undefined;
afterEach(() => {
  if (example && example.exitCode === null) example.kill("SIGKILL");
  example = undefined;
  system?.kill();
  system = undefined;
});

test("the CPU example runs against an NLB with a TCP listener (--nlb), and cleans up on Ctrl-C", async ({
  redisUrl,
  prefix,
  dataDir,
}) => {
  const sys = await startSystem({ redisUrl, prefix, dataDir, compute: "process" });
  system = sys;
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(root, "examples", "cpu-autoscaling", "run.ts"),
      "--nlb",
      "--api",
      sys.api,
      "--port",
      String(port),
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  example = child;
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => lines.push(line));
  createInterface({ input: child.stderr }).on("line", (line) => lines.push(`stderr: ${line}`));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const output = () => `${lines.join("\n")}\n${sys.output().slice(-2000)}`;

  await eventually(() => (lines.some((l) => l.includes("load on")) ? true : undefined), {
    timeoutMs: 60_000,
    intervalMs: 200,
    message: `the example's load\n${output()}`,
  });
  expect(lines[0]).toContain(`network load balancer, TCP listener :${port}`);
  // Requests answered by an instance through the TCP listener, counted by full instance id.
  await eventually(() => (lines.some((l) => /i-[0-9a-f]{17}:[1-9]\d*/.test(l)) ? true : undefined), {
    timeoutMs: 30_000,
    intervalMs: 200,
    message: `requests served through the NLB\n${output()}`,
  });
  const { body } = await sys.call<{ type?: string }>("GET", "/v1/load-balancers/cpu-demo");
  expect(body.type).toBe("network");
  const group = await sys.call<{ protocol?: string; healthCheckProtocol?: string }>(
    "GET",
    "/v1/target-groups/cpu-demo-tg",
  );
  expect(group.body).toMatchObject({ protocol: "TCP", healthCheckProtocol: "TCP" });

  child.kill("SIGINT");
  expect(await exited).toBe(130);
  expect(lines.join("\n")).toContain("interrupted: deleting what this example created");
  expect((await sys.call("GET", "/v1/load-balancers/cpu-demo")).status).toBe(404);
}, 150_000);
