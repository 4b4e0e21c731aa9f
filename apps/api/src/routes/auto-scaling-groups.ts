import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import {
  Activity,
  AutoScalingGroup,
  CreateGroup,
  ExecutePolicy,
  Instance,
  PolicyExecution,
  PutPolicy,
  ScalingPolicy,
  UpdateGroup,
} from "../schemas/auto-scaling.ts";
import { errors, NameParams, PageOf, PageQuery } from "../schemas/common.ts";

const tags = ["Auto Scaling groups"];
const policyTags = ["Scaling policies"];
const GroupRef = Type.Ref(AutoScalingGroup);
const PolicyRef = Type.Ref(ScalingPolicy);
const PolicyParams = Type.Object({
  name: Type.String({ minLength: 1 }),
  policyName: Type.String({ minLength: 1, maxLength: 255 }),
});

export const autoScalingGroupRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const groups = services.groups;
  const policies = services.policies;

  app.post(
    "/auto-scaling-groups",
    {
      schema: {
        tags,
        summary: "CreateAutoScalingGroup",
        body: CreateGroup,
        response: { 201: GroupRef, ...errors(400, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(groups.create(request.body)),
  );

  app.get(
    "/auto-scaling-groups",
    {
      schema: {
        tags,
        summary: "DescribeAutoScalingGroups",
        querystring: PageQuery,
        response: { 200: PageOf("autoScalingGroups", GroupRef), ...errors(400) },
      },
    },
    async (request) => {
      const page = groups.list(request.query);
      return { autoScalingGroups: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );

  app.get(
    "/auto-scaling-groups/:name",
    {
      schema: {
        tags,
        summary: "Describe one group",
        params: NameParams,
        response: { 200: GroupRef, ...errors(404) },
      },
    },
    async (request) => groups.get(request.params.name),
  );

  app.patch(
    "/auto-scaling-groups/:name",
    {
      schema: {
        tags,
        summary: "UpdateAutoScalingGroup",
        params: NameParams,
        body: UpdateGroup,
        response: { 200: GroupRef, ...errors(400, 404, 409) },
      },
    },
    async (request) => groups.update(request.params.name, request.body),
  );

  app.delete(
    "/auto-scaling-groups/:name",
    {
      schema: {
        tags,
        summary: "DeleteAutoScalingGroup (forceDelete=true terminates its instances)",
        params: NameParams,
        querystring: Type.Object(
          { forceDelete: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      groups.delete(request.params.name, request.query);
      return reply.code(204).send(null);
    },
  );

  app.put(
    "/auto-scaling-groups/:name/desired-capacity",
    {
      schema: {
        tags,
        summary: "SetDesiredCapacity",
        params: NameParams,
        body: Type.Object(
          { desiredCapacity: Type.Integer({ minimum: 0 }), honorCooldown: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: { 200: GroupRef, ...errors(400, 404, 409) },
      },
    },
    async (request) => groups.setDesiredCapacity(request.params.name, request.body),
  );

  app.get(
    "/auto-scaling-groups/:name/instances",
    {
      schema: {
        tags,
        summary: "The group's instances (DescribeAutoScalingInstances)",
        params: NameParams,
        response: { 200: Type.Object({ instances: Type.Array(Type.Ref(Instance)) }), ...errors(404) },
      },
    },
    async (request) => ({ instances: groups.instances(request.params.name) }),
  );

  app.get(
    "/auto-scaling-groups/:name/activities",
    {
      schema: {
        tags,
        summary: "DescribeScalingActivities, newest first",
        params: NameParams,
        querystring: PageQuery,
        response: { 200: PageOf("activities", Type.Ref(Activity)), ...errors(400, 404) },
      },
    },
    async (request) => {
      const page = groups.activities(request.params.name, request.query);
      return { activities: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );

  app.post(
    "/auto-scaling-groups/:name/policies",
    {
      schema: {
        tags: policyTags,
        summary: "PutScalingPolicy (creates, or replaces the policy of that name)",
        params: NameParams,
        body: PutPolicy,
        response: { 201: PolicyRef, 200: PolicyRef, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const { policy, created } = policies.put(request.params.name, request.body);
      return reply.code(created ? 201 : 200).send(policy);
    },
  );

  app.get(
    "/auto-scaling-groups/:name/policies",
    {
      schema: {
        tags: policyTags,
        summary: "DescribePolicies of a group",
        params: NameParams,
        querystring: PageQuery,
        response: { 200: PageOf("scalingPolicies", PolicyRef), ...errors(400, 404) },
      },
    },
    async (request) => {
      const page = policies.list({ groupName: request.params.name, ...request.query });
      return { scalingPolicies: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );

  app.get(
    "/auto-scaling-groups/:name/policies/:policyName",
    {
      schema: {
        tags: policyTags,
        summary: "Describe one policy",
        params: PolicyParams,
        response: { 200: PolicyRef, ...errors(404) },
      },
    },
    async (request) => policies.get(request.params.name, request.params.policyName),
  );

  app.delete(
    "/auto-scaling-groups/:name/policies/:policyName",
    {
      schema: {
        tags: policyTags,
        summary: "DeletePolicy (a target tracking policy's alarms go with it)",
        params: PolicyParams,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (request, reply) => {
      policies.delete(request.params.name, request.params.policyName);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/auto-scaling-groups/:name/policies/:policyName/execute",
    {
      schema: {
        tags: policyTags,
        summary: "ExecutePolicy (simple and step scaling)",
        params: PolicyParams,
        body: Type.Optional(ExecutePolicy),
        response: { 200: PolicyExecution, ...errors(400, 404, 409) },
      },
      // ExecutePolicy takes no parameters for a simple policy: a POST without a body is { }.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => policies.execute(request.params.name, request.params.policyName, request.body ?? {}),
  );
};
