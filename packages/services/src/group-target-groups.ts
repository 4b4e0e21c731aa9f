import { check, Errors } from "@scaleout/core";
import { schema, type Tx } from "@scaleout/db";
import { and, eq, inArray } from "drizzle-orm";
import { mutate, type ServiceContext } from "./context.ts";
import { findGroup } from "./group-view.ts";
import { requireTargetGroups } from "./target-groups.ts";

/* The target groups a group registers its instances in (the reconciler does the registering). */

const { groupTargetGroups } = schema;

export function linkTargetGroups(tx: Tx, groupName: string, targetGroupArns: string[]): void {
  try {
    requireTargetGroups(tx, targetGroupArns);
  } catch {
    throw new Errors.ValidationError(
      `Provided Target Groups may not be valid. Please ensure they exist: ${targetGroupArns.join(", ")}`,
    );
  }
  for (const targetGroupArn of targetGroupArns) {
    tx.insert(groupTargetGroups).values({ groupName, targetGroupArn }).onConflictDoNothing().run();
  }
}

export function groupTargetGroupService(ctx: ServiceContext) {
  return {
    /** AttachLoadBalancerTargetGroups: the reconciler registers the group's instances. */
    attachTargetGroups(name: string, targetGroupArns: string[] | undefined): void {
      check(Array.isArray(targetGroupArns) && targetGroupArns.length > 0, "TargetGroupARNs is required");
      mutate(ctx, (tx, announce) => {
        const row = findGroup(tx, name);
        linkTargetGroups(tx, row.name, targetGroupArns);
        announce.groups.push({ name: row.name, reason: "target groups attached" });
      });
    },

    /** DetachLoadBalancerTargetGroups: the reconciler deregisters the group's instances. */
    detachTargetGroups(name: string, targetGroupArns: string[] | undefined): void {
      check(Array.isArray(targetGroupArns) && targetGroupArns.length > 0, "TargetGroupARNs is required");
      mutate(ctx, (tx, announce) => {
        const row = findGroup(tx, name);
        tx.delete(groupTargetGroups)
          .where(
            and(
              eq(groupTargetGroups.groupName, row.name),
              inArray(groupTargetGroups.targetGroupArn, targetGroupArns),
            ),
          )
          .run();
        announce.groups.push({ name: row.name, reason: "target groups detached" });
      });
    },

    targetGroupsOf(name: string): string[] {
      const row = findGroup(ctx.db, name);
      return ctx.db
        .select({ arn: groupTargetGroups.targetGroupArn })
        .from(groupTargetGroups)
        .where(eq(groupTargetGroups.groupName, row.name))
        .all()
        .map((r) => r.arn);
    },
  };
}
