import {
  type Action,
  arns,
  check,
  checkNetworkActions,
  checkPageSize,
  checkPriority,
  decodeToken,
  Errors,
  networkListenerProtocols,
  normalizeActions,
  normalizeConditions,
  type Page,
  pageOf,
  type RuleCondition,
  type Tag,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, eq, inArray, like, sql } from "drizzle-orm";
import { onConstraint } from "./constraints.ts";
import { mutate, type ServiceContext } from "./context.ts";
import { checkActionTargets, findListener, isArnSuffix, linkActions } from "./listeners.ts";
import { prepared } from "./statements.ts";
import { checkTags, removeTags, writeTags } from "./tags.ts";

const { listeners, rules, actionTargetGroups } = schema;
type RuleRow = typeof rules.$inferSelect;

export const maxRulesPerListener = 100;

export interface RuleInput {
  priority?: number | string;
  conditions?: RuleCondition[];
  actions?: Action[];
  tags?: Tag[];
}

export interface Rule {
  ruleArn: string;
  /** A string, as in AWS: "10", or "default" for the listener's default rule. */
  priority: string;
  conditions: RuleCondition[];
  actions: Action[];
  isDefault: boolean;
}

export function toRule(row: RuleRow): Rule {
  return {
    ruleArn: row.arn,
    priority: row.priority === null ? "default" : String(row.priority),
    conditions: row.conditions,
    actions: row.actions,
    isDefault: row.priority === null,
  };
}

export function findRule(db: Db | Tx, id: string): RuleRow {
  const row = id.startsWith("arn:")
    ? prepared(db, "ruleByArn", (d) =>
        d
          .select()
          .from(rules)
          .where(eq(rules.arn, sql.placeholder("arn")))
          .prepare(),
      ).get({ arn: id })
    : isArnSuffix(id)
      ? prepared(db, "ruleById", (d) =>
          d
            .select()
            .from(rules)
            .where(like(rules.arn, sql.placeholder("pattern")))
            .prepare(),
        ).get({ pattern: `%/${id}` })
      : undefined;
  if (!row) throw new Errors.RuleNotFound(`Rule '${id}' not found`);
  return row;
}

function parsePriority(priority: number | string | undefined): number {
  check(priority !== undefined, "Priority is required");
  const value = typeof priority === "string" ? Number(priority) : priority;
  checkPriority(value);
  return value;
}

const isNetworkListener = (protocol: string) =>
  (networkListenerProtocols as readonly string[]).includes(protocol);

export function ruleService(ctx: ServiceContext) {
  return {
    /** CreateRule: priority unique per listener, conditions and actions within ALB's limits. */
    create(listenerId: string, input: RuleInput): Rule {
      const priority = parsePriority(input.priority);
      const conditions = normalizeConditions(input.conditions ?? []);
      const actions = normalizeActions(input.actions ?? []);
      const tags = checkTags(input.tags);
      return mutate(ctx, (tx) => {
        const listener = findListener(tx, listenerId);
        if (isNetworkListener(listener.protocol)) {
          throw new Errors.InvalidConfigurationRequest(
            `Listener '${listener.arn}' is a ${listener.protocol} listener of a network load balancer: only Application Load Balancer listeners have rules`,
          );
        }
        const count = tx
          .select({ n: sql<number>`count(*)` })
          .from(rules)
          .where(and(eq(rules.listenerArn, listener.arn), sql`${rules.priority} is not null`))
          .get();
        if ((count?.n ?? 0) >= maxRulesPerListener) {
          throw new Errors.TooManyRules(
            `A listener can have at most ${maxRulesPerListener} rules besides its default rule`,
          );
        }
        const inUse = () => new Errors.PriorityInUse(`Priority '${priority}' is currently in use`);
        if (
          tx
            .select()
            .from(rules)
            .where(and(eq(rules.listenerArn, listener.arn), eq(rules.priority, priority)))
            .get()
        )
          throw inUse();
        checkActionTargets(tx, listener.loadBalancerArn, actions, listener.protocol);
        const row: RuleRow = {
          arn: arns.rule(listener.arn),
          listenerArn: listener.arn,
          priority,
          conditions,
          actions,
          createdAt: ctx.now(),
        };
        onConstraint(() => tx.insert(rules).values(row).run(), { unique: inUse });
        linkActions(tx, row.arn, listener, actions);
        writeTags(tx, row.arn, tags);
        return toRule(row);
      });
    },

    get(id: string): Rule {
      return toRule(findRule(ctx.db, id));
    },

    /** The listener's rules in evaluation order: by priority, the default rule last. */
    list(options: {
      listenerId?: string;
      ruleArns?: string[];
      pageSize?: number;
      nextToken?: string;
    }): Page<Rule> {
      const pageSize = checkPageSize(options.pageSize);
      if (options.ruleArns?.length) {
        const rows = ctx.db.select().from(rules).where(inArray(rules.arn, options.ruleArns)).all();
        const missing = options.ruleArns.filter((arn) => !rows.some((r) => r.arn === arn));
        if (missing.length) throw new Errors.RuleNotFound(`Rules '${missing.join(", ")}' not found`);
        return { items: rows.map(toRule) };
      }
      check(options.listenerId !== undefined, "A listener or rule ARNs must be given");
      const listener = findListener(ctx.db, options.listenerId);
      const after = decodeToken(options.nextToken);
      const rows = prepared(ctx.db, "rulesOfListener", (d) =>
        d
          .select()
          .from(rules)
          .where(eq(rules.listenerArn, sql.placeholder("arn")))
          .orderBy(sql`coalesce(${rules.priority}, 100000)`)
          .prepare(),
      ).all({ arn: listener.arn });
      const order = (r: RuleRow) => String(r.priority ?? 100000).padStart(6, "0");
      const remaining = after === undefined ? rows : rows.filter((r) => order(r) > after);
      const page = pageOf(remaining.slice(0, pageSize + 1), pageSize, order);
      return { items: page.items.map(toRule), ...(page.nextToken && { nextToken: page.nextToken }) };
    },

    /** ModifyRule: conditions and actions; the default rule takes actions only. */
    modify(id: string, input: Omit<RuleInput, "priority" | "tags"> & { priority?: unknown }): Rule {
      check(
        input.priority === undefined,
        "A rule's priority is changed with SetRulePriorities (PUT /v1/listeners/{id}/rule-priorities)",
      );
      return mutate(ctx, (tx) => {
        const row = findRule(tx, id);
        const listener = findListener(tx, row.listenerArn);
        if (row.priority === null && input.conditions !== undefined) {
          throw new Errors.OperationNotPermitted("The conditions of a default rule cannot be modified");
        }
        const conditions =
          input.conditions !== undefined ? normalizeConditions(input.conditions) : row.conditions;
        const actions = input.actions !== undefined ? normalizeActions(input.actions) : row.actions;
        // A network listener's default rule is its default action: forward to one target group only.
        if (isNetworkListener(listener.protocol)) checkNetworkActions(actions);
        checkActionTargets(tx, listener.loadBalancerArn, actions, listener.protocol);
        const next = { ...row, conditions, actions };
        tx.update(rules).set({ conditions, actions }).where(eq(rules.arn, row.arn)).run();
        if (row.priority === null) {
          tx.update(listeners).set({ defaultActions: actions }).where(eq(listeners.arn, listener.arn)).run();
          linkActions(tx, listener.arn, listener, actions);
        } else linkActions(tx, row.arn, listener, actions);
        return toRule(next);
      });
    },

    delete(id: string): void {
      const row = findRule(ctx.db, id);
      if (row.priority === null) throw new Errors.OperationNotPermitted("A default rule cannot be deleted");
      mutate(ctx, (tx) => {
        tx.delete(actionTargetGroups).where(eq(actionTargetGroups.ownerArn, row.arn)).run();
        tx.delete(rules).where(eq(rules.arn, row.arn)).run();
        removeTags(tx, row.arn);
      });
    },

    /**
     * SetRulePriorities: all changes apply together, so two rules may swap priorities in one call.
     * `listenerId`, when given (the REST path), must own every rule.
     */
    setPriorities(
      listenerId: string | undefined,
      rulePriorities: Array<{ ruleArn: string; priority: number | string }> | undefined,
    ): Rule[] {
      check(
        Array.isArray(rulePriorities) && rulePriorities.length > 0,
        "At least one rule priority must be given",
      );
      const changes = rulePriorities.map((r) => ({
        ruleArn: r.ruleArn,
        priority: parsePriority(r.priority),
      }));
      check(new Set(changes.map((c) => c.ruleArn)).size === changes.length, "A rule can appear only once");
      const duplicated = changes.find((c, i) => changes.findIndex((d) => d.priority === c.priority) !== i);
      if (duplicated)
        throw new Errors.PriorityInUse(`Priority '${duplicated.priority}' is given to more than one rule`);
      return mutate(ctx, (tx) => {
        const listener = listenerId === undefined ? undefined : findListener(tx, listenerId);
        const rows = changes.map((c) => findRule(tx, c.ruleArn));
        const listenerArn = listener?.arn ?? rows[0]?.listenerArn;
        for (const row of rows) {
          if (row.priority === null)
            throw new Errors.OperationNotPermitted("The priority of a default rule cannot be changed");
          check(row.listenerArn === listenerArn, "All rules must belong to the same listener");
        }
        // Park the moving rules outside the valid range first, so a swap never meets itself.
        rows.forEach((row, i) => {
          tx.update(rules)
            .set({ priority: -1 - i })
            .where(eq(rules.arn, row.arn))
            .run();
        });
        changes.forEach((change) => {
          onConstraint(
            () =>
              tx.update(rules).set({ priority: change.priority }).where(eq(rules.arn, change.ruleArn)).run(),
            {
              unique: () => new Errors.PriorityInUse(`Priority '${change.priority}' is currently in use`),
            },
          );
        });
        return rows.map((row, i) => toRule({ ...row, priority: changes[i]?.priority ?? row.priority }));
      });
    },
  };
}

export type RuleService = ReturnType<typeof ruleService>;
