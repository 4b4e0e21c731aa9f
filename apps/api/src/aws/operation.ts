import { AwsError, checkPageSize, decodeToken, Errors, encodeToken } from "@scaleout/core";
import type { Services } from "@scaleout/services";
import type { InputErrors } from "./codec.ts";
import type { Out, Static, StructureShape } from "./shapes.ts";

/** What every operation is given besides its input: the services of the request's region. */
export interface Call {
  services: Services;
  region: string;
  accountId: string;
  requestId: string;
}

export type Support = "implemented" | "partial";

/** One AWS operation: its wire shapes and how it maps onto the services. */
export interface Operation<I extends StructureShape, O extends StructureShape | undefined> {
  input: I;
  /** Undefined for operations whose response carries no result (AWS's "output": none). */
  output: O;
  support: Support;
  /** For the compatibility table: what is partial, or what differs from AWS. */
  notes?: string;
  /** Most operations answer at once; one that waits for work off the event loop answers a promise. */
  run(
    input: Static<I>,
    call: Call,
  ): (O extends StructureShape ? Out<O> : undefined) | Promise<O extends StructureShape ? Out<O> : undefined>;
}

/** An operation with its types erased, as the dispatch table holds it. */
export interface AnyOperation {
  input: StructureShape;
  output: StructureShape | undefined;
  support: Support;
  notes?: string;
  run(input: Record<string, unknown>, call: Call): unknown;
}

/**
 * Declares an operation. The input the codec hands to `run` has been decoded by `input`, so the erased
 * signature only forgets what the codec already guarantees.
 */
export function operation<I extends StructureShape, O extends StructureShape | undefined>(
  definition: Operation<I, O>,
): AnyOperation {
  return definition as unknown as AnyOperation;
}

/** What a service's errors look like on the wire, beyond the services' own code. */
export interface WireError {
  code: string;
  status: number;
  message: string;
  /** Members an error shape has beyond its message (WAF's Field, Parameter, Reason), JSON protocols only. */
  fields?: Readonly<Record<string, string>>;
}

/** The JSON protocol of a service: awsJson1_0 (CloudWatch) or awsJson1_1 (ACM). */
export interface JsonProtocol {
  /** The version in the content type, `application/x-amz-json-<version>`. */
  version: "1.0" | "1.1";
  /** X-Amz-Target's prefix: `<targetPrefix>.<Operation>`. */
  targetPrefix: string;
  /**
   * awsQueryCompatible services (CloudWatch) also answer the query error code in `x-amzn-query-error`,
   * for clients that were written against their query protocol.
   */
  queryCompatible: boolean;
  /** `__type` (the error's shape id) by error code, where it is not the code itself. */
  errorTypes?: Readonly<Record<string, string>>;
}

export interface AwsService {
  id: "elbv2" | "autoscaling" | "ec2" | "cloudwatch" | "acm" | "wafv2" | "cloudformation";
  title: string;
  version: string;
  /** The SigV4 signing name: the service segment of the credential scope. */
  signingName: string;
  /** The query protocol's form (query or EC2's), or "json" for a service that speaks JSON alone (ACM). */
  wire: "query" | "ec2" | "json";
  /** The XML namespace of the query protocol's answers (none for a JSON-only service). */
  xmlns?: string;
  /** The JSON protocol, for the services that speak it. */
  json?: JsonProtocol;
  operations: Readonly<Record<string, AnyOperation>>;
  inputErrors: InputErrors;
  /** A services error as this service answers it: its code and AWS's HTTP status (400 for most). */
  translate(error: AwsError): WireError;
}

/** A service that speaks the query protocol (or EC2's). */
export type QueryService = AwsService & { wire: "query" | "ec2"; xmlns: string };

export const speaksQuery = (service: AwsService): service is QueryService =>
  service.wire !== "json" && service.xmlns !== undefined;

/**
 * The ELB and Auto Scaling way of wording a bad parameter (Smithy validation): ValidationError with
 * "1 validation error detected: ...".
 */
export const validationErrors: InputErrors = {
  missing: (path) =>
    new Errors.ValidationError(
      `1 validation error detected: Value null at '${path}' failed to satisfy constraint: Member must not be null`,
    ),
  invalid: (path, value, expected) =>
    new Errors.ValidationError(
      `1 validation error detected: Value '${value}' at '${path}' failed to satisfy constraint: Member must be ${expected}`,
    ),
  unsupported: (_path, message) => new Errors.ValidationError(message),
  violated: (path, value, constraint) =>
    new Errors.ValidationError(
      `1 validation error detected: Value '${value}' at '${path}' failed to satisfy constraint: ${constraint}`,
    ),
};

/** Page size for describes whose AWS maximum differs from the services' (1-400). */
export function pageSize(value: number | undefined, name: string, max: number, fallback: number): number {
  const size = value ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > max)
    throw new Errors.ValidationError(`${name} must be between 1 and ${max}, got ${size}`);
  return size;
}

/** One page of a list computed in full (small lists: account limits, a group's target groups). */
export function pageOfList<T>(
  items: T[],
  key: (item: T) => string,
  options: { pageSize?: number; nextToken?: string },
): { items: T[]; nextToken?: string } {
  const size = checkPageSize(options.pageSize);
  const after = decodeToken(options.nextToken);
  const rest = after === undefined ? items : items.filter((item) => key(item) > after);
  const page = rest.slice(0, size);
  const last = page[page.length - 1];
  return {
    items: page,
    ...(rest.length > size && last !== undefined && { nextToken: encodeToken(key(last)) }),
  };
}

/** Runs `action` and treats `notFound` as success: AWS's deletes of what is already gone. */
export function ignoring(codes: string[], action: () => void): void {
  try {
    action();
  } catch (error) {
    if (error instanceof AwsError && codes.includes(error.code)) return;
    throw error;
  }
}
