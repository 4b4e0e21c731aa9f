import { check, checkPageSize, decodeToken, Errors, type Page, pageOf } from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, eq, inArray } from "drizzle-orm";
import { certificateExists } from "./certificates.ts";
import { mutate, type ServiceContext } from "./context.ts";
import { findListener } from "./listeners.ts";

const { listenerCertificates, listeners } = schema;
type ListenerRow = typeof listeners.$inferSelect;

/** AWS's quota: certificates per Application Load Balancer listener, besides the default one. */
export const maxCertificatesPerListener = 25;

export interface ListenerCertificate {
  certificateArn: string;
  isDefault: boolean;
}

/** ACM's ARN shape: IAM server certificates (arn:aws:iam::...:server-certificate/...) are not kept here. */
const acmArn = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate\/[A-Za-z0-9-]{1,128}$/;

const notFound = (arn: string) =>
  new Errors.CertificateNotFound(
    acmArn.test(arn)
      ? `Certificate '${arn}' not found`
      : `Certificate '${arn}' not found: scaleout holds ACM certificates only (arn:aws:acm:<region>:<account>:certificate/<id>)`,
  );

/** Every ARN names a certificate of the store (ACM's), or CertificateNotFound names the first that does not. */
export function requireCertificates(db: Db | Tx, arns: readonly string[]): void {
  const missing = arns.find((arn) => !acmArn.test(arn) || !certificateExists(db, arn));
  if (missing !== undefined) throw notFound(missing);
}

/**
 * The default certificate of CreateListener/ModifyListener's `Certificates`: AWS takes exactly one, and
 * `IsDefault` is not set by the caller.
 */
export function defaultCertificateOf(
  input: ReadonlyArray<{ certificateArn?: unknown }> | undefined,
): string | undefined {
  if (input === undefined) return undefined;
  check(Array.isArray(input), "Certificates must be a list");
  check(
    input.length <= 1,
    "A listener can have only one default certificate: add others with AddListenerCertificates",
  );
  const arn = input[0]?.certificateArn;
  if (input.length === 0) return undefined;
  check(typeof arn === "string" && arn !== "", "CertificateArn is required");
  return arn;
}

/**
 * Makes `certificateArn` the listener's default certificate row (the listener's `certificates` column
 * holds the same ARN for describes). A certificate already in the SNI list becomes the default.
 */
export function writeDefaultCertificate(tx: Tx, listenerArn: string, certificateArn: string): void {
  tx.delete(listenerCertificates)
    .where(and(eq(listenerCertificates.listenerArn, listenerArn), eq(listenerCertificates.isDefault, true)))
    .run();
  tx.delete(listenerCertificates)
    .where(
      and(
        eq(listenerCertificates.listenerArn, listenerArn),
        eq(listenerCertificates.certificateArn, certificateArn),
      ),
    )
    .run();
  tx.insert(listenerCertificates).values({ listenerArn, certificateArn, isDefault: true }).run();
}

/** A listener that stops being HTTPS keeps no certificates (AWS clears them with the protocol). */
export function clearCertificates(tx: Tx, listenerArn: string): void {
  tx.delete(listenerCertificates).where(eq(listenerCertificates.listenerArn, listenerArn)).run();
}

function certificateList(db: Db | Tx, listener: ListenerRow): ListenerCertificate[] {
  const rows = db
    .select()
    .from(listenerCertificates)
    .where(eq(listenerCertificates.listenerArn, listener.arn))
    .all();
  const list = rows.map((r) => ({ certificateArn: r.certificateArn, isDefault: r.isDefault }));
  // A listener stored before certificates had their own table names its default only in its column.
  const legacyDefault = listener.certificates?.[0]?.certificateArn;
  if (!list.some((c) => c.isDefault) && legacyDefault !== undefined)
    list.push({ certificateArn: legacyDefault, isDefault: true });
  return list;
}

const order = (c: ListenerCertificate) => `${c.isDefault ? "0" : "1"}${c.certificateArn}`;

function requireHttps(listener: ListenerRow): void {
  if (listener.protocol !== "HTTPS" && listener.protocol !== "TLS")
    throw new Errors.ValidationError(
      `Listener '${listener.arn}' is ${listener.protocol}: certificates belong to HTTPS and TLS listeners`,
    );
}

function certificateArnsOf(input: ReadonlyArray<{ certificateArn?: unknown }> | undefined): string[] {
  check(Array.isArray(input) && input.length > 0, "At least one certificate must be given");
  return input.map((c) => {
    check(typeof c?.certificateArn === "string" && c.certificateArn !== "", "CertificateArn is required");
    return c.certificateArn;
  });
}

export function listenerCertificateService(ctx: ServiceContext) {
  return {
    /**
     * AddListenerCertificates: SNI certificates beside the default one. A certificate already on the
     * listener is not added again, and the call still succeeds, as in AWS.
     */
    add(
      listenerId: string,
      input: ReadonlyArray<{ certificateArn?: unknown; isDefault?: unknown }> | undefined,
    ): ListenerCertificate[] {
      const arns = [...new Set(certificateArnsOf(input))];
      return mutate(ctx, (tx) => {
        const listener = findListener(tx, listenerId);
        requireHttps(listener);
        requireCertificates(tx, arns);
        const current = certificateList(tx, listener);
        const added = arns.filter((arn) => !current.some((c) => c.certificateArn === arn));
        const sni = current.filter((c) => !c.isDefault).length;
        if (sni + added.length > maxCertificatesPerListener)
          throw new Errors.TooManyCertificates(
            `A listener can have at most ${maxCertificatesPerListener} certificates besides its default certificate`,
          );
        for (const certificateArn of added)
          tx.insert(listenerCertificates)
            .values({ listenerArn: listener.arn, certificateArn, isDefault: false })
            .run();
        return arns.map((certificateArn) => ({ certificateArn, isDefault: false }));
      });
    },

    /**
     * RemoveListenerCertificates: the default certificate cannot be removed (ModifyListener replaces it);
     * a certificate that is not on the listener is already removed.
     */
    remove(listenerId: string, input: ReadonlyArray<{ certificateArn?: unknown }> | undefined): void {
      const arns = certificateArnsOf(input);
      mutate(ctx, (tx) => {
        const listener = findListener(tx, listenerId);
        const defaults = certificateList(tx, listener).filter((c) => c.isDefault);
        const isDefault = arns.find((arn) => defaults.some((c) => c.certificateArn === arn));
        if (isDefault !== undefined)
          throw new Errors.OperationNotPermitted(
            `Certificate '${isDefault}' is the default certificate of the listener and cannot be removed: replace it with ModifyListener`,
          );
        tx.delete(listenerCertificates)
          .where(
            and(
              eq(listenerCertificates.listenerArn, listener.arn),
              inArray(listenerCertificates.certificateArn, arns),
            ),
          )
          .run();
      });
    },

    /** DescribeListenerCertificates: the default certificate first (IsDefault true), then the SNI list. */
    list(
      listenerId: string,
      options: { pageSize?: number; nextToken?: string } = {},
    ): Page<ListenerCertificate> {
      const pageSize = checkPageSize(options.pageSize);
      const after = decodeToken(options.nextToken);
      const listener = findListener(ctx.db, listenerId);
      const all = certificateList(ctx.db, listener).sort((a, b) => (order(a) < order(b) ? -1 : 1));
      const rest = after === undefined ? all : all.filter((c) => order(c) > after);
      return pageOf(rest.slice(0, pageSize + 1), pageSize, order);
    },
  };
}

export type ListenerCertificateService = ReturnType<typeof listenerCertificateService>;
