import type { ResourceValues } from "./intrinsics.ts";
import type { PseudoParameters } from "./pseudo-parameters.ts";
import type { TemplateValue } from "./value.ts";

/** Pseudo parameters of a test stack. */
export const testPseudo: PseudoParameters = {
  region: "us-east-1",
  accountId: "123456789012",
  stackName: "web",
  stackId: "arn:aws:cloudformation:us-east-1:123456789012:stack/web/6b2c9a70-0000-4000-8000-000000000001",
  partition: "aws",
  urlSuffix: "amazonaws.com",
  notificationArns: [],
};

/** Resource values from fixed tables, as the stack executor will give them. */
export function fixedResources(
  refs: Record<string, string>,
  attributes: Record<string, TemplateValue> = {},
  exports: Record<string, string> = {},
): ResourceValues {
  return {
    ref: (id) => (Object.hasOwn(refs, id) ? refs[id] : undefined),
    getAtt: (id, attribute) => {
      const key = `${id}.${attribute}`;
      return Object.hasOwn(attributes, key) ? attributes[key] : undefined;
    },
    importValue: (name) => (Object.hasOwn(exports, name) ? exports[name] : undefined),
  };
}
