import type { Rule } from "@aws-sdk/client-wafv2";

/** What the wafv2 SDK tests share: a visibility config and a one-statement rule. */

export const visibility = (MetricName: string) => ({
  SampledRequestsEnabled: true,
  CloudWatchMetricsEnabled: true,
  MetricName,
});

export function sizeRule(Name: string, Priority: number): Rule {
  return {
    Name,
    Priority,
    Statement: {
      SizeConstraintStatement: {
        FieldToMatch: { Body: { OversizeHandling: "MATCH" } },
        ComparisonOperator: "GT",
        Size: 8192,
        TextTransformations: [{ Priority: 0, Type: "NONE" }],
      },
    },
    Action: { Block: {} },
    VisibilityConfig: visibility(Name),
  };
}
