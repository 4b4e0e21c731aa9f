import {
  checkPageSize,
  decodeToken,
  Errors,
  encodeToken,
  type Page,
  warmPoolLifecycleStates,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, asc, eq, gt, inArray, notInArray, sql } from "drizzle-orm";
import { iso, type ServiceContext } from "./context.ts";
import type { AutoScalingGroup, Instance } from "./shapes/groups.ts";
import { readGroupTags } from "./tagging.ts";
import { groupWarmPoolView } from "./warm-pools.ts";

/*
 * A group as both doors describe it: its row, instances and target groups read into the declared
 * shapes, and the reads of groups and their instances.
 */

const { autoScalingGroups, groupTargetGroups, instances, launchTemplates } = schema;
type GroupRow = typeof autoScalingGroups.$inferSelect;
type InstanceRow = typeof instances.$inferSelect;

export function findGroup(db: Db | Tx, name: string): GroupRow {
  const row = name.startsWith("arn:")
    ? db.select().from(autoScalingGroups).where(eq(autoScalingGroups.arn, name)).get()
    : db.select().from(autoScalingGroups).where(eq(autoScalingGroups.name, name)).get();
  if (!row)
    throw new Errors.AutoScalingGroupNotFound(
      `AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`,
    );
  return row;
}

export function toInstance(row: InstanceRow): Instance {
  return {
    instanceId: row.id,
    autoScalingGroupName: row.groupName,
    availabilityZone: row.availabilityZone,
    lifecycleState: row.lifecycleState,
    healthStatus: row.healthStatus,
    launchTemplate: {
      launchTemplateId: row.launchTemplateId,
      launchTemplateName: row.launchTemplateName,
      version: String(row.launchTemplateVersion),
    },
    protectedFromScaleIn: row.protectedFromScaleIn,
    instanceType: row.driver === "process" ? "local.process" : "local.container",
    ...(row.address !== null && { privateIpAddress: row.address }),
    ...(row.port !== null && { port: row.port }),
    launchTime: iso(row.launchedAt),
  };
}

/**
 * A group's instances: not yet terminated, not detached (a detached one left the group), and not in its
 * warm pool (DescribeWarmPool lists those).
 */
const gone = ["Terminated", "Detached", ...warmPoolLifecycleStates];
export function groupInstances(db: Db | Tx, groupName: string): InstanceRow[] {
  return db
    .select()
    .from(instances)
    .where(and(eq(instances.groupName, groupName), notInArray(instances.lifecycleState, gone)))
    .orderBy(asc(instances.launchedAt))
    .all();
}

export function groupView(db: Db | Tx, row: GroupRow, region: string): AutoScalingGroup {
  const template = db
    .select()
    .from(launchTemplates)
    .where(eq(launchTemplates.id, row.launchTemplateId))
    .get();
  const targetGroupARNs = db
    .select({ arn: groupTargetGroups.targetGroupArn })
    .from(groupTargetGroups)
    .where(eq(groupTargetGroups.groupName, row.name))
    .all()
    .map((r) => r.arn)
    .sort();
  return {
    autoScalingGroupName: row.name,
    autoScalingGroupARN: row.arn,
    launchTemplate: {
      launchTemplateId: row.launchTemplateId,
      launchTemplateName: template?.name ?? "",
      version: row.launchTemplateVersion,
    },
    minSize: row.minSize,
    maxSize: row.maxSize,
    desiredCapacity: row.desiredCapacity,
    defaultCooldown: row.defaultCooldown,
    availabilityZones: [`${region}a`],
    loadBalancerNames: [],
    targetGroupARNs,
    healthCheckType: row.healthCheckType,
    healthCheckGracePeriod: row.healthCheckGracePeriod,
    instances: groupInstances(db, row.name).map(
      ({
        id,
        availabilityZone,
        lifecycleState,
        healthStatus,
        launchTemplateId,
        launchTemplateName,
        launchTemplateVersion,
        protectedFromScaleIn,
        driver,
      }) => ({
        instanceId: id,
        availabilityZone,
        lifecycleState,
        healthStatus,
        launchTemplate: { launchTemplateId, launchTemplateName, version: String(launchTemplateVersion) },
        protectedFromScaleIn,
        instanceType: driver === "process" ? "local.process" : "local.container",
      }),
    ),
    createdTime: iso(row.createdAt),
    suspendedProcesses: row.suspendedProcesses,
    vpcZoneIdentifier: "",
    enabledMetrics: row.enabledMetrics,
    terminationPolicies: row.terminationPolicies,
    newInstancesProtectedFromScaleIn: row.newInstancesProtectedFromScaleIn,
    ...(row.defaultInstanceWarmup !== null && { defaultInstanceWarmup: row.defaultInstanceWarmup }),
    ...(row.status !== null && { status: row.status }),
    tags: readGroupTags(db, [row]).get(row.name) ?? [],
    trafficSources: targetGroupARNs.map((identifier) => ({ identifier, type: "elbv2" })),
    ...groupWarmPoolView(db, row.name),
  };
}

export function groupViewService(ctx: ServiceContext) {
  const view = (db: Db | Tx, row: GroupRow) => groupView(db, row, ctx.partition.region);
  return {
    get(name: string): AutoScalingGroup {
      return view(ctx.db, findGroup(ctx.db, name));
    },

    list(options: { names?: string[]; pageSize?: number; nextToken?: string } = {}): Page<AutoScalingGroup> {
      const pageSize = checkPageSize(options.pageSize);
      const after = decodeToken(options.nextToken);
      const rows = ctx.db
        .select()
        .from(autoScalingGroups)
        .where(
          and(
            options.names?.length ? inArray(autoScalingGroups.name, options.names) : undefined,
            after === undefined ? undefined : gt(autoScalingGroups.name, after),
          ),
        )
        .orderBy(asc(autoScalingGroups.name))
        .limit(pageSize + 1)
        .all();
      const items = rows.slice(0, pageSize).map((r) => view(ctx.db, r));
      const last = rows[pageSize - 1];
      return { items, ...(rows.length > pageSize && last && { nextToken: encodeToken(last.name) }) };
    },

    instances(name: string): Instance[] {
      const row = findGroup(ctx.db, name);
      return groupInstances(ctx.db, row.name).map(toInstance);
    },

    /** DescribeAutoScalingInstances: every group's instances, or the ones asked for. */
    allInstances(
      options: { instanceIds?: string[]; pageSize?: number; nextToken?: string } = {},
    ): Page<Instance> {
      const pageSize = checkPageSize(options.pageSize);
      const after = decodeToken(options.nextToken);
      const rows = ctx.db
        .select()
        .from(instances)
        .where(
          and(
            notInArray(instances.lifecycleState, gone),
            options.instanceIds?.length ? inArray(instances.id, options.instanceIds) : undefined,
            after === undefined ? undefined : gt(instances.id, after),
          ),
        )
        .orderBy(asc(instances.id))
        .limit(pageSize + 1)
        .all();
      const last = rows[pageSize - 1];
      return {
        items: rows.slice(0, pageSize).map(toInstance),
        ...(rows.length > pageSize && last && { nextToken: encodeToken(last.id) }),
      };
    },

    /** Count of groups: a cheap probe for the worker's resync. */
    count(): number {
      return ctx.db.select({ n: sql<number>`count(*)` }).from(autoScalingGroups).get()?.n ?? 0;
    },
  };
}
