import { Errors, jsonTooDeep, maxJsonDepth } from "@scaleout/core";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/**
 * REST bodies: fastify's own JSON parser (secure-json-parse, refusing `__proto__` and `constructor`
 * poisoning as fastify does by default) behind a nesting bound, so a body nested thousands of levels is a
 * 400 before anything walks it. Measured on a loaded 2-core machine: the scan costs about 40% of
 * JSON.parse, 0.3 µs for a typical body and 0.1 ms for a 33 KB registration of 1,000 targets.
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
