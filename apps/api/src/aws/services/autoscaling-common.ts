import { Errors } from "@scaleout/core";
import { bool, int, list, req, str, struct } from "../shapes.ts";

/* Wire shapes and helpers the Auto Scaling door's operations share (botocore autoscaling 2011-01-01). */

export const Tag = struct({
  key: req(str),
  resourceId: str,
  resourceType: str,
  value: str,
  propagateAtLaunch: bool,
});
export const TagDescription = struct({
  resourceId: str,
  resourceType: str,
  key: str,
  value: str,
  propagateAtLaunch: bool,
});
export const TrafficSourceIdentifier = struct({ identifier: req(str), type: str });
export const Filter = struct({ name: str, values: list(str) });
export const page = { nextToken: str, maxRecords: int };
export const Empty = struct({});

/** Traffic sources are target groups: the only kind scaleout has (type elbv2). */
export function targetGroupsOf(sources: Array<{ identifier: string; type?: string }> | undefined): string[] {
  return (sources ?? []).map((source) => {
    const type = source.type ?? "elbv2";
    if (type !== "elbv2") {
      throw new Errors.ValidationError(
        `Traffic source type '${type}' is not supported by scaleout: only elbv2 (target groups) is`,
      );
    }
    return source.identifier;
  });
}
