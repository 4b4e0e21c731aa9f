import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Errors } from "@scaleout/core";
import type { Services } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import {
  ListMetricsQuery,
  Metric,
  PutMetricData,
  Statistics,
  StatisticsQuery,
} from "../schemas/cloudwatch.ts";
import { errors, PageOf } from "../schemas/common.ts";

const tags = ["Metrics"];

/** `dimension=Name=Value` query values (repeatable) to dimension filters. */
function parseDimensions(
  raw: string | string[] | undefined,
  requireValue: boolean,
): Array<{ name: string; value?: string }> {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((entry) => {
    const eq = entry.indexOf("=");
    if (eq === -1) {
      if (requireValue) throw new Errors.ValidationError(`Dimension '${entry}' must be written Name=Value`);
      return { name: entry };
    }
    return { name: entry.slice(0, eq), value: entry.slice(eq + 1) };
  });
}

export const metricRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const metrics = services.metrics;

  app.post(
    "/metrics",
    {
      schema: {
        tags,
        summary: "PutMetricData (custom namespaces; stored as per-second statistic sets)",
        body: PutMetricData,
        response: { 200: Type.Object({}), ...errors(400) },
      },
    },
    async (request) => {
      metrics.put(request.body.namespace, request.body.metricData);
      return {};
    },
  );

  app.get(
    "/metrics",
    {
      schema: {
        tags,
        summary: "ListMetrics",
        querystring: ListMetricsQuery,
        response: { 200: PageOf("metrics", Metric), ...errors(400) },
      },
    },
    async (request) => {
      const { dimension, ...rest } = request.query;
      const page = metrics.list({ ...rest, dimensions: parseDimensions(dimension, false) });
      return { metrics: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );

  app.get(
    "/metrics/statistics",
    {
      schema: {
        tags,
        summary: "GetMetricStatistics",
        querystring: StatisticsQuery,
        response: { 200: Statistics, ...errors(400) },
      },
    },
    async (request) => {
      const { dimension, statistics, ...rest } = request.query;
      const list = (Array.isArray(statistics) ? statistics : [statistics])
        .flatMap((s) => s.split(","))
        .filter(Boolean);
      const dimensions = parseDimensions(dimension, true).map((d) => ({
        name: d.name,
        value: d.value ?? "",
      }));
      return metrics.statistics({ ...rest, dimensions, statistics: list });
    },
  );
};
