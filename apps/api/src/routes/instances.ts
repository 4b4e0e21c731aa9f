import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type Services, shapes } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { errors } from "../schemas/common.ts";

/*
 * Every instance scaleout runs, as EC2's DescribeInstances sees them (groups' instances and detached
 * ones), with where each answers: `privateIpAddress` and `port`.
 */

const tags = ["Instances"];

export const instanceRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.get(
    "/instances",
    {
      schema: {
        tags,
        summary: "DescribeInstances (EC2): filter by group, state or instance id",
        querystring: Type.Object(
          {
            instanceId: Type.Optional(Type.Array(Type.String({ maxLength: 19 }), { maxItems: 100 })),
            groupName: Type.Optional(Type.String({ maxLength: 255 })),
            state: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 6 })),
            maxResults: Type.Optional(Type.Integer({ minimum: 5, maximum: 1000 })),
            nextToken: Type.Optional(Type.String({ maxLength: 1024 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            instances: Type.Array(shapes.Ec2Instance),
            nextToken: Type.Optional(Type.String()),
          }),
          ...errors(400),
        },
      },
    },
    async (request) => {
      const { instanceId, groupName, state, maxResults, nextToken } = request.query;
      const filters = [
        ...(groupName !== undefined ? [{ name: "tag:aws:autoscaling:groupName", values: [groupName] }] : []),
        ...(state !== undefined ? [{ name: "instance-state-name", values: state }] : []),
      ];
      const page = services.ec2Instances.describe({
        instanceIds: instanceId,
        filters,
        maxResults,
        nextToken,
      });
      return { instances: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );

  app.post(
    "/instances/:instanceId/terminate",
    {
      schema: {
        tags,
        summary: "TerminateInstanceInAutoScalingGroup: the group shrinks by one or launches a replacement",
        params: Type.Object({ instanceId: Type.String({ minLength: 1, maxLength: 19 }) }),
        body: Type.Object(
          { shouldDecrementDesiredCapacity: Type.Boolean() },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref(shapes.Activity), ...errors(400, 404) },
      },
    },
    async (request) =>
      services.instanceActions.terminate(request.params.instanceId, {
        shouldDecrementDesiredCapacity: request.body.shouldDecrementDesiredCapacity,
      }),
  );
};
