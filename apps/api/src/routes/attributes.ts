import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { Attribute } from "@scaleout/core";
import type { FastifyInstance } from "fastify";
import { AttributesBody, AttributesResponse, errors, NameParams } from "../schemas/common.ts";

/**
 * GET and PATCH `<path>/:name/attributes`: the Describe/Modify…Attributes pair that load balancers and
 * target groups share (AWS's key/value attribute lists).
 */
export function attributeRoutes(
  app: FastifyInstance,
  options: {
    path: string;
    tags: string[];
    /** The AWS operation names, e.g. "LoadBalancer" for DescribeLoadBalancerAttributes. */
    resource: string;
    read: (name: string) => Attribute[];
    modify: (name: string, attributes: Attribute[]) => Attribute[];
  },
): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  const url = `${options.path}/:name/attributes`;
  typed.get(
    url,
    {
      schema: {
        tags: options.tags,
        summary: `Describe${options.resource}Attributes`,
        params: NameParams,
        response: { 200: AttributesResponse, ...errors(404) },
      },
    },
    async (request) => ({ attributes: options.read(request.params.name) }),
  );
  typed.patch(
    url,
    {
      schema: {
        tags: options.tags,
        summary: `Modify${options.resource}Attributes`,
        params: NameParams,
        body: AttributesBody,
        response: { 200: AttributesResponse, ...errors(400, 404) },
      },
    },
    async (request) => ({ attributes: options.modify(request.params.name, request.body.attributes) }),
  );
}
