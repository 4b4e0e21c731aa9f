import type { AwsService } from "./operation.ts";
import acmModel from "./operations/acm.json" with { type: "json" };
import autoscalingModel from "./operations/autoscaling.json" with { type: "json" };
import cloudformationModel from "./operations/cloudformation.json" with { type: "json" };
import cloudwatchModel from "./operations/cloudwatch.json" with { type: "json" };
import ec2Model from "./operations/ec2.json" with { type: "json" };
import elbv2Model from "./operations/elbv2.json" with { type: "json" };
import wafv2Model from "./operations/wafv2.json" with { type: "json" };
import { acm } from "./services/acm.ts";
import { autoScaling } from "./services/autoscaling.ts";
import { cloudFormation } from "./services/cloudformation.ts";
import { cloudWatch } from "./services/cloudwatch.ts";
import { ec2 } from "./services/ec2.ts";
import { elbv2 } from "./services/elbv2.ts";
import { wafv2 } from "./services/wafv2.ts";

/** The dispatch table: every service the AWS door speaks, each with its implemented operations. */
export const awsServices: readonly AwsService[] = [
  elbv2,
  autoScaling,
  ec2,
  cloudWatch,
  acm,
  wafv2,
  cloudFormation,
];

export interface ServiceModel {
  service: string;
  apiVersion: string;
  source: string;
  operations: string[];
}

/** Every operation of each service's AWS model, implemented or not (operations/<service>.json). */
export const serviceModels: Readonly<Record<AwsService["id"], ServiceModel>> = {
  elbv2: elbv2Model,
  autoscaling: autoscalingModel,
  ec2: ec2Model,
  cloudwatch: cloudwatchModel,
  acm: acmModel,
  wafv2: wafv2Model,
  cloudformation: cloudformationModel,
};

/** Whether AWS has this operation (scaleout may still not implement it). */
export function knownOperation(service: AwsService, action: string): boolean {
  return serviceModels[service.id].operations.includes(action);
}
