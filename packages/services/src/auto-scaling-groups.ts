import { arns, check, checkGroupName, checkGroupSettings, checkSizes, Errors } from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { eq, inArray } from "drizzle-orm";
import { activityService } from "./activities.ts";
import { onConstraint } from "./constraints.ts";
import { isoSeconds, mutate, type ServiceContext } from "./context.ts";
import {
  changeDesiredCapacity,
  constraintsCause,
  groupCapacityService,
  resolveSizes,
} from "./group-capacity.ts";
import { groupTargetGroupService, linkTargetGroups } from "./group-target-groups.ts";
import { findGroup, groupInstances, groupView, groupViewService } from "./group-view.ts";
import { findLaunchTemplate, resolveLaunchTemplateVersion } from "./launch-templates.ts";
import { writeHookSpecifications } from "./lifecycle-hooks.ts";
import type { Wire } from "./shapes/common.ts";
import type { AutoScalingGroup, CreateGroup, UpdateGroup } from "./shapes/groups.ts";
import type { LaunchTemplateSpec } from "./shapes/launch-templates.ts";
import { checkTags, removeGroupTags, writeGroupTags } from "./tags.ts";

/*
 * Auto Scaling groups: their creation, update and deletion here; their view (group-view.ts), capacity
 * (group-capacity.ts), target groups (group-target-groups.ts) and activities (activities.ts) each in its
 * own file, composed into one service below.
 */

const { autoScalingGroups, scalingPolicies, alarms } = schema;
type GroupRow = typeof autoScalingGroups.$inferSelect;

export type LaunchTemplateSpecification = LaunchTemplateSpec;

/** What CreateAutoScalingGroup gives either door; the service checks every member (AWS's codes). */
export type CreateGroupInput = Wire<Partial<CreateGroup>>;
export type UpdateGroupInput = Wire<UpdateGroup>;

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

function groupCrudService(ctx: ServiceContext) {
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
          suspendedProcesses: [],
          enabledMetrics: [],
          createdAt: at,
        };
        onConstraint(() => tx.insert(autoScalingGroups).values(row).run(), { unique: exists });
        linkTargetGroups(tx, name, targetGroupArns);
        // In the same transaction: the hooks hold the group's very first instances.
        writeHookSpecifications(ctx, tx, name, input.lifecycleHookSpecificationList);
        writeGroupTags(tx, row.arn, tags);
        announce.groups.push({ name, reason: "group created" });
        return view(tx, row);
      });
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
        const { minSize, maxSize, desiredCapacity: desired } = resolveSizes(row, input);
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
        changeDesiredCapacity(tx, announce, next, desired, constraintsCause("a user request", now(), next));
        announce.groups.push({ name: row.name, reason: "group updated" });
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
  };
}

/** One object per resource, as the doors and the worker call it: `services.groups`. */
export function autoScalingGroupService(ctx: ServiceContext) {
  return {
    ...groupCrudService(ctx),
    ...groupViewService(ctx),
    ...groupCapacityService(ctx),
    ...groupTargetGroupService(ctx),
    ...activityService(ctx),
  };
}

export type AutoScalingGroupService = ReturnType<typeof autoScalingGroupService>;
