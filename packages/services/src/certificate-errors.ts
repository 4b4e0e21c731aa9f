import { AwsError } from "@scaleout/core";

/*
 * AWS Certificate Manager's errors. ACM answers every one of them with HTTP 400; the statuses here are the
 * REST API's (404 for what is not there, 409 for a conflict), and the AWS door answers 400 as ACM does.
 */

function define(code: string, statusCode: number) {
  return class extends AwsError {
    constructor(message: string) {
      super(code, statusCode, message);
    }
  };
}

export const AcmErrors = {
  ValidationException: define("ValidationException", 400),
  InvalidParameterException: define("InvalidParameterException", 400),
  InvalidArnException: define("InvalidArnException", 400),
  InvalidArgsException: define("InvalidArgsException", 400),
  InvalidTagException: define("InvalidTagException", 400),
  InvalidDomainValidationOptionsException: define("InvalidDomainValidationOptionsException", 400),
  TooManyTagsException: define("TooManyTagsException", 400),
  LimitExceededException: define("LimitExceededException", 400),
  ResourceNotFoundException: define("ResourceNotFoundException", 404),
  ResourceInUseException: define("ResourceInUseException", 409),
  RequestInProgressException: define("RequestInProgressException", 409),
} as const;

/** The ACM error codes, for the AWS door's error table. */
export const acmErrorCodes: readonly string[] = Object.keys(AcmErrors);
