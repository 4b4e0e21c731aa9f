import {
  arns,
  check,
  checkGroupName,
  checkGroupSettings,
  checkPageSize,
  checkSizes,
  decodeToken,
  Errors,
  encodeToken,
  type Page,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, asc, desc, eq, gt, inArray, isNull, lt, ne, or, sql } from "drizzle-orm";
import { toActivity } from "./activities.ts";
import { onConstraint } from "./constraints.ts";
import { type Announcements, iso, isoSeconds, mutate, type ServiceContext } from "./context.ts";
import { findLaunchTemplate, resolveLaunchTemplateVersion } from "./launch-templates.ts";
import type { Activity } from "./shapes/activities.ts";
import type { Wire } from "./shapes/common.ts";
import type { AutoScalingGroup, CreateGroup, Instance, UpdateGroup } from "./shapes/groups.ts";
import type { LaunchTemplateSpec } from "./shapes/launch-templates.ts";
import { checkTags, removeGroupTags, writeGroupTags } from "./tags.ts";
import { requireTargetGroups } from "./target-groups.ts";

const {
  autoScalingGroups,
  groupTargetGroups,
  instances,
  scalingActivities,
  scalingPolicies,
  alarms,
  launchTemplates,
} = schema;
type GroupRow = typeof autoScalingGroups.$inferSelect;
type InstanceRow = typeof instances.$inferSelect;

export type LaunchTemplateSpecification = LaunchTemplateSpec;

/** What CreateAutoScalingGroup gives either door; the service checks every member (AWS's codes). */
export type CreateGroupInput = Wire<Partial<CreateGroup>>;
export type UpdateGroupInput = Wire<UpdateGroup>;

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

/** Instances that count toward a group's capacity: not yet terminated. */
export function groupInstances(db: Db | Tx, groupName: string): InstanceRow[] {
  return db
    .select()
    .from(instances)
    .where(and(eq(instances.groupName, groupName), ne(instances.lifecycleState, "Terminated")))
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
    suspendedProcesses: [],
    vpcZoneIdentifier: "",
    enabledMetrics: [],
    terminationPolicies: row.terminationPolicies,
    newInstancesProtectedFromScaleIn: row.newInstancesProtectedFromScaleIn,
    ...(row.defaultInstanceWarmup !== null && { defaultInstanceWarmup: row.defaultInstanceWarmup }),
    ...(row.status !== null && { status: row.status }),
  };
}

/**
 * Moves a group's desired capacity and remembers why, in AWS's words, for the activities the
 * reconciler will record. Answers whether anything changed.
 */
export function changeDesiredCapacity(
  tx: Tx,
  announce: Announcements,
  group: GroupRow,
  desired: number,
  because: (from: number, to: number) => string,
): boolean {
  if (desired === group.desiredCapacity) return false;
  tx.update(autoScalingGroups)
    .set({ desiredCapacity: desired, capacityCause: because(group.desiredCapacity, desired) })
    .where(eq(autoScalingGroups.name, group.name))
    .run();
  announce.groups.push({ name: group.name, reason: "desired capacity changed" });
  return true;
}

/** A scaling activity is in progress, or the cooldown since the last one has not run out. */
export function inCooldown(db: Db | Tx, group: GroupRow, cooldownSeconds: number, now: number): boolean {
  const running = db
    .select({ id: scalingActivities.id })
    .from(scalingActivities)
    // Unfinished in any status: InProgress, or WaitingForELBConnectionDraining while a scale-in drains.
    .where(and(eq(scalingActivities.groupName, group.name), isNull(scalingActivities.endTime)))
    .get();
  if (running) return true;
  return group.lastScalingEndedAt !== null && now < group.lastScalingEndedAt + cooldownSeconds * 1000;
}

function resolveTemplate(tx: Tx, spec: LaunchTemplateSpecification | undefined) {
  check(spec !== undefined, "A launch template must be specified (LaunchTemplate)");
  const key = spec.launchTemplateId ?? spec.launchTemplateName;
  check(key !== undefined, "LaunchTemplate needs a LaunchTemplateId or a LaunchTemplateName");
  let template: ReturnType<typeof findLaunchTemplate>;
  try {
    template = findLaunchTemplate(tx, key);
  } catch {
    throw new Errors.ValidationError(
      `You must use a valid fully-formed launch template. The launch template '${key}' does not exist.`,
    );
  }
  const version = spec.version ?? "$Default";
  resolveLaunchTemplateVersion(tx, template, version);
  return { template, version };
}

function linkTargetGroups(tx: Tx, groupName: string, targetGroupArns: string[]): void {
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

export function autoScalingGroupService(ctx: ServiceContext) {
  const view = (db: Db | Tx, row: GroupRow) => groupView(db, row, ctx.partition.region);
  const now = () => ctx.now();

  return {
    create(input: CreateGroupInput): AutoScalingGroup {
      checkGroupName(input.autoScalingGroupName);
      const name = input.autoScalingGroupName;
      check(input.minSize !== undefined, "MinSize is required");
      check(input.maxSize !== undefined, "MaxSize is required");
      const sizes = {
        minSize: input.minSize,
        maxSize: input.maxSize,
        desiredCapacity: input.desiredCapacity ?? input.minSize,
      };
      checkSizes(sizes);
      checkGroupSettings(input);
      const targetGroupArns = input.targetGroupARNs ?? [];
      check(
        Array.isArray(targetGroupArns) && targetGroupArns.length <= 50,
        "At most 50 target groups can be attached",
      );
      const tags = checkTags(input.tags);
      const exists = () =>
        new Errors.AlreadyExists(
          `AutoScalingGroup by this name already exists - A group with the name ${name} already exists`,
        );
      return mutate(ctx, (tx, announce) => {
        if (
          tx
            .select({ name: autoScalingGroups.name })
            .from(autoScalingGroups)
            .where(eq(autoScalingGroups.name, name))
            .get()
        )
          throw exists();
        const { template, version } = resolveTemplate(tx, input.launchTemplate);
        const at = now();
        const row: GroupRow = {
          name,
          arn: arns.autoScalingGroup(ctx.partition, name),
          launchTemplateId: template.id,
          launchTemplateVersion: version,
          ...sizes,
          healthCheckType: input.healthCheckType ?? "EC2",
          healthCheckGracePeriod: input.healthCheckGracePeriod ?? 0,
          defaultCooldown: input.defaultCooldown ?? 300,
          defaultInstanceWarmup: input.defaultInstanceWarmup ?? null,
          terminationPolicies: input.terminationPolicies ?? ["Default"],
          newInstancesProtectedFromScaleIn: input.newInstancesProtectedFromScaleIn ?? false,
          status: null,
          capacityCause:
            sizes.desiredCapacity > 0
              ? `At ${isoSeconds(at)} a user request created an AutoScalingGroup changing the desired capacity from 0 to ${sizes.desiredCapacity}.`
              : null,
          lastScalingEndedAt: null,
          createdAt: at,
        };
        onConstraint(() => tx.insert(autoScalingGroups).values(row).run(), { unique: exists });
        linkTargetGroups(tx, name, targetGroupArns);
        writeGroupTags(tx, row.arn, tags);
        announce.groups.push({ name, reason: "group created" });
        return view(tx, row);
      });
    },

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

    /**
     * UpdateAutoScalingGroup. A new minimum above the desired capacity raises it, a new maximum below
     * lowers it, as AWS does.
     */
    update(name: string, input: UpdateGroupInput): AutoScalingGroup {
      checkGroupSettings(input);
      return mutate(ctx, (tx, announce) => {
        const row = findGroup(tx, name);
        if (row.status !== null)
          throw new Errors.ScalingActivityInProgress(`AutoScalingGroup '${name}' is being deleted`);
        const minSize = input.minSize ?? row.minSize;
        const maxSize = input.maxSize ?? row.maxSize;
        let desired = input.desiredCapacity ?? row.desiredCapacity;
        if (input.desiredCapacity === undefined) desired = Math.min(maxSize, Math.max(minSize, desired));
        checkSizes({ minSize, maxSize, desiredCapacity: desired });
        const template = input.launchTemplate ? resolveTemplate(tx, input.launchTemplate) : undefined;
        const next: GroupRow = {
          ...row,
          minSize,
          maxSize,
          ...(template && {
            launchTemplateId: template.template.id,
            launchTemplateVersion: template.version,
          }),
          healthCheckType: input.healthCheckType ?? row.healthCheckType,
          healthCheckGracePeriod: input.healthCheckGracePeriod ?? row.healthCheckGracePeriod,
          defaultCooldown: input.defaultCooldown ?? row.defaultCooldown,
          defaultInstanceWarmup: input.defaultInstanceWarmup ?? row.defaultInstanceWarmup,
          terminationPolicies: input.terminationPolicies ?? row.terminationPolicies,
          newInstancesProtectedFromScaleIn:
            input.newInstancesProtectedFromScaleIn ?? row.newInstancesProtectedFromScaleIn,
        };
        tx.update(autoScalingGroups).set(next).where(eq(autoScalingGroups.name, row.name)).run();
        const at = isoSeconds(now());
        changeDesiredCapacity(
          tx,
          announce,
          next,
          desired,
          (from, to) =>
            `At ${at} a user request update of AutoScalingGroup constraints to min: ${minSize}, max: ${maxSize}, desired: ${to} changing the desired capacity from ${from} to ${to}.`,
        );
        announce.groups.push({ name: row.name, reason: "group updated" });
        return view(tx, findGroup(tx, row.name));
      });
    },

    /** SetDesiredCapacity: within min and max; with honorCooldown, refused while in cooldown. */
    setDesiredCapacity(
      name: string,
      input: { desiredCapacity?: number; honorCooldown?: boolean },
    ): AutoScalingGroup {
      check(input.desiredCapacity !== undefined, "DesiredCapacity is required");
      const desired = input.desiredCapacity;
      check(Number.isInteger(desired) && desired >= 0, "DesiredCapacity must be a non-negative integer");
      return mutate(ctx, (tx, announce) => {
        const row = findGroup(tx, name);
        if (row.status !== null)
          throw new Errors.ScalingActivityInProgress(`AutoScalingGroup '${name}' is being deleted`);
        check(
          desired <= row.maxSize,
          `New SetDesiredCapacity value ${desired} is above max value ${row.maxSize} for the AutoScalingGroup.`,
        );
        check(
          desired >= row.minSize,
          `New SetDesiredCapacity value ${desired} is below min value ${row.minSize} for the AutoScalingGroup.`,
        );
        if (input.honorCooldown && inCooldown(tx, row, row.defaultCooldown, now())) {
          throw new Errors.ScalingActivityInProgress(
            "Scaling activity is in progress or the group is in its cooldown period",
          );
        }
        const at = isoSeconds(now());
        changeDesiredCapacity(
          tx,
          announce,
          row,
          desired,
          (from, to) =>
            `At ${at} a user request explicitly set group desired capacity changing the desired capacity from ${from} to ${to}.`,
        );
        return view(tx, findGroup(tx, row.name));
      });
    },

    /**
     * DeleteAutoScalingGroup. With instances, only `forceDelete` proceeds: the group shrinks to zero and
     * the reconciler deletes its row once the last instance has terminated.
     */
    delete(name: string, options: { forceDelete?: boolean } = {}): void {
      mutate(ctx, (tx, announce) => {
        const row = findGroup(tx, name);
        const running = groupInstances(tx, row.name);
        if ((running.length > 0 || row.desiredCapacity > 0) && !options.forceDelete) {
          throw new Errors.ResourceInUse(
            "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.",
          );
        }
        // The group's target tracking alarms go with its policies.
        const policyArns = tx
          .select({ arn: scalingPolicies.arn })
          .from(scalingPolicies)
          .where(eq(scalingPolicies.groupName, row.name))
          .all();
        if (policyArns.length)
          tx.delete(alarms)
            .where(
              inArray(
                alarms.ownerPolicyArn,
                policyArns.map((p) => p.arn),
              ),
            )
            .run();
        tx.delete(scalingPolicies).where(eq(scalingPolicies.groupName, row.name)).run();
        if (running.length === 0) {
          tx.delete(autoScalingGroups).where(eq(autoScalingGroups.name, row.name)).run();
          removeGroupTags(tx, row.arn);
          return;
        }
        const at = isoSeconds(now());
        tx.update(autoScalingGroups)
          .set({ status: "Delete in progress", minSize: 0, maxSize: 0 })
          .where(eq(autoScalingGroups.name, row.name))
          .run();
        changeDesiredCapacity(
          tx,
          announce,
          row,
          0,
          (from) =>
            `At ${at} a user request deleted the AutoScalingGroup changing the desired capacity from ${from} to 0.`,
        );
        announce.groups.push({ name: row.name, reason: "group deleted" });
      });
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
            ne(instances.lifecycleState, "Terminated"),
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

    /** Newest first, as DescribeScalingActivities answers. */
    activities(
      name: string | undefined,
      options: { activityIds?: string[]; pageSize?: number; nextToken?: string } = {},
    ): Page<Activity> {
      const pageSize = checkPageSize(options.pageSize);
      if (name !== undefined) findGroup(ctx.db, name);
      const after = decodeToken(options.nextToken);
      const cursor = after === undefined ? undefined : (JSON.parse(after) as { t: number; id: string });
      const rows = ctx.db
        .select()
        .from(scalingActivities)
        .where(
          and(
            name === undefined ? undefined : eq(scalingActivities.groupName, name),
            options.activityIds?.length ? inArray(scalingActivities.id, options.activityIds) : undefined,
            cursor === undefined
              ? undefined
              : or(
                  lt(scalingActivities.startTime, cursor.t),
                  and(eq(scalingActivities.startTime, cursor.t), lt(scalingActivities.id, cursor.id)),
                ),
          ),
        )
        .orderBy(desc(scalingActivities.startTime), desc(scalingActivities.id))
        .limit(pageSize + 1)
        .all();
      const last = rows[pageSize - 1];
      return {
        items: rows.slice(0, pageSize).map(toActivity),
        ...(rows.length > pageSize &&
          last && { nextToken: encodeToken(JSON.stringify({ t: last.startTime, id: last.id })) }),
      };
    },

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

    /** Count of groups: a cheap probe for the worker's resync. */
    count(): number {
      return ctx.db.select({ n: sql<number>`count(*)` }).from(autoScalingGroups).get()?.n ?? 0;
    },
  };
}

export type AutoScalingGroupService = ReturnType<typeof autoScalingGroupService>;
