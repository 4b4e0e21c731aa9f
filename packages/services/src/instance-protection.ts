import { check } from "@scaleout/core";
import { schema } from "@scaleout/db";
import { inArray } from "drizzle-orm";
import { mutate, type ServiceContext } from "./context.ts";
import { findGroup } from "./group-view.ts";
import { membersOf, requireInstanceIds } from "./instance-moves.ts";

/*
 * SetInstanceProtection: a protected instance is never chosen for scale-in (core's
 * chooseInstancesToTerminate skips it); a user's termination, a health check replacement and a group's
 * deletion still end it, as in AWS.
 */

const { instances } = schema;

export function instanceProtectionService(ctx: ServiceContext) {
  return {
    set(groupName: string, input: { instanceIds?: string[]; protectedFromScaleIn?: boolean }): void {
      check(input.protectedFromScaleIn !== undefined, "ProtectedFromScaleIn is required");
      const protect = input.protectedFromScaleIn;
      const ids = requireInstanceIds(input.instanceIds);
      mutate(ctx, (tx) => {
        const group = findGroup(tx, groupName);
        membersOf(tx, group, ids);
        tx.update(instances).set({ protectedFromScaleIn: protect }).where(inArray(instances.id, ids)).run();
      });
    },
  };
}

export type InstanceProtectionService = ReturnType<typeof instanceProtectionService>;
