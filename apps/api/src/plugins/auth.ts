import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { offersToken, sessionAccepts } from "../console/session.ts";

/**
 * With SCALEOUT_API_TOKEN set, every request but the health probe carries it as a bearer token, or is the
 * console's, authenticated by its session cookie (console/session.ts).
 */
export const authPlugin = fp(async (app: FastifyInstance, options: { token?: string }) => {
  const token = options.token;
  if (!token) return;
  const expected = Buffer.from(`Bearer ${token}`);
  app.addHook("onRequest", async (request, reply) => {
    if (request.url === "/healthz") return;
    if (sessionAccepts(request, token) || offersToken(request, token)) return;
    const given = Buffer.from(request.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply.code(401).send({
        code: "Unauthorized",
        message: "A valid bearer token is required (Authorization: Bearer <SCALEOUT_API_TOKEN>)",
      });
    }
  });
});
