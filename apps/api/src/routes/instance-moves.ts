import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type Services, shapes } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { Activity } from "../schemas/auto-scaling.ts";
import { errors, NameParams } from "../schemas/common.ts";

/*
 * Moving a group's instances in and out of service (EnterStandby, ExitStandby, DetachInstances,
 * AttachInstances), their scale-in protection (SetInstanceProtection), and the group's suspended
 * processes (SuspendProcesses, ResumeProcesses, DescribeScalingProcessTypes).
 */

const tags = ["Auto Scaling groups"];
const Activities = Type.Object({ activities: Type.Array(Type.Ref(Activity)) });

export const instanceMoveRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    "/auto-scaling-groups/:name/instances/enter-standby",
    {
      schema: {
        tags,
        summary: "EnterStandby: deregistered, not counted, not health-checked until ExitStandby",
        params: NameParams,
        body: shapes.MoveOutOfService,
        response: { 200: Activities, ...errors(400, 404) },
      },
    },
    async (request) => ({ activities: services.standby.enter(request.params.name, request.body) }),
  );

  app.post(
    "/auto-scaling-groups/:name/instances/exit-standby",
    {
      schema: {
        tags,
        summary: "ExitStandby: Pending, then InService and registered again",
        params: NameParams,
        body: shapes.MoveIntoService,
        response: { 200: Activities, ...errors(400, 404) },
      },
    },
    async (request) => ({ activities: services.standby.exit(request.params.name, request.body) }),
  );

  app.post(
    "/auto-scaling-groups/:name/instances/detach",
    {
      schema: {
        tags,
        summary: "DetachInstances: the instances keep running outside the group",
        params: NameParams,
        body: shapes.MoveOutOfService,
        response: { 200: Activities, ...errors(400, 404) },
      },
    },
    async (request) => ({ activities: services.attachments.detach(request.params.name, request.body) }),
  );

  app.post(
    "/auto-scaling-groups/:name/instances/attach",
    {
      schema: {
        tags,
        summary: "AttachInstances: running instances outside any group (detached ones) join this one",
        params: NameParams,
        body: shapes.MoveIntoService,
        response: { 204: Type.Null(), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      services.attachments.attach(request.params.name, request.body);
      return reply.code(204).send(null);
    },
  );

  app.put(
    "/auto-scaling-groups/:name/instances/protection",
    {
      schema: {
        tags,
        summary: "SetInstanceProtection (scale-in protection)",
        params: NameParams,
        body: shapes.SetInstanceProtection,
        response: { 204: Type.Null(), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      services.protection.set(request.params.name, request.body);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/auto-scaling-groups/:name/suspended-processes",
    {
      schema: {
        tags,
        summary: "SuspendProcesses (every process when scalingProcesses is absent or empty)",
        params: NameParams,
        body: shapes.ScalingProcessList,
        response: { 204: Type.Null(), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      services.scalingProcesses.suspend(request.params.name, request.body);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    "/auto-scaling-groups/:name/suspended-processes",
    {
      schema: {
        tags,
        summary: "ResumeProcesses (every process when scalingProcesses is absent or empty)",
        params: NameParams,
        querystring: shapes.ScalingProcessList,
        response: { 204: Type.Null(), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      services.scalingProcesses.resume(request.params.name, request.query);
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/scaling-process-types",
    {
      schema: {
        tags,
        summary: "DescribeScalingProcessTypes",
        response: { 200: Type.Object({ processes: Type.Array(shapes.ProcessType) }) },
      },
    },
    async () => ({ processes: services.scalingProcesses.types() }),
  );
};
