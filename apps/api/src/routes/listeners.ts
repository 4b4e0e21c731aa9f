import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import {
  AttributesBody,
  AttributesResponse,
  errors,
  IdParams,
  NameParams,
  PageOf,
  PageQuery,
} from "../schemas/common.ts";
import { CreateListener, Listener, ModifyListener } from "../schemas/elb.ts";

const tags = ["Listeners"];
const ListenerRef = Type.Ref(Listener);

export const listenerRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const listeners = services.listeners;

  app.post(
    "/load-balancers/:name/listeners",
    {
      schema: {
        tags,
        summary: "CreateListener (with its default rule)",
        params: NameParams,
        body: CreateListener,
        response: { 201: ListenerRef, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(listeners.create(request.params.name, request.body)),
  );

  app.get(
    "/load-balancers/:name/listeners",
    {
      schema: {
        tags,
        summary: "DescribeListeners of a load balancer",
        params: NameParams,
        querystring: PageQuery,
        response: { 200: PageOf("listeners", ListenerRef), ...errors(400, 404) },
      },
    },
    async (request) => {
      const page = listeners.list({ loadBalancerName: request.params.name, ...request.query });
      return { listeners: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );

  app.get(
    "/listeners/:id",
    {
      schema: {
        tags,
        summary: "Describe one listener",
        params: IdParams,
        response: { 200: ListenerRef, ...errors(404) },
      },
    },
    async (request) => listeners.get(request.params.id),
  );

  app.patch(
    "/listeners/:id",
    {
      schema: {
        tags,
        summary: "ModifyListener",
        params: IdParams,
        body: ModifyListener,
        response: { 200: ListenerRef, ...errors(400, 404, 409) },
      },
    },
    async (request) => listeners.modify(request.params.id, request.body),
  );

  app.delete(
    "/listeners/:id",
    {
      schema: {
        tags,
        summary: "DeleteListener",
        params: IdParams,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (request, reply) => {
      listeners.delete(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/listeners/:id/attributes",
    {
      schema: {
        tags,
        summary: "DescribeListenerAttributes (tcp.idle_timeout.seconds on NLB TCP listeners)",
        params: IdParams,
        response: { 200: AttributesResponse, ...errors(404) },
      },
    },
    async (request) => ({ attributes: services.listenerAttributes.attributes(request.params.id) }),
  );

  app.patch(
    "/listeners/:id/attributes",
    {
      schema: {
        tags,
        summary: "ModifyListenerAttributes",
        params: IdParams,
        body: AttributesBody,
        response: { 200: AttributesResponse, ...errors(400, 404) },
      },
    },
    async (request) => ({
      attributes: services.listenerAttributes.modifyAttributes(request.params.id, request.body.attributes),
    }),
  );
};
