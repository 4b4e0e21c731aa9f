import { AwsError } from "../errors.ts";

/*
 * AWS WAF's exceptions (wafv2 2019-07-29). WAF answers every one of them with HTTP 400; the statuses here
 * are the REST API's (404 for what is not there, 409 for a conflict), and the AWS door answers 400 as WAF
 * does. WAFInvalidParameterException carries WAF's `Field` (a ParameterExceptionField such as
 * RATE_BASED_STATEMENT), `Parameter` (the offending value) and `Reason`, which the SDK exposes.
 */

export interface WafErrorDetails {
  Field?: string;
  Parameter?: string;
  Reason?: string;
}

export class WafError extends AwsError {
  constructor(
    code: string,
    statusCode: number,
    message: string,
    readonly details: WafErrorDetails = {},
  ) {
    super(code, statusCode, message);
  }
}

function define(code: string, statusCode: number) {
  return class extends WafError {
    constructor(message: string, details: WafErrorDetails = {}) {
      super(code, statusCode, message, details);
    }
  };
}

export const WafErrors = {
  /** A value outside the wafv2 model's constraints (Smithy validation, as every AWS JSON service). */
  ValidationException: define("ValidationException", 400),
  WAFInvalidParameterException: define("WAFInvalidParameterException", 400),
  WAFNonexistentItemException: define("WAFNonexistentItemException", 404),
  WAFDuplicateItemException: define("WAFDuplicateItemException", 409),
  WAFOptimisticLockException: define("WAFOptimisticLockException", 409),
  WAFAssociatedItemException: define("WAFAssociatedItemException", 409),
  WAFLimitsExceededException: define("WAFLimitsExceededException", 400),
  WAFInvalidOperationException: define("WAFInvalidOperationException", 400),
  WAFUnavailableEntityException: define("WAFUnavailableEntityException", 400),
  WAFTagOperationException: define("WAFTagOperationException", 400),
  WAFInvalidResourceException: define("WAFInvalidResourceException", 400),
} as const;

/**
 * A value WAF refuses, in WAF's words: "Error reason: <reason>, field: <FIELD>, parameter: <value>", the
 * message AWS gives, with the same three parts in Field, Parameter and Reason.
 */
export function invalidParameter(field: string, parameter: string, reason: string): WafError {
  const shown = parameter.length > 200 ? `${parameter.slice(0, 200)}...` : parameter;
  return new WafErrors.WAFInvalidParameterException(
    `Error reason: ${reason}, field: ${field}, parameter: ${shown}`,
    { Field: field, Parameter: shown, Reason: reason },
  );
}

export function wafCheck(
  condition: boolean,
  field: string,
  parameter: string,
  reason: string,
): asserts condition {
  if (!condition) throw invalidParameter(field, parameter, reason);
}
