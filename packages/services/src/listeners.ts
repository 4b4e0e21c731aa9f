import {
  type Action,
  arns,
  check,
  checkOneOf,
  checkPageSize,
  checkPort,
  decodeToken,
  defaultSslPolicyName,
  Errors,
  findSslPolicy,
  forwardedTargetGroups,
  normalizeActions,
  type Page,
  pageOf,
  type Tag,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, asc, eq, gt, inArray, isNull, like, ne, sql } from "drizzle-orm";
import { onConstraint } from "./constraints.ts";
import { mutate, type ServiceContext } from "./context.ts";
import {
  clearCertificates,
  defaultCertificateOf,
  requireCertificates,
  writeDefaultCertificate,
} from "./listener-certificates.ts";
import { findLoadBalancer } from "./load-balancers.ts";
import { requireBindablePort } from "./port-probe.ts";
import { prepared } from "./statements.ts";
import { checkTags, removeTags, writeTags } from "./tags.ts";
import { requireTargetGroups } from "./target-groups.ts";
import { loadBalancersOf } from "./target-health-view.ts";

const { listeners, rules, actionTargetGroups } = schema;
type ListenerRow = typeof listeners.$inferSelect;

export interface ListenerInput {
  protocol?: string;
  port?: number;
  defaultActions?: Action[];
  sslPolicy?: string;
  certificates?: Array<{ certificateArn: string }>;
  tags?: Tag[];
}

export interface Listener {
  listenerArn: string;
  loadBalancerArn: string;
  port: number;
  protocol: string;
  defaultActions: Action[];
  sslPolicy?: string;
  certificates?: Array<{ certificateArn: string }>;
}

export function toListener(row: ListenerRow): Listener {
  return {
    listenerArn: row.arn,
    loadBalancerArn: row.loadBalancerArn,
    port: row.port,
    protocol: row.protocol,
    defaultActions: row.defaultActions,
    ...(row.sslPolicy !== null && { sslPolicy: row.sslPolicy }),
    ...(row.certificates !== null && { certificates: row.certificates }),
  };
}

/**
 * Whether `id` can be the last segment of a listener or rule ARN (16 hex digits today). Bounded because
 * the lookup is a LIKE whose pattern SQLite caps at 50,000 bytes: a longer one is an error, not a miss.
 */
export const isArnSuffix = (id: string) => /^[0-9a-f]{1,64}$/.test(id);

/** A listener by the last segment of its ARN (REST paths) or by its whole ARN (the AWS API). */
export function findListener(db: Db | Tx, id: string): ListenerRow {
  const row = id.startsWith("arn:")
    ? prepared(db, "listenerByArn", (d) =>
        d
          .select()
          .from(listeners)
          .where(eq(listeners.arn, sql.placeholder("arn")))
          .prepare(),
      ).get({ arn: id })
    : isArnSuffix(id)
      ? prepared(db, "listenerById", (d) =>
          d
            .select()
            .from(listeners)
            .where(like(listeners.arn, sql.placeholder("pattern")))
            .prepare(),
        ).get({ pattern: `%/${id}` })
      : undefined;
  if (!row) throw new Errors.ListenerNotFound(`Listener '${id}' not found`);
  return row;
}

/**
 * Checks the target groups an action list forwards to: they exist, and none is already used by another
 * load balancer (a target group belongs to at most one).
 */
export function checkActionTargets(tx: Tx, loadBalancerArn: string, actions: Action[]): void {
  const named = forwardedTargetGroups(actions);
  requireTargetGroups(tx, named);
  const used = loadBalancersOf(tx, named);
  const taken = named.filter((arn) => (used.get(arn) ?? []).some((lb) => lb !== loadBalancerArn));
  if (taken.length) {
    throw new Errors.TargetGroupAssociationLimit(
      `The following target groups cannot be associated with more than one load balancer: ${taken.join(", ")}`,
    );
  }
}

/** Keeps action_target_groups in step with an owner's (listener's or rule's) actions. */
export function linkActions(tx: Tx, ownerArn: string, listener: ListenerRow, actions: Action[]): void {
  tx.delete(actionTargetGroups).where(eq(actionTargetGroups.ownerArn, ownerArn)).run();
  for (const targetGroupArn of forwardedTargetGroups(actions)) {
    tx.insert(actionTargetGroups)
      .values({
        ownerArn,
        listenerArn: listener.arn,
        loadBalancerArn: listener.loadBalancerArn,
        targetGroupArn,
      })
      .run();
  }
}

/** A listener's TLS settings after a create or modify: what to store, and the default certificate to write. */
interface TlsSettings {
  sslPolicy: string | null;
  certificates: Array<{ certificateArn: string }> | null;
  /** A default certificate given by this call, to check and write as its listener_certificates row. */
  newDefault?: string;
}

/**
 * ELB's rules for a listener's protocol, policy and certificates: HTTP listeners take neither; HTTPS
 * listeners have exactly one default certificate and a security policy (2016-08 when none is given, as
 * through the API and the CLI). `current` is the listener being modified: an HTTPS listener keeps what
 * the call does not change, and settings stored before they were checked (an unknown certificate ARN)
 * keep loading until they are replaced.
 */
function tlsSettings(
  protocol: string,
  input: { sslPolicy?: string | undefined; certificates?: Array<{ certificateArn: string }> | undefined },
  current?: ListenerRow,
): TlsSettings {
  checkOneOf("Protocol", protocol, ["HTTP", "HTTPS"] as const);
  if (protocol === "HTTP") {
    check(!input.certificates?.length, "A certificate cannot be specified for HTTP listeners");
    check(input.sslPolicy === undefined, "An SSL policy cannot be specified for HTTP listeners");
    return { sslPolicy: null, certificates: null };
  }
  const wasHttps = current?.protocol === "HTTPS";
  const given = defaultCertificateOf(input.certificates);
  const certificateArn = given ?? (wasHttps ? current?.certificates?.[0]?.certificateArn : undefined);
  check(certificateArn !== undefined, "A certificate must be specified for HTTPS listeners");
  if (input.sslPolicy !== undefined && !findSslPolicy(input.sslPolicy))
    throw new Errors.SSLPolicyNotFound(`SSL policy '${input.sslPolicy}' not found`);
  const sslPolicy = input.sslPolicy ?? (wasHttps ? current?.sslPolicy : undefined) ?? defaultSslPolicyName;
  return {
    sslPolicy,
    certificates: [{ certificateArn }],
    ...(given !== undefined && { newDefault: given }),
  };
}

const duplicatePort = (port: number) =>
  new Errors.DuplicateListener(
    `A listener already exists on port ${port}: every listener binds the same local address, so ports are unique across load balancers`,
  );

export function listenerService(ctx: ServiceContext) {
  return {
    /** CreateListener: binds a port for the load balancer and creates its default rule. */
    create(loadBalancerName: string, input: ListenerInput): Listener {
      const protocol = (input.protocol ?? "").toUpperCase();
      check(input.protocol !== undefined, "Protocol is required");
      check(input.port !== undefined, "Port is required");
      checkPort("Port", input.port);
      const tls = tlsSettings(protocol, input);
      const defaultActions = normalizeActions(input.defaultActions ?? []);
      const tags = checkTags(input.tags);
      requireBindablePort(ctx, input.port);
      return mutate(ctx, (tx) => {
        const lb = findLoadBalancer(tx, loadBalancerName);
        const port = input.port ?? 0;
        const existing = tx.select().from(listeners).where(eq(listeners.port, port)).get();
        if (existing) throw duplicatePort(port);
        checkActionTargets(tx, lb.arn, defaultActions);
        if (tls.newDefault !== undefined) requireCertificates(tx, [tls.newDefault]);
        const row: ListenerRow = {
          arn: arns.listener(lb.arn),
          loadBalancerArn: lb.arn,
          protocol,
          port,
          sslPolicy: tls.sslPolicy,
          certificates: tls.certificates,
          defaultActions,
          alpnPolicy: null,
          attributes: {},
          createdAt: ctx.now(),
        };
        onConstraint(() => tx.insert(listeners).values(row).run(), { unique: () => duplicatePort(port) });
        if (tls.newDefault !== undefined) writeDefaultCertificate(tx, row.arn, tls.newDefault);
        tx.insert(rules)
          .values({
            arn: arns.rule(row.arn),
            listenerArn: row.arn,
            priority: null,
            conditions: [],
            actions: defaultActions,
            createdAt: row.createdAt,
          })
          .run();
        linkActions(tx, row.arn, row, defaultActions);
        writeTags(tx, row.arn, tags);
        return toListener(row);
      });
    },

    get(id: string): Listener {
      return toListener(findListener(ctx.db, id));
    },

    list(options: {
      loadBalancerName?: string;
      listenerArns?: string[];
      pageSize?: number;
      nextToken?: string;
    }): Page<Listener> {
      const pageSize = checkPageSize(options.pageSize);
      if (options.listenerArns?.length) {
        const rows = ctx.db
          .select()
          .from(listeners)
          .where(inArray(listeners.arn, options.listenerArns))
          .all();
        const missing = options.listenerArns.filter((arn) => !rows.some((r) => r.arn === arn));
        if (missing.length) throw new Errors.ListenerNotFound(`Listeners '${missing.join(", ")}' not found`);
        return { items: rows.map(toListener) };
      }
      check(options.loadBalancerName !== undefined, "A load balancer or listener ARNs must be given");
      const lb = findLoadBalancer(ctx.db, options.loadBalancerName);
      const after = decodeToken(options.nextToken);
      const rows = ctx.db
        .select()
        .from(listeners)
        .where(
          and(
            eq(listeners.loadBalancerArn, lb.arn),
            after === undefined ? undefined : gt(listeners.arn, after),
          ),
        )
        .orderBy(asc(listeners.arn))
        .limit(pageSize + 1)
        .all();
      const page = pageOf(rows, pageSize, (r) => r.arn);
      return { items: page.items.map(toListener), ...(page.nextToken && { nextToken: page.nextToken }) };
    },

    /**
     * ModifyListener: port, protocol, policy, default certificate and default actions (the default rule
     * follows). The default certificate row is replaced in the same transaction as the listener.
     */
    modify(id: string, input: Omit<ListenerInput, "tags">): Listener {
      if (input.port !== undefined && input.port !== findListener(ctx.db, id).port) {
        checkPort("Port", input.port);
        requireBindablePort(ctx, input.port);
      }
      return mutate(ctx, (tx) => {
        const row = findListener(tx, id);
        const protocol = input.protocol?.toUpperCase() ?? row.protocol;
        const tls = tlsSettings(protocol, input, row);
        const port = input.port ?? row.port;
        checkPort("Port", port);
        if (port !== row.port) {
          const clash = tx
            .select()
            .from(listeners)
            .where(and(eq(listeners.port, port), ne(listeners.arn, row.arn)))
            .get();
          if (clash) throw duplicatePort(port);
        }
        const defaultActions = input.defaultActions
          ? normalizeActions(input.defaultActions)
          : row.defaultActions;
        checkActionTargets(tx, row.loadBalancerArn, defaultActions);
        if (tls.newDefault !== undefined) requireCertificates(tx, [tls.newDefault]);
        const next: ListenerRow = {
          ...row,
          protocol,
          port,
          certificates: tls.certificates,
          sslPolicy: tls.sslPolicy,
          defaultActions,
        };
        onConstraint(() => tx.update(listeners).set(next).where(eq(listeners.arn, row.arn)).run(), {
          unique: () => duplicatePort(port),
        });
        if (protocol !== "HTTPS") clearCertificates(tx, row.arn);
        else if (tls.newDefault !== undefined) writeDefaultCertificate(tx, row.arn, tls.newDefault);
        tx.update(rules)
          .set({ actions: defaultActions })
          .where(and(eq(rules.listenerArn, row.arn), isNull(rules.priority)))
          .run();
        linkActions(tx, row.arn, next, defaultActions);
        return toListener(next);
      });
    },

    delete(id: string): void {
      const row = findListener(ctx.db, id);
      mutate(ctx, (tx) => {
        const ruleArns = tx
          .select({ arn: rules.arn })
          .from(rules)
          .where(eq(rules.listenerArn, row.arn))
          .all();
        for (const rule of ruleArns) removeTags(tx, rule.arn);
        tx.delete(listeners).where(eq(listeners.arn, row.arn)).run();
        removeTags(tx, row.arn);
      });
    },
  };
}

export type ListenerService = ReturnType<typeof listenerService>;
