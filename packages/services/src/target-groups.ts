import { isIP } from "node:net";
import {
  type Attribute,
  applyHealthCheck,
  arns,
  attributeSpecsOfTargetGroup,
  check,
  checkAttributesOfTargetGroup,
  checkElbName,
  checkPageSize,
  checkPort,
  decodeToken,
  defaultAttributesOfTargetGroup,
  Errors,
  type HealthCheckSettings,
  mergeAttributes,
  normalizeTargetGroup,
  type Page,
  pageOf,
  parseCidr,
  type Tag,
  type TargetGroupInput,
  toAttributeList,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { onConstraint } from "./constraints.ts";
import { mutate, type ServiceContext } from "./context.ts";
import { prepared } from "./statements.ts";
import { checkTags, removeTags, writeTags } from "./tags.ts";
import {
  describeTargetHealth,
  healthReasons,
  loadBalancersOf,
  type TargetDescription,
  type TargetHealthDescription,
} from "./target-health-view.ts";

const { targetGroups, targets, actionTargetGroups, instances } = schema;

/** What keeps a target group from being deleted: the first listener, rule or auto scaling group using it. */
function targetGroupUser(tx: Tx, arn: string): string {
  const action = tx
    .select({ owner: actionTargetGroups.ownerArn, listener: actionTargetGroups.listenerArn })
    .from(actionTargetGroups)
    .where(eq(actionTargetGroups.targetGroupArn, arn))
    .get();
  if (action) return action.owner === action.listener ? `listener ${action.owner}` : `rule ${action.owner}`;
  const group = tx
    .select({ name: schema.groupTargetGroups.groupName })
    .from(schema.groupTargetGroups)
    .where(eq(schema.groupTargetGroups.targetGroupArn, arn))
    .get();
  return group ? `auto scaling group ${group.name}` : "another resource";
}
type Row = typeof targetGroups.$inferSelect;

export interface CreateTargetGroupInput extends TargetGroupInput {
  name?: string;
  tags?: Tag[];
}

export interface TargetGroup extends Omit<HealthCheckSettings, "healthCheckPath" | "matcher"> {
  targetGroupArn: string;
  targetGroupName: string;
  protocol: string;
  /** HTTP and HTTPS groups only, as AWS shows it. */
  protocolVersion?: string;
  /** HTTP and HTTPS health checks only: a TCP check has neither path nor matcher. */
  healthCheckPath?: string;
  matcher?: { httpCode: string };
  port: number;
  vpcId: string;
  targetType: string;
  ipAddressType: string;
  loadBalancerArns: string[];
}

export const maxTargetsPerGroup = 1000;

/**
 * IP targets: AWS accepts addresses of the VPC and the private ranges (RFC 1918, RFC 6598). Locally the
 * VPC is this machine, so loopback is the common case; public addresses are refused as in AWS.
 */
const allowedTargetBlocks = [
  "127.0.0.0/8",
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "100.64.0.0/10",
  "::1/128",
  "fc00::/7",
]
  .map((block) => parseCidr(block))
  .filter((block) => block !== undefined);

function isAllowedTargetIp(ip: string): boolean {
  const prefix = isIP(ip) === 4 ? 32 : 128;
  const address = parseCidr(`${ip}/${prefix}`);
  if (!address) return false;
  return allowedTargetBlocks.some((block) => {
    if (block.width !== address.width) return false;
    const shift = BigInt(block.width - block.prefix);
    return address.bits >> shift === block.bits >> shift;
  });
}

export function findTargetGroup(db: Db | Tx, name: string): Row {
  const byArn = name.startsWith("arn:");
  const row = prepared(db, byArn ? "targetGroupByArn" : "targetGroupByName", (d) =>
    d
      .select()
      .from(targetGroups)
      .where(eq(byArn ? targetGroups.arn : targetGroups.name, sql.placeholder("key")))
      .prepare(),
  ).get({ key: name });
  if (!row) throw new Errors.TargetGroupNotFound(`Target group '${name}' not found`);
  return row;
}

export function toTargetGroup(row: Row, loadBalancerArns: string[]): TargetGroup {
  const { healthCheckPath, matcher, ...healthCheck } = row.healthCheck;
  return {
    targetGroupArn: row.arn,
    targetGroupName: row.name,
    protocol: row.protocol,
    ...(row.protocolVersion !== "" && { protocolVersion: row.protocolVersion }),
    port: row.port,
    vpcId: row.vpcId,
    ...healthCheck,
    ...(healthCheck.healthCheckProtocol !== "TCP" && { healthCheckPath, matcher }),
    targetType: row.targetType,
    ipAddressType: "ipv4",
    loadBalancerArns: [...loadBalancerArns].sort(),
  };
}

function sameSettings(row: Row, settings: ReturnType<typeof normalizeTargetGroup>): boolean {
  const { protocol, protocolVersion, port, targetType, vpcId, ...healthCheck } = settings;
  return (
    row.protocol === protocol &&
    row.protocolVersion === protocolVersion &&
    row.port === port &&
    row.targetType === targetType &&
    row.vpcId === vpcId &&
    JSON.stringify(row.healthCheck) === JSON.stringify(healthCheck)
  );
}

function checkTargets(
  db: Db | Tx,
  group: Row,
  list: TargetDescription[] | undefined,
): Array<Required<Omit<TargetDescription, "availabilityZone">> & TargetDescription> {
  check(Array.isArray(list) && list.length > 0, "At least one target must be specified");
  const instanceIds = new Set<string>();
  const normalized = list.map((target) => {
    check(typeof target?.id === "string" && target.id.length > 0, "Each target needs an Id");
    const port = target.port ?? group.port;
    checkPort("Port", port);
    if (group.targetType === "ip") {
      if (!isIP(target.id))
        throw new Errors.InvalidTarget(`The IP address '${target.id}' is not a valid IPv4 or IPv6 address`);
      if (!isAllowedTargetIp(target.id)) {
        throw new Errors.InvalidTarget(
          `The IP address '${target.id}' is outside the ranges allowed for IP targets (loopback, RFC 1918 and RFC 6598 private ranges)`,
        );
      }
    } else {
      if (!/^i-[0-9a-f]{8,17}$/.test(target.id))
        throw new Errors.InvalidTarget(`The target Id '${target.id}' is not a valid instance id`);
      instanceIds.add(target.id);
    }
    return { ...target, port };
  });
  if (instanceIds.size > 0) {
    const known = new Set(
      db
        .select({ id: instances.id })
        .from(instances)
        .where(inArray(instances.id, [...instanceIds]))
        .all()
        .map((r) => r.id),
    );
    const unknown = [...instanceIds].filter((id) => !known.has(id));
    if (unknown.length)
      throw new Errors.InvalidTarget(
        `The following targets are not valid instances: '${unknown.join("', '")}'`,
      );
  }
  return normalized;
}

export function targetGroupService(ctx: ServiceContext) {
  const view = (db: Db | Tx, row: Row) =>
    toTargetGroup(row, loadBalancersOf(db, [row.arn]).get(row.arn) ?? []);

  return {
    /** CreateTargetGroup: idempotent for identical settings, DuplicateTargetGroupName otherwise. */
    create(input: CreateTargetGroupInput): { targetGroup: TargetGroup; created: boolean } {
      if (input.name === undefined) throw new Errors.ValidationError("Name is required");
      const name = input.name;
      checkElbName("Target group", name);
      const settings = normalizeTargetGroup(input, ctx.limits);
      const tags = checkTags(input.tags);
      const duplicate = () =>
        new Errors.DuplicateTargetGroupName(`A target group with the name '${name}' already exists`);
      const existing = ctx.db.select().from(targetGroups).where(eq(targetGroups.name, name)).get();
      if (existing) {
        if (!sameSettings(existing, settings)) throw duplicate();
        return { targetGroup: view(ctx.db, existing), created: false };
      }
      const { protocol, protocolVersion, port, targetType, vpcId, ...healthCheck } = settings;
      const row: Row = {
        arn: arns.targetGroup(ctx.partition, name),
        name,
        protocol,
        protocolVersion,
        port,
        targetType,
        vpcId,
        healthCheck,
        attributes: defaultAttributesOfTargetGroup(settings, ctx.limits),
        createdAt: ctx.now(),
      };
      try {
        mutate(ctx, (tx) =>
          onConstraint(
            () => {
              tx.insert(targetGroups).values(row).run();
              writeTags(tx, row.arn, tags);
            },
            { unique: duplicate },
          ),
        );
      } catch (error) {
        // Another api process created it since the read above: the same settings are still idempotent.
        const winner =
          error instanceof Errors.DuplicateTargetGroupName
            ? ctx.db.select().from(targetGroups).where(eq(targetGroups.name, name)).get()
            : undefined;
        if (winner && sameSettings(winner, settings))
          return { targetGroup: view(ctx.db, winner), created: false };
        throw error;
      }
      return { targetGroup: toTargetGroup(row, []), created: true };
    },

    get(name: string): TargetGroup {
      return view(ctx.db, findTargetGroup(ctx.db, name));
    },

    list(
      options: {
        names?: string[];
        arns?: string[];
        loadBalancerArn?: string;
        pageSize?: number;
        nextToken?: string;
      } = {},
    ): Page<TargetGroup> {
      const pageSize = checkPageSize(options.pageSize);
      const after = decodeToken(options.nextToken);
      const keys = options.names?.length ? options.names : options.arns?.length ? options.arns : undefined;
      if (keys) {
        const byName = Boolean(options.names?.length);
        const rows = ctx.db
          .select()
          .from(targetGroups)
          .where(byName ? inArray(targetGroups.name, keys) : inArray(targetGroups.arn, keys))
          .orderBy(asc(targetGroups.name))
          .all();
        const found = new Set(rows.flatMap((r) => [r.name, r.arn]));
        const missing = keys.filter((k) => !found.has(k));
        if (missing.length)
          throw new Errors.TargetGroupNotFound(`Target groups '${missing.join(", ")}' not found`);
        const used = loadBalancersOf(
          ctx.db,
          rows.map((r) => r.arn),
        );
        return { items: rows.map((r) => toTargetGroup(r, used.get(r.arn) ?? [])) };
      }
      let filter = after === undefined ? undefined : gt(targetGroups.name, after);
      if (options.loadBalancerArn !== undefined) {
        const linked = ctx.db
          .selectDistinct({ tg: actionTargetGroups.targetGroupArn })
          .from(actionTargetGroups)
          .where(eq(actionTargetGroups.loadBalancerArn, options.loadBalancerArn))
          .all()
          .map((r) => r.tg);
        filter = and(filter, inArray(targetGroups.arn, linked));
      }
      const rows =
        options.loadBalancerArn === undefined
          ? prepared(ctx.db, after === undefined ? "targetGroupsFirst" : "targetGroupsAfter", (d) =>
              d
                .select()
                .from(targetGroups)
                .where(after === undefined ? undefined : gt(targetGroups.name, sql.placeholder("after")))
                .orderBy(asc(targetGroups.name))
                .limit(sql.placeholder("limit"))
                .prepare(),
            ).all({ after, limit: pageSize + 1 })
          : ctx.db
              .select()
              .from(targetGroups)
              .where(filter)
              .orderBy(asc(targetGroups.name))
              .limit(pageSize + 1)
              .all();
      const page = pageOf(rows, pageSize, (r) => r.name);
      const used = loadBalancersOf(
        ctx.db,
        page.items.map((r) => r.arn),
      );
      return {
        items: page.items.map((r) => toTargetGroup(r, used.get(r.arn) ?? [])),
        ...(page.nextToken && { nextToken: page.nextToken }),
      };
    },

    /** ModifyTargetGroup: the health check settings. */
    modify(name: string, input: TargetGroupInput): TargetGroup {
      return mutate(ctx, (tx) => {
        const row = findTargetGroup(tx, name);
        const healthCheck = applyHealthCheck(row.healthCheck, input, ctx.limits, row.protocol);
        tx.update(targetGroups).set({ healthCheck }).where(eq(targetGroups.arn, row.arn)).run();
        return view(tx, { ...row, healthCheck });
      });
    },

    /** DeleteTargetGroup: refused while a listener, rule or auto scaling group uses it. */
    delete(name: string): void {
      const row = findTargetGroup(ctx.db, name);
      mutate(ctx, (tx) => {
        // AWS's sentence, and which user holds it, so the user knows what to delete or change first.
        const inUse = () =>
          new Errors.ResourceInUse(
            `Target group '${row.arn}' is currently in use by a listener or a rule (used by ${targetGroupUser(tx, row.arn)})`,
          );
        onConstraint(
          () => {
            tx.delete(targetGroups).where(eq(targetGroups.arn, row.arn)).run();
            removeTags(tx, row.arn);
          },
          { foreignKey: inUse },
        );
      });
    },

    attributes(name: string): Attribute[] {
      return toAttributeList(findTargetGroup(ctx.db, name).attributes);
    },

    modifyAttributes(name: string, changes: Attribute[]): Attribute[] {
      return mutate(ctx, (tx) => {
        const row = findTargetGroup(tx, name);
        const next = mergeAttributes(
          "Target group",
          attributeSpecsOfTargetGroup(row, ctx.limits),
          row.attributes,
          changes,
        );
        checkAttributesOfTargetGroup(row.protocol, next);
        tx.update(targetGroups).set({ attributes: next }).where(eq(targetGroups.arn, row.arn)).run();
        return toAttributeList(next);
      });
    },

    /**
     * RegisterTargets: new targets start `initial` (Elb.RegistrationInProgress) until the proxy's first
     * health check; re-registering a registered target changes nothing, a draining one starts over.
     */
    register(name: string, list: TargetDescription[] | undefined): void {
      mutate(ctx, (tx) => {
        const group = findTargetGroup(tx, name);
        const normalized = checkTargets(tx, group, list);
        const now = ctx.now();
        const existing = tx.select().from(targets).where(eq(targets.targetGroupArn, group.arn)).all();
        const live = existing.filter((r) => r.drainDeadline === null || r.drainDeadline > now);
        const key = (id: string, port: number) => `${id}:${port}`;
        const registered = new Set(
          live.filter((r) => r.state !== "draining").map((r) => key(r.targetId, r.port)),
        );
        const fresh = new Set(normalized.map((t) => key(t.id, t.port)).filter((k) => !registered.has(k)));
        if (registered.size + fresh.size > maxTargetsPerGroup) {
          throw new Errors.TooManyTargets(
            `A target group can have at most ${maxTargetsPerGroup} registered targets`,
          );
        }
        // One statement for the whole call: up to 1,000 targets, each a run of it rather than a new query.
        const upsert = tx
          .insert(targets)
          .values({
            targetGroupArn: group.arn,
            targetId: sql.placeholder("id"),
            port: sql.placeholder("port"),
            availabilityZone: sql.placeholder("zone"),
            state: "initial",
            ...healthReasons.registrationInProgress,
            registeredAt: now,
            drainDeadline: null,
            drainedAt: null,
            updatedAt: now,
          })
          .onConflictDoUpdate({
            target: [targets.targetGroupArn, targets.targetId, targets.port],
            set: {
              state: "initial",
              ...healthReasons.registrationInProgress,
              registeredAt: now,
              drainDeadline: null,
              drainedAt: null,
              updatedAt: now,
            },
          })
          .prepare();
        for (const target of normalized) {
          if (registered.has(key(target.id, target.port))) continue;
          upsert.run({ id: target.id, port: target.port, zone: target.availabilityZone ?? null });
        }
      });
    },

    /**
     * DeregisterTargets: a target of a group in use drains (no new requests) until its in-flight requests
     * finish or the deregistration delay runs out; the proxy then removes it. A group no load balancer
     * uses has nothing to drain, and a delay of 0 means at once.
     */
    deregister(name: string, list: TargetDescription[] | undefined): void {
      mutate(ctx, (tx) => {
        const group = findTargetGroup(tx, name);
        check(Array.isArray(list) && list.length > 0, "At least one target must be specified");
        const now = ctx.now();
        const rows = tx.select().from(targets).where(eq(targets.targetGroupArn, group.arn)).all();
        const missing = list.filter(
          (t) =>
            !rows.some(
              (r) =>
                r.targetId === t.id &&
                r.port === (t.port ?? group.port) &&
                (r.drainDeadline === null || r.drainDeadline > now),
            ),
        );
        if (missing.length) {
          throw new Errors.InvalidTarget(
            `The following targets are not registered: '${missing.map((t) => t.id).join("', '")}'`,
          );
        }
        const delay = Number(group.attributes["deregistration_delay.timeout_seconds"] ?? "300");
        const inUse = (loadBalancersOf(tx, [group.arn]).get(group.arn) ?? []).length > 0;
        for (const target of list) {
          const where = and(
            eq(targets.targetGroupArn, group.arn),
            eq(targets.targetId, target.id),
            eq(targets.port, target.port ?? group.port),
          );
          if (!inUse || delay === 0) tx.delete(targets).where(where).run();
          else {
            tx.update(targets)
              .set({
                state: "draining",
                ...healthReasons.deregistrationInProgress,
                drainDeadline: now + delay * 1000,
                drainedAt: null,
                updatedAt: now,
              })
              .where(where)
              .run();
          }
        }
      });
    },

    health(name: string, only?: TargetDescription[]): TargetHealthDescription[] {
      const group = findTargetGroup(ctx.db, name);
      return describeTargetHealth(ctx.db, group, ctx.now(), only);
    },
  };
}

export type TargetGroupService = ReturnType<typeof targetGroupService>;

/** Target groups named in a request must exist: answers their rows by ARN. */
export function requireTargetGroups(db: Db | Tx, targetGroupArns: string[]): Row[] {
  if (targetGroupArns.length === 0) return [];
  const rows = db.select().from(targetGroups).where(inArray(targetGroups.arn, targetGroupArns)).all();
  const found = new Set(rows.map((r) => r.arn));
  const missing = targetGroupArns.filter((arn) => !found.has(arn));
  if (missing.length) throw new Errors.TargetGroupNotFound(`Target groups '${missing.join(", ")}' not found`);
  return rows;
}
