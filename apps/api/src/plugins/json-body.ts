import { Errors, jsonTooDeep, maxJsonDepth } from "@scaleout/core";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/**
 * REST bodies: fastify's own JSON parser (secure-json-parse, refusing `__proto__` and `constructor`
 * poisoning as fastify does by default) behind a nesting bound, so a body nested thousands of levels is a
 * 400 before anything walks it. The scan is one pass over the text; it costs a few percent of JSON.parse.
 */
export const jsonBodyPlugin = fp(
  async (app: FastifyInstance) => {
    const parse = app.getDefaultJsonParser("error", "error");
    app.removeContentTypeParser("application/json");
    app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
      const text = typeof body === "string" ? body : body.toString("utf8");
      if (jsonTooDeep(text)) {
        done(
          new Errors.ValidationError(`The request body nests deeper than ${maxJsonDepth} levels`),
          undefined,
        );
        return;
      }
      parse(request, text, done);
    });
  },
  { name: "scaleout-json-body" },
);
