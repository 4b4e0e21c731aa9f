import { isAwsError } from "@scaleout/core";
import type { FastifyError, FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/**
 * Every error leaves as `{ code, message }` with AWS's code. Schema failures are ValidationError (400);
 * anything unexpected is InternalFailure (500), logged with its stack, which never reaches the client.
 */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isAwsError(error)) {
      return reply.code(error.statusCode).send({ code: error.code, message: error.message });
    }
    if (error.validation) {
      return reply.code(400).send({ code: "ValidationError", message: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      // Fastify's own client errors: a body that is not JSON, an unsupported media type, a body too large.
      const code =
        error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" ? "UnsupportedMediaType" : "ValidationError";
      return reply.code(status).send({ code, message: error.message });
    }
    request.log.error({ err: error }, "request failed");
    return reply.code(500).send({
      code: "InternalFailure",
      message: "The request processing has failed because of an unknown error.",
    });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ code: "NotFound", message: `No route for ${request.method} ${request.url.split("?")[0]}` }),
  );
});
