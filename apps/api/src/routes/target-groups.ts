import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { errors, NameParams, PageOf, PageQuery } from "../schemas/common.ts";
import {
  CreateTargetGroup,
  ModifyTargetGroup,
  TargetGroup,
  TargetHealthDescriptions,
  TargetsBody,
} from "../schemas/elb.ts";
import { attributeRoutes } from "./attributes.ts";

const tags = ["Target groups"];
const TargetGroupRef = Type.Ref(TargetGroup);

export const targetGroupRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const groups = services.targetGroups;

  app.post(
    "/target-groups",
    {
      schema: {
        tags,
        summary: "CreateTargetGroup (idempotent for identical settings)",
        body: CreateTargetGroup,
        response: { 201: TargetGroupRef, 200: TargetGroupRef, ...errors(400, 409) },
      },
    },
    async (request, reply) => {
      const { targetGroup, created } = groups.create(request.body);
      return reply.code(created ? 201 : 200).send(targetGroup);
    },
  );

  app.get(
    "/target-groups",
    {
      schema: {
        tags,
        summary: "DescribeTargetGroups",
        querystring: Type.Composite(
          [PageQuery, Type.Object({ loadBalancerArn: Type.Optional(Type.String()) })],
          {
            additionalProperties: false,
          },
        ),
        response: { 200: PageOf("targetGroups", TargetGroupRef), ...errors(400) },
      },
    },
    async (request) => {
      const page = groups.list(request.query);
      return { targetGroups: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );

  app.get(
    "/target-groups/:name",
    {
      schema: {
        tags,
        summary: "Describe one target group",
        params: NameParams,
        response: { 200: TargetGroupRef, ...errors(404) },
      },
    },
    async (request) => groups.get(request.params.name),
  );

  app.patch(
    "/target-groups/:name",
    {
      schema: {
        tags,
        summary: "ModifyTargetGroup (health check settings)",
        params: NameParams,
        body: ModifyTargetGroup,
        response: { 200: TargetGroupRef, ...errors(400, 404) },
      },
    },
    async (request) => groups.modify(request.params.name, request.body),
  );

  app.delete(
    "/target-groups/:name",
    {
      schema: {
        tags,
        summary: "DeleteTargetGroup (ResourceInUse while a listener, rule or group uses it)",
        params: NameParams,
        response: { 204: Type.Null(), ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      groups.delete(request.params.name);
      return reply.code(204).send(null);
    },
  );

  attributeRoutes(app, {
    path: "/target-groups",
    tags,
    resource: "TargetGroup",
    read: (name) => groups.attributes(name),
    modify: (name, attributes) => groups.modifyAttributes(name, attributes),
  });

  app.post(
    "/target-groups/:name/targets",
    {
      schema: {
        tags,
        summary: "RegisterTargets",
        params: NameParams,
        body: TargetsBody,
        response: { 200: Type.Object({}), ...errors(400, 404) },
      },
    },
    async (request) => {
      groups.register(request.params.name, request.body.targets);
      return {};
    },
  );

  app.post(
    "/target-groups/:name/targets/deregister",
    {
      schema: {
        tags,
        summary: "DeregisterTargets (targets drain for the deregistration delay)",
        params: NameParams,
        body: TargetsBody,
        response: { 200: Type.Object({}), ...errors(400, 404) },
      },
    },
    async (request) => {
      groups.deregister(request.params.name, request.body.targets);
      return {};
    },
  );

  app.get(
    "/target-groups/:name/health",
    {
      schema: {
        tags,
        summary: "DescribeTargetHealth",
        params: NameParams,
        response: { 200: TargetHealthDescriptions, ...errors(404) },
      },
    },
    async (request) => ({ targetHealthDescriptions: groups.health(request.params.name) }),
  );
};
