import { join } from "node:path";
import { createDb } from "@scaleout/db";
import { freePort } from "@scaleout/queue";
import { integrationTest as test } from "@scaleout/testing";
import { describe, expect, onTestFinished } from "vitest";
import {
  type ApiProcess,
  http,
  issueAlarm,
  issueGroup,
  issueLaunchTemplate,
  issueTargetGroup,
  issueTargetTrackingPolicy,
  startApi,
} from "./helpers.ts";

/** Starts the api and makes sure it is stopped when the test ends, whatever happens. */
async function started(env: Parameters<typeof startApi>[0]): Promise<ApiProcess> {
  const api = await startApi(env);
  onTestFinished(async () => {
    await api.stop(2_000);
  });
  return api;
}

/** Runs `tasks` with at most `limit` in flight. */
async function pool<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const index = next++;
        const task = tasks[index];
        if (task) results[index] = await task();
      }
    }),
  );
  return results;
}

describe("the api over a real socket", () => {
  test("serves over HTTP, exits 0 on SIGTERM, and loses nothing across a restart", async ({
    dataDir,
    redisUrl,
    prefix,
  }) => {
    const env = { dataDir, redisUrl, prefix };
    const first = await started(env);
    const health = await http(first.base, "GET", "/healthz");
    expect(health).toEqual({
      status: 200,
      body: { status: "ok", dependencies: { sqlite: "ok", redis: "ok" } },
    });

    expect((await http(first.base, "POST", "/v1/load-balancers", { name: "web" })).status).toBe(201);
    const tg = await http(first.base, "POST", "/v1/target-groups", issueTargetGroup);
    expect(tg.status).toBe(201);
    // A free port: this api probes it (a port another program holds is refused), and 8080 may be held by
    // anything on a shared machine (a README walk, another test's proxy).
    const listener = await http(first.base, "POST", "/v1/load-balancers/web/listeners", {
      protocol: "HTTP",
      port: await freePort(),
      defaultActions: [{ type: "forward", targetGroupArn: tg.body.targetGroupArn }],
    });
    expect(listener.status).toBe(201);
    const listenerId = listener.body.listenerArn.split("/").pop();
    const rule = await http(first.base, "POST", `/v1/listeners/${listenerId}/rules`, {
      priority: 10,
      conditions: [{ field: "path-pattern", values: ["/api/*"] }],
      actions: [
        {
          type: "fixed-response",
          fixedResponseConfig: { statusCode: "200", contentType: "text/plain", messageBody: "ok" },
        },
      ],
    });
    expect(rule.status).toBe(201);
    expect(
      (
        await http(first.base, "POST", "/v1/target-groups/web-tg/targets", {
          targets: [{ id: "127.0.0.1", port: 9001 }],
        })
      ).status,
    ).toBe(200);
    expect((await http(first.base, "POST", "/v1/launch-templates", issueLaunchTemplate)).status).toBe(201);
    expect(
      (await http(first.base, "POST", "/v1/auto-scaling-groups", issueGroup(tg.body.targetGroupArn))).status,
    ).toBe(201);
    const policy = await http(
      first.base,
      "POST",
      "/v1/auto-scaling-groups/app/policies",
      issueTargetTrackingPolicy,
    );
    expect(policy.status).toBe(201);
    expect(
      (await http(first.base, "PUT", "/v1/alarms/high-cpu", issueAlarm(policy.body.policyARN))).status,
    ).toBe(201);
    expect(await http(first.base, "PUT", "/v1/metrics", {})).toMatchObject({
      status: 404,
      body: { code: "NotFound" },
    });
    expect(
      (
        await http(first.base, "POST", "/v1/metrics", {
          namespace: "App",
          metricData: [{ metricName: "Requests", value: 3 }],
        })
      ).status,
    ).toBe(200);
    const malformed = await fetch(`${first.base}/v1/load-balancers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: "ValidationError" });

    const paths = [
      "/v1/load-balancers",
      "/v1/load-balancers/web/attributes",
      "/v1/load-balancers/web/listeners",
      `/v1/listeners/${listenerId}/rules`,
      "/v1/target-groups",
      "/v1/target-groups/web-tg/attributes",
      "/v1/target-groups/web-tg/health",
      "/v1/launch-templates",
      "/v1/auto-scaling-groups",
      "/v1/auto-scaling-groups/app/policies",
      "/v1/alarms",
      "/v1/alarms/high-cpu/history",
      "/v1/metrics",
    ];
    const before = await Promise.all(paths.map((path) => http(first.base, "GET", path)));
    for (const reply of before) expect(reply.status).toBe(200);

    expect(await first.stop()).toBe(0);

    const second = await started(env);
    const after = await Promise.all(paths.map((path) => http(second.base, "GET", path)));
    expect(after).toEqual(before);
    // And it keeps working: the next change commits on top of what was there.
    const more = await http(second.base, "POST", "/v1/load-balancers", { name: "web2" });
    expect(more.status).toBe(201);
    expect(await second.stop()).toBe(0);
  });

  test("two api processes on one data directory: no 5xx, no duplicates, no corruption", async ({
    dataDir,
    redisUrl,
    prefix,
  }) => {
    const env = { dataDir, redisUrl, prefix };
    const [a, b] = await Promise.all([started(env), started(env)]);
    const apis = [a, b];
    const body = (name: string, port = 80) => ({ name, protocol: "HTTP", port, targetType: "ip" });

    type Outcome = {
      name: string;
      kind: "create" | "same" | "clash";
      status: number;
      code?: string;
      arn?: string;
    };
    const tasks: Array<() => Promise<Outcome>> = [];
    for (let i = 0; i < 200; i++) {
      const name = `tg-${String(i).padStart(3, "0")}`;
      const api = apis[i % 2] as ApiProcess;
      const other = apis[(i + 1) % 2] as ApiProcess;
      const send =
        (target: ApiProcess, kind: Outcome["kind"], port: number) => async (): Promise<Outcome> => {
          const reply = await http(target.base, "POST", "/v1/target-groups", body(name, port));
          return {
            name,
            kind,
            status: reply.status,
            code: reply.body?.code,
            arn: reply.body?.targetGroupArn,
          };
        };
      tasks.push(send(api, "create", 80));
      // Every fifth name is also created, with the same settings, through the other process at the same time.
      if (i % 5 === 0) tasks.push(send(other, "same", 80));
      // Every seventh name is also created with other settings.
      if (i % 7 === 0) tasks.push(send(other, "clash", 81));
    }
    // Listeners race for the same ports through both processes: ten free ones (the api refuses a port
    // another program holds, and any fixed one may be held on a shared machine).
    const racePorts = new Set<number>();
    while (racePorts.size < 10) racePorts.add(await freePort());
    const portList = [...racePorts];
    await http(a.base, "POST", "/v1/load-balancers", { name: "race" });
    const listenerTasks = Array.from({ length: 20 }, (_, i) => async () => {
      const reply = await http(
        (apis[i % 2] as ApiProcess).base,
        "POST",
        "/v1/load-balancers/race/listeners",
        {
          protocol: "HTTP",
          port: portList[Math.floor(i / 2)],
          defaultActions: [{ type: "fixed-response", fixedResponseConfig: { statusCode: "200" } }],
        },
      );
      return { status: reply.status, code: reply.body?.code as string | undefined };
    });
    // Interleave the two kinds of work and run them 32 at a time.
    const all: Array<() => Promise<Outcome | { status: number; code?: string }>> = [
      ...tasks,
      ...listenerTasks,
    ].sort(() => Math.random() - 0.5);
    const results = await pool(all, 32);
    for (const result of results) expect(result.status, JSON.stringify(result)).toBeLessThan(500);

    const outcomes = results.filter((r): r is Outcome => "kind" in r);
    // Per name exactly one attempt created the group, whichever arrived first; its settings won.
    const winners = new Map<string, Outcome>();
    for (const outcome of outcomes) {
      if (outcome.status !== 201) continue;
      expect(winners.has(outcome.name), `${outcome.name} created twice`).toBe(false);
      winners.set(outcome.name, outcome);
    }
    expect(winners.size).toBe(200);
    const portOf = (outcome: Outcome) => (outcome.kind === "clash" ? 81 : 80);
    for (const outcome of outcomes) {
      const winner = winners.get(outcome.name) as Outcome;
      if (outcome === winner) continue;
      if (portOf(outcome) === portOf(winner)) {
        // The same settings: idempotent, even when both processes raced past the existence check.
        expect({ status: outcome.status, arn: outcome.arn }, JSON.stringify(outcome)).toEqual({
          status: 200,
          arn: winner.arn,
        });
      } else expect(outcome).toMatchObject({ status: 409, code: "DuplicateTargetGroupName" });
    }
    const listenerResults = results.filter((r) => !("kind" in r));
    expect(listenerResults.filter((r) => r.status === 201)).toHaveLength(10);
    for (const r of listenerResults.filter((r) => r.status !== 201))
      expect(r).toEqual({ status: 409, code: "DuplicateListener" });

    // Both processes see every group exactly once, with the ARN its creator answered.
    for (const api of apis) {
      const list = await http(api.base, "GET", "/v1/target-groups?pageSize=400");
      expect(list.status).toBe(200);
      const listed = list.body.targetGroups as Array<{
        targetGroupName: string;
        targetGroupArn: string;
        port: number;
      }>;
      expect(listed).toHaveLength(200);
      expect(new Set(listed.map((g) => g.targetGroupName)).size).toBe(200);
      for (const group of listed) {
        const winner = winners.get(group.targetGroupName) as Outcome;
        expect(group.targetGroupArn).toBe(winner.arn);
        expect(group.port).toBe(portOf(winner));
      }
      const listeners = await http(api.base, "GET", "/v1/load-balancers/race/listeners");
      expect(listeners.body.listeners).toHaveLength(10);
    }

    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
    const handle = createDb(join(dataDir, "scaleout.db"));
    try {
      expect(handle.sqlite.pragma("integrity_check", { simple: true })).toBe("ok");
      expect(handle.sqlite.pragma("foreign_key_check")).toEqual([]);
      // One configuration version per committed change: 200 groups, 1 load balancer, 10 listeners.
      const version = handle.sqlite.prepare("select version from config_version where id = 1").get() as {
        version: number;
      };
      expect(version.version).toBe(211);
    } finally {
      handle.close();
    }
  });
});
