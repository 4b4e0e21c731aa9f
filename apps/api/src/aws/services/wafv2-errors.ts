import { WafErrors } from "@scaleout/core";
import type { InputErrors } from "../codec.ts";

/** How WAF words a request that does not fit its model: Smithy's ValidationException. */
export const wafv2InputErrors: InputErrors = {
  missing: (path) =>
    new WafErrors.ValidationException(
      `1 validation error detected: Value null at '${path}' failed to satisfy constraint: Member must not be null`,
    ),
  invalid: (path, value, expected) =>
    new WafErrors.ValidationException(
      `1 validation error detected: Value '${value}' at '${path}' failed to satisfy constraint: Member must be ${expected}`,
    ),
  unsupported: (_path, message) => new WafErrors.ValidationException(message),
  violated: (path, value, constraint) =>
    new WafErrors.ValidationException(
      `1 validation error detected: Value '${value}' at '${path}' failed to satisfy constraint: ${constraint}`,
    ),
};
