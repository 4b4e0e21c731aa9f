import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/*
 * CloudFormation: stacks, their resources and events, change sets and exports. A deleted stack stays (as
 * DELETE_COMPLETE, listed by ListStacks and described by its id) until purged; its name is free again.
 */

export const cfnStacks = sqliteTable(
  "cfn_stacks",
  {
    /** The stack ARN (StackId). */
    stackId: text("stack_id").primaryKey(),
    name: text("name").notNull(),
    /** CREATE_IN_PROGRESS, CREATE_COMPLETE, ROLLBACK_*, UPDATE_*, DELETE_*, REVIEW_IN_PROGRESS. */
    status: text("status").notNull(),
    statusReason: text("status_reason"),
    description: text("description"),
    /** The template as submitted (JSON or YAML text). */
    templateBody: text("template_body").notNull(),
    /** The parameters as given: [{ ParameterKey, ParameterValue | UsePreviousValue }]. */
    parameters: text("parameters", { mode: "json" }).$type<Array<Record<string, unknown>>>().notNull(),
    /** Resolved outputs: [{ OutputKey, OutputValue, Description, ExportName }]. */
    outputs: text("outputs", { mode: "json" }).$type<Array<Record<string, unknown>>>().notNull(),
    capabilities: text("capabilities", { mode: "json" }).$type<string[]>().notNull(),
    disableRollback: integer("disable_rollback", { mode: "boolean" }).notNull(),
    terminationProtection: integer("termination_protection", { mode: "boolean" }).notNull(),
    /** The template and parameters of the last complete state, for UPDATE_ROLLBACK. */
    previous: text("previous", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at"),
    deletedAt: integer("deleted_at"),
  },
  (t) => [uniqueIndex("cfn_stacks_live_name").on(t.name).where(sql`deleted_at IS NULL`)],
);

export const cfnStackResources = sqliteTable(
  "cfn_stack_resources",
  {
    stackId: text("stack_id")
      .notNull()
      .references(() => cfnStacks.stackId, { onDelete: "cascade" }),
    logicalId: text("logical_id").notNull(),
    physicalId: text("physical_id"),
    type: text("type").notNull(),
    /** CREATE_IN_PROGRESS, CREATE_COMPLETE, CREATE_FAILED, UPDATE_*, DELETE_*, ... */
    status: text("status").notNull(),
    statusReason: text("status_reason"),
    /** The resolved properties it was last created or updated with. */
    properties: text("properties", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** Its Ref value and GetAtt attributes, as the provider answered them. */
    attributes: text("attributes", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.stackId, t.logicalId] })],
);

export const cfnStackEvents = sqliteTable(
  "cfn_stack_events",
  {
    eventId: text("event_id").primaryKey(),
    stackId: text("stack_id")
      .notNull()
      .references(() => cfnStacks.stackId, { onDelete: "cascade" }),
    logicalId: text("logical_id").notNull(),
    physicalId: text("physical_id"),
    type: text("type").notNull(),
    status: text("status").notNull(),
    statusReason: text("status_reason"),
    properties: text("properties"),
    timestamp: integer("timestamp").notNull(),
    /** Orders events of the same millisecond. */
    seq: integer("seq").notNull(),
  },
  (t) => [index("cfn_stack_events_stack").on(t.stackId, t.timestamp, t.seq)],
);

export const cfnChangeSets = sqliteTable(
  "cfn_change_sets",
  {
    /** The change set ARN (ChangeSetId). */
    changeSetId: text("change_set_id").primaryKey(),
    name: text("name").notNull(),
    stackId: text("stack_id")
      .notNull()
      .references(() => cfnStacks.stackId, { onDelete: "cascade" }),
    /** CREATE | UPDATE */
    changeSetType: text("change_set_type").notNull(),
    /** CREATE_PENDING, CREATE_IN_PROGRESS, CREATE_COMPLETE, FAILED, DELETE_COMPLETE */
    status: text("status").notNull(),
    /** UNAVAILABLE, AVAILABLE, EXECUTE_IN_PROGRESS, EXECUTE_COMPLETE, EXECUTE_FAILED, OBSOLETE */
    executionStatus: text("execution_status").notNull(),
    statusReason: text("status_reason"),
    description: text("description"),
    templateBody: text("template_body").notNull(),
    parameters: text("parameters", { mode: "json" }).$type<Array<Record<string, unknown>>>().notNull(),
    capabilities: text("capabilities", { mode: "json" }).$type<string[]>().notNull(),
    /** DescribeChangeSet's Changes: [{ Type: Resource, ResourceChange: {...} }]. */
    changes: text("changes", { mode: "json" }).$type<Array<Record<string, unknown>>>().notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("cfn_change_sets_stack_name").on(t.stackId, t.name)],
);

/** Outputs with an Export name: unique in the region, read by Fn::ImportValue, listed by ListExports. */
export const cfnExports = sqliteTable("cfn_exports", {
  name: text("name").primaryKey(),
  stackId: text("stack_id")
    .notNull()
    .references(() => cfnStacks.stackId, { onDelete: "cascade" }),
  value: text("value").notNull(),
});
