import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { errors } from "../schemas/common.ts";
import {
  CapacityResponse,
  CheckCapacityBody,
  CreateWebAclBody,
  LockTokenQuery,
  NextLockToken,
  ResourceArns,
  UpdateWebAclBody,
  WafIdParams,
  WafPageQuery,
  WebAclPage,
  WebAclResponse,
} from "./waf-schemas.ts";

const tags = ["WAF"];
const Scope = "REGIONAL";

/**
 * AWS WAF web ACLs (`/v1/web-acls`), addressed by WAF's Id, in WAF's member names. The same services as
 * the AWS door's wafv2: a LockToken guards every change, and each change reaches the proxy.
 */
export const wafWebAclRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const acls = services.webAcls;
  const key = (id: string) => ({ Name: acls.byId(id).name, Scope, Id: id });

  app.post(
    "/web-acls",
    {
      schema: {
        tags,
        summary: "CreateWebACL (scope REGIONAL)",
        body: CreateWebAclBody,
        response: { 201: WebAclResponse, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const { Summary } = acls.create({ ...request.body, Scope });
      return reply.code(201).send(acls.get({ Name: Summary.Name, Scope, Id: Summary.Id }));
    },
  );

  app.get(
    "/web-acls",
    {
      schema: {
        tags,
        summary: "ListWebACLs",
        querystring: WafPageQuery,
        response: { 200: WebAclPage, ...errors(400) },
      },
    },
    async (request) => acls.list({ Scope, Limit: request.query.limit, NextMarker: request.query.nextMarker }),
  );

  app.post(
    "/web-acls/check-capacity",
    {
      schema: {
        tags,
        summary: "CheckCapacity: the web ACL capacity units (WCUs) the rules would use",
        body: CheckCapacityBody,
        response: { 200: CapacityResponse, ...errors(400, 404) },
      },
    },
    async (request) => acls.checkCapacity({ Scope, Rules: request.body.Rules }),
  );

  app.get(
    "/web-acls/:id",
    {
      schema: {
        tags,
        summary: "GetWebACL (with its LockToken)",
        params: WafIdParams,
        response: { 200: WebAclResponse, ...errors(400, 404) },
      },
    },
    async (request) => acls.get(key(request.params.id)),
  );

  app.put(
    "/web-acls/:id",
    {
      schema: {
        tags,
        summary: "UpdateWebACL (409 WAFOptimisticLockException on a stale LockToken)",
        params: WafIdParams,
        body: UpdateWebAclBody,
        response: { 200: NextLockToken, ...errors(400, 404, 409) },
      },
    },
    async (request) => acls.update({ ...request.body, ...key(request.params.id) }),
  );

  app.delete(
    "/web-acls/:id",
    {
      schema: {
        tags,
        summary: "DeleteWebACL (409 WAFAssociatedItemException while associated)",
        params: WafIdParams,
        querystring: LockTokenQuery,
        response: { 204: Type.Null(), ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      acls.delete({ ...key(request.params.id), LockToken: request.query.lockToken });
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/web-acls/:id/resources",
    {
      schema: {
        tags,
        summary: "ListResourcesForWebACL (the load balancers it protects)",
        params: WafIdParams,
        response: { 200: ResourceArns, ...errors(400, 404) },
      },
    },
    async (request) =>
      services.webAclAssociations.listResources({ WebACLArn: acls.byId(request.params.id).arn }),
  );
};
