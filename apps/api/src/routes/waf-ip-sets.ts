import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { errors } from "../schemas/common.ts";
import {
  CreateIpSetBody,
  IpSetPage,
  IpSetResponse,
  LockTokenQuery,
  NextLockToken,
  UpdateIpSetBody,
  WafIdParams,
  WafPageQuery,
} from "./waf-schemas.ts";

const tags = ["WAF"];
const Scope = "REGIONAL";

/** AWS WAF IP sets (`/v1/ip-sets`), addressed by WAF's Id, in WAF's member names. */
export const wafIpSetRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const sets = services.ipSets;
  const key = (id: string) => ({ Name: sets.byId(id).name, Scope, Id: id });

  app.post(
    "/ip-sets",
    {
      schema: {
        tags,
        summary: "CreateIPSet (CIDR blocks, normalised)",
        body: CreateIpSetBody,
        response: { 201: IpSetResponse, ...errors(400, 409) },
      },
    },
    async (request, reply) => {
      const { Summary } = sets.create({ ...request.body, Scope });
      return reply.code(201).send(sets.get({ Name: Summary.Name, Scope, Id: Summary.Id }));
    },
  );

  app.get(
    "/ip-sets",
    {
      schema: {
        tags,
        summary: "ListIPSets",
        querystring: WafPageQuery,
        response: { 200: IpSetPage, ...errors(400) },
      },
    },
    async (request) => sets.list({ Scope, Limit: request.query.limit, NextMarker: request.query.nextMarker }),
  );

  app.get(
    "/ip-sets/:id",
    {
      schema: {
        tags,
        summary: "GetIPSet (with its LockToken)",
        params: WafIdParams,
        response: { 200: IpSetResponse, ...errors(400, 404) },
      },
    },
    async (request) => sets.get(key(request.params.id)),
  );

  app.put(
    "/ip-sets/:id",
    {
      schema: {
        tags,
        summary: "UpdateIPSet: replaces the addresses (409 WAFOptimisticLockException on a stale LockToken)",
        params: WafIdParams,
        body: UpdateIpSetBody,
        response: { 200: NextLockToken, ...errors(400, 404, 409) },
      },
    },
    async (request) => sets.update({ ...request.body, ...key(request.params.id) }),
  );

  app.delete(
    "/ip-sets/:id",
    {
      schema: {
        tags,
        summary: "DeleteIPSet (409 WAFAssociatedItemException while a web ACL references it)",
        params: WafIdParams,
        querystring: LockTokenQuery,
        response: { 204: Type.Null(), ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      sets.delete({ ...key(request.params.id), LockToken: request.query.lockToken });
      return reply.code(204).send(null);
    },
  );
};
