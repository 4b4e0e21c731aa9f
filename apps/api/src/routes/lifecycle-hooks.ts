import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  CompleteLifecycleAction,
  LifecycleAction,
  LifecycleActionHeartbeat,
  LifecycleHook,
  PutLifecycleHook,
  type Services,
} from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { errors, NameParams } from "../schemas/common.ts";

/*
 * Lifecycle hooks of a group (PutLifecycleHook, DescribeLifecycleHooks, DeleteLifecycleHook) and their
 * actions (CompleteLifecycleAction, RecordLifecycleActionHeartbeat), the services' shapes as they are.
 */

const tags = ["Lifecycle hooks"];
// The declarations carry an $id for the AWS door's names; the routes use their members inline.
const Hook = Type.Object(LifecycleHook.properties);
const Action = Type.Object(LifecycleAction.properties);
const HookParams = Type.Object({
  name: NameParams.properties.name,
  hookName: Type.String({ minLength: 1, maxLength: 255 }),
});

export const lifecycleHookRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const hooks = services.lifecycleHooks;

  app.get(
    "/lifecycle-hook-types",
    {
      schema: {
        tags,
        summary: "DescribeLifecycleHookTypes",
        response: { 200: Type.Object({ lifecycleHookTypes: Type.Array(Type.String()) }), ...errors() },
      },
    },
    async () => ({ lifecycleHookTypes: hooks.types() }),
  );

  app.get(
    "/auto-scaling-groups/:name/lifecycle-hooks",
    {
      schema: {
        tags,
        summary: "DescribeLifecycleHooks",
        params: NameParams,
        response: { 200: Type.Object({ lifecycleHooks: Type.Array(Hook) }), ...errors(400, 404) },
      },
    },
    async (request) => ({ lifecycleHooks: hooks.describe(request.params.name) }),
  );

  app.put(
    "/auto-scaling-groups/:name/lifecycle-hooks/:hookName",
    {
      schema: {
        tags,
        summary: "PutLifecycleHook (creates the hook, or updates the members given)",
        params: HookParams,
        body: PutLifecycleHook,
        response: { 200: Hook, ...errors(400, 404) },
      },
    },
    async (request) => hooks.put(request.params.name, request.params.hookName, request.body),
  );

  app.get(
    "/auto-scaling-groups/:name/lifecycle-hooks/:hookName",
    {
      schema: {
        tags,
        summary: "Describe one lifecycle hook",
        params: HookParams,
        response: { 200: Hook, ...errors(400, 404) },
      },
    },
    async (request) => hooks.get(request.params.name, request.params.hookName),
  );

  app.delete(
    "/auto-scaling-groups/:name/lifecycle-hooks/:hookName",
    {
      schema: {
        tags,
        summary: "DeleteLifecycleHook (open actions end: ABANDON when launching, CONTINUE when terminating)",
        params: HookParams,
        response: { 204: Type.Null(), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      hooks.delete(request.params.name, request.params.hookName);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/auto-scaling-groups/:name/lifecycle-hooks/:hookName/complete",
    {
      schema: {
        tags,
        summary: "CompleteLifecycleAction (by lifecycleActionToken or instanceId)",
        params: HookParams,
        body: CompleteLifecycleAction,
        response: { 204: Type.Null(), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      hooks.complete(request.params.name, request.params.hookName, request.body);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/auto-scaling-groups/:name/lifecycle-hooks/:hookName/heartbeat",
    {
      schema: {
        tags,
        summary: "RecordLifecycleActionHeartbeat (by lifecycleActionToken or instanceId)",
        params: HookParams,
        body: LifecycleActionHeartbeat,
        response: { 204: Type.Null(), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      hooks.heartbeat(request.params.name, request.params.hookName, request.body);
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/auto-scaling-groups/:name/lifecycle-actions",
    {
      schema: {
        tags,
        summary: "The lifecycle actions the group's instances wait on, with their tokens (scaleout only)",
        params: NameParams,
        response: { 200: Type.Object({ lifecycleActions: Type.Array(Action) }), ...errors(400, 404) },
      },
    },
    async (request) => ({ lifecycleActions: hooks.actions(request.params.name) }),
  );
};
