import {
  checkWebAclCapacity,
  ipSetArnsOf,
  newUuid,
  readDescription,
  readId,
  readLockToken,
  readName,
  readRules,
  readScope,
  readWebAclDefinition,
  rulesCapacity,
  WafErrors,
  type WafRule,
  type WebAcl,
  wafRead,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, eq, inArray } from "drizzle-orm";
import { mutate, type ServiceContext } from "./context.ts";
import { removeTags } from "./tags.ts";
import {
  checkLock,
  nonexistent,
  readWafTags,
  wafArn,
  wafMessages,
  wafPage,
  writeWafTags,
} from "./waf-common.ts";

/*
 * AWS WAF web ACLs (wafv2, scope REGIONAL): stored in WAF's wire shape (the contract's web_acls table),
 * validated by core (waf/validation*.ts), priced in WCUs (waf/capacity.ts), guarded by LockToken. Every
 * change bumps the configuration version, so the proxy reloads the web ACLs it enforces.
 */

const { webAcls, ipSets, webAclAssociations } = schema;

type Row = typeof webAcls.$inferSelect;
type Input = Record<string, unknown>;

/** The web ACL as GetWebACL answers it. */
export function webAclView(row: Row, accountId: string): WebAcl {
  const view: WebAcl = {
    Name: row.name,
    Id: row.id,
    ARN: row.arn,
    DefaultAction: row.defaultAction,
    Rules: row.rules,
    VisibilityConfig: row.visibilityConfig,
    Capacity: row.capacity,
    LabelNamespace: `awswaf:${accountId}:webacl:${row.name}:`,
  };
  if (row.description !== null) view.Description = row.description;
  if (row.customResponseBodies !== null && row.customResponseBodies !== undefined)
    view.CustomResponseBodies = row.customResponseBodies as WebAcl["CustomResponseBodies"];
  return view;
}

export const webAclSummary = (row: Row) => ({
  Name: row.name,
  Id: row.id,
  ...(row.description !== null && { Description: row.description }),
  LockToken: row.lockToken,
  ARN: row.arn,
});

/** Every IP set the rules reference must exist in this scope (WAFNonexistentItemException otherwise). */
function checkIpSetReferences(db: Db | Tx, rules: readonly WafRule[]): void {
  const arns = new Set<string>();
  for (const rule of rules) ipSetArnsOf(rule.Statement, arns);
  if (arns.size === 0) return;
  const found = new Set(
    db
      .select({ arn: ipSets.arn })
      .from(ipSets)
      .where(inArray(ipSets.arn, [...arns]))
      .all()
      .map((r) => r.arn),
  );
  for (const arn of arns) if (!found.has(arn)) throw nonexistent();
}

/** The row Name + Id name, in the one scope scaleout has; both must match, as in WAF. */
function findRow(db: Db | Tx, input: Input): Row {
  const name = readName(input.Name);
  readScope(input.Scope);
  const id = readId(input.Id);
  const row = db.select().from(webAcls).where(eq(webAcls.id, id)).get();
  if (!row || row.name !== name) throw nonexistent();
  return row;
}

export function webAclService(ctx: ServiceContext) {
  const { db } = ctx;
  const options = () => ({ fast: ctx.limits.fast });

  return {
    create(input: Input) {
      const Name = readName(input.Name);
      const Scope = readScope(input.Scope);
      const description = readDescription(input.Description);
      const definition = readWebAclDefinition(input, options());
      const tags = input.Tags === undefined || input.Tags === null ? [] : readWafTags(input.Tags);
      const capacity = rulesCapacity(definition.Rules);
      checkWebAclCapacity(capacity);
      return mutate(ctx, (tx) => {
        if (
          tx
            .select({ arn: webAcls.arn })
            .from(webAcls)
            .where(and(eq(webAcls.scope, Scope), eq(webAcls.name, Name)))
            .get()
        )
          throw new WafErrors.WAFDuplicateItemException(wafMessages.duplicate);
        checkIpSetReferences(tx, definition.Rules);
        const id = newUuid();
        const now = ctx.now();
        const row: Row = {
          arn: wafArn(ctx.partition, "webacl", Name, id),
          id,
          name: Name,
          scope: Scope,
          description: description ?? null,
          defaultAction: definition.DefaultAction,
          rules: definition.Rules,
          visibilityConfig: definition.VisibilityConfig,
          customResponseBodies: definition.CustomResponseBodies ?? null,
          capacity,
          lockToken: newUuid(),
          createdAt: now,
          updatedAt: now,
        };
        tx.insert(webAcls).values(row).run();
        writeWafTags(tx, row.arn, tags);
        return { Summary: webAclSummary(row) };
      });
    },

    /** By Name + Scope + Id, or by ARN (GetWebACL takes either). */
    get(input: Input) {
      const arn = wafRead.optStr(input.ARN, "ARN", { min: 20, max: 2048 });
      const row =
        arn !== undefined && input.Id === undefined
          ? db.select().from(webAcls).where(eq(webAcls.arn, arn)).get()
          : findRow(db, input);
      if (!row) throw nonexistent();
      return { WebACL: webAclView(row, ctx.partition.accountId), LockToken: row.lockToken };
    },

    byArn(arn: string): Row | undefined {
      return db.select().from(webAcls).where(eq(webAcls.arn, arn)).get();
    },

    /** The REST door's address of a web ACL: its Id (the Name comes with the row). */
    byId(id: string): Row {
      const row = db
        .select()
        .from(webAcls)
        .where(eq(webAcls.id, readId(id)))
        .get();
      if (!row) throw nonexistent();
      return row;
    },

    list(input: Input) {
      const Scope = readScope(input.Scope);
      const rows = db.select().from(webAcls).where(eq(webAcls.scope, Scope)).all();
      const page = wafPage(rows, (r) => `${r.name}\u0000${r.id}`, input);
      return {
        WebACLs: page.items.map(webAclSummary),
        ...(page.NextMarker !== undefined && { NextMarker: page.NextMarker }),
      };
    },

    update(input: Input) {
      const lockToken = readLockToken(input.LockToken);
      const description = readDescription(input.Description);
      const definition = readWebAclDefinition(input, options());
      const capacity = rulesCapacity(definition.Rules);
      checkWebAclCapacity(capacity);
      return mutate(ctx, (tx) => {
        const row = findRow(tx, input);
        checkLock(lockToken, row.lockToken);
        checkIpSetReferences(tx, definition.Rules);
        const next = newUuid();
        tx.update(webAcls)
          .set({
            // UpdateWebACL replaces the whole definition: an omitted Description or body map is removed.
            description: description ?? null,
            defaultAction: definition.DefaultAction,
            rules: definition.Rules,
            visibilityConfig: definition.VisibilityConfig,
            customResponseBodies: definition.CustomResponseBodies ?? null,
            capacity,
            lockToken: next,
            updatedAt: ctx.now(),
          })
          .where(eq(webAcls.arn, row.arn))
          .run();
        return { NextLockToken: next };
      });
    },

    delete(input: Input) {
      const lockToken = readLockToken(input.LockToken);
      mutate(ctx, (tx) => {
        const row = findRow(tx, input);
        checkLock(lockToken, row.lockToken);
        if (tx.select().from(webAclAssociations).where(eq(webAclAssociations.webAclArn, row.arn)).get())
          throw new WafErrors.WAFAssociatedItemException(wafMessages.associated);
        tx.delete(webAcls).where(eq(webAcls.arn, row.arn)).run();
        removeTags(tx, row.arn);
      });
    },

    /** CheckCapacity: the WCUs the rules would use; IP sets they reference must exist. */
    checkCapacity(input: Input) {
      readScope(input.Scope);
      // Any body key may be named: CheckCapacity has no CustomResponseBodies to check it against.
      const rules = readRules(wafRead.arr(input.Rules, "rules"), anyKey, options());
      checkIpSetReferences(db, rules);
      return { Capacity: rulesCapacity(rules) };
    },
  };
}

/** CheckCapacity has no CustomResponseBodies to look a body key up in: any key is taken. */
const anyKey = { has: () => true };
