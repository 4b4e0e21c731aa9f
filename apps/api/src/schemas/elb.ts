import { Type } from "@sinclair/typebox";
import { StringEnum, Tags } from "./common.ts";

const TargetGroupTuple = Type.Object(
  { targetGroupArn: Type.String(), weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 999 })) },
  { additionalProperties: false },
);

export const Action = Type.Object(
  {
    type: StringEnum(["forward", "redirect", "fixed-response"]),
    order: Type.Optional(Type.Integer({ minimum: 1, maximum: 50000 })),
    targetGroupArn: Type.Optional(Type.String()),
    forwardConfig: Type.Optional(
      Type.Object(
        {
          targetGroups: Type.Array(TargetGroupTuple),
          targetGroupStickinessConfig: Type.Optional(
            Type.Object(
              { enabled: Type.Boolean(), durationSeconds: Type.Optional(Type.Integer()) },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    redirectConfig: Type.Optional(
      Type.Object(
        {
          protocol: Type.Optional(Type.String()),
          port: Type.Optional(Type.String()),
          host: Type.Optional(Type.String()),
          path: Type.Optional(Type.String()),
          query: Type.Optional(Type.String()),
          statusCode: StringEnum(["HTTP_301", "HTTP_302"]),
        },
        { additionalProperties: false },
      ),
    ),
    fixedResponseConfig: Type.Optional(
      Type.Object(
        {
          statusCode: Type.String(),
          contentType: Type.Optional(Type.String()),
          messageBody: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, $id: "Action" },
);

const StringValues = Type.Object({ values: Type.Array(Type.String()) }, { additionalProperties: false });

export const Condition = Type.Object(
  {
    field: StringEnum([
      "path-pattern",
      "host-header",
      "http-header",
      "http-request-method",
      "query-string",
      "source-ip",
    ]),
    values: Type.Optional(Type.Array(Type.String())),
    hostHeaderConfig: Type.Optional(StringValues),
    pathPatternConfig: Type.Optional(StringValues),
    httpHeaderConfig: Type.Optional(
      Type.Object(
        { httpHeaderName: Type.String(), values: Type.Array(Type.String()) },
        { additionalProperties: false },
      ),
    ),
    httpRequestMethodConfig: Type.Optional(StringValues),
    queryStringConfig: Type.Optional(
      Type.Object(
        {
          values: Type.Array(
            Type.Object(
              { key: Type.Optional(Type.String()), value: Type.String() },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    sourceIpConfig: Type.Optional(StringValues),
  },
  { additionalProperties: false, $id: "RuleCondition" },
);

export const LoadBalancer = Type.Object(
  {
    loadBalancerArn: Type.String(),
    loadBalancerName: Type.String(),
    dnsName: Type.String(),
    canonicalHostedZoneId: Type.String(),
    createdTime: Type.String({ format: "date-time" }),
    scheme: Type.String(),
    vpcId: Type.String(),
    state: Type.Object({
      code: StringEnum(["provisioning", "active", "active_impaired", "failed"]),
      reason: Type.Optional(Type.String()),
    }),
    type: Type.String(),
    availabilityZones: Type.Array(Type.Object({ zoneName: Type.String(), subnetId: Type.String() })),
    securityGroups: Type.Array(Type.String()),
    ipAddressType: Type.String(),
  },
  { $id: "LoadBalancer" },
);

export const CreateLoadBalancer = Type.Object(
  {
    name: Type.String({ description: "1-32 alphanumerics or hyphens" }),
    scheme: Type.Optional(StringEnum(["internet-facing", "internal"])),
    type: Type.Optional(StringEnum(["application", "network"])),
    ipAddressType: Type.Optional(StringEnum(["ipv4", "dualstack"])),
    subnets: Type.Optional(Type.Array(Type.String())),
    securityGroups: Type.Optional(Type.Array(Type.String())),
    tags: Tags,
  },
  { additionalProperties: false },
);

const Certificate = Type.Object(
  { certificateArn: Type.String({ minLength: 1, maxLength: 2048, description: "An ACM certificate ARN" }) },
  { additionalProperties: false },
);

export const Listener = Type.Object(
  {
    listenerArn: Type.String(),
    loadBalancerArn: Type.String(),
    port: Type.Integer(),
    protocol: Type.String(),
    defaultActions: Type.Array(Type.Ref(Action)),
    sslPolicy: Type.Optional(Type.String()),
    certificates: Type.Optional(Type.Array(Certificate)),
    alpnPolicy: Type.Optional(Type.Array(Type.String())),
  },
  { $id: "Listener" },
);

export const CreateListener = Type.Object(
  {
    protocol: StringEnum(["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP"], {
      description: "HTTP or HTTPS on an application load balancer; TCP, TLS, UDP or TCP_UDP on a network one",
    }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    defaultActions: Type.Array(Type.Ref(Action), { minItems: 1 }),
    sslPolicy: Type.Optional(
      Type.String({ maxLength: 256, description: "An ELB security policy name (HTTPS and TLS listeners)" }),
    ),
    certificates: Type.Optional(
      Type.Array(Certificate, {
        maxItems: 1,
        description: "The default certificate (HTTPS and TLS listeners)",
      }),
    ),
    alpnPolicy: Type.Optional(
      Type.Array(StringEnum(["HTTP1Only", "HTTP2Only", "HTTP2Optional", "HTTP2Preferred", "None"]), {
        maxItems: 1,
        description: "The ALPN policy (TLS listeners)",
      }),
    ),
    tags: Tags,
  },
  { additionalProperties: false },
);

export const ModifyListener = Type.Partial(Type.Omit(CreateListener, ["tags"]), {
  additionalProperties: false,
});

export const ListenerCertificate = Type.Object({
  certificateArn: Type.String(),
  isDefault: Type.Boolean(),
});

export const ListenerCertificatesBody = Type.Object(
  { certificates: Type.Array(Certificate, { minItems: 1, maxItems: 25 }) },
  { additionalProperties: false },
);

export const SslPolicy = Type.Object({
  name: Type.String(),
  sslProtocols: Type.Array(Type.String()),
  ciphers: Type.Array(Type.Object({ name: Type.String(), priority: Type.Integer() })),
  supportedLoadBalancerTypes: Type.Array(Type.String()),
});

export const SslPolicyQuery = Type.Object(
  {
    names: Type.Optional(
      Type.Array(Type.String({ maxLength: 256 }), {
        maxItems: 100,
        description: "Policy names (repeat the parameter for several)",
      }),
    ),
    loadBalancerType: Type.Optional(StringEnum(["application", "network", "gateway"])),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 400 })),
    nextToken: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

export const Rule = Type.Object(
  {
    ruleArn: Type.String(),
    priority: Type.String({
      description: 'The priority as AWS gives it: a number as a string, or "default"',
    }),
    conditions: Type.Array(Type.Ref(Condition)),
    actions: Type.Array(Type.Ref(Action)),
    isDefault: Type.Boolean(),
  },
  { $id: "Rule" },
);

const Priority = Type.Union([
  Type.Integer({ minimum: 1, maximum: 50000 }),
  Type.String({ pattern: "^[0-9]+$" }),
]);

export const CreateRule = Type.Object(
  {
    priority: Priority,
    conditions: Type.Array(Type.Ref(Condition), { minItems: 1 }),
    actions: Type.Array(Type.Ref(Action), { minItems: 1 }),
    tags: Tags,
  },
  { additionalProperties: false },
);

export const ModifyRule = Type.Object(
  {
    conditions: Type.Optional(Type.Array(Type.Ref(Condition), { minItems: 1 })),
    actions: Type.Optional(Type.Array(Type.Ref(Action), { minItems: 1 })),
  },
  { additionalProperties: false },
);

export const RulePriorities = Type.Object(
  {
    rulePriorities: Type.Array(
      Type.Object({ ruleArn: Type.String(), priority: Priority }, { additionalProperties: false }),
      {
        minItems: 1,
      },
    ),
  },
  { additionalProperties: false },
);

const HealthCheckFields = {
  healthCheckEnabled: Type.Optional(Type.Boolean()),
  healthCheckProtocol: Type.Optional(
    StringEnum(["HTTP", "HTTPS", "TCP"], { description: "TCP for network target groups only" }),
  ),
  healthCheckPort: Type.Optional(Type.String({ description: '"traffic-port" or a port number' })),
  healthCheckPath: Type.Optional(Type.String()),
  healthCheckIntervalSeconds: Type.Optional(Type.Integer()),
  healthCheckTimeoutSeconds: Type.Optional(Type.Integer()),
  healthyThresholdCount: Type.Optional(Type.Integer()),
  unhealthyThresholdCount: Type.Optional(Type.Integer()),
  matcher: Type.Optional(Type.Object({ httpCode: Type.String() }, { additionalProperties: false })),
};

export const CreateTargetGroup = Type.Object(
  {
    name: Type.String(),
    protocol: Type.Optional(
      Type.String({ description: "HTTP or HTTPS (application), TCP, TLS, UDP or TCP_UDP (network)" }),
    ),
    protocolVersion: Type.Optional(StringEnum(["HTTP1", "HTTP2", "GRPC"])),
    port: Type.Optional(Type.Integer()),
    targetType: Type.Optional(Type.String({ description: "instance (default) or ip" })),
    vpcId: Type.Optional(Type.String()),
    ...HealthCheckFields,
    tags: Tags,
  },
  { additionalProperties: false },
);

export const ModifyTargetGroup = Type.Object(HealthCheckFields, { additionalProperties: false });

export const TargetGroup = Type.Object(
  {
    targetGroupArn: Type.String(),
    targetGroupName: Type.String(),
    protocol: Type.String(),
    protocolVersion: Type.Optional(Type.String({ description: "HTTP and HTTPS target groups" })),
    port: Type.Integer(),
    vpcId: Type.String(),
    healthCheckEnabled: Type.Boolean(),
    healthCheckProtocol: Type.String(),
    healthCheckPort: Type.String(),
    healthCheckPath: Type.Optional(Type.String({ description: "HTTP and HTTPS health checks" })),
    healthCheckIntervalSeconds: Type.Integer(),
    healthCheckTimeoutSeconds: Type.Integer(),
    healthyThresholdCount: Type.Integer(),
    unhealthyThresholdCount: Type.Integer(),
    matcher: Type.Optional(
      Type.Object({ httpCode: Type.String() }, { description: "HTTP and HTTPS health checks" }),
    ),
    targetType: Type.String(),
    ipAddressType: Type.String(),
    loadBalancerArns: Type.Array(Type.String()),
  },
  { $id: "TargetGroup" },
);

const Target = Type.Object(
  {
    id: Type.String(),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    availabilityZone: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const TargetsBody = Type.Object(
  { targets: Type.Array(Target, { minItems: 1 }) },
  { additionalProperties: false },
);

export const TargetHealthDescriptions = Type.Object({
  targetHealthDescriptions: Type.Array(
    Type.Object({
      target: Type.Object({
        id: Type.String(),
        port: Type.Integer(),
        availabilityZone: Type.Optional(Type.String()),
      }),
      healthCheckPort: Type.String(),
      targetHealth: Type.Object({
        state: StringEnum(["initial", "healthy", "unhealthy", "unused", "draining", "unavailable"]),
        reason: Type.Optional(Type.String()),
        description: Type.Optional(Type.String()),
      }),
    }),
  ),
});
