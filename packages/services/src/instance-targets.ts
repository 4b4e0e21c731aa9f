import { type Db, schema, type Tx } from "@scaleout/db";
import { and, eq, inArray, or } from "drizzle-orm";
import { healthReasons, loadBalancersOf } from "./target-health-view.ts";

/*
 * An instance's registrations in target groups, written the way RegisterTargets and DeregisterTargets
 * write them: the registry side of "the instance joins (or leaves) its group's target groups".
 */

const { instances, targetGroups, targets } = schema;

type InstanceRow = typeof instances.$inferSelect;
type TargetGroupRow = typeof targetGroups.$inferSelect;
export type TargetRow = typeof targets.$inferSelect;

/** Where an instance answers when its row has no address of its own (rows from before drivers reported one). */
export const instanceAddress = "127.0.0.1";

/** The target an instance is in a target group: its address for ip groups, its id for instance groups. */
export function targetOf(
  targetGroup: Pick<TargetGroupRow, "targetType">,
  instance: Pick<InstanceRow, "id" | "address" | "port">,
): { targetId: string; port: number } | undefined {
  if (instance.port === null) return undefined;
  return targetGroup.targetType === "ip"
    ? { targetId: instance.address ?? instanceAddress, port: instance.port }
    : { targetId: instance.id, port: instance.port };
}

/** Every target row, in any target group, that stands for this instance. */
export function targetRowsOf(db: Db | Tx, instance: InstanceRow): TargetRow[] {
  const byId = eq(targets.targetId, instance.id);
  const byAddress =
    instance.port === null
      ? undefined
      : and(eq(targets.targetId, instance.address ?? instanceAddress), eq(targets.port, instance.port));
  const rows = db
    .select()
    .from(targets)
    .where(byAddress ? or(byId, byAddress) : byId)
    .all();
  if (rows.length === 0) return rows;
  // An address row belongs to the instance only in an ip target group, an id row only in an instance one.
  const types = new Map(
    db
      .select({ arn: targetGroups.arn, type: targetGroups.targetType })
      .from(targetGroups)
      .where(
        inArray(
          targetGroups.arn,
          rows.map((r) => r.targetGroupArn),
        ),
      )
      .all()
      .map((r) => [r.arn, r.type]),
  );
  return rows.filter((r) => (types.get(r.targetGroupArn) === "ip") === (r.targetId !== instance.id));
}

export const targetKey = (row: Pick<TargetRow, "targetGroupArn" | "targetId" | "port">) =>
  and(
    eq(targets.targetGroupArn, row.targetGroupArn),
    eq(targets.targetId, row.targetId),
    eq(targets.port, row.port),
  );

/**
 * Registers the instance in a target group the way RegisterTargets does: a new target starts `initial`
 * (Elb.RegistrationInProgress) until the proxy's first health check; a registered one is left alone; a
 * draining one starts over.
 */
export function registerTarget(
  tx: Tx,
  targetGroup: TargetGroupRow,
  instance: InstanceRow,
  now: number,
): void {
  const target = targetOf(targetGroup, instance);
  if (!target) return;
  const existing = tx
    .select()
    .from(targets)
    .where(targetKey({ targetGroupArn: targetGroup.arn, ...target }))
    .get();
  if (existing && existing.state !== "draining") return;
  const fresh = {
    state: "initial",
    ...healthReasons.registrationInProgress,
    registeredAt: now,
    drainDeadline: null,
    drainedAt: null,
    updatedAt: now,
  };
  tx.insert(targets)
    .values({
      targetGroupArn: targetGroup.arn,
      targetId: target.targetId,
      port: target.port,
      availabilityZone: instance.availabilityZone,
      ...fresh,
    })
    .onConflictDoUpdate({ target: [targets.targetGroupArn, targets.targetId, targets.port], set: fresh })
    .run();
}

/**
 * Deregisters target rows the way DeregisterTargets does: in a target group a load balancer uses, the
 * target drains until the proxy has finished its in-flight requests or the deregistration delay runs
 * out; in one nobody uses, or with a delay of 0, it goes at once. Answers whether any row drains.
 */
export function deregisterRows(tx: Tx, rows: TargetRow[], now: number): boolean {
  let draining = false;
  const arns = [...new Set(rows.map((r) => r.targetGroupArn))];
  const used = loadBalancersOf(tx, arns);
  const groups = new Map(
    arns.length === 0
      ? []
      : tx
          .select()
          .from(targetGroups)
          .where(inArray(targetGroups.arn, arns))
          .all()
          .map((g) => [g.arn, g]),
  );
  for (const row of rows) {
    if (row.state === "draining") {
      draining ||= row.drainDeadline !== null && row.drainDeadline > now && row.drainedAt === null;
      continue;
    }
    const group = groups.get(row.targetGroupArn);
    const delay = Number(group?.attributes["deregistration_delay.timeout_seconds"] ?? "300");
    const inUse = (used.get(row.targetGroupArn) ?? []).length > 0;
    if (!inUse || !(delay > 0)) {
      tx.delete(targets).where(targetKey(row)).run();
      continue;
    }
    tx.update(targets)
      .set({
        state: "draining",
        ...healthReasons.deregistrationInProgress,
        drainDeadline: now + delay * 1000,
        drainedAt: null,
        updatedAt: now,
      })
      .where(targetKey(row))
      .run();
    draining = true;
  }
  return draining;
}
