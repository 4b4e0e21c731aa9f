import type { ServerResponse } from "node:http";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { openEventStream } from "../routes/event-stream.ts";
import { assetTypes, findAssetDir, page, readAsset } from "./assets.ts";
import { createCapacityHistory } from "./capacity-history.ts";
import { createConsoleLive } from "./live.ts";
import { metricsView } from "./metric-charts.ts";
import { offersToken, sessionCookieHeader } from "./session.ts";
import { groupDetailView, groupsView, topologyView } from "./views.ts";

/*
 * The console at /console: the page, its bundle, its views as JSON and as server-sent events. Reads go to
 * the services directly (views.ts); the page's actions call the REST routes under /v1 like any client.
 */

export interface ConsoleOptions {
  services: Services;
  apiToken?: string;
  /** Subscribes to the registry's change announcements (Redis pub/sub); returns the unsubscribe. */
  changes?: (listener: () => void) => () => void;
  /** Where the bundle is, when not in dist/console. */
  assetDir?: string;
  tickMs?: number;
  maxClients?: number;
}

/** Bytes a slow page may have queued (a few topology snapshots) before it is dropped. */
const maxQueuedBytes = 4 * 1024 * 1024;

const views = ["topology", "groups", "metrics", "group"] as const;
const ViewQuery = Type.Object(
  {
    view: Type.Union(views.map((v) => Type.Literal(v))),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    token: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

export const consolePlugin: FastifyPluginAsyncTypebox<ConsoleOptions> = async (app, options) => {
  const { services } = options;
  const history = createCapacityHistory();
  const build = (key: string): string => {
    const [view, name] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
    if (view === "topology") return JSON.stringify(topologyView(services));
    if (view === "groups") return JSON.stringify(groupsView(services));
    if (view === "metrics") return JSON.stringify(metricsView(services, Date.now()));
    return JSON.stringify(groupDetailView(services, name, history));
  };
  const live = createConsoleLive({
    build,
    tickMs: options.tickMs ?? 1000,
    onTick: () => history.record(Date.now(), groupsView(services).groups),
    warn: (error, message) => app.log.warn({ err: error }, message),
  });
  const unsubscribe = options.changes?.(() => live.poke());
  const clients = new Set<ServerResponse>();
  const maxClients = options.maxClients ?? 100;
  app.addHook("preClose", async () => {
    unsubscribe?.();
    live.close();
    for (const res of clients) res.end();
    clients.clear();
  });

  const notBuilt = {
    code: "ServiceUnavailable",
    message: "The console is not built: run `node scripts/build-console.mjs` (npm start builds it)",
  };
  const keyOf = (query: { view: string; name?: string | undefined }) =>
    `${query.view}:${query.view === "group" ? (query.name ?? "") : ""}`;
  const hide = { hide: true };

  app.get("/console", { schema: hide }, async (request, reply) => {
    const token = options.apiToken;
    if (token !== undefined && offersToken(request, token)) {
      // The exchange: the token leaves the address bar (and the history) at once.
      return reply
        .code(303)
        .header("set-cookie", sessionCookieHeader(token))
        .header("location", "/console")
        .send();
    }
    if (findAssetDir(options.assetDir) === undefined) return reply.code(503).send(notBuilt);
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-cache")
      .header(
        "content-security-policy",
        "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
      )
      .send(page);
  });

  app.get<{ Params: { file: string } }>("/console/assets/:file", { schema: hide }, async (request, reply) => {
    const dir = findAssetDir(options.assetDir);
    if (dir === undefined) {
      return reply.code(503).send(notBuilt);
    }
    const body = await readAsset(dir, request.params.file);
    const type = assetTypes[request.params.file];
    if (body === undefined || type === undefined) {
      return reply.code(404).send({ code: "NotFound", message: `No console asset '${request.params.file}'` });
    }
    return reply.type(type).header("cache-control", "no-cache").send(body);
  });

  // One view as JSON, what the event stream's first message carries (scripts and the load measurement).
  app.get("/console/api/view", { schema: { ...hide, querystring: ViewQuery } }, async (request, reply) =>
    reply.type("application/json").send(build(keyOf(request.query))),
  );

  app.get("/console/events", { schema: { ...hide, querystring: ViewQuery } }, async (request, reply) => {
    if (clients.size >= maxClients) {
      return reply
        .code(503)
        .header("retry-after", "5")
        .send({
          code: "ServiceUnavailable",
          message: `Too many open console streams (at most ${maxClients})`,
        });
    }
    // An allowed origin's page gets the CORS headers the hooks set, as with the other streams.
    const res = openEventStream(request, reply);
    clients.add(res);
    const stop = live.watch(keyOf(request.query), {
      send(event, json) {
        res.write(`event: ${event}\ndata: ${json}\n\n`);
        // A page that stopped reading is dropped, not buffered for ever; EventSource reconnects.
        if (res.writableLength > maxQueuedBytes) res.end();
      },
    });
    const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), 15_000);
    const done = () => {
      clearInterval(heartbeat);
      stop();
      clients.delete(res);
    };
    res.once("close", done);
    res.once("error", done);
  });
};
