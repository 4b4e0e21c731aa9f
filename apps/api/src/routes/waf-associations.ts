import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { findLoadBalancer, type Services } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { errors, NameParams } from "../schemas/common.ts";
import {
  AssociationBody,
  WafIdParams,
  WafPageQuery,
  WafTagKeysQuery,
  WafTagsBody,
  WafTagsResponse,
  WebAclForResource,
} from "./waf-schemas.ts";

const tags = ["WAF"];

/**
 * Which web ACL protects a load balancer (`/v1/load-balancers/{name}/web-acl`: AssociateWebACL,
 * GetWebACLForResource, DisassociateWebACL), and the tags of web ACLs and IP sets.
 */
export const wafAssociationRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const associations = services.webAclAssociations;
  const arnOf = (name: string) => findLoadBalancer(services.ctx.db, name).arn;

  app.put(
    "/load-balancers/:name/web-acl",
    {
      schema: {
        tags,
        summary: "AssociateWebACL (replaces the load balancer's web ACL, if any)",
        params: NameParams,
        body: AssociationBody,
        response: { 204: Type.Null(), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      associations.associate({ WebACLArn: request.body.WebACLArn, ResourceArn: arnOf(request.params.name) });
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/load-balancers/:name/web-acl",
    {
      schema: {
        tags,
        summary: "GetWebACLForResource (no WebACL when none protects it)",
        params: NameParams,
        response: { 200: WebAclForResource, ...errors(400, 404) },
      },
    },
    async (request) => associations.forResource({ ResourceArn: arnOf(request.params.name) }),
  );

  app.delete(
    "/load-balancers/:name/web-acl",
    {
      schema: {
        tags,
        summary: "DisassociateWebACL",
        params: NameParams,
        response: { 204: Type.Null(), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      associations.disassociate({ ResourceArn: arnOf(request.params.name) });
      return reply.code(204).send(null);
    },
  );

  for (const [path, find] of [
    ["web-acls", (id: string) => services.webAcls.byId(id).arn],
    ["ip-sets", (id: string) => services.ipSets.byId(id).arn],
  ] as const) {
    app.get(
      `/${path}/:id/tags`,
      {
        schema: {
          tags,
          summary: "ListTagsForResource",
          params: WafIdParams,
          querystring: WafPageQuery,
          response: { 200: WafTagsResponse, ...errors(400, 404) },
        },
      },
      async (request) => {
        const page = services.wafTags.list({
          ResourceARN: find(request.params.id),
          Limit: request.query.limit,
          NextMarker: request.query.nextMarker,
        });
        return { TagList: page.TagInfoForResource.TagList, NextMarker: page.NextMarker };
      },
    );
    app.post(
      `/${path}/:id/tags`,
      {
        schema: {
          tags,
          summary: "TagResource",
          params: WafIdParams,
          body: WafTagsBody,
          response: { 204: Type.Null(), ...errors(400, 404) },
        },
      },
      async (request, reply) => {
        services.wafTags.tag({ ResourceARN: find(request.params.id), Tags: request.body.Tags });
        return reply.code(204).send(null);
      },
    );
    app.delete(
      `/${path}/:id/tags`,
      {
        schema: {
          tags,
          summary: "UntagResource",
          params: WafIdParams,
          querystring: WafTagKeysQuery,
          response: { 204: Type.Null(), ...errors(400, 404) },
        },
      },
      async (request, reply) => {
        services.wafTags.untag({ ResourceARN: find(request.params.id), TagKeys: request.query.tagKeys });
        return reply.code(204).send(null);
      },
    );
  }
};
