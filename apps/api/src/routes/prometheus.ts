import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type MetricSnapshot, readMetricSnapshots } from "@scaleout/queue";
import type { Services } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import type { Redis } from "ioredis";
import { AggregatorRegistry, type Registry } from "prom-client";
import { processRegistry } from "../process-figures.ts";
import { registryFigures } from "../registry-figures.ts";

/**
 * prom-client's default metrics include gauges named `nodejs_active_{handles,requests,resources}_total`,
 * which `promtool check metrics` rejects (a gauge must not end in `_total`); the same figures are there
 * by type without the suffix (`nodejs_active_handles{type}`), so those three are left out.
 */
const lintable = (snapshot: MetricSnapshot): MetricSnapshot =>
  snapshot.filter((family) => !(family.type === "gauge" && family.name.endsWith("_total")));

export interface PrometheusOptions {
  /** Where the worker and proxy publish their snapshots (packages/queue metric-snapshots.ts). */
  redis: Redis;
  prefix: string;
}

/**
 * GET /metrics: the whole system in Prometheus's text format. The api's own process figures and what
 * the registry holds (target health, groups, alarms) are read now; the proxy's traffic figures and the
 * worker's job figures come from the snapshots those processes keep in Redis (a few seconds old at
 * most), merged with prom-client's AggregatorRegistry. Redis down: the answer has the api's own part.
 */
export const prometheusRoutes: FastifyPluginAsyncTypebox<{
  services: Services;
  prometheus?: PrometheusOptions;
}> = async (app, { services, prometheus }) => {
  // Made on the first scrape: an app that is never scraped (most tests) sets up no GC observer.
  let own: Registry | undefined;
  app.get(
    "/metrics",
    {
      schema: {
        tags: ["System"],
        summary: "Prometheus metrics of the whole system",
        description:
          "Prometheus text exposition format 0.0.4: load balancer, target group and target traffic, target health, Auto Scaling group sizes, alarm states, worker jobs, and the api, worker and proxy processes. Needs the bearer token when SCALEOUT_API_TOKEN is set.",
        produces: ["text/plain"],
        response: { 200: Type.String({ description: "The metrics, one family after another" }) },
      },
    },
    async (_request, reply) => {
      own ??= processRegistry("api");
      const snapshots: MetricSnapshot[] = [
        await own.getMetricsAsJSON(),
        registryFigures(services.ctx.db, services.ctx.now()),
      ];
      if (prometheus) {
        try {
          snapshots.push(...(await readMetricSnapshots(prometheus.redis, prometheus.prefix)).values());
        } catch {
          // Redis unavailable: the api's own figures still answer; /healthz says what is down.
        }
      }
      const merged = AggregatorRegistry.aggregate(snapshots.map(lintable));
      return reply.type(merged.contentType).send(await merged.metrics());
    },
  );
};
