import {
  type IpSet,
  ipSetArnsOf,
  newUuid,
  readAddresses,
  readDescription,
  readId,
  readIpAddressVersion,
  readLockToken,
  readName,
  readScope,
  WafErrors,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, eq } from "drizzle-orm";
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
 * AWS WAF IP sets: CIDR blocks of one IP version, referenced by web ACL rules. An update bumps the
 * configuration version like any change, so the proxy re-reads the blocks its web ACLs match against.
 */

const { ipSets, webAcls } = schema;

type Row = typeof ipSets.$inferSelect;
type Input = Record<string, unknown>;

export function ipSetView(row: Row): IpSet {
  return {
    Name: row.name,
    Id: row.id,
    ARN: row.arn,
    ...(row.description !== null && { Description: row.description }),
    IPAddressVersion: row.ipAddressVersion === "IPV6" ? "IPV6" : "IPV4",
    Addresses: row.addresses,
  };
}

export const ipSetSummary = (row: Row) => ({
  Name: row.name,
  Id: row.id,
  ...(row.description !== null && { Description: row.description }),
  LockToken: row.lockToken,
  ARN: row.arn,
});

function findRow(db: Db | Tx, input: Input): Row {
  const name = readName(input.Name);
  readScope(input.Scope);
  const id = readId(input.Id);
  const row = db.select().from(ipSets).where(eq(ipSets.id, id)).get();
  if (!row || row.name !== name) throw nonexistent();
  return row;
}

/** Whether any web ACL's rules reference the IP set (WAF then refuses to delete it). */
function referenced(tx: Tx, arn: string): boolean {
  return tx
    .select({ rules: webAcls.rules })
    .from(webAcls)
    .all()
    .some((acl) => acl.rules.some((rule) => ipSetArnsOf(rule.Statement).has(arn)));
}

export function ipSetService(ctx: ServiceContext) {
  const { db } = ctx;
  return {
    create(input: Input) {
      const Name = readName(input.Name);
      const Scope = readScope(input.Scope);
      const description = readDescription(input.Description);
      const version = readIpAddressVersion(input.IPAddressVersion, "IPAddressVersion");
      const addresses = readAddresses(input.Addresses, version);
      const tags = input.Tags === undefined || input.Tags === null ? [] : readWafTags(input.Tags);
      return mutate(ctx, (tx) => {
        if (
          tx
            .select({ arn: ipSets.arn })
            .from(ipSets)
            .where(and(eq(ipSets.scope, Scope), eq(ipSets.name, Name)))
            .get()
        )
          throw new WafErrors.WAFDuplicateItemException(wafMessages.duplicate);
        const id = newUuid();
        const now = ctx.now();
        const row: Row = {
          arn: wafArn(ctx.partition, "ipset", Name, id),
          id,
          name: Name,
          scope: Scope,
          description: description ?? null,
          ipAddressVersion: version,
          addresses,
          lockToken: newUuid(),
          createdAt: now,
          updatedAt: now,
        };
        tx.insert(ipSets).values(row).run();
        writeWafTags(tx, row.arn, tags);
        return { Summary: ipSetSummary(row) };
      });
    },

    /** The REST door's address of an IP set: its Id (the Name comes with the row). */
    byId(id: string): Row {
      const row = db
        .select()
        .from(ipSets)
        .where(eq(ipSets.id, readId(id)))
        .get();
      if (!row) throw nonexistent();
      return row;
    },

    get(input: Input) {
      const row = findRow(db, input);
      return { IPSet: ipSetView(row), LockToken: row.lockToken };
    },

    list(input: Input) {
      const Scope = readScope(input.Scope);
      const rows = db.select().from(ipSets).where(eq(ipSets.scope, Scope)).all();
      const page = wafPage(rows, (r) => `${r.name}\u0000${r.id}`, input);
      return {
        IPSets: page.items.map(ipSetSummary),
        ...(page.NextMarker !== undefined && { NextMarker: page.NextMarker }),
      };
    },

    /** UpdateIPSet replaces the addresses (and the description: omitted is removed), as WAF does. */
    update(input: Input) {
      const lockToken = readLockToken(input.LockToken);
      const description = readDescription(input.Description);
      return mutate(ctx, (tx) => {
        const row = findRow(tx, input);
        checkLock(lockToken, row.lockToken);
        const addresses = readAddresses(input.Addresses, row.ipAddressVersion === "IPV6" ? "IPV6" : "IPV4");
        const next = newUuid();
        tx.update(ipSets)
          .set({ description: description ?? null, addresses, lockToken: next, updatedAt: ctx.now() })
          .where(eq(ipSets.arn, row.arn))
          .run();
        return { NextLockToken: next };
      });
    },

    delete(input: Input) {
      const lockToken = readLockToken(input.LockToken);
      mutate(ctx, (tx) => {
        const row = findRow(tx, input);
        checkLock(lockToken, row.lockToken);
        if (referenced(tx, row.arn)) throw new WafErrors.WAFAssociatedItemException(wafMessages.associated);
        tx.delete(ipSets).where(eq(ipSets.arn, row.arn)).run();
        removeTags(tx, row.arn);
      });
    },
  };
}
