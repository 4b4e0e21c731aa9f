import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { errors } from "../schemas/common.ts";

const Header = Type.Object({ Name: Type.String(), Value: Type.String() });

const SampledRequest = Type.Object({
  Request: Type.Object({
    ClientIP: Type.String(),
    Country: Type.String(),
    URI: Type.String(),
    Method: Type.String(),
    HTTPVersion: Type.String(),
    Headers: Type.Array(Header),
  }),
  Weight: Type.Integer(),
  Timestamp: Type.Number({ description: "Epoch seconds" }),
  Action: Type.String(),
  RuleNameWithinRuleGroup: Type.Optional(Type.String()),
  RequestHeadersInserted: Type.Optional(Type.Array(Header)),
  ResponseCodeSent: Type.Optional(Type.Integer()),
  Labels: Type.Optional(Type.Array(Type.Object({ Name: Type.String() }))),
});

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 36 }) });

const ManagedKeys = Type.Object({ IPAddressVersion: Type.String(), Addresses: Type.Array(Type.String()) });

/**
 * WAF's data-plane state on the REST door: a web ACL's sampled requests (GetSampledRequests) and a
 * rate-based rule's managed keys (GetRateBasedStatementManagedKeys), in WAF's wire shapes.
 */
export const wafSampledRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.get(
    "/web-acls/:id/sampled-requests",
    {
      schema: {
        tags: ["WAF"],
        summary: "GetSampledRequests: requests WAF sampled for a rule (or the web ACL) in a time window",
        params: IdParams,
        querystring: Type.Object(
          {
            ruleMetricName: Type.String({ minLength: 1, maxLength: 255 }),
            startTime: Type.Number({ description: "Epoch seconds" }),
            endTime: Type.Number({ description: "Epoch seconds" }),
            maxItems: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            SampledRequests: Type.Array(SampledRequest),
            PopulationSize: Type.Integer(),
            TimeWindow: Type.Object({ StartTime: Type.Number(), EndTime: Type.Number() }),
          }),
          ...errors(400, 404),
        },
      },
    },
    async (request) =>
      services.wafSampled.getSampledRequests({
        WebAcl: { id: request.params.id },
        RuleMetricName: request.query.ruleMetricName,
        Scope: "REGIONAL",
        TimeWindow: { StartTime: request.query.startTime, EndTime: request.query.endTime },
        MaxItems: request.query.maxItems,
      }),
  );

  app.get(
    "/web-acls/:id/rules/:ruleName/managed-keys",
    {
      schema: {
        tags: ["WAF"],
        summary: "GetRateBasedStatementManagedKeys: the addresses a rate-based rule blocks now",
        params: Type.Object({
          id: Type.String({ minLength: 1, maxLength: 36 }),
          ruleName: Type.String({ minLength: 1, maxLength: 128 }),
        }),
        response: {
          200: Type.Object({ ManagedKeysIPV4: ManagedKeys, ManagedKeysIPV6: ManagedKeys }),
          ...errors(400, 404),
        },
      },
    },
    async (request) =>
      services.wafSampled.getManagedKeys({
        WebAcl: { id: request.params.id },
        Scope: "REGIONAL",
        RuleName: request.params.ruleName,
      }),
  );
};
