import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { errors, NameParams, PageOf, PageQuery } from "../schemas/common.ts";
import { CreateLoadBalancer, LoadBalancer } from "../schemas/elb.ts";
import { attributeRoutes } from "./attributes.ts";

const tags = ["Load balancers"];
const LoadBalancerRef = Type.Ref(LoadBalancer);

export const loadBalancerRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const lbs = services.loadBalancers;

  app.post(
    "/load-balancers",
    {
      schema: {
        tags,
        summary: "CreateLoadBalancer (idempotent for identical settings)",
        body: CreateLoadBalancer,
        response: { 201: LoadBalancerRef, 200: LoadBalancerRef, ...errors(400, 409) },
      },
    },
    async (request, reply) => {
      const { loadBalancer, created } = lbs.create(request.body);
      return reply.code(created ? 201 : 200).send(loadBalancer);
    },
  );

  app.get(
    "/load-balancers",
    {
      schema: {
        tags,
        summary: "DescribeLoadBalancers",
        querystring: PageQuery,
        response: { 200: PageOf("loadBalancers", LoadBalancerRef), ...errors(400) },
      },
    },
    async (request) => {
      const page = lbs.list(request.query);
      return { loadBalancers: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );

  app.get(
    "/load-balancers/:name",
    {
      schema: {
        tags,
        summary: "Describe one load balancer",
        params: NameParams,
        response: { 200: LoadBalancerRef, ...errors(404) },
      },
    },
    async (request) => lbs.get(request.params.name),
  );

  app.delete(
    "/load-balancers/:name",
    {
      schema: {
        tags,
        summary: "DeleteLoadBalancer (its listeners and rules go with it)",
        params: NameParams,
        response: { 204: Type.Null(), ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      lbs.delete(request.params.name);
      return reply.code(204).send(null);
    },
  );

  attributeRoutes(app, {
    path: "/load-balancers",
    tags,
    resource: "LoadBalancer",
    read: (name) => lbs.attributes(name),
    modify: (name, attributes) => lbs.modifyAttributes(name, attributes),
  });
};
