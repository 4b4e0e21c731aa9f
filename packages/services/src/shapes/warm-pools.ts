import { type Static, Type } from "@sinclair/typebox";
import { StringEnum } from "./common.ts";
import { InstanceSummary } from "./groups.ts";
import { WarmPoolConfiguration } from "./warm-pool-configuration.ts";

/* A warm pool's shapes (PutWarmPool, DescribeWarmPool), declared once for both doors and the service. */

export const InstanceReusePolicy = Type.Object(
  { reuseOnScaleIn: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

export const PutWarmPool = Type.Object(
  {
    minSize: Type.Optional(Type.Integer({ minimum: 0, description: "Default 0" })),
    maxGroupPreparedCapacity: Type.Optional(
      Type.Integer({ minimum: -1, description: "-1 (or never set): the group's MaxSize" }),
    ),
    poolState: Type.Optional(
      StringEnum(["Stopped", "Running", "Hibernated"], { description: "Default Stopped" }),
    ),
    instanceReusePolicy: Type.Optional(InstanceReusePolicy),
  },
  { additionalProperties: false },
);
export type PutWarmPool = Static<typeof PutWarmPool>;

/** DescribeWarmPool: no configuration (and no instances) when the group has no pool. */
export const WarmPool = Type.Object({
  warmPoolConfiguration: Type.Optional(WarmPoolConfiguration),
  instances: Type.Array(InstanceSummary),
  nextToken: Type.Optional(Type.String()),
});
export type WarmPool = Static<typeof WarmPool>;
