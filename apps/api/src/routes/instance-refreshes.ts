import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type Services, shapes } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { errors, NameParams, PageOf } from "../schemas/common.ts";

/* A group's instance refreshes: start, describe, cancel, roll back (the worker carries them out). */

const tags = ["Auto Scaling groups"];
const RefreshQuery = Type.Object(
  {
    pageSize: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: "Items per page (default 50)" }),
    ),
    nextToken: Type.Optional(Type.String({ description: "The nextToken of the previous page" })),
  },
  { additionalProperties: false },
);

export const instanceRefreshRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const refreshes = services.instanceRefreshes;

  app.post(
    "/auto-scaling-groups/:name/instance-refreshes",
    {
      schema: {
        tags,
        summary:
          "StartInstanceRefresh (Rolling): replace the group's instances with its desired configuration",
        params: NameParams,
        body: shapes.StartInstanceRefresh,
        response: { 201: shapes.InstanceRefreshId, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(refreshes.start(request.params.name, request.body)),
  );

  app.get(
    "/auto-scaling-groups/:name/instance-refreshes",
    {
      schema: {
        tags,
        summary: "DescribeInstanceRefreshes (newest first)",
        params: NameParams,
        querystring: RefreshQuery,
        response: { 200: PageOf("instanceRefreshes", shapes.InstanceRefresh), ...errors(400, 404) },
      },
    },
    async (request) => {
      const page = refreshes.describe(request.params.name, request.query);
      return { instanceRefreshes: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );

  app.post(
    "/auto-scaling-groups/:name/instance-refreshes/cancel",
    {
      schema: {
        tags,
        summary: "CancelInstanceRefresh (instances already launching finish first; nothing is rolled back)",
        params: NameParams,
        response: { 200: shapes.InstanceRefreshId, ...errors(400, 404) },
      },
    },
    async (request) => refreshes.cancel(request.params.name),
  );

  app.post(
    "/auto-scaling-groups/:name/instance-refreshes/rollback",
    {
      schema: {
        tags,
        summary: "RollbackInstanceRefresh (back to the group's own launch template version)",
        params: NameParams,
        response: { 200: shapes.InstanceRefreshId, ...errors(400, 404, 409) },
      },
    },
    async (request) => refreshes.rollback(request.params.name),
  );
};
