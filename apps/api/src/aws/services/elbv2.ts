import { type AwsError, Errors } from "@scaleout/core";
import { type AwsService, ignoring, operation, pageOfList, validationErrors } from "../operation.ts";
import { bool, int, list, req, str, struct, unsupported } from "../shapes.ts";
import { listenerOperations } from "./elbv2-listeners.ts";
import {
  Action,
  Attribute,
  Empty,
  HealthCheckSettings,
  LoadBalancer,
  page,
  paging,
  Rule,
  RuleCondition,
  Tag,
  TargetDescription,
  TargetGroup,
  toActions,
  toConditions,
} from "./elbv2-shapes.ts";

const ignored =
  "Subnets, SubnetMappings and SecurityGroups are accepted and ignored: every load balancer listens on this machine.";

// ---- Operations ------------------------------------------------------------------------------------------

const operations = {
  CreateLoadBalancer: operation({
    input: struct({
      name: req(str),
      subnets: list(str),
      subnetMappings: list(struct({ subnetId: str })),
      securityGroups: list(str),
      scheme: str,
      tags: list(Tag),
      type: str,
      ipAddressType: str,
      customerOwnedIpv4Pool: unsupported("CustomerOwnedIpv4Pool (Outposts) is not supported by scaleout"),
    }),
    output: struct({ loadBalancers: list(LoadBalancer) }),
    support: "partial",
    notes: `Types application and network (Type gateway is refused). ${ignored}`,
    run: (input, { services }) => ({
      loadBalancers: [
        services.loadBalancers.create({
          name: input.name,
          ...(input.scheme !== undefined && { scheme: input.scheme }),
          ...(input.type !== undefined && { type: input.type }),
          ...(input.ipAddressType !== undefined && { ipAddressType: input.ipAddressType }),
          ...(input.tags !== undefined && { tags: input.tags }),
        }).loadBalancer,
      ],
    }),
  }),

  DescribeLoadBalancers: operation({
    input: struct({ loadBalancerArns: list(str), names: list(str), ...page }),
    output: struct({ loadBalancers: list(LoadBalancer), nextMarker: str }),
    support: "implemented",
    run: (input, { services }) => {
      const result = services.loadBalancers.list({
        ...(input.loadBalancerArns !== undefined && { arns: input.loadBalancerArns }),
        ...(input.names !== undefined && { names: input.names }),
        ...paging(input),
      });
      return { loadBalancers: result.items, nextMarker: result.nextToken };
    },
  }),

  DeleteLoadBalancer: operation({
    input: struct({ loadBalancerArn: req(str) }),
    output: Empty,
    support: "implemented",
    notes: "Deleting a load balancer that does not exist succeeds, as in AWS.",
    run: (input, { services }) => {
      ignoring(["LoadBalancerNotFound"], () => services.loadBalancers.delete(input.loadBalancerArn));
      return {};
    },
  }),

  DescribeLoadBalancerAttributes: operation({
    input: struct({ loadBalancerArn: req(str) }),
    output: struct({ attributes: list(Attribute) }),
    support: "implemented",
    run: (input, { services }) => ({ attributes: services.loadBalancers.attributes(input.loadBalancerArn) }),
  }),

  ModifyLoadBalancerAttributes: operation({
    input: struct({ loadBalancerArn: req(str), attributes: req(list(Attribute)) }),
    output: struct({ attributes: list(Attribute) }),
    support: "implemented",
    run: (input, { services }) => ({
      attributes: services.loadBalancers.modifyAttributes(
        input.loadBalancerArn,
        input.attributes.map((a) => ({ key: a.key ?? "", value: a.value ?? "" })),
      ),
    }),
  }),

  CreateTargetGroup: operation({
    input: struct({
      name: req(str),
      protocol: str,
      protocolVersion: str,
      port: int,
      vpcId: str,
      ...HealthCheckSettings,
      targetType: str,
      tags: list(Tag),
      ipAddressType: str,
      targetControlPort: unsupported("TargetControlPort is not supported by scaleout"),
    }),
    output: struct({ targetGroups: list(TargetGroup) }),
    support: "partial",
    notes:
      "Target types instance and ip; protocols HTTP and HTTPS (Application Load Balancers) and TCP, TLS, UDP and TCP_UDP (Network Load Balancers); IpAddressType ipv4.",
    run: (input, { services }) => {
      const { name, ipAddressType, tags, matcher, ...settings } = input;
      if (ipAddressType !== undefined && ipAddressType !== "ipv4")
        throw new Errors.ValidationError(
          `IpAddressType '${ipAddressType}' is not supported: scaleout target groups are ipv4`,
        );
      return {
        targetGroups: [
          services.targetGroups.create({
            name,
            ...settings,
            ...(matcher !== undefined && {
              matcher: { ...(matcher.httpCode !== undefined && { httpCode: matcher.httpCode }) },
            }),
            ...(tags !== undefined && { tags }),
          }).targetGroup,
        ],
      };
    },
  }),

  DescribeTargetGroups: operation({
    input: struct({ loadBalancerArn: str, targetGroupArns: list(str), names: list(str), ...page }),
    output: struct({ targetGroups: list(TargetGroup), nextMarker: str }),
    support: "implemented",
    run: (input, { services }) => {
      if (input.loadBalancerArn !== undefined) services.loadBalancers.get(input.loadBalancerArn);
      const result = services.targetGroups.list({
        ...(input.targetGroupArns !== undefined && { arns: input.targetGroupArns }),
        ...(input.names !== undefined && { names: input.names }),
        ...(input.loadBalancerArn !== undefined && { loadBalancerArn: input.loadBalancerArn }),
        ...paging(input),
      });
      return { targetGroups: result.items, nextMarker: result.nextToken };
    },
  }),

  ModifyTargetGroup: operation({
    input: struct({ targetGroupArn: req(str), ...HealthCheckSettings }),
    output: struct({ targetGroups: list(TargetGroup) }),
    support: "implemented",
    run: (input, { services }) => {
      const { targetGroupArn, matcher, ...settings } = input;
      return {
        targetGroups: [
          services.targetGroups.modify(targetGroupArn, {
            ...settings,
            ...(matcher !== undefined && {
              matcher: { ...(matcher.httpCode !== undefined && { httpCode: matcher.httpCode }) },
            }),
          }),
        ],
      };
    },
  }),

  DeleteTargetGroup: operation({
    input: struct({ targetGroupArn: req(str) }),
    output: Empty,
    support: "implemented",
    notes: "Deleting a target group that does not exist succeeds, as in AWS.",
    run: (input, { services }) => {
      ignoring(["TargetGroupNotFound"], () => services.targetGroups.delete(input.targetGroupArn));
      return {};
    },
  }),

  DescribeTargetGroupAttributes: operation({
    input: struct({ targetGroupArn: req(str) }),
    output: struct({ attributes: list(Attribute) }),
    support: "implemented",
    run: (input, { services }) => ({ attributes: services.targetGroups.attributes(input.targetGroupArn) }),
  }),

  ModifyTargetGroupAttributes: operation({
    input: struct({ targetGroupArn: req(str), attributes: req(list(Attribute)) }),
    output: struct({ attributes: list(Attribute) }),
    support: "implemented",
    notes: "load_balancing.algorithm.type also takes scaleout's ip_hash and least_response_time.",
    run: (input, { services }) => ({
      attributes: services.targetGroups.modifyAttributes(
        input.targetGroupArn,
        input.attributes.map((a) => ({ key: a.key ?? "", value: a.value ?? "" })),
      ),
    }),
  }),

  RegisterTargets: operation({
    input: struct({ targetGroupArn: req(str), targets: req(list(TargetDescription)) }),
    output: Empty,
    support: "implemented",
    notes: "IP targets must be loopback or private addresses; instance targets must be instances of a group.",
    run: (input, { services }) => {
      services.targetGroups.register(input.targetGroupArn, input.targets);
      return {};
    },
  }),

  DeregisterTargets: operation({
    input: struct({ targetGroupArn: req(str), targets: req(list(TargetDescription)) }),
    output: Empty,
    support: "implemented",
    run: (input, { services }) => {
      services.targetGroups.deregister(input.targetGroupArn, input.targets);
      return {};
    },
  }),

  DescribeTargetHealth: operation({
    input: struct({ targetGroupArn: req(str), targets: list(TargetDescription), include: list(str) }),
    output: struct({
      targetHealthDescriptions: list(
        struct({
          target: TargetDescription,
          healthCheckPort: str,
          targetHealth: struct({ state: str, reason: str, description: str }),
        }),
      ),
    }),
    support: "implemented",
    notes: "Anomaly detection is not reported (Include is ignored).",
    run: (input, { services }) => ({
      targetHealthDescriptions: services.targetGroups.health(input.targetGroupArn, input.targets),
    }),
  }),

  ...listenerOperations,

  CreateRule: operation({
    input: struct({
      listenerArn: req(str),
      conditions: req(list(RuleCondition)),
      priority: req(int),
      actions: req(list(Action)),
      tags: list(Tag),
      transforms: unsupported("Rule transforms are not supported by scaleout"),
    }),
    output: struct({ rules: list(Rule) }),
    support: "implemented",
    run: (input, { services }) => ({
      rules: [
        services.rules.create(input.listenerArn, {
          priority: input.priority,
          conditions: toConditions(input.conditions) ?? [],
          actions: toActions(input.actions) ?? [],
          ...(input.tags !== undefined && { tags: input.tags }),
        }),
      ],
    }),
  }),

  DescribeRules: operation({
    input: struct({ listenerArn: str, ruleArns: list(str), ...page }),
    output: struct({ rules: list(Rule), nextMarker: str }),
    support: "implemented",
    run: (input, { services }) => {
      const result = services.rules.list({
        ...(input.listenerArn !== undefined && { listenerId: input.listenerArn }),
        ...(input.ruleArns !== undefined && { ruleArns: input.ruleArns }),
        ...paging(input),
      });
      return { rules: result.items, nextMarker: result.nextToken };
    },
  }),

  ModifyRule: operation({
    input: struct({
      ruleArn: req(str),
      conditions: list(RuleCondition),
      actions: list(Action),
      transforms: unsupported("Rule transforms are not supported by scaleout"),
      resetTransforms: bool,
    }),
    output: struct({ rules: list(Rule) }),
    support: "implemented",
    run: (input, { services }) => {
      const conditions = toConditions(input.conditions);
      const actions = toActions(input.actions);
      return {
        rules: [
          services.rules.modify(input.ruleArn, {
            ...(conditions !== undefined && { conditions }),
            ...(actions !== undefined && { actions }),
          }),
        ],
      };
    },
  }),

  DeleteRule: operation({
    input: struct({ ruleArn: req(str) }),
    output: Empty,
    support: "implemented",
    run: (input, { services }) => {
      services.rules.delete(input.ruleArn);
      return {};
    },
  }),

  SetRulePriorities: operation({
    input: struct({ rulePriorities: req(list(struct({ ruleArn: req(str), priority: req(int) }))) }),
    output: struct({ rules: list(Rule) }),
    support: "implemented",
    run: (input, { services }) => ({ rules: services.rules.setPriorities(undefined, input.rulePriorities) }),
  }),

  AddTags: operation({
    input: struct({ resourceArns: req(list(str)), tags: req(list(Tag)) }),
    output: Empty,
    support: "implemented",
    run: (input, { services }) => {
      services.tagging.elb.add(input.resourceArns, input.tags);
      return {};
    },
  }),

  RemoveTags: operation({
    input: struct({ resourceArns: req(list(str)), tagKeys: req(list(str)) }),
    output: Empty,
    support: "implemented",
    run: (input, { services }) => {
      services.tagging.elb.remove(input.resourceArns, input.tagKeys);
      return {};
    },
  }),

  DescribeTags: operation({
    input: struct({ resourceArns: req(list(str)) }),
    output: struct({ tagDescriptions: list(struct({ resourceArn: str, tags: list(Tag) })) }),
    support: "implemented",
    run: (input, { services }) => ({ tagDescriptions: services.tagging.elb.describe(input.resourceArns) }),
  }),

  DescribeAccountLimits: operation({
    input: struct(page),
    output: struct({ limits: list(struct({ name: str, max: str })), nextMarker: str }),
    support: "implemented",
    notes: "AWS's default quotas; scaleout enforces rules, targets and condition limits.",
    run: (input, { services }) => {
      const result = pageOfList(services.instanceActions.elbLimits(), (l) => l.name, paging(input));
      return { limits: result.items, nextMarker: result.nextToken };
    },
  }),
};

export const elbv2: AwsService = {
  id: "elbv2",
  title: "Elastic Load Balancing v2",
  version: "2015-12-01",
  xmlns: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
  signingName: "elasticloadbalancing",
  wire: "query",
  operations,
  inputErrors: validationErrors,
  // ELB answers every client error with 400 (REST uses 404 and 409 where they fit).
  translate: (error: AwsError) => ({
    code: error.code,
    status: error.statusCode >= 500 ? error.statusCode : 400,
    message: error.message,
  }),
};
