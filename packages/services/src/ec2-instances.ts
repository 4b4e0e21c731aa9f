import {
  AwsError,
  decodeToken,
  describeInstanceStatusFilters,
  describeInstancesFilters,
  type Ec2FilterSubject,
  Errors,
  ec2StateCodes,
  ec2StateOf,
  encodeToken,
  isInstanceId,
  matchesFilters,
  type Page,
  unknownFilters,
} from "@scaleout/core";
import { type Db, schema } from "@scaleout/db";
import { asc } from "drizzle-orm";
import { iso, type ServiceContext } from "./context.ts";
import type { Ec2Filter, Ec2Instance, Ec2InstanceStatus } from "./shapes/ec2-instances.ts";
import { readGroupTags } from "./tagging.ts";

/*
 * EC2's DescribeInstances and DescribeInstanceStatus over the instances of groups (and the detached
 * ones, which keep running), so that scripts that look an instance's address up work. Rows are the
 * registry's; a Terminated row is listed as `terminated` until the reconciler prunes it (an hour, like
 * EC2's). The instance answers at the address its driver reported (loopback, or a swarm node's); its port is the `scaleout:port` tag.
 */

const { instances, autoScalingGroups, launchTemplateVersions } = schema;
type InstanceRow = typeof instances.$inferSelect;

export const groupNameTag = "aws:autoscaling:groupName";
export const portTag = "scaleout:port";

function checkIds(ids: string[] | undefined): string[] {
  const list = [...new Set(ids ?? [])];
  for (const id of list) {
    if (!isInstanceId(id)) {
      throw new AwsError("InvalidInstanceID.Malformed", 400, `Invalid id: "${id}" (expecting "i-...")`);
    }
  }
  return list;
}

function notFound(ids: string[]): AwsError {
  return new AwsError(
    "InvalidInstanceID.NotFound",
    400,
    ids.length === 1
      ? `The instance ID '${ids[0]}' does not exist`
      : `The instance IDs '${ids.join(", ")}' do not exist`,
  );
}

function checkFilters(filters: Ec2Filter[] | undefined, allowed: readonly string[]): Ec2Filter[] {
  const list = filters ?? [];
  const unknown = unknownFilters(list, allowed);
  if (unknown.length > 0)
    throw new AwsError("InvalidParameterValue", 400, `The filter '${unknown[0]}' is invalid`);
  return list;
}

function checkMaxResults(maxResults: number | undefined, ids: string[], min: number): number {
  if (maxResults === undefined) return 1000;
  if (ids.length > 0) {
    throw new Errors.InvalidParameterCombination(
      "The parameter instancesSet cannot be used with the parameter maxResults",
    );
  }
  if (!Number.isInteger(maxResults) || maxResults < min || maxResults > 1000) {
    throw new AwsError(
      "InvalidParameterValue",
      400,
      `Value (${maxResults}) for parameter maxResults is invalid. Expecting a value between ${min} and 1000.`,
    );
  }
  return maxResults;
}

function page<T extends { instanceId: string }>(
  all: T[],
  size: number,
  nextToken: string | undefined,
): Page<T> {
  const after = decodeToken(nextToken);
  const rest = after === undefined ? all : all.filter((item) => item.instanceId > after);
  const items = rest.slice(0, size);
  const last = items[items.length - 1];
  return rest.length > size && last ? { items, nextToken: encodeToken(last.instanceId) } : { items };
}

function describeRows(db: Db, rows: InstanceRow[]): Array<Ec2Instance & { subject: Ec2FilterSubject }> {
  const groups = db
    .select({ name: autoScalingGroups.name, arn: autoScalingGroups.arn })
    .from(autoScalingGroups)
    .all();
  const groupTags = readGroupTags(db, groups);
  const images = new Map(
    db
      .select({
        id: launchTemplateVersions.templateId,
        version: launchTemplateVersions.version,
        image: launchTemplateVersions.image,
      })
      .from(launchTemplateVersions)
      .all()
      .map((v) => [`${v.id}:${v.version}`, v.image]),
  );
  return rows.map((row) => {
    const member = row.lifecycleState !== "Detached";
    const tags = [
      ...(member
        ? (groupTags.get(row.groupName) ?? [])
            .filter((t) => t.propagateAtLaunch)
            .map((t) => ({ key: t.key, value: t.value }))
        : []),
      ...(member ? [{ key: groupNameTag, value: row.groupName }] : []),
      ...(row.port !== null ? [{ key: portTag, value: String(row.port) }] : []),
    ];
    const name = ec2StateOf(row.lifecycleState);
    const image =
      images.get(`${row.launchTemplateId}:${row.launchTemplateVersion}`) ??
      (row.driver === "process" ? "local/process" : "local/unknown");
    const address = row.address ?? "127.0.0.1";
    const instance: Ec2Instance = {
      instanceId: row.id,
      imageId: image,
      instanceType: row.driver === "process" ? "local.process" : "local.container",
      state: { code: ec2StateCodes[name], name },
      privateIpAddress: address,
      privateDnsName: "localhost",
      ...(row.port !== null && { port: row.port }),
      placement: { availabilityZone: row.availabilityZone, tenancy: "default" },
      launchTime: iso(row.launchedAt),
      tags,
      ...(member && { autoScalingGroupName: row.groupName }),
    };
    return {
      ...instance,
      subject: {
        instanceId: row.id,
        imageId: image,
        stateName: name,
        stateCode: ec2StateCodes[name],
        availabilityZone: row.availabilityZone,
        privateIpAddress: address,
        tags,
      },
    };
  });
}

/** EC2's status checks: scaleout's only check is the registry's health status of the instance. */
function statusOf(row: InstanceRow): string {
  if (ec2StateOf(row.lifecycleState) !== "running") return "not-applicable";
  if (row.lifecycleState === "Pending:Wait" || row.lifecycleState === "Pending:Proceed")
    return "initializing";
  return row.healthStatus === "Unhealthy" ? "impaired" : "ok";
}

export function ec2InstanceService(ctx: ServiceContext) {
  function rowsFor(ids: string[]): InstanceRow[] {
    const rows = ctx.db.select().from(instances).orderBy(asc(instances.id)).all();
    if (ids.length === 0) return rows;
    const found = rows.filter((r) => ids.includes(r.id));
    const missing = ids.filter((id) => !found.some((r) => r.id === id));
    if (missing.length > 0) throw notFound(missing);
    return found;
  }

  return {
    /** DescribeInstances: the instances of `instanceIds` (each must exist), filtered, by instance id. */
    describe(input: {
      instanceIds?: string[];
      filters?: Ec2Filter[];
      maxResults?: number;
      nextToken?: string;
    }): Page<Ec2Instance> {
      const ids = checkIds(input.instanceIds);
      const filters = checkFilters(input.filters, describeInstancesFilters);
      const size = checkMaxResults(input.maxResults, ids, 5);
      const all = describeRows(ctx.db, rowsFor(ids))
        .filter((i) => matchesFilters(i.subject, filters))
        .map(({ subject: _subject, ...instance }) => instance);
      return page(all, size, input.nextToken);
    },

    /** DescribeInstanceStatus: running instances unless `includeAllInstances`. */
    status(input: {
      instanceIds?: string[];
      filters?: Ec2Filter[];
      includeAllInstances?: boolean;
      maxResults?: number;
      nextToken?: string;
    }): Page<Ec2InstanceStatus> {
      const ids = checkIds(input.instanceIds);
      const filters = checkFilters(input.filters, describeInstanceStatusFilters);
      const size = checkMaxResults(input.maxResults, ids, 5);
      const rows = rowsFor(ids);
      const described = describeRows(ctx.db, rows);
      const all = rows.flatMap((row, index): Ec2InstanceStatus[] => {
        const instance = described[index];
        if (!instance) return [];
        if (!input.includeAllInstances && instance.state.name !== "running") return [];
        const status = statusOf(row);
        const subject = { ...instance.subject, instanceStatus: status, systemStatus: status };
        if (!matchesFilters(subject, filters)) return [];
        const summary = {
          status,
          details:
            status === "not-applicable"
              ? []
              : [
                  {
                    name: "reachability",
                    status: status === "ok" ? "passed" : status === "impaired" ? "failed" : "initializing",
                  },
                ],
        };
        return [
          {
            instanceId: row.id,
            availabilityZone: row.availabilityZone,
            instanceState: instance.state,
            instanceStatus: summary,
            systemStatus: summary,
          },
        ];
      });
      return page(all, size, input.nextToken);
    },
  };
}

export type Ec2InstanceService = ReturnType<typeof ec2InstanceService>;
