import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "@scaleout/services";
import { errors, PageOf } from "../schemas/common.ts";
import { SslPolicy, SslPolicyQuery } from "../schemas/elb.ts";

/** ELB's security policies, as DescribeSSLPolicies lists them. */
export const sslPolicyRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.get(
    "/ssl-policies",
    {
      schema: {
        tags: ["Listeners"],
        summary: "DescribeSSLPolicies (protocols and ciphers, in priority order)",
        querystring: SslPolicyQuery,
        response: { 200: PageOf("sslPolicies", SslPolicy), ...errors(400, 404) },
      },
    },
    async (request) => {
      const page = services.sslPolicies.describe(request.query);
      return { sslPolicies: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );
};
