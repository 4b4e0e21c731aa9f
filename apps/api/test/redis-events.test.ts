import { join } from "node:path";
import { limitsFor } from "@scaleout/core";
import { createDb, runMigrations } from "@scaleout/db";
import {
  closeQueues,
  configChannel,
  createQueues,
  createRedis,
  createRedisEvents,
  QueueName,
} from "@scaleout/queue";
import { createContext, createServices } from "@scaleout/services";
import { eventually, integrationTest as test } from "@scaleout/testing";
import { expect } from "vitest";
import { buildApp } from "../src/app.ts";
import { issueAlarm, issueGroup, issueLaunchTemplate, issueTargetGroup } from "./helpers.ts";

test("committed changes are published on Redis and group changes become BullMQ jobs", async ({
  redisUrl,
  prefix,
  dataDir,
}) => {
  const redis = createRedis(redisUrl, "producer");
  const subscriber = createRedis(redisUrl, "subscriber");
  const connectionErrors: string[] = [];
  redis.on("error", (error: Error) => connectionErrors.push(`producer: ${error.message}`));
  subscriber.on("error", (error: Error) => connectionErrors.push(`subscriber: ${error.message}`));
  // A producer fails fast while disconnected (enableOfflineQueue: false): wait until it is ready.
  await Promise.all(
    [redis, subscriber].map((r) =>
      r.status === "ready" ? undefined : new Promise((resolve) => r.once("ready", resolve)),
    ),
  );
  const queues = createQueues(redis, { prefix });
  const handle = createDb(join(dataDir, "scaleout.db"));
  runMigrations(handle.db);
  const warnings: string[] = [];
  // As server.ts wires it: the channel is `${prefix}:scaleout:config-version`.
  const events = createRedisEvents(redis, queues, prefix, (_error, message) => warnings.push(message));
  const app = await buildApp({
    services: createServices(createContext(handle.db, { limits: limitsFor(false), events })),
  });
  const published: string[] = [];
  try {
    const channel = `${prefix}:${configChannel}`;
    expect(channel).toBe(`${prefix}:scaleout:config-version`);
    subscriber.on("message", (from: string, message: string) => {
      if (from === channel) published.push(message);
    });
    await subscriber.subscribe(channel);

    const lb = await app.inject({ method: "POST", url: "/v1/load-balancers", payload: { name: "web" } });
    expect(lb.statusCode).toBe(201);
    await eventually(() => (published.includes("1") ? true : undefined), {
      message: `version 1 published (warnings: ${warnings.join("; ")}; errors: ${connectionErrors.join("; ")})`,
    });
    // An idempotent create commits nothing and publishes nothing; the next change is version 2.
    await app.inject({ method: "POST", url: "/v1/load-balancers", payload: { name: "web" } });
    const tg = await app.inject({ method: "POST", url: "/v1/target-groups", payload: issueTargetGroup });
    await eventually(() => (published.includes("2") ? true : undefined), { message: "version 2 published" });
    expect(published).toEqual(["1", "2"]);

    const reconcile = queues[QueueName.reconcileGroup];
    await app.inject({ method: "POST", url: "/v1/launch-templates", payload: issueLaunchTemplate });
    const group = await app.inject({
      method: "POST",
      url: "/v1/auto-scaling-groups",
      payload: issueGroup(tg.json().targetGroupArn),
    });
    expect(group.statusCode).toBe(201);
    const created = await eventually(
      async () => {
        const jobs = await reconcile.getJobs(["waiting", "delayed", "prioritized"]);
        return jobs.length > 0 ? jobs : undefined;
      },
      { message: "a reconcile job for the new group" },
    );
    expect(created.map((job) => job.data)).toEqual([{ groupName: "app", reason: "group created" }]);

    // The worker would take that job; with the queue empty, a desired-capacity change enqueues a new one.
    await reconcile.drain();
    expect((await reconcile.getJobCounts("waiting")).waiting).toBe(0);
    const set = await app.inject({
      method: "PUT",
      url: "/v1/auto-scaling-groups/app/desired-capacity",
      payload: { desiredCapacity: 3 },
    });
    expect(set.statusCode).toBe(200);
    const moved = await eventually(
      async () => {
        const jobs = await reconcile.getJobs(["waiting", "delayed", "prioritized"]);
        return jobs.length > 0 ? jobs : undefined;
      },
      { message: "a reconcile job for the desired-capacity change" },
    );
    expect(moved.map((job) => job.data)).toEqual([{ groupName: "app", reason: "desired capacity changed" }]);
    // Reconcile jobs are deduplicated per group: a second change while one waits adds none.
    await app.inject({
      method: "PUT",
      url: "/v1/auto-scaling-groups/app/desired-capacity",
      payload: { desiredCapacity: 2 },
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await reconcile.getJobCounts("waiting")).waiting).toBe(1);

    // An alarm whose action names a policy, set to ALARM, enqueues an execute-policy job.
    const policy = await app.inject({
      method: "POST",
      url: "/v1/auto-scaling-groups/app/policies",
      payload: { policyName: "up", adjustmentType: "ChangeInCapacity", scalingAdjustment: 1 },
    });
    const policyArn = policy.json().policyARN;
    await app.inject({ method: "PUT", url: "/v1/alarms/high-cpu", payload: issueAlarm(policyArn) });
    await app.inject({
      method: "PUT",
      url: "/v1/alarms/high-cpu/state",
      payload: { stateValue: "ALARM", stateReason: "test" },
    });
    const executions = await eventually(
      async () => {
        const jobs = await queues[QueueName.executePolicy].getJobs(["waiting", "delayed", "prioritized"]);
        return jobs.length > 0 ? jobs : undefined;
      },
      { message: "an execute-policy job" },
    );
    expect(executions.map((job) => job.data)).toEqual([
      expect.objectContaining({ policyArn, alarmName: "high-cpu", alarmState: "ALARM" }),
    ]);

    // Every committed change so far was published, in order.
    const version = Number(published[published.length - 1]);
    await eventually(() => (published.length === version ? true : undefined), { message: "every version" });
    expect(published).toEqual(Array.from({ length: version }, (_, i) => String(i + 1)));
    expect(warnings).toEqual([]);
    expect(connectionErrors).toEqual([]);
  } finally {
    await app.close();
    for (const queue of Object.values(queues)) await queue.obliterate({ force: true }).catch(() => {});
    await closeQueues(queues);
    redis.disconnect();
    subscriber.disconnect();
    handle.close();
  }
});
