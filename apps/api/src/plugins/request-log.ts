import type { FastifyPluginAsync } from "fastify";
import fp from "fastify-plugin";

/**
 * One line per request, at debug: fastify's own request logging (two lines a request, at info) is off
 * (app.ts: disableRequestLogging), so `npm start` at the default level shows state changes, not traffic.
 */
const plugin: FastifyPluginAsync = async (app) => {
  app.addHook("onResponse", async (request, reply) => {
    // Below debug pino's debug is a no-op; FastifyBaseLogger exposes no level test to skip the object.
    request.log.debug(
      {
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      "request",
    );
  });
};

export const requestLogPlugin = fp(plugin, { name: "request-log" });
