// GET /metrics (issue 13, item 2) end to end: the real api, worker and proxy (an owner with two workers)
// as child processes on a real Redis, traffic sent through a real listener to a target this test serves,
// and the scraped figures checked against what was sent; `promtool check metrics` judges the format.

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { createProcessDriver } from "@scaleout/compute";
import { eventually, tempDir } from "@scaleout/testing";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { parseExposition, type Series, sumOf } from "./exposition.ts";
import { addLoadBalancedGroup, exampleApp, type RunningSystem, startSystem } from "./system.ts";

const dir = tempDir();
const prefix = `t${randomBytes(4).toString("hex")}`;
const driver = createProcessDriver({ stateDir: join(dir.dir, "instances") });
let sys: RunningSystem;
let target: Server;

beforeAll(async () => {
  sys = await startSystem({
    redisUrl: inject("redisUrl"),
    prefix,
    dataDir: dir.dir,
    compute: "process",
    env: { SCALEOUT_PROXY_WORKERS: "2" },
  });
  // The target: answers by path, so the test knows each response's status class.
  target = createServer((req, res) => {
    const status = req.url === "/missing" ? 404 : req.url === "/boom" ? 500 : 200;
    res.writeHead(status, { "content-type": "text/plain" }).end(String(status));
  });
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
}, 90_000);

afterAll(async () => {
  sys?.kill();
  target?.close();
  for (const instance of await driver.list())
    await driver.terminate(instance.instanceId, { graceSeconds: 0 });
  await driver.close();
  dir.remove();
});

async function scrape(): Promise<{ text: string; series: Series[] }> {
  const res = await fetch(`${sys.api}/metrics`, { signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, series: parseExposition(text) };
}

/** promtool from Debian's prometheus package; CI installs it (.ci/run), elsewhere its absence skips the check. */
async function promtool(text: string): Promise<{ code: number; output: string } | undefined> {
  return new Promise((resolve) => {
    const child = execFile("promtool", ["check", "metrics"], { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error && "code" in error && error.code === "ENOENT") resolve(undefined);
      else resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(text);
  });
}

test("the scraped figures match the traffic sent, the registry's state and every process; promtool accepts them", async () => {
  const name = `prom-${prefix}`;
  const { targetGroup, targetGroupArn, port } = await addLoadBalancedGroup(sys, name, {
    deregistrationDelaySeconds: 0,
  });
  const tgDimension = targetGroupArn.slice(targetGroupArn.lastIndexOf(":") + 1);
  const address = target.address();
  if (address === null || typeof address === "string") throw new Error("no target port");
  const targetKey = `127.0.0.1:${address.port}`;
  await sys.ok("POST", `/v1/target-groups/${targetGroup}/targets`, {
    targets: [{ id: "127.0.0.1", port: address.port }],
  });
  // A group and an alarm in the registry.
  const template = `tpl-${prefix}`;
  await sys.ok("POST", "/v1/launch-templates", {
    launchTemplateName: template,
    command: [process.execPath, exampleApp],
  });
  const group = `asg-${prefix}`;
  await sys.ok("POST", "/v1/auto-scaling-groups", {
    autoScalingGroupName: group,
    launchTemplate: { launchTemplateName: template },
    minSize: 0,
    maxSize: 3,
    desiredCapacity: 1,
  });
  const cloudWatch = new CloudWatchClient({
    endpoint: sys.api,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
  const alarm = `alarm-${prefix}`;
  await cloudWatch.send(
    new PutMetricAlarmCommand({
      AlarmName: alarm,
      Namespace: "AWS/EC2",
      MetricName: "CPUUtilization",
      Dimensions: [{ Name: "AutoScalingGroupName", Value: group }],
      Statistic: "Average",
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 50,
      ComparisonOperator: "GreaterThanThreshold",
    }),
  );
  await cloudWatch.send(
    new SetAlarmStateCommand({ AlarmName: alarm, StateValue: "ALARM", StateReason: "prometheus test" }),
  );

  // The target turns healthy; then the counts before the traffic, once the proxy's figures are in.
  const healthy = { target_group: tgDimension, target: targetKey, state: "healthy" };
  const before = await eventually(
    async () => {
      const { series } = await scrape();
      return sumOf(series, "scaleout_target_health", healthy) === 1 &&
        series.some((s) => s.name === "scaleout_lb_requests_total")
        ? series
        : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 250, message: "a healthy target and the proxy's figures" },
  );
  const lb = series(before, "scaleout_lb_requests_total").find((s) =>
    s.labels.load_balancer?.includes(`/${name}/`),
  )?.labels.load_balancer;
  expect(lb).toBeDefined();

  const sent = { "2xx": 7, "4xx": 3, "5xx": 2 };
  const paths: string[] = [
    ...Array<string>(sent["2xx"]).fill("/ok"),
    ...Array<string>(sent["4xx"]).fill("/missing"),
    ...Array<string>(sent["5xx"]).fill("/boom"),
  ];
  for (const path of paths) {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
  }
  const total = paths.length;
  const byLb = { load_balancer: lb ?? "" };
  const byTarget = { target_group: tgDimension, target: targetKey };
  const delta = (now: Series[], metric: string, labels: Record<string, string>) =>
    sumOf(now, metric, labels) - sumOf(before, metric, labels);

  const after = await eventually(
    async () => {
      const { series } = await scrape();
      return delta(series, "scaleout_lb_requests_total", byLb) >= total &&
        delta(series, "scaleout_target_response_seconds_count", byTarget) >= total
        ? series
        : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 250, message: "the traffic in /metrics" },
  );
  expect(delta(after, "scaleout_lb_requests_total", byLb)).toBe(total);
  expect(delta(after, "scaleout_target_group_requests_total", { ...byLb, target_group: tgDimension })).toBe(
    total,
  );
  for (const [cls, count] of Object.entries(sent)) {
    expect(delta(after, "scaleout_lb_http_responses_total", { ...byLb, source: "target", class: cls })).toBe(
      count,
    );
    expect(
      delta(after, "scaleout_target_group_http_responses_total", { target_group: tgDimension, class: cls }),
    ).toBe(count);
    expect(delta(after, "scaleout_target_http_responses_total", { ...byTarget, class: cls })).toBe(count);
  }
  // The histogram: every response in +Inf, count and +Inf agree, and a sum of real (positive) time.
  expect(delta(after, "scaleout_target_response_seconds_count", byTarget)).toBe(total);
  expect(delta(after, "scaleout_target_response_seconds_bucket", { ...byTarget, le: "+Inf" })).toBe(total);
  expect(sumOf(after, "scaleout_target_response_seconds_sum", byTarget)).toBeGreaterThan(0);
  // The listener's first probe, before any target was registered, was the load balancer's own 503.
  expect(
    sumOf(after, "scaleout_lb_http_responses_total", { ...byLb, source: "elb", class: "5xx" }),
  ).toBeGreaterThan(0);
  expect(sumOf(after, "scaleout_lb_new_connections_total", byLb)).toBeGreaterThan(0);

  // The registry's figures and every process's.
  expect(sumOf(after, "scaleout_target_health", healthy)).toBe(1);
  expect(sumOf(after, "scaleout_target_health", { ...byTarget, state: "unhealthy" })).toBe(0);
  expect(sumOf(after, "scaleout_autoscaling_group_desired_capacity", { group })).toBe(1);
  expect(sumOf(after, "scaleout_autoscaling_group_max_size", { group })).toBe(3);
  // One series of the alarm's is 1: the state DescribeAlarms shows (the evaluator may have moved it on
  // from the ALARM set above, so both are read together until they agree).
  expect(sumOf(after, "scaleout_alarm_state", { alarm })).toBe(1);
  await eventually(
    async () => {
      const { series: now } = await scrape();
      const { stateValue } = await sys.ok<{ stateValue: string }>("GET", `/v1/alarms/${alarm}`);
      return sumOf(now, "scaleout_alarm_state", { alarm, state: stateValue }) === 1 ? true : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 100, message: "the alarm's state in /metrics" },
  );
  for (const process of ["api", "worker", "proxy", "proxy-workers"])
    expect(sumOf(after, "process_resident_memory_bytes", { process }), process).toBeGreaterThan(0);
  const { series: last, text } = await eventually(
    async () => {
      const scraped = await scrape();
      return sumOf(scraped.series, "scaleout_worker_job_duration_seconds_count", {
        queue: "collect-metrics",
      }) > 0
        ? scraped
        : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 250, message: "the worker's job figures" },
  );
  expect(
    sumOf(last, "scaleout_worker_job_failures_total", { queue: "reconcile-group" }),
  ).toBeGreaterThanOrEqual(0);

  const checked = await promtool(text);
  if (checked === undefined) {
    if (process.env.CI) throw new Error("promtool is missing: .ci/run installs Debian's prometheus package");
    console.warn(
      "skipping `promtool check metrics`: promtool is not installed (Debian's prometheus package)",
    );
    return;
  }
  expect(checked.output).toBe("");
  expect(checked.code).toBe(0);
}, 120_000);

function series(all: Series[], name: string): Series[] {
  return all.filter((s) => s.name === name);
}
