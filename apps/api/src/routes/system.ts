import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";

export const systemRoutes: FastifyPluginAsyncTypebox<{
  health: () => Promise<Record<string, "ok" | "down">>;
}> = async (app, { health }) => {
  app.get(
    "/healthz",
    {
      schema: {
        tags: ["System"],
        summary: "Liveness and dependency status",
        response: {
          200: Type.Object({
            status: Type.Literal("ok"),
            dependencies: Type.Record(Type.String(), Type.String()),
          }),
        },
      },
    },
    async () => ({ status: "ok" as const, dependencies: await health() }),
  );
};
