import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { configEtag, etagMatches } from "@scaleout/core";
import { type Db, readRegistryData } from "@scaleout/db";
import { Type } from "@sinclair/typebox";
import { LeaseNotHeld, type ProxyFeed } from "../proxy-feed/hub.ts";
import { errorRef } from "../schemas/common.ts";
import { openEventStream } from "./event-stream.ts";

/*
 * What a proxy on another host follows instead of the SQLite file (docs/multi-host.md): the registry's
 * rows it compiles (GET /v1/proxy/snapshot, ETag = configuration version), a change stream (server-sent
 * events: the version, every target's health, the health-check lease), the lease, and its reports
 * (health transitions, drained targets, load balancer state, metric samples). REST with the api token,
 * never on the AWS door.
 */

const ProxyId = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: "^[A-Za-z0-9._:-]+$",
  description: "The proxy's own id (scaleout proxy makes one a process: host name and pid)",
});
const Arn = Type.String({ minLength: 1, maxLength: 2048 });
const TargetId = Type.String({ minLength: 1, maxLength: 255 });
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Millis = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 });
const Reason = Type.Union([Type.String({ maxLength: 128 }), Type.Null()]);
const Description = Type.Union([Type.String({ maxLength: 1024 }), Type.Null()]);
const Finite = Type.Number({ minimum: -1.7e308, maximum: 1.7e308 });
const Sample = Type.Object(
  {
    // What a proxy writes: the load balancers' and WAF's namespaces, nothing else.
    namespace: Type.Union([
      Type.Literal("AWS/ApplicationELB"),
      Type.Literal("AWS/NetworkELB"),
      Type.Literal("AWS/WAFV2"),
    ]),
    metricName: Type.String({ minLength: 1, maxLength: 255 }),
    dimensions: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 255 }),
          value: Type.String({ minLength: 1, maxLength: 1024 }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 30 },
    ),
    timestamp: Type.Integer({ minimum: 0, maximum: 253_402_300_799 }),
    unit: Type.Optional(Type.String({ maxLength: 64 })),
    sampleCount: Type.Number({ minimum: 0, maximum: 1e15 }),
    sum: Finite,
    minimum: Finite,
    maximum: Finite,
  },
  { additionalProperties: false },
);

const Header = Type.Object(
  { Name: Type.String({ maxLength: 1024 }), Value: Type.String({ maxLength: 8192 }) },
  { additionalProperties: false },
);
const Minute = Type.Integer({ minimum: 0, maximum: 200_000_000 });
/** WAF's sampled requests, their populations and rate-based managed keys (queue waf-samples.ts). */
const WafBatch = Type.Object(
  {
    samples: Type.Array(
      Type.Tuple([
        Arn,
        Type.String({ maxLength: 255 }),
        Minute,
        Type.Object(
          {
            Request: Type.Object(
              {
                ClientIP: Type.String({ maxLength: 64 }),
                Country: Type.String({ maxLength: 8 }),
                URI: Type.String({ maxLength: 8192 }),
                Method: Type.String({ maxLength: 64 }),
                HTTPVersion: Type.String({ maxLength: 16 }),
                Headers: Type.Array(Header, { maxItems: 200 }),
              },
              { additionalProperties: false },
            ),
            Weight: Type.Integer({ minimum: 0 }),
            Timestamp: Type.Number({ minimum: 0 }),
            Action: Type.String({ maxLength: 32 }),
            RuleNameWithinRuleGroup: Type.Optional(Type.String({ maxLength: 255 })),
            RequestHeadersInserted: Type.Optional(Type.Array(Header, { maxItems: 100 })),
            ResponseCodeSent: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
            Labels: Type.Optional(
              Type.Array(
                Type.Object({ Name: Type.String({ maxLength: 1024 }) }, { additionalProperties: false }),
                {
                  maxItems: 100,
                },
              ),
            ),
          },
          { additionalProperties: false },
        ),
      ]),
      { maxItems: 10_000 },
    ),
    population: Type.Array(
      Type.Tuple([Arn, Type.String({ maxLength: 255 }), Minute, Type.Integer({ minimum: 0 })]),
      { maxItems: 10_000 },
    ),
    managedKeys: Type.Array(
      Type.Tuple([
        Arn,
        Type.String({ maxLength: 255 }),
        Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10_000 }),
        Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10_000 }),
      ]),
      { maxItems: 1000 },
    ),
  },
  { additionalProperties: false },
);

const ReportBody = Type.Object(
  {
    proxy: ProxyId,
    health: Type.Optional(
      Type.Array(
        Type.Object(
          {
            targetGroupArn: Arn,
            id: TargetId,
            port: Port,
            state: Type.Union([Type.Literal("initial"), Type.Literal("healthy"), Type.Literal("unhealthy")]),
            reason: Reason,
            description: Description,
            healthySince: Type.Optional(Millis),
          },
          { additionalProperties: false },
        ),
        { maxItems: 10_000 },
      ),
    ),
    drained: Type.Optional(
      Type.Array(
        Type.Object(
          { targetGroupArn: Arn, id: TargetId, port: Port, at: Millis },
          { additionalProperties: false },
        ),
        { maxItems: 10_000 },
      ),
    ),
    removed: Type.Optional(
      Type.Array(
        Type.Object({ targetGroupArn: Arn, id: TargetId, port: Port }, { additionalProperties: false }),
        { maxItems: 10_000 },
      ),
    ),
    loadBalancerStates: Type.Optional(
      Type.Array(
        Type.Object(
          {
            arn: Arn,
            state: Type.Union([
              Type.Literal("active"),
              Type.Literal("active_impaired"),
              Type.Literal("failed"),
            ]),
            reason: Type.Union([Type.String({ maxLength: 2048 }), Type.Null()]),
          },
          { additionalProperties: false },
        ),
        { maxItems: 1000 },
      ),
    ),
    samples: Type.Optional(Type.Array(Sample, { maxItems: 50_000 })),
    waf: Type.Optional(WafBatch),
  },
  { additionalProperties: false },
);

export interface ProxyRouteOptions {
  db: () => Db;
  feed: ProxyFeed;
}

export const proxyRoutes: FastifyPluginAsyncTypebox<ProxyRouteOptions> = async (app, { db, feed }) => {
  // Open streams never end by themselves: without this, closing the server would wait for them for ever.
  app.addHook("preClose", async () => feed.close());

  app.get(
    "/proxy/snapshot",
    {
      schema: {
        tags: ["Proxy"],
        summary: "The registry rows a proxy compiles its routing snapshot from",
        description:
          "For proxies fed by the api (`scaleout proxy --api`). The body holds load balancers, listeners, rules, target groups, targets, instance addresses, the certificates listeners use (with their private keys) and associated WAF web ACLs. `ETag` is the configuration version; `If-None-Match` with it answers 304.",
        headers: Type.Object({ "if-none-match": Type.Optional(Type.String({ maxLength: 4096 })) }),
        response: {
          // The body is sent already serialised (a schema here would drop the rows it does not list).
          200: Type.Unsafe<string>({
            type: "object",
            properties: { version: { type: "integer" } },
            additionalProperties: true,
            description: "RegistryData (packages/db/src/registry-data.ts)",
          }),
          304: Type.Null({ description: "Not modified: the configuration version is the one named" }),
          401: errorRef,
          503: errorRef,
        },
      },
    },
    async (request, reply) => {
      let body: string;
      let version: number;
      try {
        const data = readRegistryData(db());
        version = data.version;
        if (etagMatches(request.headers["if-none-match"], version))
          return reply.code(304).header("etag", configEtag(version)).send(null);
        body = JSON.stringify(data);
      } catch (error) {
        request.log.warn({ err: error }, "could not read the registry for a proxy");
        return reply
          .code(503)
          .header("retry-after", "1")
          .send({ code: "ServiceUnavailable", message: "The registry could not be read; try again" });
      }
      return reply
        .header("etag", configEtag(version))
        .header("cache-control", "no-cache")
        .type("application/json; charset=utf-8")
        .send(body);
    },
  );

  app.get(
    "/proxy/changes",
    {
      schema: {
        tags: ["Proxy"],
        summary: "Server-sent events for proxies: configuration version, target health, lease",
        description:
          "`text/event-stream`. First `hello` (`{version, seq, health, lease}`: the version and every target's health), then `version` (`{version}`: fetch the snapshot), `health` (`{seq, entries}`: transitions as the lease holder's checks found them) and `lease` (`{holder}`). A comment line arrives every 5 s.",
        querystring: Type.Object(
          {
            proxy: Type.Optional({
              ...ProxyId,
              description:
                "The following proxy's id: a draining target is recorded drained once every proxy that follows with an id has reported it",
            }),
          },
          { additionalProperties: false },
        ),
        produces: ["text/event-stream"],
        response: {
          200: Type.String({ description: "text/event-stream" }),
          400: errorRef,
          401: errorRef,
          503: errorRef,
        },
      },
    },
    async (request, reply) => {
      const res = openEventStream(request, reply);
      const refused = feed.follow(res, request.query.proxy);
      if (refused) {
        res.end(`event: refused\ndata: ${JSON.stringify({ reason: refused })}\n\n`);
      }
    },
  );

  app.post(
    "/proxy/lease",
    {
      schema: {
        tags: ["Proxy"],
        summary: "Ask for, renew or give up the health-check lease",
        description:
          "One proxy at a time holds it and runs the health checks; the others route on the health it reports. It expires unless renewed (`ttlMs`).",
        body: Type.Object(
          { proxy: ProxyId, release: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            held: Type.Boolean(),
            holder: Type.Union([Type.String(), Type.Null()]),
            ttlMs: Type.Integer(),
          }),
          400: errorRef,
          401: errorRef,
        },
      },
    },
    async (request) => feed.claim(request.body.proxy, request.body.release === true),
  );

  app.post(
    "/proxy/reports",
    {
      schema: {
        tags: ["Proxy"],
        summary: "What a proxy writes: health transitions, drained targets, load balancer state, metrics",
        description:
          "Health is accepted only from the lease holder (409 otherwise). A drained target is recorded once every proxy following the change stream with an id has reported it; drained and removed targets apply only to rows still draining; samples add to the metric store's seconds.",
        body: ReportBody,
        response: {
          200: Type.Object({
            health: Type.Integer(),
            drained: Type.Integer(),
            removed: Type.Integer(),
            samples: Type.Integer(),
          }),
          400: errorRef,
          401: errorRef,
          409: errorRef,
          503: errorRef,
        },
      },
    },
    async (request, reply) => {
      try {
        return feed.report(request.body);
      } catch (error) {
        if (error instanceof LeaseNotHeld)
          return reply.code(409).send({ code: "LeaseNotHeld", message: error.message });
        request.log.warn({ err: error }, "could not write a proxy's report");
        return reply
          .code(503)
          .header("retry-after", "1")
          .send({ code: "ServiceUnavailable", message: "The registry could not be written; try again" });
      }
    },
  );
};
