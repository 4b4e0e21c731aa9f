import { type Db, schema, type Tx } from "@scaleout/db";
import { eq } from "drizzle-orm";

const { certificates } = schema;

/** Whether ACM holds a certificate under this ARN (ELB's CertificateNotFound check). */
export function certificateExists(db: Db | Tx, arn: string): boolean {
  return (
    db.select({ arn: certificates.arn }).from(certificates).where(eq(certificates.arn, arn)).get() !==
    undefined
  );
}
