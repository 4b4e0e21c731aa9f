import { join } from "node:path";
import { eventually, type RestartableRedis, startRestartableRedis } from "@scaleout/testing";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect } from "vitest";
import {
  type ApiProcess,
  http,
  issueGroup,
  issueLaunchTemplate,
  issueTargetGroup,
  startApi,
  apiTest as test,
} from "./helpers.ts";

/*
 * Item 7 of issue 9: /healthz tells the truth about Redis and SQLite, and a write made while Redis is down
 * still succeeds (it is in SQLite; the worker's sweep acts on it when Redis returns).
 */

let redis: RestartableRedis;
let api: ApiProcess | undefined;
beforeEach(async () => {
  redis = await startRestartableRedis();
});
afterEach(async () => {
  await api?.stop();
  api = undefined;
  await redis.stop();
});

describe("/healthz", () => {
  test("answers 503 naming Redis while it is down, and 200 once it is back", async ({ dataDir, prefix }) => {
    api = await startApi({ dataDir, redisUrl: redis.url, prefix });
    expect(await http(api.base, "GET", "/healthz")).toEqual({
      status: 200,
      body: { status: "ok", dependencies: { sqlite: "ok", redis: "ok" } },
    });
    expect((await http(api.base, "POST", "/v1/target-groups", issueTargetGroup)).status).toBe(201);
    const tg = await http(api.base, "GET", "/v1/target-groups/web-tg");
    expect((await http(api.base, "POST", "/v1/launch-templates", issueLaunchTemplate)).status).toBe(201);
    expect(
      (await http(api.base, "POST", "/v1/auto-scaling-groups", issueGroup(tg.body.targetGroupArn))).status,
    ).toBe(201);

    await redis.stop();
    const started = Date.now();
    expect(await http(api.base, "GET", "/healthz")).toEqual({
      status: 503,
      body: { status: "degraded", dependencies: { sqlite: "ok", redis: "down" } },
    });
    // Bounded: a probe must not hang on a dead dependency.
    expect(Date.now() - started).toBeLessThan(2_000);

    // The change is committed even though it cannot be announced.
    const changed = await http(api.base, "PUT", "/v1/auto-scaling-groups/app/desired-capacity", {
      desiredCapacity: 2,
    });
    expect(changed.status, JSON.stringify(changed.body)).toBeLessThan(300);
    expect((await http(api.base, "GET", "/v1/auto-scaling-groups/app")).body.desiredCapacity).toBe(2);

    await redis.start();
    await eventually(
      async () => ((await http(api?.base ?? "", "GET", "/healthz")).status === 200 ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 100, message: "/healthz ok once Redis is back" },
    );
  });

  test("answers 503 naming SQLite while another writer holds the registry", async ({ dataDir, prefix }) => {
    api = await startApi({ dataDir, redisUrl: redis.url, prefix });
    const other = new Database(join(dataDir, "scaleout.db"));
    try {
      other.exec("BEGIN IMMEDIATE");
      const started = Date.now();
      expect(await http(api.base, "GET", "/healthz")).toEqual({
        status: 503,
        body: { status: "degraded", dependencies: { sqlite: "down", redis: "ok" } },
      });
      expect(Date.now() - started).toBeLessThan(2_000);
      other.exec("ROLLBACK");
      expect((await http(api.base, "GET", "/healthz")).status).toBe(200);
    } finally {
      other.close();
    }
  });
});
