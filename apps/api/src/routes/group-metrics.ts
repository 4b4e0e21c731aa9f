import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { groupMetricNames } from "@scaleout/core";
import { AutoScalingGroup, type Services, StringEnum } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { errors, NameParams } from "../schemas/common.ts";

const tags = ["Auto Scaling groups"];
const GroupRef = Type.Ref(AutoScalingGroup);
const Metrics = Type.Optional(
  Type.Array(StringEnum([...groupMetricNames]), { description: "The group metrics; all when omitted" }),
);

/** EnableMetricsCollection / DisableMetricsCollection and Auto Scaling's fixed vocabularies. */
export const groupMetricRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const metrics = services.groupMetrics;

  app.put(
    "/auto-scaling-groups/:name/metrics-collection",
    {
      schema: {
        tags,
        summary: "EnableMetricsCollection (AWS/AutoScaling group metrics, published every second)",
        params: NameParams,
        body: Type.Object(
          { metrics: Metrics, granularity: StringEnum(["1Minute"]) },
          { additionalProperties: false },
        ),
        response: { 200: GroupRef, ...errors(400, 404) },
      },
    },
    async (request) => metrics.enable(request.params.name, request.body),
  );

  app.post(
    "/auto-scaling-groups/:name/metrics-collection/disable",
    {
      schema: {
        tags,
        summary: "DisableMetricsCollection",
        params: NameParams,
        body: Type.Optional(Type.Object({ metrics: Metrics }, { additionalProperties: false })),
        response: { 200: GroupRef, ...errors(400, 404) },
      },
      // Without a body (or a list) every metric is disabled: a POST without a body is { }.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => metrics.disable(request.params.name, request.body ?? {}),
  );

  app.get(
    "/auto-scaling/metric-collection-types",
    {
      schema: {
        tags,
        summary: "DescribeMetricCollectionTypes",
        response: {
          200: Type.Object({
            metrics: Type.Array(Type.Object({ metric: Type.String() })),
            granularities: Type.Array(Type.Object({ granularity: Type.String() })),
          }),
          ...errors(),
        },
      },
    },
    async () => metrics.collectionTypes(),
  );

  app.get(
    "/auto-scaling/adjustment-types",
    {
      schema: {
        tags,
        summary: "DescribeAdjustmentTypes",
        response: {
          200: Type.Object({ adjustmentTypes: Type.Array(Type.Object({ adjustmentType: Type.String() })) }),
          ...errors(),
        },
      },
    },
    async () => ({ adjustmentTypes: metrics.adjustmentTypes() }),
  );

  app.get(
    "/auto-scaling/termination-policy-types",
    {
      schema: {
        tags,
        summary: "DescribeTerminationPolicyTypes",
        response: { 200: Type.Object({ terminationPolicyTypes: Type.Array(Type.String()) }), ...errors() },
      },
    },
    async () => ({ terminationPolicyTypes: metrics.terminationPolicyTypes() }),
  );
};
