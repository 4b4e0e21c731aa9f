import { setTimeout as delay } from "node:timers/promises";
import type { Wire } from "../shapes/common.ts";
import type { PutWarmPool } from "../shapes/warm-pools.ts";
import { findWarmPool } from "../warm-pools.ts";
import type { ProviderRequest, ResourceProvider } from "./types.ts";
import { isNotFound, numberProp, prop, requiredString, stringProp } from "./types.ts";

/** How long a delete waits for the pool's instances to terminate (CloudFormation waits too). */
const deleteTimeoutMs = 10 * 60_000;

/**
 * PutWarmPool's input from the properties. A property the template leaves out takes the pool's
 * default (CloudFormation's update sets what the template says, where PutWarmPool keeps omitted values).
 */
function inputOf(properties: ProviderRequest["properties"]): Wire<PutWarmPool> {
  const reuse = prop<{ reuseOnScaleIn?: boolean | string }>(properties, "InstanceReusePolicy");
  const reuseOnScaleIn = reuse?.reuseOnScaleIn === true || reuse?.reuseOnScaleIn === "true";
  return {
    minSize: numberProp(properties, "MinSize") ?? 0,
    maxGroupPreparedCapacity: numberProp(properties, "MaxGroupPreparedCapacity") ?? -1,
    // The service checks the state's value, as PutWarmPool does on either door.
    poolState: (stringProp(properties, "PoolState") ?? "Stopped") as Wire<PutWarmPool>["poolState"],
    instanceReusePolicy: { reuseOnScaleIn },
  };
}

/**
 * AWS::AutoScaling::WarmPool: the group's warm pool (PutWarmPool). Ref: the group's name, the pool's
 * identifier. Every property but the group changes in place; PutWarmPool is an upsert, so a resumed
 * create needs no adoption.
 */
export const warmPoolProvider: ResourceProvider = {
  replaces: ["AutoScalingGroupName"],
  create({ services, properties }) {
    const group = requiredString(properties, "AutoScalingGroupName");
    services.warmPools.put(group, inputOf(properties));
    return { physicalId: services.groups.get(group).autoScalingGroupName, attributes: {} };
  },
  update({ services, physicalId, properties }) {
    services.warmPools.put(physicalId, inputOf(properties));
    return { physicalId, attributes: {} };
  },
  /** DeleteWarmPool, then waits while the worker terminates the pool's instances, as CloudFormation does. */
  async delete({ services, physicalId, now }) {
    try {
      services.warmPools.delete(physicalId);
    } catch (error) {
      // The group (and its pool with it) is gone, or the pool already is.
      if (isNotFound(error) || /No warm pool found/.test(String(error))) return;
      throw error;
    }
    const deadline = now() + deleteTimeoutMs;
    while (now() < deadline) {
      if (findWarmPool(services.ctx.db, physicalId) === undefined) return;
      await delay(200);
    }
    throw new Error(`The warm pool of ${physicalId} was still deleting its instances after 10 minutes`);
  },
};
