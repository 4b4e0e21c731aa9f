import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/** With SCALEOUT_API_TOKEN set, every request but the health probe carries it as a bearer token. */
export const authPlugin = fp(async (app: FastifyInstance, options: { token?: string }) => {
  const token = options.token;
  if (!token) return;
  const expected = Buffer.from(`Bearer ${token}`);
  app.addHook("onRequest", async (request, reply) => {
    if (request.url === "/healthz") return;
    const given = Buffer.from(request.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply.code(401).send({
        code: "Unauthorized",
        message: "A valid bearer token is required (Authorization: Bearer <SCALEOUT_API_TOKEN>)",
      });
    }
  });
});
