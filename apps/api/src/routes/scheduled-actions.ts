import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  FailedScheduledAction,
  ScheduledAction,
  ScheduledActionRequest,
  ScheduledActionSettings,
  type Services,
} from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { errors, NameParams, PageOf } from "../schemas/common.ts";

const tags = ["Scheduled actions"];
const ActionParams = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  actionName: Type.String({ minLength: 1, maxLength: 255 }),
});
const ListQuery = Type.Object(
  {
    pageSize: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 400, description: "Items per page (default 100)" }),
    ),
    nextToken: Type.Optional(Type.String({ description: "The nextToken of the previous page" })),
    startTime: Type.Optional(Type.String({ format: "date-time", description: "Next runs at or after this" })),
    endTime: Type.Optional(Type.String({ format: "date-time", description: "Next runs at or before this" })),
  },
  { additionalProperties: false },
);

/** Scheduled actions of a group: PutScheduledUpdateGroupAction and its kin, under the group's path. */
export const scheduledActionRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const actions = services.scheduledActions;

  app.put(
    "/auto-scaling-groups/:name/scheduled-actions/:actionName",
    {
      schema: {
        tags,
        summary: "PutScheduledUpdateGroupAction (creates, or replaces the action of that name)",
        params: ActionParams,
        body: ScheduledActionSettings,
        response: { 201: ScheduledAction, 200: ScheduledAction, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const { name, actionName } = request.params;
      const { action, created } = actions.put(name, { ...request.body, scheduledActionName: actionName });
      return reply.code(created ? 201 : 200).send(action);
    },
  );

  app.post(
    "/auto-scaling-groups/:name/scheduled-actions/batch-put",
    {
      schema: {
        tags,
        summary: "BatchPutScheduledUpdateGroupAction",
        params: NameParams,
        body: Type.Object(
          { scheduledUpdateGroupActions: Type.Array(ScheduledActionRequest, { minItems: 1, maxItems: 50 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ failedScheduledUpdateGroupActions: Type.Array(FailedScheduledAction) }),
          ...errors(400, 404),
        },
      },
    },
    async (request) => ({
      failedScheduledUpdateGroupActions: actions.batchPut(
        request.params.name,
        request.body.scheduledUpdateGroupActions,
      ),
    }),
  );

  app.get(
    "/auto-scaling-groups/:name/scheduled-actions",
    {
      schema: {
        tags,
        summary: "DescribeScheduledActions of a group (startTime and endTime bound their next run)",
        params: NameParams,
        querystring: ListQuery,
        response: { 200: PageOf("scheduledUpdateGroupActions", ScheduledAction), ...errors(400, 404) },
      },
    },
    async (request) => {
      const page = actions.list({ groupName: request.params.name, ...request.query });
      return {
        scheduledUpdateGroupActions: page.items,
        ...(page.nextToken && { nextToken: page.nextToken }),
      };
    },
  );

  app.get(
    "/auto-scaling-groups/:name/scheduled-actions/:actionName",
    {
      schema: {
        tags,
        summary: "Describe one scheduled action",
        params: ActionParams,
        response: { 200: ScheduledAction, ...errors(400, 404) },
      },
    },
    async (request) => actions.get(request.params.name, request.params.actionName),
  );

  app.delete(
    "/auto-scaling-groups/:name/scheduled-actions/:actionName",
    {
      schema: {
        tags,
        summary: "DeleteScheduledAction",
        params: ActionParams,
        response: { 204: Type.Null(), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      actions.delete(request.params.name, request.params.actionName);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/auto-scaling-groups/:name/scheduled-actions/batch-delete",
    {
      schema: {
        tags,
        summary: "BatchDeleteScheduledAction",
        params: NameParams,
        body: Type.Object(
          {
            scheduledActionNames: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), {
              minItems: 1,
              maxItems: 50,
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ failedScheduledActions: Type.Array(FailedScheduledAction) }),
          ...errors(400, 404),
        },
      },
    },
    async (request) => ({
      failedScheduledActions: actions.batchDelete(request.params.name, request.body.scheduledActionNames),
    }),
  );
};
