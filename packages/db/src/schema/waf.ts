import type { DefaultAction, VisibilityConfig, WafRule } from "@scaleout/core";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { loadBalancers } from "./elb.ts";

/*
 * AWS WAF (wafv2): web ACLs, IP sets, and which load balancer a web ACL protects. Rules and actions are
 * stored in AWS's wire shape (packages/core/src/waf/types.ts). `lockToken` changes on every update
 * (WAFOptimisticLockException when a caller's is stale).
 */

export const webAcls = sqliteTable(
  "web_acls",
  {
    arn: text("arn").primaryKey(),
    id: text("id").notNull().unique(),
    name: text("name").notNull(),
    scope: text("scope").notNull(),
    description: text("description"),
    defaultAction: text("default_action", { mode: "json" }).$type<DefaultAction>().notNull(),
    rules: text("rules", { mode: "json" }).$type<WafRule[]>().notNull(),
    visibilityConfig: text("visibility_config", { mode: "json" }).$type<VisibilityConfig>().notNull(),
    customResponseBodies: text("custom_response_bodies", { mode: "json" }).$type<
      Record<string, { ContentType: string; Content: string }>
    >(),
    /** Web ACL capacity units the rules use (CheckCapacity's figure). */
    capacity: integer("capacity").notNull(),
    lockToken: text("lock_token").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("web_acls_scope_name").on(t.scope, t.name)],
);

export const ipSets = sqliteTable(
  "ip_sets",
  {
    arn: text("arn").primaryKey(),
    id: text("id").notNull().unique(),
    name: text("name").notNull(),
    scope: text("scope").notNull(),
    description: text("description"),
    /** IPV4 | IPV6 */
    ipAddressVersion: text("ip_address_version").notNull(),
    addresses: text("addresses", { mode: "json" }).$type<string[]>().notNull(),
    lockToken: text("lock_token").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("ip_sets_scope_name").on(t.scope, t.name)],
);

/**
 * AssociateWebACL: one web ACL a load balancer. Deleting the load balancer drops the association (as AWS
 * does); deleting a web ACL still associated is refused on the foreign key (WAFAssociatedItemException).
 */
export const webAclAssociations = sqliteTable(
  "web_acl_associations",
  {
    resourceArn: text("resource_arn")
      .primaryKey()
      .references(() => loadBalancers.arn, { onDelete: "cascade" }),
    webAclArn: text("web_acl_arn")
      .notNull()
      .references(() => webAcls.arn, { onDelete: "restrict" }),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("web_acl_associations_acl").on(t.webAclArn)],
);
