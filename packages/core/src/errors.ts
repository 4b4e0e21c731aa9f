/**
 * Base of every error scaleout answers to a client. `code` is AWS's error code, `statusCode` the status
 * the REST API answers with (404 for not found and 409 for conflicts, where AWS's query protocol uses 400).
 */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export type AwsErrorClass<C extends string> = new (message: string) => AwsError & { readonly code: C };

// Not @fastify/error: it upper-cases codes, and AWS's codes are case-sensitive (ValidationError).
function define<C extends string>(code: C, statusCode: number): AwsErrorClass<C> {
  return class extends AwsError {
    declare readonly code: C;
    constructor(message: string) {
      super(code, statusCode, message);
    }
  };
}

/** The one registry of client-facing errors, in the manner of fastify's lib/errors.js. */
export const Errors = {
  // Generic (all services)
  ValidationError: define("ValidationError", 400),
  InvalidParameterValue: define("InvalidParameterValue", 400),
  MissingParameter: define("MissingParameter", 400),
  InvalidParameterCombination: define("InvalidParameterCombination", 400),
  InvalidNextToken: define("InvalidNextToken", 400),
  Unauthorized: define("Unauthorized", 401),
  // Elastic Load Balancing v2
  LoadBalancerNotFound: define("LoadBalancerNotFound", 404),
  ListenerNotFound: define("ListenerNotFound", 404),
  RuleNotFound: define("RuleNotFound", 404),
  TargetGroupNotFound: define("TargetGroupNotFound", 404),
  InvalidTarget: define("InvalidTarget", 400),
  DuplicateLoadBalancerName: define("DuplicateLoadBalancerName", 409),
  DuplicateTargetGroupName: define("DuplicateTargetGroupName", 409),
  DuplicateListener: define("DuplicateListener", 409),
  PriorityInUse: define("PriorityInUse", 409),
  ResourceInUse: define("ResourceInUse", 409),
  OperationNotPermitted: define("OperationNotPermitted", 409),
  InvalidConfigurationRequest: define("InvalidConfigurationRequest", 400),
  IncompatibleProtocols: define("IncompatibleProtocols", 400),
  TooManyTargets: define("TooManyTargets", 400),
  TooManyRules: define("TooManyRules", 400),
  TooManyActions: define("TooManyActions", 400),
  TooManyTargetGroups: define("TooManyTargetGroups", 400),
  TargetGroupAssociationLimit: define("TargetGroupAssociationLimit", 400),
  UnsupportedProtocol: define("UnsupportedProtocol", 400),
  InvalidLoadBalancerAction: define("InvalidLoadBalancerAction", 400),
  // botocore's ALPNPolicyNotSupportedException answers with this code.
  ALPNPolicyNotFound: define("ALPNPolicyNotFound", 400),
  // ELBv2 HTTPS listeners (certificates and security policies)
  CertificateNotFound: define("CertificateNotFound", 404),
  SSLPolicyNotFound: define("SSLPolicyNotFound", 404),
  TooManyCertificates: define("TooManyCertificates", 400),
  // EC2 launch templates
  LaunchTemplateNotFound: define("InvalidLaunchTemplateName.NotFoundException", 404),
  LaunchTemplateAlreadyExists: define("InvalidLaunchTemplateName.AlreadyExistsException", 409),
  LaunchTemplateVersionNotFound: define("InvalidLaunchTemplateId.VersionNotFound", 404),
  InvalidInstanceIdNotFound: define("InvalidInstanceID.NotFound", 404),
  // EC2 Auto Scaling
  AutoScalingGroupNotFound: define("AutoScalingGroupNotFound", 404),
  ScalingPolicyNotFound: define("ScalingPolicyNotFound", 404),
  AlreadyExists: define("AlreadyExists", 409),
  ScalingActivityInProgress: define("ScalingActivityInProgress", 409),
  LimitExceeded: define("LimitExceeded", 400),
  InstanceRefreshInProgress: define("InstanceRefreshInProgress", 409),
  ActiveInstanceRefreshNotFound: define("ActiveInstanceRefreshNotFound", 404),
  IrreversibleInstanceRefresh: define("IrreversibleInstanceRefresh", 409),
  // CloudWatch
  ResourceNotFound: define("ResourceNotFound", 404),
} as const;

export type ErrorCode = InstanceType<(typeof Errors)[keyof typeof Errors]>["code"];

export function isAwsError(error: unknown): error is AwsError {
  return error instanceof AwsError;
}

/** Throws ValidationError unless `condition` holds: the shape of every range check in the validators. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Errors.ValidationError(message);
}
