import { type LifecycleState, terminatingTransition, waitDecision } from "@scaleout/core";
import { lifecycleRegistry } from "@scaleout/services";
import type { WorkerContext } from "../../context.ts";
import type { InstanceStep } from "./pass-state.ts";

/*
 * Termination lifecycle hooks. After deregistration and draining, an instance of a group with
 * termination hooks waits in Terminating:Wait (still running) until every action has ended or timed out;
 * then Terminating:Proceed, stopped, Terminated. As in AWS, CONTINUE and ABANDON both terminate.
 */

export function createTerminatingWaitSteps(
  ctx: WorkerContext,
  finish: InstanceStep,
): Partial<Record<LifecycleState, InstanceStep>> {
  const { log } = ctx;
  const waits = lifecycleRegistry(ctx.services.ctx);

  const wait: InstanceStep = async (row, pass) => {
    // A forced delete ends outstanding lifecycle actions, as AWS's does.
    const deleting = pass.snapshot.group.status !== null;
    const outcome = waitDecision(waits.actions(row.id, terminatingTransition), pass.now);
    if (outcome.decision === "wait" && !deleting) return;
    waits.proceedTermination(row.id);
    log.info("termination lifecycle actions ended", { group: row.groupName, instance: row.id });
    await finish(row, pass);
  };

  // Terminating:Proceed: the wait is over (also after a crash between the two steps above).
  const proceed: InstanceStep = (row, pass) => finish(row, pass);

  return { "Terminating:Wait": wait, "Terminating:Proceed": proceed };
}
