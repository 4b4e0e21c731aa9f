import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { Services } from "@scaleout/services";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from "fastify";
import { createAwsDoor } from "./aws/door.ts";
import { type ConsoleOptions, consolePlugin } from "./console/plugin.ts";
import { authPlugin } from "./plugins/auth.ts";
import { errorsPlugin } from "./plugins/errors.ts";
import { jsonBodyPlugin } from "./plugins/json-body.ts";
import { openapiPlugin } from "./plugins/openapi.ts";
import { requestLogPlugin } from "./plugins/request-log.ts";
import { trustPlugin } from "./plugins/trust.ts";
import { ProxyFeed, type ProxyFeedOptions } from "./proxy-feed/hub.ts";
import { alarmRoutes } from "./routes/alarms.ts";
import { autoScalingGroupRoutes } from "./routes/auto-scaling-groups.ts";
import { certificateRoutes } from "./routes/certificates.ts";
import { type EventStreamOptions, eventRoutes } from "./routes/events.ts";
import { groupMetricRoutes } from "./routes/group-metrics.ts";
import { instanceMoveRoutes } from "./routes/instance-moves.ts";
import { instanceRefreshRoutes } from "./routes/instance-refreshes.ts";
import { instanceRoutes } from "./routes/instances.ts";
import { launchTemplateRoutes } from "./routes/launch-templates.ts";
import { lifecycleHookRoutes } from "./routes/lifecycle-hooks.ts";
import { listenerCertificateRoutes } from "./routes/listener-certificates.ts";
import { listenerRoutes } from "./routes/listeners.ts";
import { loadBalancerRoutes } from "./routes/load-balancers.ts";
import { metricRoutes } from "./routes/metrics.ts";
import { type PrometheusOptions, prometheusRoutes } from "./routes/prometheus.ts";
import { proxyRoutes } from "./routes/proxies.ts";
import { ruleRoutes } from "./routes/rules.ts";
import { scheduledActionRoutes } from "./routes/scheduled-actions.ts";
import { sslPolicyRoutes } from "./routes/ssl-policies.ts";
import { type HealthChecks, systemRoutes } from "./routes/system.ts";
import { targetGroupRoutes } from "./routes/target-groups.ts";
import { wafAssociationRoutes } from "./routes/waf-associations.ts";
import { wafIpSetRoutes } from "./routes/waf-ip-sets.ts";
import { wafSampledRoutes } from "./routes/waf-sampled.ts";
import { wafWebAclRoutes } from "./routes/waf-web-acls.ts";
import { warmPoolRoutes } from "./routes/warm-pools.ts";

/** A malformed or oversized path parameter is a client error in the `{ code, message }` shape too. */
function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(error.statusCode ?? 400).send({ code: "ValidationError", message: error.message });
}

export interface AppOptions {
  services: Services;
  apiToken?: string;
  logger?: FastifyServerOptions["logger"];
  /** Answers /healthz's dependency checks, e.g. Redis. */
  health?: HealthChecks;
  /** Who may call (Settings.api); by default loopback names only and no CORS origins. */
  trust?: { bindHost: string; allowedHosts: readonly string[]; allowedOrigins: readonly string[] };
  /** GET /v1/events follows this (server.ts: a Redis stream follower); without it the route answers 503. */
  events?: EventStreamOptions;
  /** The console's change announcements and tick (console/plugin.ts). */
  console?: Omit<ConsoleOptions, "services" | "apiToken">;
  /** Proxies fed by the api (routes/proxies.ts): the lease's length; by default 10 s. */
  proxyFeed?: Omit<ProxyFeedOptions, "db" | "log">;
  /** GET /metrics merges the worker's and proxy's snapshots from this Redis; without it, the api's own. */
  prometheus?: PrometheusOptions;
}

/** Builds the control-plane API. It never listens: server.ts does, tests inject. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // One line a request, at debug (plugins/request-log.ts), instead of fastify's two at info.
    logController: new LogController({ disableRequestLogging: true }),
    // Explicit timeouts: a stuck client must not hold a connection for ever.
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 10_000,
    bodyLimit: 4 * 1024 * 1024,
    // Listener and rule paths take a whole URL-encoded ARN too (~150 characters); fastify's default of 100
    // would refuse them. Rule ARNs stay well under 2,048.
    routerOptions: { maxParamLength: 2048 },
    frameworkErrors,
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: "array", useDefaults: true, allErrors: false },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(errorsPlugin);
  await app.register(requestLogPlugin);
  // First of the hooks: a request from a foreign page is refused before anything reads it.
  await app.register(trustPlugin, {
    bindHost: options.trust?.bindHost ?? "127.0.0.1",
    allowedHosts: options.trust?.allowedHosts ?? [],
    allowedOrigins: options.trust?.allowedOrigins ?? [],
    ...(options.apiToken !== undefined && { token: options.apiToken }),
    rejectDoor: createAwsDoor(options.services, () => {}).reject,
  });
  await app.register(jsonBodyPlugin);
  await app.register((await import("./aws/plugin.ts")).awsPlugin, options);
  await app.register(authPlugin, { ...(options.apiToken !== undefined && { token: options.apiToken }) });
  await app.register(openapiPlugin);
  const deps = { services: options.services };
  await app.register(systemRoutes, { health: options.health ?? (async () => ({})) });
  await app.register(loadBalancerRoutes, { prefix: "/v1", ...deps });
  await app.register(listenerRoutes, { prefix: "/v1", ...deps });
  await app.register(listenerCertificateRoutes, { prefix: "/v1", ...deps });
  await app.register(sslPolicyRoutes, { prefix: "/v1", ...deps });
  await app.register(ruleRoutes, { prefix: "/v1", ...deps });
  await app.register(targetGroupRoutes, { prefix: "/v1", ...deps });
  await app.register(launchTemplateRoutes, { prefix: "/v1", ...deps });
  await app.register(autoScalingGroupRoutes, { prefix: "/v1", ...deps });
  await app.register(instanceRefreshRoutes, { prefix: "/v1", ...deps });
  await app.register(instanceMoveRoutes, { prefix: "/v1", ...deps });
  await app.register(instanceRoutes, { prefix: "/v1", ...deps });
  await app.register(wafWebAclRoutes, { prefix: "/v1", ...deps });
  await app.register(wafIpSetRoutes, { prefix: "/v1", ...deps });
  await app.register(wafAssociationRoutes, { prefix: "/v1", ...deps });
  await app.register(warmPoolRoutes, { prefix: "/v1", ...deps });
  await app.register(scheduledActionRoutes, { prefix: "/v1", ...deps });
  await app.register(groupMetricRoutes, { prefix: "/v1", ...deps });
  await app.register(lifecycleHookRoutes, { prefix: "/v1", ...deps });
  await app.register(alarmRoutes, { prefix: "/v1", ...deps });
  await app.register(metricRoutes, { prefix: "/v1", ...deps });
  await app.register(certificateRoutes, { prefix: "/v1", ...deps });
  await app.register(wafSampledRoutes, { prefix: "/v1", ...deps });
  await app.register(consolePlugin, { ...options.console, ...deps, apiToken: options.apiToken });
  await app.register(prometheusRoutes, {
    ...deps,
    ...(options.prometheus && { prometheus: options.prometheus }),
  });
  await app.register(eventRoutes, { prefix: "/v1", ...(options.events && { events: options.events }) });
  const feed = new ProxyFeed({
    ...options.proxyFeed,
    db: () => options.services.ctx.db,
    log: { warn: (error, message) => app.log.warn({ err: error }, message) },
  });
  await app.register(proxyRoutes, { prefix: "/v1", db: () => options.services.ctx.db, feed });
  return app;
}
