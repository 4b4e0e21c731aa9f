import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { PutWarmPool, type Services, WarmPool } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { errors, NameParams } from "../schemas/common.ts";

/* A group's warm pool: PutWarmPool, DescribeWarmPool, DeleteWarmPool under /auto-scaling-groups/{name}. */

const tags = ["Warm pools"];

const DescribeQuery = Type.Object(
  {
    pageSize: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 50, description: "Instances per page (default 50)" }),
    ),
    nextToken: Type.Optional(
      Type.String({ maxLength: 1024, description: "The nextToken of the previous page" }),
    ),
  },
  { additionalProperties: false },
);

const DeleteQuery = Type.Object(
  {
    forceDelete: Type.Optional(
      Type.Boolean({ description: "Delete the pool at once; the worker still terminates its instances" }),
    ),
  },
  { additionalProperties: false },
);

export const warmPoolRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const pools = services.warmPools;

  app.put(
    "/auto-scaling-groups/:name/warm-pool",
    {
      schema: {
        tags,
        summary: "PutWarmPool (creates the pool, or updates it: omitted fields keep their value)",
        params: NameParams,
        body: PutWarmPool,
        response: { 200: WarmPool, ...errors(400, 404) },
      },
    },
    async (request) => {
      pools.put(request.params.name, request.body);
      return pools.describe(request.params.name, { pageSize: 50 });
    },
  );

  app.get(
    "/auto-scaling-groups/:name/warm-pool",
    {
      schema: {
        tags,
        summary: "DescribeWarmPool (no warmPoolConfiguration when the group has no pool)",
        params: NameParams,
        querystring: DescribeQuery,
        response: { 200: WarmPool, ...errors(400, 404) },
      },
    },
    async (request) =>
      pools.describe(request.params.name, { pageSize: request.query.pageSize ?? 50, ...request.query }),
  );

  app.delete(
    "/auto-scaling-groups/:name/warm-pool",
    {
      schema: {
        tags,
        summary: "DeleteWarmPool (status PendingDelete until its instances have terminated)",
        params: NameParams,
        querystring: DeleteQuery,
        response: { 204: Type.Null(), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      pools.delete(request.params.name, { forceDelete: request.query.forceDelete });
      return reply.code(204).send(null);
    },
  );
};
