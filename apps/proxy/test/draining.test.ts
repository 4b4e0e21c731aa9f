import { schema } from "@scaleout/db";
import { eventually } from "@scaleout/testing";
import { eq } from "drizzle-orm";
import { describe, expect } from "vitest";
import {
  countByTarget,
  load,
  loopback,
  send,
  sleep,
  type TargetServer,
  proxyTest as test,
} from "./helpers.ts";

/** Sends a request to /hold and answers it (pending) with the target that holds it. */
async function holdOne(port: number, targets: TargetServer[]) {
  const before = targets.map((t) => t.held);
  const pending = send(port, "/hold");
  const holder = await eventually(() => targets.find((t, i) => t.held > (before[i] ?? 0)), {
    message: "a target holding the request",
  });
  return { pending, holder };
}

describe("deregistration", () => {
  test("an in-flight request on a draining target completes; new requests go elsewhere; drained at once, draining for the whole delay", async ({
    env,
  }) => {
    const { h } = env;
    const [a, b] = await Promise.all([env.target("a"), env.target("b")]);
    const { port } = await h.simple([a, b], { attributes: { "deregistration_delay.timeout_seconds": "2" } });
    const { pending, holder } = await holdOne(port, [a, b]);
    const other = holder === a ? b : a;
    const drainedAt = () =>
      h.handle.db
        .select({ drainedAt: schema.targets.drainedAt })
        .from(schema.targets)
        .where(eq(schema.targets.port, holder.port))
        .get()?.drainedAt;

    const deregisteredAt = Date.now();
    h.services.targetGroups.deregister("tg", [{ id: loopback, port: holder.port }]);
    await h.reload();
    expect(h.health("tg")[holder.port]).toEqual({
      state: "draining",
      reason: "Target.DeregistrationInProgress",
      description: "Target deregistration is in progress",
    });
    const during = await load(10, 2, () => send(port));
    expect(countByTarget(during)).toEqual({ [other.name]: 10 });
    // Still draining, and not drained, while its request is in flight.
    expect(h.health("tg")[holder.port]?.state).toBe("draining");
    expect(drainedAt()).toBeNull();

    const releasedAt = Date.now();
    holder.release();
    const reply = await pending;
    expect(reply.status).toBe(200);
    expect(reply.target).toBe(holder.name);
    // Drained at once (its instance may stop now), yet shown draining until the delay runs out, as AWS shows it.
    await eventually(() => drainedAt() ?? undefined, {
      message: "the target recorded as drained",
      timeoutMs: 3000,
    });
    expect(Date.now() - releasedAt).toBeLessThan(1000);
    expect(h.health("tg")[holder.port]?.state).toBe("draining");
    await eventually(() => (h.health("tg")[holder.port] === undefined ? true : undefined), {
      message: "the drained target gone at its deadline",
      timeoutMs: 5000,
      intervalMs: 50,
    });
    expect(Date.now() - deregisteredAt).toBeGreaterThanOrEqual(1900);
    expect(
      h.services.targetGroups.health("tg", [{ id: loopback, port: holder.port }])[0]?.targetHealth,
    ).toEqual({
      state: "unused",
      reason: "Target.NotRegistered",
      description: "Target is not registered to the target group",
    });
    expect(h.health("tg")).toEqual({ [other.port]: { state: "healthy" } });
  });

  test("a target registered again while draining starts over: initial, healthy, in rotation", async ({
    env,
  }) => {
    const { h } = env;
    const [a, b] = await Promise.all([env.target("a"), env.target("b")]);
    const { port } = await h.simple([a, b]);
    const { pending, holder } = await holdOne(port, [a, b]);
    h.services.targetGroups.deregister("tg", [{ id: loopback, port: holder.port }]);
    await h.reload();
    expect(h.health("tg")[holder.port]?.state).toBe("draining");

    h.services.targetGroups.register("tg", [{ id: loopback, port: holder.port }]);
    expect(h.health("tg")[holder.port]).toMatchObject({
      state: "initial",
      reason: "Elb.RegistrationInProgress",
    });
    await h.reload();
    await h.waitForState("tg", holder.port, "healthy");
    expect(Object.keys(countByTarget(await load(6, 1, () => send(port)))).sort()).toEqual(["a", "b"]);
    holder.release();
    expect((await pending).status).toBe(200);
    await sleep(200);
    expect(h.health("tg")[holder.port]).toEqual({ state: "healthy" });
  });

  test("a long-running request does not hold the target past the deregistration delay", async ({ env }) => {
    const { h } = env;
    const [a, b] = await Promise.all([env.target("a"), env.target("b")]);
    const { port } = await h.simple([a, b], { attributes: { "deregistration_delay.timeout_seconds": "2" } });
    const { pending, holder } = await holdOne(port, [a, b]);
    const outcome = pending.then(
      (reply) => reply.status,
      (error: Error) => error.message,
    );

    const deregisteredAt = Date.now();
    h.services.targetGroups.deregister("tg", [{ id: loopback, port: holder.port }]);
    await h.reload();
    expect(h.health("tg")[holder.port]?.state).toBe("draining");
    await eventually(() => (h.health("tg")[holder.port] === undefined ? true : undefined), {
      message: "the target gone after its delay",
      timeoutMs: 5000,
      intervalMs: 50,
    });
    const elapsed = Date.now() - deregisteredAt;
    console.info(`draining target gone after ${elapsed} ms with a request still in flight (delay 2 s)`);
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(3500);
    expect(holder.held).toBe(1);

    // The cut-off request: the load balancer answers it itself instead of waiting on a removed target.
    expect(await outcome).toBe(502);
    // Traffic keeps flowing to the remaining target.
    const other = holder === a ? b : a;
    expect(countByTarget(await load(6, 2, () => send(port)))).toEqual({ [other.name]: 6 });
  });
});
