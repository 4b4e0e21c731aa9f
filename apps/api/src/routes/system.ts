import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";

export type HealthChecks = () => Promise<Record<string, "ok" | "down">>;

const Dependencies = Type.Record(Type.String(), Type.Union([Type.Literal("ok"), Type.Literal("down")]), {
  description: "Each dependency's state: `ok`, or `down` when it does not answer or refuses writes",
});

export const systemRoutes: FastifyPluginAsyncTypebox<{ health: HealthChecks }> = async (app, { health }) => {
  app.get(
    "/healthz",
    {
      schema: {
        tags: ["System"],
        summary: "Liveness and dependency status",
        description:
          "200 when every dependency answers (Redis to a PING, SQLite to a write); 503 naming the parts that do not.",
        response: {
          200: Type.Object({ status: Type.Literal("ok"), dependencies: Dependencies }),
          503: Type.Object({ status: Type.Literal("degraded"), dependencies: Dependencies }),
        },
      },
    },
    async (_request, reply) => {
      const dependencies = await health();
      // A load balancer or supervisor polling this takes any non-2xx as unhealthy: say which part failed.
      if (Object.values(dependencies).includes("down")) {
        return reply.code(503).send({ status: "degraded" as const, dependencies });
      }
      return { status: "ok" as const, dependencies };
    },
  );
};
