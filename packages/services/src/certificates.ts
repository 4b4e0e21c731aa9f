import { randomUUID, X509Certificate } from "node:crypto";
import { decodeToken, encodeToken, type Page, type Tag } from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, eq, gte, like, sql } from "drizzle-orm";
import { issuedValidity } from "./certificate-authority.ts";
import { AcmErrors } from "./certificate-errors.ts";
import {
  type CertificateMaterial,
  checkCertificateArn,
  checkRequest,
  checkTagList,
  type ImportCertificateInput,
  idempotencyWindow,
  type ListCertificatesInput,
  maxCertificates,
  maxCertificateTags,
  type RequestCertificateInput,
} from "./certificate-inputs.ts";
import { factsOf, type KeyAlgorithm, readImport } from "./certificate-material.ts";
import {
  type CertificateDetail,
  type CertificateSummary,
  detailOf,
  type PublicRow,
  publicColumns,
  type RequestRecord,
  statusAt,
  summaryOf,
  usersOf,
} from "./certificate-views.ts";
import { onConstraint } from "./constraints.ts";
import { mutate, type ServiceContext } from "./context.ts";
import { readTags, removeTags, writeTags } from "./tags.ts";

export type { CertificateOptions } from "./certificate-views.ts";
export type { CertificateDetail, CertificateSummary, KeyAlgorithm };
export { issuedValidity };

/*
 * AWS Certificate Manager over the registry: imported certificates (ImportCertificate, re-import to rotate)
 * and certificates issued at once by scaleout's local CA (RequestCertificate), with ACM's describes, tags,
 * and a delete that a listener's use forbids. Private keys go in and never come out: only the proxy reads
 * them, from the registry.
 */

const { certificates, listenerCertificates, tags: tagsTable } = schema;

/** Whether ACM holds a certificate under this ARN (ELB's CertificateNotFound check). */
export function certificateExists(db: Db | Tx, arn: string): boolean {
  return (
    db.select({ arn: certificates.arn }).from(certificates).where(eq(certificates.arn, arn)).get() !==
    undefined
  );
}

function addTagsIn(tx: Tx, arn: string, list: Tag[]): void {
  checkTagList(list);
  const keys = new Set((readTags(tx, [arn]).get(arn) ?? []).map((tag) => tag.key));
  for (const tag of list) keys.add(tag.key);
  if (keys.size > maxCertificateTags)
    throw new AcmErrors.TooManyTagsException(`A certificate can have at most ${maxCertificateTags} tags.`);
  writeTags(tx, arn, list);
}

/** A page's sort key: creation time, then ARN, so that pages hold still while certificates come and go. */
const sortKey = (row: Pick<PublicRow, "createdAt" | "arn">) =>
  `${String(row.createdAt).padStart(15, "0")}|${row.arn}`;

function pageSizeOf(maxItems: number | undefined): number {
  const size = maxItems ?? 1000;
  if (!Number.isInteger(size) || size < 1 || size > 1000)
    throw new AcmErrors.ValidationException("MaxItems must be between 1 and 1000.");
  return size;
}

function nextAfter(token: string | undefined): string | undefined {
  try {
    return decodeToken(token);
  } catch {
    throw new AcmErrors.InvalidArgsException("The NextToken is not valid.");
  }
}

export function certificateService(ctx: ServiceContext) {
  const { db } = ctx;
  const newArn = () =>
    `arn:aws:acm:${ctx.partition.region}:${ctx.partition.accountId}:certificate/${randomUUID()}`;

  function find(dbOrTx: Db | Tx, arn: string): PublicRow {
    checkCertificateArn(arn);
    const row = dbOrTx.select(publicColumns).from(certificates).where(eq(certificates.arn, arn)).get();
    if (!row) throw new AcmErrors.ResourceNotFoundException(`Could not find certificate ${arn}.`);
    return row;
  }

  function checkQuota(tx: Tx): void {
    const count = tx.select({ n: sql<number>`count(*)` }).from(certificates).get()?.n ?? 0;
    if (count >= maxCertificates)
      throw new AcmErrors.LimitExceededException(
        `The account's quota of ${maxCertificates} certificates is reached.`,
      );
  }

  return {
    /** ImportCertificate: a new certificate, or, with `certificateArn`, new material under the same ARN. */
    import(input: ImportCertificateInput): { certificateArn: string } {
      const now = ctx.now();
      const material = readImport(input, now);
      const values = {
        domainName: material.domainName,
        subjectAlternativeNames: material.subjectAlternativeNames,
        keyAlgorithm: material.keyAlgorithm,
        serial: material.serial,
        subject: material.subject,
        issuer: material.issuer,
        notBefore: material.notBefore,
        notAfter: material.notAfter,
        certificatePem: material.certificatePem,
        chainPem: material.chainPem,
        privateKeyPem: material.privateKeyPem,
        status: "ISSUED",
        importedAt: now,
      };
      const rotating = input.certificateArn;
      if (rotating !== undefined) {
        if (input.tags !== undefined && input.tags.length > 0)
          throw new AcmErrors.InvalidParameterException(
            "Tags cannot be given when re-importing a certificate.",
          );
        return mutate(ctx, (tx) => {
          const existing = find(tx, rotating);
          if (existing.type !== "IMPORTED")
            throw new AcmErrors.ValidationException(
              `The certificate ${rotating} was issued by ACM (the local CA): only imported certificates can be re-imported.`,
            );
          tx.update(certificates).set(values).where(eq(certificates.arn, rotating)).run();
          return { certificateArn: rotating };
        });
      }
      const certificateArn = newArn();
      return mutate(ctx, (tx) => {
        checkQuota(tx);
        if (input.tags) checkTagList(input.tags);
        tx.insert(certificates)
          .values({
            arn: certificateArn,
            type: "IMPORTED",
            request: null,
            createdAt: now,
            issuedAt: null,
            ...values,
          })
          .run();
        if (input.tags) addTagsIn(tx, certificateArn, input.tags);
        return { certificateArn };
      });
    },

    /**
     * RequestCertificate: issued at once by the local CA, every domain "validated". Asynchronous while the
     * key is made; the registry is written in one synchronous transaction after.
     */
    async request(input: RequestCertificateInput): Promise<{ certificateArn: string }> {
      const now = ctx.now();
      const { names, keyAlgorithm, validationMethod } = checkRequest(input);
      const token = input.idempotencyToken;
      const earlier = (dbOrTx: Db | Tx) =>
        token === undefined
          ? undefined
          : dbOrTx
              .select({ arn: certificates.arn })
              .from(certificates)
              .where(
                and(
                  sql`json_extract(${certificates.request}, '$.idempotencyToken') = ${token}`,
                  gte(certificates.createdAt, now - idempotencyWindow),
                ),
              )
              .get();
      const before = earlier(db);
      if (before) return { certificateArn: before.arn };

      const issued = await ctx.certificateAuthority.issue(names, keyAlgorithm, now);
      const authority = ctx.certificateAuthority.certificatePem();
      const request: RequestRecord = {
        validationMethod,
        ...(token !== undefined && { idempotencyToken: token }),
        ...(input.domainValidationOptions !== undefined && {
          domainValidationOptions: input.domainValidationOptions,
        }),
        ...(input.options !== undefined && { options: input.options }),
      };
      const certificateArn = newArn();
      return mutate(ctx, (tx) => {
        // The same token may have come in again while this key was being made: the first one stands.
        const meanwhile = earlier(tx);
        if (meanwhile) return { certificateArn: meanwhile.arn };
        checkQuota(tx);
        tx.insert(certificates)
          .values({
            arn: certificateArn,
            domainName: input.domainName,
            subjectAlternativeNames: names,
            type: "AMAZON_ISSUED",
            status: "ISSUED",
            keyAlgorithm,
            ...identityOf(issued.certificatePem),
            notBefore: issued.notBefore,
            notAfter: issued.notAfter,
            certificatePem: issued.certificatePem,
            chainPem: authority,
            privateKeyPem: issued.privateKeyPem,
            request: { ...request },
            createdAt: now,
            importedAt: null,
            issuedAt: now,
          })
          .run();
        if (input.tags) addTagsIn(tx, certificateArn, input.tags);
        return { certificateArn };
      });
    },

    /**
     * The ARN a REST path names: the whole ARN, or its last segment (the certificate id), whichever
     * region's ARN it is.
     */
    arnOf(id: string): string {
      if (id.startsWith("arn:")) return id;
      if (!/^[A-Za-z0-9-]{1,128}$/.test(id))
        throw new AcmErrors.InvalidArnException(`'${id.slice(0, 200)}' is not a certificate id or ARN.`);
      const row = db
        .select({ arn: certificates.arn })
        .from(certificates)
        .where(like(certificates.arn, `%:certificate/${id}`))
        .get();
      if (!row) throw new AcmErrors.ResourceNotFoundException(`Could not find certificate ${id}.`);
      return row.arn;
    },

    describe(arn: string): CertificateDetail {
      const row = find(db, arn);
      return detailOf(row, usersOf(db, [arn]).get(arn) ?? [], ctx.now());
    },

    list(input: ListCertificatesInput = {}): Page<CertificateSummary> {
      const size = pageSizeOf(input.maxItems);
      const after = nextAfter(input.nextToken);
      const now = ctx.now();
      const descending = input.sortOrder === "DESCENDING";
      const rows = db
        .select(publicColumns)
        .from(certificates)
        .all()
        .filter(
          (row) =>
            input.certificateStatuses === undefined ||
            input.certificateStatuses.length === 0 ||
            input.certificateStatuses.includes(statusAt(row, now)),
        )
        .filter(
          (row) =>
            input.keyTypes === undefined ||
            input.keyTypes.length === 0 ||
            input.keyTypes.includes(row.keyAlgorithm),
        )
        .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1) * (descending ? -1 : 1));
      const users = usersOf(
        db,
        rows.map((row) => row.arn),
      );
      const matching = rows
        .map((row) => summaryOf(row, (users.get(row.arn) ?? []).length > 0, now))
        .filter((summary) => matchesUsage(summary.extendedKeyUsages, input.extendedKeyUsage))
        .filter((summary) => matchesUsage(summary.keyUsages, input.keyUsage));
      const keyOf = new Map(rows.map((row) => [row.arn, sortKey(row)]));
      const rest =
        after === undefined
          ? matching
          : matching.filter((summary) => {
              const key = keyOf.get(summary.certificateArn) ?? "";
              return descending ? key < after : key > after;
            });
      const items = rest.slice(0, size);
      const last = items[items.length - 1];
      return rest.length > size && last !== undefined
        ? { items, nextToken: encodeToken(keyOf.get(last.certificateArn) ?? "") }
        : { items };
    },

    get(arn: string): CertificateMaterial {
      const row = find(db, arn);
      return {
        certificate: row.certificatePem,
        ...(row.chainPem !== null && { certificateChain: row.chainPem }),
      };
    },

    /** DeleteCertificate: refused while a listener uses the certificate (the foreign key restricts too). */
    delete(arn: string): void {
      mutate(ctx, (tx) => {
        find(tx, arn);
        const users = usersOf(tx, [arn]).get(arn) ?? [];
        const inUse =
          users.length > 0 ||
          tx
            .select({ arn: listenerCertificates.listenerArn })
            .from(listenerCertificates)
            .where(eq(listenerCertificates.certificateArn, arn))
            .get() !== undefined;
        const refuse = () =>
          new AcmErrors.ResourceInUseException(
            `Certificate ${arn} is in use${users.length > 0 ? ` by ${users.join(", ")}` : ""}: remove it from its listeners first.`,
          );
        if (inUse) throw refuse();
        onConstraint(() => tx.delete(certificates).where(eq(certificates.arn, arn)).run(), {
          foreignKey: refuse,
        });
        tx.delete(tagsTable).where(eq(tagsTable.resourceArn, arn)).run();
      });
    },

    addTags(arn: string, list: Tag[]): void {
      if (list.length === 0) throw new AcmErrors.InvalidParameterException("At least one tag must be given.");
      mutate(ctx, (tx) => {
        find(tx, arn);
        addTagsIn(tx, arn, list);
      });
    },

    /** Removes each tag by key, or by key and value when a value is given (ACM's rule). */
    removeTags(arn: string, list: Tag[]): void {
      if (list.length === 0) throw new AcmErrors.InvalidParameterException("At least one tag must be given.");
      checkTagList(list);
      mutate(ctx, (tx) => {
        find(tx, arn);
        const current = new Map(
          (readTags(tx, [arn]).get(arn) ?? []).map((tag) => [tag.key, tag.value ?? ""]),
        );
        const keys = list
          .filter(
            (tag) => current.has(tag.key) && (tag.value === undefined || current.get(tag.key) === tag.value),
          )
          .map((tag) => tag.key);
        if (keys.length > 0) removeTags(tx, arn, keys);
      });
    },

    listTags(arn: string): Tag[] {
      find(db, arn);
      return (readTags(db, [arn]).get(arn) ?? []).sort((a, b) =>
        a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
      );
    },

    /** The local CA's certificate, PEM (GET /v1/certificate-authority.pem). */
    authorityPem(): string {
      return ctx.certificateAuthority.certificatePem();
    },
  };
}

/** Serial, subject and issuer of a certificate the local CA has just issued, as ACM words them. */
function identityOf(certificatePem: string): { serial: string; subject: string; issuer: string } {
  const { serial, subject, issuer } = factsOf(new X509Certificate(certificatePem));
  return { serial, subject, issuer };
}

/** "ANY" matches every certificate, "NONE" one without usages; otherwise one of the names must be there. */
function matchesUsage(have: string[], wanted: string[] | undefined): boolean {
  if (wanted === undefined || wanted.length === 0 || wanted.includes("ANY")) return true;
  if (wanted.includes("NONE") && have.length === 0) return true;
  return wanted.some((name) => have.includes(name));
}

export type CertificateService = ReturnType<typeof certificateService>;
