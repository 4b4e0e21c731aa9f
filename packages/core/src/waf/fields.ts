import { bodyInspectionLimit, type EvaluationContext, headerOf, queryArgumentsOf } from "./request-view.ts";
import type { FieldToMatch } from "./types.ts";

/**
 * What a match statement inspects: one value, several (every query argument's value: the statement
 * matches when any does), or nothing (the header or argument is absent: the statement does not match).
 * `oversize` is the body's OversizeHandling verdict when the body is larger than WAF inspects.
 */
export type FieldValue = string | readonly string[] | undefined;

export interface CompiledField {
  read(ctx: EvaluationContext): FieldValue;
  /** Body only: MATCH or NO_MATCH decide an oversize body's statement without inspecting it. */
  oversize?: (ctx: EvaluationContext) => boolean | undefined;
}

export function compileField(field: FieldToMatch): CompiledField {
  if (field.UriPath) return { read: (ctx) => ctx.request.uriPath };
  if (field.QueryString) return { read: (ctx) => ctx.request.queryString };
  if (field.Method) return { read: (ctx) => ctx.request.method };
  if (field.SingleHeader) {
    const name = field.SingleHeader.Name.toLowerCase();
    return { read: (ctx) => headerOf(ctx.request, name) };
  }
  if (field.SingleQueryArgument) {
    const name = field.SingleQueryArgument.Name.toLowerCase();
    return {
      read: (ctx) => {
        const values = queryArgumentsOf(ctx).get(name);
        return values === undefined ? undefined : values.length === 1 ? values[0] : values;
      },
    };
  }
  if (field.AllQueryArguments) return { read: (ctx) => [...queryArgumentsOf(ctx).values()].flat() };
  if (field.Body) {
    const handling = field.Body.OversizeHandling ?? "CONTINUE";
    return {
      read: (ctx) => ctx.request.body ?? "",
      oversize: (ctx) => {
        const size = ctx.request.bodySize ?? ctx.request.body?.length ?? 0;
        if (size <= bodyInspectionLimit || handling === "CONTINUE") return undefined;
        return handling === "MATCH";
      },
    };
  }
  // A field the engine does not inspect (validation refuses it): nothing to match.
  return { read: () => undefined };
}
