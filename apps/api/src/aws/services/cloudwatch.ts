import { type AwsError, Errors } from "@scaleout/core";
import { type AwsService, validationErrors } from "../operation.ts";

import { alarmOperations } from "./cloudwatch-alarms.ts";
import { metricOperations } from "./cloudwatch-metrics.ts";

/* The CloudWatch door: alarms (cloudwatch-alarms.ts) and metrics (cloudwatch-metrics.ts). */

const operations = { ...alarmOperations, ...metricOperations };

export const cloudWatch: AwsService = {
  id: "cloudwatch",
  title: "Amazon CloudWatch",
  version: "2010-08-01",
  xmlns: "http://monitoring.amazonaws.com/doc/2010-08-01/",
  signingName: "monitoring",
  wire: "query",
  // awsJson1_0 names an error by its shape; awsQueryCompatible clients read the code from the header.
  json: {
    version: "1.0",
    targetPrefix: "GraniteServiceVersion20100801",
    queryCompatible: true,
    errorTypes: {
      ResourceNotFound: "com.amazonaws.cloudwatch#ResourceNotFound",
      InvalidParameterValue: "com.amazonaws.cloudwatch#InvalidParameterValueException",
      InvalidParameterCombination: "com.amazonaws.cloudwatch#InvalidParameterCombinationException",
      MissingParameter: "com.amazonaws.cloudwatch#MissingRequiredParameterException",
      LimitExceeded: "com.amazonaws.cloudwatch#LimitExceededFault",
      InvalidNextToken: "com.amazonaws.cloudwatch#InvalidNextToken",
      InvalidFormat: "com.amazonaws.cloudwatch#InvalidFormatFault",
      ValidationError: "com.amazonaws.cloudwatch#ValidationException",
      InternalServiceError: "com.amazonaws.cloudwatch#InternalServiceFault",
    },
  },
  operations,
  inputErrors: {
    missing: (path) => new Errors.MissingParameter(`The parameter ${path} is required.`),
    invalid: (path, value, expected) =>
      new Errors.InvalidParameterValue(
        `The value ${value} for parameter ${path} is not valid: expected ${expected}.`,
      ),
    unsupported: (_path, message) => new Errors.InvalidParameterValue(message),
    // A model constraint is Smithy's validation, which CloudWatch words as the other query services do.
    violated: validationErrors.violated,
  },
  // CloudWatch answers 404 for ResourceNotFound and 400 for the other client errors.
  translate: (error: AwsError) => ({
    code: error.code,
    status: error.statusCode >= 500 ? error.statusCode : error.code === "ResourceNotFound" ? 404 : 400,
    message: error.message,
  }),
};
