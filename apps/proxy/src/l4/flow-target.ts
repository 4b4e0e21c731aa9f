import { type FlowTuple, flowHash, pickByFlowHash } from "@scaleout/core";
import type { TargetGroupRuntime, TargetState } from "../targets.ts";

/**
 * The target a new flow goes to: a hash of its 5-tuple (or its source address under
 * `stickiness.type=source_ip`) over the targets that may take new flows. Those are NLB's as ALB's
 * (TargetGroupRuntime.routableTargets): healthy ones; when none is healthy, every registered one that is
 * not draining, `initial` included (fail-open); with health checks off, all of them.
 */
export function flowTarget(
  runtime: TargetGroupRuntime,
  tuple: FlowTuple,
  now: number,
): TargetState | undefined {
  const a = runtime.config.attributes;
  const sticky = a["stickiness.enabled"] === "true" && a["stickiness.type"] === "source_ip";
  return pickByFlowHash(runtime.routableTargets(now), flowHash(tuple, sticky ? "source_ip" : "none"));
}
