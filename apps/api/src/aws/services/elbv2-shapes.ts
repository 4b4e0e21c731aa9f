import type { Action as ActionValue, RuleCondition as ConditionValue } from "@scaleout/core";
import { bool, int, list, req, type Static, str, struct, ts, unsupported } from "../shapes.ts";

// ---- Shapes (botocore elbv2 2015-12-01) ------------------------------------------------------------------

export const Tag = struct({ key: req(str), value: str });

export const Matcher = struct({
  httpCode: str,
  grpcCode: unsupported("GrpcCode is not supported: scaleout health checks are TCP, HTTP and HTTPS"),
});

export const LoadBalancer = struct({
  loadBalancerArn: str,
  dnsName: str,
  canonicalHostedZoneId: str,
  createdTime: ts,
  loadBalancerName: str,
  scheme: str,
  vpcId: str,
  state: struct({ code: str, reason: str }),
  type: str,
  availabilityZones: list(struct({ zoneName: str, subnetId: str })),
  securityGroups: list(str),
  ipAddressType: str,
});

export const TargetGroup = struct({
  targetGroupArn: str,
  targetGroupName: str,
  protocol: str,
  port: int,
  vpcId: str,
  healthCheckProtocol: str,
  healthCheckPort: str,
  healthCheckEnabled: bool,
  healthCheckIntervalSeconds: int,
  healthCheckTimeoutSeconds: int,
  healthyThresholdCount: int,
  unhealthyThresholdCount: int,
  healthCheckPath: str,
  matcher: Matcher,
  loadBalancerArns: list(str),
  targetType: str,
  protocolVersion: str,
  ipAddressType: str,
});

export const notAuthenticating =
  "Authentication actions are not supported by scaleout: use forward, redirect or fixed-response";

export const Action = struct({
  type: req(str),
  targetGroupArn: str,
  authenticateOidcConfig: unsupported(notAuthenticating),
  authenticateCognitoConfig: unsupported(notAuthenticating),
  order: int,
  redirectConfig: struct({
    protocol: str,
    port: str,
    host: str,
    path: str,
    query: str,
    statusCode: req(str),
  }),
  fixedResponseConfig: struct({ messageBody: str, statusCode: req(str), contentType: str }),
  forwardConfig: struct({
    targetGroups: list(struct({ targetGroupArn: str, weight: int })),
    targetGroupStickinessConfig: struct({ enabled: bool, durationSeconds: int }),
  }),
  jwtValidationConfig: unsupported(notAuthenticating),
});

export const Values = struct({ values: list(str) });

export const RuleCondition = struct({
  field: str,
  values: list(str),
  hostHeaderConfig: Values,
  pathPatternConfig: Values,
  httpHeaderConfig: struct({ httpHeaderName: str, values: list(str) }),
  queryStringConfig: struct({ values: list(struct({ key: str, value: str })) }),
  httpRequestMethodConfig: Values,
  sourceIpConfig: Values,
  regexValues: unsupported("Regular expression conditions (RegexValues) are not supported by scaleout"),
});

export const Certificate = struct({ certificateArn: str, isDefault: bool });

export const Listener = struct({
  listenerArn: str,
  loadBalancerArn: str,
  port: int,
  protocol: str,
  certificates: list(Certificate),
  sslPolicy: str,
  defaultActions: list(Action),
  alpnPolicy: list(str),
});

export const Rule = struct({
  ruleArn: str,
  priority: str,
  conditions: list(RuleCondition),
  actions: list(Action),
  isDefault: bool,
});

export const Attribute = struct({ key: str, value: str });
export const TargetDescription = struct({ id: req(str), port: int, availabilityZone: str });

export const HealthCheckSettings = {
  healthCheckProtocol: str,
  healthCheckPort: str,
  healthCheckEnabled: bool,
  healthCheckPath: str,
  healthCheckIntervalSeconds: int,
  healthCheckTimeoutSeconds: int,
  healthyThresholdCount: int,
  unhealthyThresholdCount: int,
  matcher: Matcher,
};

export const page = { marker: str, pageSize: int };
export const Empty = struct({});

// The services take AWS's shapes in camelCase and check every field at run time; the wire shapes decode
// enum-like members as plain strings, which these hand over as the services' unions.
export const toActions = (actions: Array<Static<typeof Action>> | undefined): ActionValue[] | undefined =>
  actions as unknown as ActionValue[] | undefined;
export const toConditions = (
  conditions: Array<Static<typeof RuleCondition>> | undefined,
): ConditionValue[] | undefined => conditions as unknown as ConditionValue[] | undefined;

export const paging = (input: { marker?: string; pageSize?: number }) => ({
  ...(input.marker !== undefined && { nextToken: input.marker }),
  ...(input.pageSize !== undefined && { pageSize: input.pageSize }),
});
