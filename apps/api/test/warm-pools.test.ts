import { describe, expect } from "vitest";
import { expectError, expectStatus, seedGroup, apiTest as test } from "./helpers.ts";

/*
 * The REST door of warm pools (no worker here: the configuration, its validation and the views; the
 * worker's side is in tests/e2e/warm-pool.test.ts and apps/worker/test/warm-pool.system.test.ts).
 */

describe("warm pools over REST", () => {
  test("PUT creates and updates in place, GET describes, the group shows it, DELETE removes it", async ({
    api,
  }) => {
    await seedGroup(api);
    const none = await api.request("GET", "/v1/auto-scaling-groups/app/warm-pool");
    expectStatus(none, 200);
    expect(none.body).toEqual({ instances: [] });

    const put = await api.request("PUT", "/v1/auto-scaling-groups/app/warm-pool", {
      minSize: 1,
      maxGroupPreparedCapacity: 3,
      poolState: "Running",
    });
    expectStatus(put, 200);
    expect(put.body.warmPoolConfiguration).toEqual({
      minSize: 1,
      maxGroupPreparedCapacity: 3,
      poolState: "Running",
      instanceReusePolicy: { reuseOnScaleIn: false },
    });
    expect(api.events.groups).toContainEqual({ name: "app", reason: "warm pool changed" });

    // Omitted members keep their value; -1 unsets MaxGroupPreparedCapacity.
    const updated = await api.request("PUT", "/v1/auto-scaling-groups/app/warm-pool", {
      maxGroupPreparedCapacity: -1,
      instanceReusePolicy: { reuseOnScaleIn: true },
    });
    expect(updated.body.warmPoolConfiguration).toEqual({
      minSize: 1,
      poolState: "Running",
      instanceReusePolicy: { reuseOnScaleIn: true },
    });
    const group = await api.request("GET", "/v1/auto-scaling-groups/app");
    expect(group.body).toMatchObject({ warmPoolSize: 0, warmPoolConfiguration: { minSize: 1 } });

    expectStatus(await api.request("DELETE", "/v1/auto-scaling-groups/app/warm-pool"), 204);
    expect((await api.request("GET", "/v1/auto-scaling-groups/app/warm-pool")).body).toEqual({
      instances: [],
    });
    expect(
      (await api.request("GET", "/v1/auto-scaling-groups/app")).body.warmPoolConfiguration,
    ).toBeUndefined();
  });

  test("AWS's validation: ranges, PoolState, MinSize over MaxGroupPreparedCapacity, no pool, no group", async ({
    api,
  }) => {
    await seedGroup(api);
    const put = (body: unknown) => api.request("PUT", "/v1/auto-scaling-groups/app/warm-pool", body);
    expectError(
      await put({ minSize: 3, maxGroupPreparedCapacity: 2 }),
      400,
      "ValidationError",
      /MinSize \(3\)/,
    );
    expectError(await put({ minSize: -1 }), 400, "ValidationError");
    expectError(await put({ maxGroupPreparedCapacity: -2 }), 400, "ValidationError");
    expectError(await put({ poolState: "Frozen" }), 400, "ValidationError");
    expectError(await put({ extra: true }), 400, "ValidationError");
    expectError(
      await api.request("DELETE", "/v1/auto-scaling-groups/app/warm-pool"),
      400,
      "ValidationError",
      /No warm pool found/,
    );
    expectError(
      await api.request("PUT", "/v1/auto-scaling-groups/none/warm-pool", {}),
      404,
      "AutoScalingGroupNotFound",
    );
    expectError(
      await api.request("GET", "/v1/auto-scaling-groups/none/warm-pool"),
      404,
      "AutoScalingGroupNotFound",
    );
    expectError(
      await api.request("GET", "/v1/auto-scaling-groups/app/warm-pool?pageSize=51"),
      400,
      "ValidationError",
    );
  });
});
