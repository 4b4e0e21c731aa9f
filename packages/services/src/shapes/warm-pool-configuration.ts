import { type Static, Type } from "@sinclair/typebox";

/*
 * A warm pool's configuration as DescribeWarmPool and DescribeAutoScalingGroups answer it; its own file
 * so that the group's shape (groups.ts) and the warm pool's (warm-pools.ts) both import it.
 */

export const WarmPoolConfiguration = Type.Object({
  maxGroupPreparedCapacity: Type.Optional(Type.Integer({ description: "Absent: the group's MaxSize" })),
  minSize: Type.Integer(),
  poolState: Type.String(),
  status: Type.Optional(Type.String({ description: "PendingDelete while DeleteWarmPool empties the pool" })),
  instanceReusePolicy: Type.Object({ reuseOnScaleIn: Type.Boolean() }),
});
export type WarmPoolConfiguration = Static<typeof WarmPoolConfiguration>;
