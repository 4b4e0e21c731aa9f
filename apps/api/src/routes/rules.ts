import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { errors, IdParams, PageOf, PageQuery } from "../schemas/common.ts";
import { CreateRule, ModifyRule, Rule, RulePriorities } from "../schemas/elb.ts";

const tags = ["Rules"];
const RuleRef = Type.Ref(Rule);

export const ruleRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const rules = services.rules;

  app.post(
    "/listeners/:id/rules",
    {
      schema: {
        tags,
        summary: "CreateRule",
        params: IdParams,
        body: CreateRule,
        response: { 201: RuleRef, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(rules.create(request.params.id, request.body)),
  );

  app.get(
    "/listeners/:id/rules",
    {
      schema: {
        tags,
        summary: "DescribeRules of a listener, in evaluation order (default rule last)",
        params: IdParams,
        querystring: PageQuery,
        response: { 200: PageOf("rules", RuleRef), ...errors(400, 404) },
      },
    },
    async (request) => {
      const page = rules.list({ listenerId: request.params.id, ...request.query });
      return { rules: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );

  app.put(
    "/listeners/:id/rule-priorities",
    {
      schema: {
        tags,
        summary: "SetRulePriorities (applied together, so priorities can swap)",
        params: IdParams,
        body: RulePriorities,
        response: { 200: Type.Object({ rules: Type.Array(RuleRef) }), ...errors(400, 404, 409) },
      },
    },
    async (request) => ({ rules: rules.setPriorities(request.params.id, request.body.rulePriorities) }),
  );

  app.get(
    "/rules/:id",
    {
      schema: {
        tags,
        summary: "Describe one rule",
        params: IdParams,
        response: { 200: RuleRef, ...errors(404) },
      },
    },
    async (request) => rules.get(request.params.id),
  );

  app.patch(
    "/rules/:id",
    {
      schema: {
        tags,
        summary: "ModifyRule",
        params: IdParams,
        body: ModifyRule,
        response: { 200: RuleRef, ...errors(400, 404, 409) },
      },
    },
    async (request) => rules.modify(request.params.id, request.body),
  );

  app.delete(
    "/rules/:id",
    {
      schema: {
        tags,
        summary: "DeleteRule (not the default rule)",
        params: IdParams,
        response: { 204: Type.Null(), ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      rules.delete(request.params.id);
      return reply.code(204).send(null);
    },
  );
};
