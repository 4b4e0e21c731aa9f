// GET /metrics on the api alone: the token rule, the merge of the snapshots other processes keep in Redis
// (expired and torn ones left out) and an answer while Redis is down. The figures against real traffic
// are checked end to end in tests/e2e/prometheus.test.ts.

import { join } from "node:path";
import { limitsFor } from "@scaleout/core";
import { createDb, runMigrations } from "@scaleout/db";
import { createRedis, freePort, type MetricSnapshot, publishMetricSnapshot } from "@scaleout/queue";
import { createContext, createServices } from "@scaleout/services";
import { integrationTest } from "@scaleout/testing";
import { expect } from "vitest";
import { buildApp } from "../src/app.ts";
import { recordEvents } from "./helpers.ts";

const jobs = (queue: string, value: number): MetricSnapshot => [
  {
    name: "scaleout_worker_job_failures_total",
    help: "Worker jobs that failed (each failed attempt), by queue",
    type: "counter",
    aggregator: "sum",
    values: [{ labels: { queue, process: "worker" }, value }],
  },
];

async function openApp(dataDir: string, options: { token?: string; redisUrl?: string; prefix?: string }) {
  const handle = createDb(join(dataDir, "scaleout.db"));
  runMigrations(handle.db);
  const services = createServices(
    createContext(handle.db, { limits: limitsFor(true), events: recordEvents() }),
  );
  const redis = options.redisUrl ? createRedis(options.redisUrl, "producer") : undefined;
  redis?.on("error", () => {});
  const app = await buildApp({
    services,
    ...(options.token !== undefined && { apiToken: options.token }),
    ...(redis && { prometheus: { redis, prefix: options.prefix ?? "p" } }),
  });
  return {
    app,
    services,
    redis,
    close: async () => {
      await app.close();
      redis?.disconnect();
      handle.close();
    },
  };
}

integrationTest(
  "GET /metrics needs the api token like every other route but /healthz",
  async ({ dataDir }) => {
    const api = await openApp(dataDir, { token: "s3cret" });
    try {
      const refused = await api.app.inject({ method: "GET", url: "/metrics" });
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toMatchObject({ code: "Unauthorized" });
      const ok = await api.app.inject({
        method: "GET",
        url: "/metrics",
        headers: { authorization: "Bearer s3cret" },
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(ok.body).toMatch(/^process_resident_memory_bytes\{process="api"\} \d+/m);
    } finally {
      await api.close();
    }
  },
);

integrationTest(
  "snapshots in Redis are merged; an expired or torn one is left out",
  async ({ dataDir, redisUrl, prefix }) => {
    const api = await openApp(dataDir, { redisUrl, prefix });
    const redis = createRedis(redisUrl, "worker");
    try {
      await publishMetricSnapshot(redis, prefix, "worker", jobs("reconcile-group", 3), 30);
      // Published long ago with a 1 s TTL: its index entry has expired (its key too, in real time).
      await publishMetricSnapshot(
        redis,
        prefix,
        "old-worker",
        jobs("collect-metrics", 5),
        1,
        Date.now() - 60_000,
      );
      await publishMetricSnapshot(redis, prefix, "torn", jobs("execute-policy", 7), 30);
      await redis.set(`${prefix}:prometheus:torn`, "{not json");

      const text = (await api.app.inject({ method: "GET", url: "/metrics" })).body;
      expect(text).toContain(
        'scaleout_worker_job_failures_total{queue="reconcile-group",process="worker"} 3',
      );
      expect(text).not.toContain("collect-metrics");
      expect(text).not.toContain("execute-policy");
      // The registry's families are there even when empty, with their help and type.
      expect(text).toContain("# TYPE scaleout_autoscaling_group_desired_capacity gauge");
      expect(text).toContain("# TYPE scaleout_alarm_state gauge");
    } finally {
      redis.disconnect();
      await api.close();
    }
  },
);

integrationTest("with Redis down, GET /metrics answers the api's own figures", async ({ dataDir }) => {
  const api = await openApp(dataDir, { redisUrl: `redis://127.0.0.1:${await freePort()}` });
  try {
    const reply = await api.app.inject({ method: "GET", url: "/metrics" });
    expect(reply.statusCode).toBe(200);
    expect(reply.body).toContain('process_cpu_user_seconds_total{process="api"}');
  } finally {
    await api.close();
  }
});
