import {
  type Action,
  arns,
  check,
  checkAlpnPolicy,
  checkDualStackProtocol,
  checkListenerProtocol,
  checkNetworkActions,
  checkPageSize,
  checkPort,
  checkTargetProtocols,
  decodeToken,
  defaultAttributes,
  defaultSslPolicyName,
  Errors,
  findSslPolicy,
  forwardedTargetGroups,
  type ListenerProtocol,
  listenerAttributeSpecs,
  normalizeActions,
  type Page,
  pageOf,
  type Tag,
  terminatesTls,
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
  /** TLS listeners: one of AWS's ALPN policy names (a list of one, as on the wire). */
  alpnPolicy?: string[];
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
  alpnPolicy?: string[];
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
    ...(row.alpnPolicy !== null && { alpnPolicy: [row.alpnPolicy] }),
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
 * Checks the target groups an action list forwards to: they exist, their protocols fit the listener's
 * (IncompatibleProtocols: an ALB's HTTP group cannot serve an NLB's TCP listener, nor the reverse), and
 * none is already used by another load balancer (a target group belongs to at most one).
 */
export function checkActionTargets(
  tx: Tx,
  loadBalancerArn: string,
  actions: Action[],
  listenerProtocol: string,
): void {
  const named = forwardedTargetGroups(actions);
  const groups = requireTargetGroups(tx, named);
  checkTargetProtocols(listenerProtocol as ListenerProtocol, groups);
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
 * ELB's rules for a listener's policy and certificates: HTTP, TCP, UDP and TCP_UDP listeners take neither;
 * HTTPS and TLS listeners have exactly one default certificate and a security policy (2016-08 when none
 * is given, as through the API and the CLI) that the load balancer's type supports. `current` is the
 * listener being modified: a TLS-terminating listener keeps what the call does not change, and settings
 * stored before they were checked (an unknown certificate ARN) keep loading until they are replaced.
 */
function tlsSettings(
  protocol: ListenerProtocol,
  loadBalancerType: string,
  input: { sslPolicy?: string | undefined; certificates?: Array<{ certificateArn: string }> | undefined },
  current?: ListenerRow,
): TlsSettings {
  if (!terminatesTls(protocol)) {
    check(!input.certificates?.length, `A certificate cannot be specified for ${protocol} listeners`);
    check(input.sslPolicy === undefined, `An SSL policy cannot be specified for ${protocol} listeners`);
    return { sslPolicy: null, certificates: null };
  }
  const wasTls = current !== undefined && terminatesTls(current.protocol);
  const given = defaultCertificateOf(input.certificates);
  const certificateArn = given ?? (wasTls ? current?.certificates?.[0]?.certificateArn : undefined);
  check(certificateArn !== undefined, `A certificate must be specified for ${protocol} listeners`);
  if (input.sslPolicy !== undefined) {
    const policy = findSslPolicy(input.sslPolicy);
    const supported = (policy?.supportedLoadBalancerTypes ?? []) as readonly string[];
    if (!supported.includes(loadBalancerType))
      throw new Errors.SSLPolicyNotFound(
        policy === undefined
          ? `SSL policy '${input.sslPolicy}' not found`
          : `SSL policy '${input.sslPolicy}' is not supported for load balancers of type '${loadBalancerType}'`,
      );
  }
  const sslPolicy = input.sslPolicy ?? (wasTls ? current?.sslPolicy : undefined) ?? defaultSslPolicyName;
  return {
    sslPolicy,
    certificates: [{ certificateArn }],
    ...(given !== undefined && { newDefault: given }),
  };
}

/** Default actions as the load balancer's type takes them: NLB listeners forward to one group, no more. */
function checkedActions(loadBalancerType: string, actions: Action[]): Action[] {
  const normalized = normalizeActions(actions);
  if (loadBalancerType === "network") checkNetworkActions(normalized);
  return normalized;
}

/** A listener's attributes after its protocol is set: the protocol's keys, kept values where still valid. */
function attributesFor(protocol: string, current: Record<string, string> = {}): Record<string, string> {
  const specs = listenerAttributeSpecs(protocol);
  const next = defaultAttributes(specs);
  for (const key of Object.keys(next)) {
    const value = current[key];
    if (value !== undefined && specs[key]?.validate(value)) next[key] = value;
  }
  return next;
}

const duplicatePort = (port: number) =>
  new Errors.DuplicateListener(
    `A listener already exists on port ${port}: every listener binds the same local address, so ports are unique across load balancers`,
  );

export function listenerService(ctx: ServiceContext) {
  return {
    /** CreateListener: binds a port for the load balancer and creates its default rule. */
    create(loadBalancerName: string, input: ListenerInput): Listener {
      check(input.protocol !== undefined, "Protocol is required");
      check(input.port !== undefined, "Port is required");
      checkPort("Port", input.port);
      const { type, ipAddressType } = findLoadBalancer(ctx.db, loadBalancerName);
      const protocol = checkListenerProtocol(type, input.protocol.toUpperCase());
      checkDualStackProtocol(ipAddressType, protocol);
      const tls = tlsSettings(protocol, type, input);
      const alpnPolicy = checkAlpnPolicy(protocol, input.alpnPolicy);
      const defaultActions = checkedActions(type, input.defaultActions ?? []);
      const tags = checkTags(input.tags);
      // The probe binds TCP: a UDP listener's port is the proxy's to find out (active_impaired if taken).
      if (protocol !== "UDP") requireBindablePort(ctx, input.port);
      return mutate(ctx, (tx) => {
        const lb = findLoadBalancer(tx, loadBalancerName);
        const port = input.port ?? 0;
        const existing = tx.select().from(listeners).where(eq(listeners.port, port)).get();
        if (existing) throw duplicatePort(port);
        checkActionTargets(tx, lb.arn, defaultActions, protocol);
        if (tls.newDefault !== undefined) requireCertificates(tx, [tls.newDefault]);
        const row: ListenerRow = {
          arn: arns.listener(lb.arn),
          loadBalancerArn: lb.arn,
          protocol,
          port,
          sslPolicy: tls.sslPolicy,
          certificates: tls.certificates,
          defaultActions,
          alpnPolicy,
          attributes: attributesFor(protocol),
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
      const before = findListener(ctx.db, id);
      if (input.port !== undefined && input.port !== before.port) {
        checkPort("Port", input.port);
        // As in create: the probe binds TCP, so a port that stays UDP is left to the proxy.
        if ((input.protocol?.toUpperCase() ?? before.protocol) !== "UDP")
          requireBindablePort(ctx, input.port);
      }
      return mutate(ctx, (tx) => {
        const row = findListener(tx, id);
        const { type, ipAddressType } = findLoadBalancer(tx, row.loadBalancerArn);
        const protocol = checkListenerProtocol(type, input.protocol?.toUpperCase() ?? row.protocol);
        if (protocol !== row.protocol) checkDualStackProtocol(ipAddressType, protocol);
        const tls = tlsSettings(protocol, type, input, row);
        const alpnPolicy = checkAlpnPolicy(protocol, input.alpnPolicy, row.alpnPolicy);
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
          ? checkedActions(type, input.defaultActions)
          : row.defaultActions;
        checkActionTargets(tx, row.loadBalancerArn, defaultActions, protocol);
        if (tls.newDefault !== undefined) requireCertificates(tx, [tls.newDefault]);
        const next: ListenerRow = {
          ...row,
          protocol,
          port,
          certificates: tls.certificates,
          sslPolicy: tls.sslPolicy,
          defaultActions,
          alpnPolicy,
          attributes: attributesFor(protocol, row.attributes),
        };
        onConstraint(() => tx.update(listeners).set(next).where(eq(listeners.arn, row.arn)).run(), {
          unique: () => duplicatePort(port),
        });
        if (!terminatesTls(protocol)) clearCertificates(tx, row.arn);
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
