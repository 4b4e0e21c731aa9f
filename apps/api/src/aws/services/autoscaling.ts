import type { AwsError } from "@scaleout/core";
import { type AwsService, operation, validationErrors } from "../operation.ts";
import { int, struct } from "../shapes.ts";
import { Empty } from "./autoscaling-common.ts";
import { groupOperations } from "./autoscaling-groups.ts";
import { hookOperations } from "./autoscaling-hooks.ts";
import { instanceOperations } from "./autoscaling-instances.ts";
import { groupMetricOperations } from "./autoscaling-metrics.ts";
import { policyOperations } from "./autoscaling-policies.ts";
import { processOperations } from "./autoscaling-processes.ts";
import { refreshOperations } from "./autoscaling-refreshes.ts";
import { scheduledActionOperations } from "./autoscaling-scheduled.ts";
import { standbyOperations } from "./autoscaling-standby.ts";
import { tagOperations } from "./autoscaling-tags.ts";
import { trafficOperations } from "./autoscaling-traffic.ts";
import { warmPoolOperations } from "./autoscaling-warm-pools.ts";

/*
 * The EC2 Auto Scaling door (botocore autoscaling 2011-01-01): its operations by resource, one file each
 * (groups, instances and activities, policies, traffic sources, tags), composed here in AWS's order.
 */

const operations = {
  ...groupOperations,
  ...instanceOperations,
  ...standbyOperations,
  ...processOperations,
  ...hookOperations,
  ...policyOperations,
  ...refreshOperations,
  ...scheduledActionOperations,
  ...groupMetricOperations,
  ...trafficOperations,
  ...tagOperations,
  ...warmPoolOperations,
  DescribeAccountLimits: operation({
    input: Empty,
    output: struct({
      maxNumberOfAutoScalingGroups: int,
      maxNumberOfLaunchConfigurations: int,
      numberOfAutoScalingGroups: int,
      numberOfLaunchConfigurations: int,
    }),
    support: "implemented",
    run: (_input, { services }) => services.instanceActions.autoScalingLimits(),
  }),
};

/** Codes Auto Scaling does not have: it answers ValidationError with the same sentence. */
const asValidationError = new Set([
  "AutoScalingGroupNotFound",
  "ScalingPolicyNotFound",
  "TargetGroupNotFound",
  "InvalidLaunchTemplateName.NotFoundException",
  "InvalidParameterValue",
  "MissingParameter",
]);

export const autoScaling: AwsService = {
  id: "autoscaling",
  title: "EC2 Auto Scaling",
  version: "2011-01-01",
  xmlns: "http://autoscaling.amazonaws.com/doc/2011-01-01/",
  signingName: "autoscaling",
  wire: "query",
  operations,
  inputErrors: validationErrors,
  translate: (error: AwsError) => ({
    code: asValidationError.has(error.code) ? "ValidationError" : error.code,
    status: error.statusCode >= 500 ? error.statusCode : 400,
    message: error.message,
  }),
};
