import {
  abandonedLaunchMessage,
  type LifecycleState,
  launchingTransition,
  waitDecision,
} from "@scaleout/core";
import { lifecycleRegistry } from "@scaleout/services";
import type { WorkerContext } from "../../context.ts";
import type { Launcher } from "./launches.ts";
import { alive, type InstanceStep } from "./pass-state.ts";

/*
 * Launch lifecycle hooks. A Pending:Wait instance runs but is in no target group; it waits until every
 * hook's action has ended. All CONTINUE: Pending:Proceed, then InService and registered. One ABANDON
 * (a user's, or a heartbeat or global timeout whose DefaultResult is ABANDON): the runtime stops it, its
 * launch activity is Cancelled with AWS's status message, and the capacity step launches a replacement.
 * Passes come back while an instance waits (Pending:Wait is a transit state), so a timeout is seen within
 * followUpMs of its deadline.
 */

export function createPendingWaitSteps(
  ctx: WorkerContext,
  launcher: Launcher,
): Partial<Record<LifecycleState, InstanceStep>> {
  const { log } = ctx;
  const waits = lifecycleRegistry(ctx.services.ctx);

  const wait: InstanceStep = async (row, pass) => {
    if (!alive(pass.runtime.get(row.id))) {
      // The instance died while it waited: nothing can complete its bootstrap any more.
      await launcher.terminateRuntime(row.id);
      waits.abandonLaunch(row.id, "Instance stopped while it waited for its lifecycle actions");
      pass.replaced++;
      log.warn("instance gone during its launch lifecycle action", {
        group: row.groupName,
        instance: row.id,
      });
      return;
    }
    const actions = waits.actions(row.id, launchingTransition);
    const outcome = waitDecision(actions, pass.now);
    if (outcome.decision === "wait") return;
    if (outcome.decision === "continue") {
      waits.proceedLaunch(row.id);
      waits.putInService(row.id);
      log.info("launch lifecycle actions continued", { group: row.groupName, instance: row.id });
      return;
    }
    // Stopped first: a crash before the row is closed leaves Pending:Wait with the same ended action,
    // and the next pass repeats this.
    const token = actions[outcome.index]?.token ?? "";
    await launcher.terminateRuntime(row.id);
    waits.abandonLaunch(row.id, abandonedLaunchMessage(token, outcome.end));
    pass.replaced++;
    pass.outcome.terminated++;
    log.info("launch lifecycle action abandoned", {
      group: row.groupName,
      instance: row.id,
      reason: outcome.end.reason,
    });
  };

  // A worker that died between the two steps of a CONTINUE finishes the second.
  const proceed: InstanceStep = async (row) => {
    waits.putInService(row.id);
  };

  return { "Pending:Wait": wait, "Pending:Proceed": proceed };
}
