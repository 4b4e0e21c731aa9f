import {
  AwsError,
  check,
  checkPageSize,
  decodeToken,
  Errors,
  encodeToken,
  type Page,
  type Tag,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { asc, eq, inArray } from "drizzle-orm";
import { mutate, type ServiceContext } from "./context.ts";
import { checkNoDuplicateKeys, checkTags, propagateKey, readTags, removeTags, writeTags } from "./tags.ts";

/*
 * Tags as the AWS APIs manage them after creation: Elastic Load Balancing's AddTags / RemoveTags /
 * DescribeTags over any of its ARNs, Auto Scaling's CreateOrUpdateTags / DescribeTags / DeleteTags over
 * groups, and plain tag sets for the other taggable resources (alarms, launch templates). Creates write
 * their tags through tags.ts in the same transaction; these are the operations on tags alone.
 */

const { tags, loadBalancers, targetGroups, listeners, rules, autoScalingGroups } = schema;

/** At most 50 tags per resource, in Elastic Load Balancing and Auto Scaling alike. */
export const maxTagsPerResource = 50;

type ElbResourceKind = "loadbalancer" | "targetgroup" | "listener" | "listener-rule";

/** The ELB resource type an ARN names (`...:loadbalancer/app/...`, `...:targetgroup/...`). */
export function elbResourceKind(arn: string): ElbResourceKind | undefined {
  const match =
    /^arn:[\w-]+:elasticloadbalancing:[^:]*:[^:]*:(loadbalancer|targetgroup|listener|listener-rule)\//.exec(
      arn,
    );
  return match?.[1] as ElbResourceKind | undefined;
}

/** Throws the not-found error AWS answers for each kind of ELB resource. */
function requireElbResource(db: Db | Tx, arn: string): void {
  const found = (() => {
    switch (elbResourceKind(arn)) {
      case "loadbalancer":
        return db
          .select({ arn: loadBalancers.arn })
          .from(loadBalancers)
          .where(eq(loadBalancers.arn, arn))
          .get()
          ? true
          : new Errors.LoadBalancerNotFound(`Load balancer '${arn}' not found`);
      case "targetgroup":
        return db.select({ arn: targetGroups.arn }).from(targetGroups).where(eq(targetGroups.arn, arn)).get()
          ? true
          : new Errors.TargetGroupNotFound(`Target group '${arn}' not found`);
      case "listener":
        return db.select({ arn: listeners.arn }).from(listeners).where(eq(listeners.arn, arn)).get()
          ? true
          : new Errors.ListenerNotFound(`Listener '${arn}' not found`);
      case "listener-rule":
        return db.select({ arn: rules.arn }).from(rules).where(eq(rules.arn, arn)).get()
          ? true
          : new Errors.RuleNotFound(`Rule '${arn}' not found`);
      default:
        return new Errors.ValidationError(`'${arn}' is not a valid Elastic Load Balancing resource ARN`);
    }
  })();
  if (found !== true) throw found;
}

function checkResourceArns(arns: string[] | undefined, max: number): string[] {
  check(Array.isArray(arns) && arns.length > 0, "At least one resource ARN must be specified");
  check(arns.length <= max, `At most ${max} resource ARNs can be specified`);
  return arns;
}

function checkTagCount(tx: Tx, resourceArn: string, adding: Tag[], error: () => AwsError): void {
  const existing = new Set((readTags(tx, [resourceArn]).get(resourceArn) ?? []).map((t) => t.key));
  for (const tag of adding) existing.add(tag.key);
  if (existing.size > maxTagsPerResource) throw error();
}

// ---- Auto Scaling --------------------------------------------------------------------------------------

/** A tag of an Auto Scaling group as the Auto Scaling API names it (TagDescription). */
export interface GroupTag {
  resourceId: string;
  resourceType: "auto-scaling-group";
  key: string;
  value: string;
  propagateAtLaunch: boolean;
}

export interface GroupTagInput {
  resourceId?: string;
  resourceType?: string;
  key?: string;
  value?: string;
  propagateAtLaunch?: boolean;
}

function findGroupRow(db: Db | Tx, name: string): { name: string; arn: string } {
  const row = db
    .select({ name: autoScalingGroups.name, arn: autoScalingGroups.arn })
    .from(autoScalingGroups)
    .where(eq(autoScalingGroups.name, name))
    .get();
  if (!row)
    throw new Errors.AutoScalingGroupNotFound(
      `AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`,
    );
  return row;
}

function checkGroupTags(
  list: GroupTagInput[] | undefined,
): Array<Required<Omit<GroupTagInput, "value">> & { value: string }> {
  check(Array.isArray(list) && list.length > 0, "At least one tag must be specified");
  return list.map((tag) => {
    check(typeof tag.resourceId === "string" && tag.resourceId.length > 0, "Each tag needs a ResourceId");
    const resourceType = tag.resourceType ?? "auto-scaling-group";
    check(
      resourceType === "auto-scaling-group",
      `ResourceType '${resourceType}' is not valid: only auto-scaling-group can be tagged`,
    );
    check(typeof tag.key === "string", "Each tag needs a Key");
    checkTags([{ key: tag.key, ...(tag.value !== undefined && { value: tag.value }) }]);
    return {
      resourceId: tag.resourceId,
      resourceType,
      key: tag.key,
      value: tag.value ?? "",
      propagateAtLaunch: tag.propagateAtLaunch ?? false,
    };
  });
}

/** The tags of the named groups, by group name, keys in order. */
export function readGroupTags(
  db: Db | Tx,
  groups: Array<{ name: string; arn: string }>,
): Map<string, GroupTag[]> {
  const arns = groups.flatMap((g) => [g.arn, propagateKey(g.arn)]);
  const all = readTags(db, arns);
  const result = new Map<string, GroupTag[]>();
  for (const group of groups) {
    const propagate = new Map(
      (all.get(propagateKey(group.arn)) ?? []).map((t) => [t.key, t.value === "true"]),
    );
    result.set(
      group.name,
      (all.get(group.arn) ?? [])
        .map((t) => ({
          resourceId: group.name,
          resourceType: "auto-scaling-group" as const,
          key: t.key,
          value: t.value ?? "",
          propagateAtLaunch: propagate.get(t.key) ?? false,
        }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    );
  }
  return result;
}

export interface TagFilter {
  name?: string;
  values?: string[];
}

const groupTagFilters = ["auto-scaling-group", "key", "value", "propagate-at-launch"] as const;

// ---- The service ---------------------------------------------------------------------------------------

export function taggingService(ctx: ServiceContext) {
  return {
    /** Elastic Load Balancing's tag operations over load balancers, target groups, listeners and rules. */
    elb: {
      /** AddTags: a key already set takes the new value. */
      add(resourceArns: string[] | undefined, list: Tag[] | undefined): void {
        const arns = checkResourceArns(resourceArns, 20);
        check(Array.isArray(list) && list.length > 0, "At least one tag must be specified");
        const given = checkTags(list);
        checkNoDuplicateKeys(given);
        mutate(ctx, (tx) => {
          for (const arn of arns) {
            requireElbResource(tx, arn);
            checkTagCount(
              tx,
              arn,
              given,
              () =>
                new AwsError(
                  "TooManyTags",
                  400,
                  `The quota for the number of tags that can be assigned to a resource (${maxTagsPerResource}) has been reached`,
                ),
            );
            writeTags(tx, arn, given);
          }
        });
      },

      /** RemoveTags: keys that are not set are ignored, as in AWS. */
      remove(resourceArns: string[] | undefined, keys: string[] | undefined): void {
        const arns = checkResourceArns(resourceArns, 20);
        check(Array.isArray(keys) && keys.length > 0, "At least one tag key must be specified");
        mutate(ctx, (tx) => {
          for (const arn of arns) {
            requireElbResource(tx, arn);
            removeTags(tx, arn, keys);
          }
        });
      },

      describe(resourceArns: string[] | undefined): Array<{ resourceArn: string; tags: Tag[] }> {
        const arns = checkResourceArns(resourceArns, 20);
        for (const arn of arns) requireElbResource(ctx.db, arn);
        const found = readTags(ctx.db, arns);
        return arns.map((arn) => ({ resourceArn: arn, tags: found.get(arn) ?? [] }));
      },
    },

    /** Auto Scaling's tag operations over groups. */
    groups: {
      /** CreateOrUpdateTags. */
      createOrUpdate(list: GroupTagInput[] | undefined): void {
        const given = checkGroupTags(list);
        mutate(ctx, (tx) => {
          for (const tag of given) {
            const group = findGroupRow(tx, tag.resourceId);
            checkTagCount(
              tx,
              group.arn,
              [{ key: tag.key }],
              () =>
                new Errors.LimitExceeded(
                  `The number of tags on AutoScalingGroup ${group.name} would exceed the limit of ${maxTagsPerResource}`,
                ),
            );
            writeTags(tx, group.arn, [{ key: tag.key, value: tag.value }]);
            writeTags(tx, propagateKey(group.arn), [{ key: tag.key, value: String(tag.propagateAtLaunch) }]);
          }
        });
      },

      /** DeleteTags: a tag is named by group and key; its value, when given, is not compared (as in AWS). */
      delete(list: GroupTagInput[] | undefined): void {
        check(Array.isArray(list) && list.length > 0, "At least one tag must be specified");
        mutate(ctx, (tx) => {
          for (const tag of list) {
            check(typeof tag.resourceId === "string", "Each tag needs a ResourceId");
            check(typeof tag.key === "string", "Each tag needs a Key");
            const group = findGroupRow(tx, tag.resourceId);
            removeTags(tx, group.arn, [tag.key]);
            removeTags(tx, propagateKey(group.arn), [tag.key]);
          }
        });
      },

      /** The tags of these groups, for DescribeAutoScalingGroups. */
      of(groupNames: string[]): Map<string, GroupTag[]> {
        if (groupNames.length === 0) return new Map();
        const rows = ctx.db
          .select({ name: autoScalingGroups.name, arn: autoScalingGroups.arn })
          .from(autoScalingGroups)
          .where(inArray(autoScalingGroups.name, groupNames))
          .all();
        return readGroupTags(ctx.db, rows);
      },

      /** Names of the groups whose tags match every filter (DescribeAutoScalingGroups' tag filters). */
      groupsMatching(filters: TagFilter[]): string[] {
        const rows = ctx.db
          .select({ name: autoScalingGroups.name, arn: autoScalingGroups.arn })
          .from(autoScalingGroups)
          .orderBy(asc(autoScalingGroups.name))
          .all();
        const byGroup = readGroupTags(ctx.db, rows);
        return rows
          .filter((row) => {
            const list = byGroup.get(row.name) ?? [];
            return filters.every((filter) => {
              const values = filter.values ?? [];
              const name = filter.name ?? "";
              if (name === "tag-key") return list.some((t) => values.includes(t.key));
              if (name === "tag-value") return list.some((t) => values.includes(t.value));
              if (name.startsWith("tag:")) {
                const key = name.slice(4);
                return list.some((t) => t.key === key && values.includes(t.value));
              }
              throw new Errors.ValidationError(
                `Filter '${name}' is not supported: use tag-key, tag-value or tag:<key>`,
              );
            });
          })
          .map((row) => row.name);
      },

      /** DescribeTags: every group's tags, filtered, by group then key. */
      describe(
        options: { filters?: TagFilter[]; pageSize?: number; nextToken?: string } = {},
      ): Page<GroupTag> {
        const pageSize = checkPageSize(options.pageSize);
        const after = decodeToken(options.nextToken);
        const filters = options.filters ?? [];
        for (const filter of filters) {
          check(
            (groupTagFilters as readonly string[]).includes(filter.name ?? ""),
            `Filter name '${filter.name}' must be one of ${groupTagFilters.join(", ")}`,
          );
          check((filter.values ?? []).length > 0, `Filter '${filter.name}' needs at least one value`);
        }
        const rows = ctx.db
          .select({ name: autoScalingGroups.name, arn: autoScalingGroups.arn })
          .from(autoScalingGroups)
          .orderBy(asc(autoScalingGroups.name))
          .all();
        const byGroup = readGroupTags(ctx.db, rows);
        const sortKey = (t: GroupTag) => JSON.stringify([t.resourceId, t.key]);
        const matching = rows
          .flatMap((row) => byGroup.get(row.name) ?? [])
          .filter((tag) =>
            filters.every((filter) => {
              const values = filter.values ?? [];
              switch (filter.name) {
                case "auto-scaling-group":
                  return values.includes(tag.resourceId);
                case "key":
                  return values.includes(tag.key);
                case "value":
                  return values.includes(tag.value);
                default:
                  return values.includes(String(tag.propagateAtLaunch));
              }
            }),
          )
          .filter((tag) => after === undefined || sortKey(tag) > after);
        const items = matching.slice(0, pageSize);
        const last = items[items.length - 1];
        return {
          items,
          ...(matching.length > pageSize && last && { nextToken: encodeToken(sortKey(last)) }),
        };
      },
    },

    /** Plain tag sets of other resources (alarms, launch templates), keyed by ARN or id. */
    resources: {
      set(resourceKey: string, list: Tag[] | undefined): void {
        const given = checkTags(list);
        if (given.length === 0) return;
        checkNoDuplicateKeys(given);
        mutate(ctx, (tx) => writeTags(tx, resourceKey, given));
      },
      get(resourceKeys: string[]): Map<string, Tag[]> {
        return readTags(ctx.db, resourceKeys);
      },
      removeAll(resourceKey: string): void {
        if (!ctx.db.select().from(tags).where(eq(tags.resourceArn, resourceKey)).get()) return;
        mutate(ctx, (tx) => removeTags(tx, resourceKey));
      },
    },
  };
}

export type TaggingService = ReturnType<typeof taggingService>;
