import { QueueName } from "@scaleout/queue";
import { eventually, type RestartableRedis, startRestartableRedis } from "@scaleout/testing";
import { afterAll, describe, expect } from "vitest";
import { createExampleTemplate, instancesOf, systemTest, waitForInService } from "./helpers.ts";

/*
 * Item 7 of issue 9: a desired-capacity change made while Redis is down (its reconcile job could not be
 * enqueued) is acted on once Redis returns, even though the restarted Redis is empty: the npm start Redis
 * keeps no data, so the job schedulers and queued jobs died with it.
 */

// This file's own Redis, so that stopping it disturbs no other test.
const redis: RestartableRedis = await startRestartableRedis();
afterAll(async () => {
  await redis?.stop();
});

describe("a Redis outage", () => {
  systemTest.scoped({ redisUrl: redis.url });
  const test = systemTest;

  test("a desired-capacity change made while Redis is down is acted on after it returns", async ({
    system,
  }) => {
    expect(system.settings.redisUrl).toBe(redis.url);
    await system.startWorker();
    const group = system.groupName();
    createExampleTemplate(system, `tpl-${group}`);
    system.services.groups.create({
      autoScalingGroupName: group,
      launchTemplate: { launchTemplateName: `tpl-${group}` },
      minSize: 0,
      maxSize: 4,
      desiredCapacity: 1,
    });
    await waitForInService(system, group, 1);

    await redis.stop();
    // Only once the producer has seen the connection drop does an enqueue fail (before, ioredis would
    // resend it on reconnect): that is the outage the api lives through.
    const producer = await system.queues[QueueName.reconcileGroup].client;
    await eventually(() => (producer.status === "ready" ? undefined : true), {
      message: "the producer to notice the outage",
    });
    // Committed in SQLite; announcing it on Redis fails and is only logged.
    system.services.groups.setDesiredCapacity(group, { desiredCapacity: 2 });
    expect(system.services.groups.get(group).desiredCapacity).toBe(2);
    await redis.start();

    const started = Date.now();
    await waitForInService(system, group, 2, 30_000);
    // Fast mode sweeps every 2 s; reconnecting takes at most 2 s more (the retry strategy's ceiling).
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(instancesOf(system, group)).toHaveLength(2);
  });
});
