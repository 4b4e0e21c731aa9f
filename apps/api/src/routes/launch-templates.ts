import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "@scaleout/services";
import { shapes } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { CreateLaunchTemplate, LaunchTemplate } from "../schemas/auto-scaling.ts";
import { errors, NameParams, PageOf, PageQuery } from "../schemas/common.ts";

const tags = ["Launch templates"];
const LaunchTemplateRef = Type.Ref(LaunchTemplate);

export const launchTemplateRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const templates = services.launchTemplates;

  app.post(
    "/launch-templates",
    {
      schema: {
        tags,
        summary:
          "CreateLaunchTemplate: what each instance runs (image and/or command, environment, port, limits)",
        body: CreateLaunchTemplate,
        response: { 201: LaunchTemplateRef, ...errors(400, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(templates.create(request.body)),
  );

  app.get(
    "/launch-templates",
    {
      schema: {
        tags,
        summary: "DescribeLaunchTemplates",
        querystring: PageQuery,
        response: { 200: PageOf("launchTemplates", LaunchTemplateRef), ...errors(400) },
      },
    },
    async (request) => {
      const page = templates.list(request.query);
      return { launchTemplates: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );

  app.get(
    "/launch-templates/:name",
    {
      schema: {
        tags,
        summary: "Describe one launch template (name or lt- id) with its default version",
        params: NameParams,
        response: { 200: LaunchTemplateRef, ...errors(404) },
      },
    },
    async (request) => templates.get(request.params.name),
  );

  app.delete(
    "/launch-templates/:name",
    {
      schema: {
        tags,
        summary: "DeleteLaunchTemplate (ResourceInUse while a group launches from it)",
        params: NameParams,
        response: { 204: Type.Null(), ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      templates.delete(request.params.name);
      return reply.code(204).send(null);
    },
  );

  app.patch(
    "/launch-templates/:name",
    {
      schema: {
        tags,
        summary: "ModifyLaunchTemplate: set the default version (groups on $Default launch from it)",
        params: NameParams,
        body: shapes.ModifyLaunchTemplate,
        response: { 200: LaunchTemplateRef, ...errors(400, 404) },
      },
    },
    async (request) => {
      templates.setDefaultVersion(request.params.name, request.body.defaultVersion);
      return templates.get(request.params.name);
    },
  );

  app.post(
    "/launch-templates/:name/versions",
    {
      schema: {
        tags,
        summary: "CreateLaunchTemplateVersion (members not given come from sourceVersion's data)",
        params: NameParams,
        body: shapes.CreateLaunchTemplateVersion,
        response: { 201: shapes.LaunchTemplateVersionView, ...errors(400, 404) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(templates.createVersion(request.params.name, request.body)),
  );

  app.get(
    "/launch-templates/:name/versions",
    {
      schema: {
        tags,
        summary: "DescribeLaunchTemplateVersions",
        params: NameParams,
        response: {
          200: Type.Object({ launchTemplateVersions: Type.Array(shapes.LaunchTemplateVersionView) }),
          ...errors(400, 404),
        },
      },
    },
    async (request) => ({ launchTemplateVersions: templates.versions(request.params.name) }),
  );

  app.get(
    "/instances/:instanceId/launch-template-data",
    {
      schema: {
        tags,
        summary: "GetLaunchTemplateData: the template version data an instance was launched from",
        params: Type.Object({ instanceId: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: shapes.LaunchTemplateVersionView, ...errors(400, 404) },
      },
    },
    async (request) => templates.instanceData(request.params.instanceId),
  );
};
