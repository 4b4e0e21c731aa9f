import {
  type Attribute,
  arnId,
  arnKindOf,
  arns,
  attributeSpecsOfLoadBalancer,
  checkElbName,
  checkPageSize,
  decodeToken,
  defaultLoadBalancerAttributes,
  dnsNameFor,
  Errors,
  mergeAttributes,
  normalizeLoadBalancerOptions,
  type Page,
  pageOf,
  type Tag,
  toAttributeList,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { asc, eq, gt, inArray, sql } from "drizzle-orm";
import { onConstraint } from "./constraints.ts";
import { iso, mutate, type ServiceContext } from "./context.ts";
import { prepared } from "./statements.ts";
import { checkTags, removeTags, writeTags } from "./tags.ts";

const { loadBalancers } = schema;
type Row = typeof loadBalancers.$inferSelect;

export interface CreateLoadBalancerInput {
  name?: string;
  scheme?: string;
  type?: string;
  ipAddressType?: string;
  subnets?: string[];
  securityGroups?: string[];
  tags?: Tag[];
}

export interface LoadBalancer {
  loadBalancerArn: string;
  loadBalancerName: string;
  dnsName: string;
  canonicalHostedZoneId: string;
  createdTime: string;
  scheme: string;
  vpcId: string;
  /** `reason` says why a load balancer is active_impaired (a listener that cannot bind its port). */
  state: { code: LoadBalancerState; reason?: string };
  type: string;
  availabilityZones: Array<{ zoneName: string; subnetId: string }>;
  securityGroups: string[];
  ipAddressType: string;
}

export type LoadBalancerState = "provisioning" | "active" | "active_impaired" | "failed";

/** us-east-1's ALB and NLB hosted zones: clients that read them get a realistic value. */
const canonicalHostedZoneIds: Record<string, string> = {
  application: "Z35SXDOTRQ7X7K",
  network: "Z26RNL4JYFTOTI",
};

export function toLoadBalancer(row: Row, region: string): LoadBalancer {
  return {
    loadBalancerArn: row.arn,
    loadBalancerName: row.name,
    dnsName: row.dnsName,
    canonicalHostedZoneId: canonicalHostedZoneIds[row.type] ?? "Z35SXDOTRQ7X7K",
    createdTime: iso(row.createdAt),
    scheme: row.scheme,
    vpcId: "vpc-local",
    state:
      row.stateReason === null
        ? { code: row.state as LoadBalancerState }
        : { code: row.state as LoadBalancerState, reason: row.stateReason },
    type: row.type,
    availabilityZones: [{ zoneName: `${region}a`, subnetId: "subnet-local" }],
    securityGroups: [],
    ipAddressType: row.ipAddressType,
  };
}

export function findLoadBalancer(db: Db | Tx, name: string): Row {
  const byArn = name.startsWith("arn:");
  const row = prepared(db, byArn ? "loadBalancerByArn" : "loadBalancerByName", (d) =>
    d
      .select()
      .from(loadBalancers)
      .where(eq(byArn ? loadBalancers.arn : loadBalancers.name, sql.placeholder("key")))
      .prepare(),
  ).get({ key: name });
  if (!row) throw new Errors.LoadBalancerNotFound(`Load balancer '${name}' not found`);
  return row;
}

export function loadBalancerService(ctx: ServiceContext) {
  const view = (row: Row) => toLoadBalancer(row, ctx.partition.region);
  return {
    /** CreateLoadBalancer: idempotent for the same settings, DuplicateLoadBalancerName otherwise. */
    create(input: CreateLoadBalancerInput): { loadBalancer: LoadBalancer; created: boolean } {
      if (input.name === undefined) throw new Errors.ValidationError("Name is required");
      const name = input.name;
      checkElbName("Load balancer", name);
      const options = normalizeLoadBalancerOptions(input);
      const tags = checkTags(input.tags);
      const same = (existing: Row) =>
        existing.scheme === options.scheme &&
        existing.type === options.type &&
        existing.ipAddressType === options.ipAddressType;
      const existing = ctx.db.select().from(loadBalancers).where(eq(loadBalancers.name, name)).get();
      if (existing) {
        if (!same(existing))
          throw new Errors.DuplicateLoadBalancerName(
            `A load balancer with the name '${name}' already exists`,
          );
        return { loadBalancer: view(existing), created: false };
      }
      const arn = arns.loadBalancer(ctx.partition, name, undefined, arnKindOf(options.type));
      // The DNS label carries a number, like AWS's web-1234567890.us-east-1.elb.amazonaws.com.
      const numericId = String(Number.parseInt(arnId(arn).slice(0, 8), 16)).padStart(10, "0");
      const row: Row = {
        arn,
        name,
        dnsName: dnsNameFor(name, numericId, options.scheme),
        ...options,
        state: "provisioning",
        stateReason: null,
        attributes: defaultLoadBalancerAttributes(options.type),
        createdAt: ctx.now(),
      };
      try {
        mutate(ctx, (tx) =>
          onConstraint(
            () => {
              tx.insert(loadBalancers).values(row).run();
              writeTags(tx, arn, tags);
            },
            {
              unique: () =>
                new Errors.DuplicateLoadBalancerName(
                  `A load balancer with the name '${name}' already exists`,
                ),
            },
          ),
        );
      } catch (error) {
        // Another api process created it since the read above: the same settings are still idempotent.
        const winner =
          error instanceof Errors.DuplicateLoadBalancerName
            ? ctx.db.select().from(loadBalancers).where(eq(loadBalancers.name, name)).get()
            : undefined;
        if (winner && same(winner)) return { loadBalancer: view(winner), created: false };
        throw error;
      }
      return { loadBalancer: view(row), created: true };
    },

    get(name: string): LoadBalancer {
      return view(findLoadBalancer(ctx.db, name));
    },

    list(
      options: { names?: string[]; arns?: string[]; pageSize?: number; nextToken?: string } = {},
    ): Page<LoadBalancer> {
      const pageSize = checkPageSize(options.pageSize);
      const after = decodeToken(options.nextToken);
      if (options.names?.length || options.arns?.length) {
        const byName = options.names?.length;
        const keys = (byName ? options.names : options.arns) ?? [];
        const rows = ctx.db
          .select()
          .from(loadBalancers)
          .where(byName ? inArray(loadBalancers.name, keys) : inArray(loadBalancers.arn, keys))
          .orderBy(asc(loadBalancers.name))
          .all();
        const found = new Set(rows.flatMap((r) => [r.name, r.arn]));
        const missing = keys.filter((k) => !found.has(k));
        if (missing.length)
          throw new Errors.LoadBalancerNotFound(`Load balancers '${missing.join(", ")}' not found`);
        return { items: rows.map(view) };
      }
      const rows = prepared(ctx.db, after === undefined ? "loadBalancersFirst" : "loadBalancersAfter", (d) =>
        d
          .select()
          .from(loadBalancers)
          .where(after === undefined ? undefined : gt(loadBalancers.name, sql.placeholder("after")))
          .orderBy(asc(loadBalancers.name))
          .limit(sql.placeholder("limit"))
          .prepare(),
      ).all({ after, limit: pageSize + 1 });
      const page = pageOf(rows, pageSize, (r) => r.name);
      return { items: page.items.map(view), ...(page.nextToken && { nextToken: page.nextToken }) };
    },

    /** DeleteLoadBalancer: its listeners and rules go with it; refused while deletion protection is on. */
    delete(name: string): void {
      const row = findLoadBalancer(ctx.db, name);
      if (row.attributes["deletion_protection.enabled"] === "true") {
        throw new Errors.OperationNotPermitted(
          `Load balancer '${row.name}' cannot be deleted because deletion protection is enabled`,
        );
      }
      mutate(ctx, (tx) => {
        tx.delete(loadBalancers).where(eq(loadBalancers.arn, row.arn)).run();
        removeTags(tx, row.arn);
      });
    },

    attributes(name: string): Attribute[] {
      return toAttributeList(findLoadBalancer(ctx.db, name).attributes);
    },

    modifyAttributes(name: string, changes: Attribute[]): Attribute[] {
      return mutate(ctx, (tx) => {
        const row = findLoadBalancer(tx, name);
        const specs = attributeSpecsOfLoadBalancer(row.type);
        const next = mergeAttributes("Load balancer", specs, row.attributes, changes);
        tx.update(loadBalancers).set({ attributes: next }).where(eq(loadBalancers.arn, row.arn)).run();
        return toAttributeList(next);
      });
    },
  };
}

export type LoadBalancerService = ReturnType<typeof loadBalancerService>;
