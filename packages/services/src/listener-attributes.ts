import { type Attribute, listenerAttributeSpecs, mergeAttributes, toAttributeList } from "@scaleout/core";
import { schema } from "@scaleout/db";
import { eq } from "drizzle-orm";
import { mutate, type ServiceContext } from "./context.ts";
import { findListener } from "./listeners.ts";

/**
 * DescribeListenerAttributes / ModifyListenerAttributes. A Network Load Balancer's TCP listeners have
 * `tcp.idle_timeout.seconds` (60-6000, 350 by default); other listeners have none that scaleout keeps, so
 * any key given for them is not recognized.
 */
export function listenerAttributeService(ctx: ServiceContext) {
  return {
    attributes(id: string): Attribute[] {
      const row = findListener(ctx.db, id);
      // Rows stored before listeners had attributes (or a key added since) show their defaults.
      const specs = listenerAttributeSpecs(row.protocol);
      const current = Object.fromEntries(
        Object.entries(specs).map(([key, spec]) => [key, row.attributes[key] ?? spec.default]),
      );
      return toAttributeList(current);
    },

    modifyAttributes(id: string, changes: Attribute[]): Attribute[] {
      return mutate(ctx, (tx) => {
        const row = findListener(tx, id);
        const next = mergeAttributes(
          "Listener",
          listenerAttributeSpecs(row.protocol),
          row.attributes,
          changes,
        );
        tx.update(schema.listeners).set({ attributes: next }).where(eq(schema.listeners.arn, row.arn)).run();
        return toAttributeList(next);
      });
    },
  };
}

export type ListenerAttributeService = ReturnType<typeof listenerAttributeService>;
