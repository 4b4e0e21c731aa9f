import { isAwsError } from "@scaleout/core";
import type { FastifyError, FastifyInstance } from "fastify";
import fp from "fastify-plugin";

type Validation = NonNullable<FastifyError["validation"]>[number];

/**
 * The first schema failure, naming the field: ajv's own wording for most, but an unknown or missing
 * property is named by its full path (`body/healthCheckPth is not allowed`), where ajv says only
 * "body must NOT have additional properties".
 */
export function validationMessage(
  error: { message: string; validation?: Validation[] | undefined },
  context: string | undefined,
): string {
  const first = error.validation?.[0];
  if (first === undefined) return error.message;
  const at = `${context ?? "body"}${first.instancePath}`;
  const { additionalProperty, missingProperty } = first.params as {
    additionalProperty?: unknown;
    missingProperty?: unknown;
  };
  if (first.keyword === "additionalProperties" && typeof additionalProperty === "string")
    return `${at}/${additionalProperty} is not allowed`;
  if (first.keyword === "required" && typeof missingProperty === "string")
    return `${at}/${missingProperty} is required`;
  return error.message;
}

/** What a client sending the wrong content type (or none) should send instead. */
export function mediaTypeMessage(contentType: string | undefined): string {
  const got =
    contentType === undefined || contentType === "" ? "no content-type" : `content-type ${contentType}`;
  return `This API takes JSON bodies: send the header content-type: application/json (got ${got})`;
}

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
      return reply
        .code(400)
        .send({ code: "ValidationError", message: validationMessage(error, error.validationContext) });
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      // Fastify's own client errors: a body that is not JSON, an unsupported media type, a body too large.
      if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
        return reply
          .code(status)
          .send({ code: "UnsupportedMediaType", message: mediaTypeMessage(request.headers["content-type"]) });
      }
      return reply.code(status).send({ code: "ValidationError", message: error.message });
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
