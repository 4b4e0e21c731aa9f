import { Errors } from "../errors.ts";

/** CloudFormation's stack statuses (the ones a stack without imports or drift can reach). */
export const stackStatuses = [
  "CREATE_IN_PROGRESS",
  "CREATE_FAILED",
  "CREATE_COMPLETE",
  "ROLLBACK_IN_PROGRESS",
  "ROLLBACK_FAILED",
  "ROLLBACK_COMPLETE",
  "DELETE_IN_PROGRESS",
  "DELETE_FAILED",
  "DELETE_COMPLETE",
  "UPDATE_IN_PROGRESS",
  "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
  "UPDATE_COMPLETE",
  "UPDATE_FAILED",
  "UPDATE_ROLLBACK_IN_PROGRESS",
  "UPDATE_ROLLBACK_FAILED",
  "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
  "UPDATE_ROLLBACK_COMPLETE",
  "REVIEW_IN_PROGRESS",
] as const;
export type StackStatus = (typeof stackStatuses)[number];

/** CloudFormation's resource statuses, as stack events and DescribeStackResources report them. */
export const resourceStatuses = [
  "CREATE_IN_PROGRESS",
  "CREATE_FAILED",
  "CREATE_COMPLETE",
  "DELETE_IN_PROGRESS",
  "DELETE_FAILED",
  "DELETE_COMPLETE",
  "DELETE_SKIPPED",
  "UPDATE_IN_PROGRESS",
  "UPDATE_FAILED",
  "UPDATE_COMPLETE",
] as const;
export type ResourceStatus = (typeof resourceStatuses)[number];

/** Statuses in which a stack is at rest and may be updated (UpdateStack, ExecuteChangeSet). */
const updatable: readonly StackStatus[] = ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"];

/** Refuses an update of a stack that is busy or failed, in CloudFormation's words. */
export function checkUpdatable(stackId: string, status: StackStatus): void {
  if (updatable.includes(status)) return;
  throw new Errors.ValidationError(`Stack:${stackId} is in ${status} state and can not be updated.`);
}

/** Whether a stack is still being worked on (nothing else may start on it). */
export const inProgress = (status: StackStatus): boolean => status.endsWith("_IN_PROGRESS");

/**
 * The stack status an operation ends in: a create that fails rolls back (ROLLBACK_COMPLETE, a stack
 * that can only be deleted) unless rollback is disabled (CREATE_FAILED); an update that fails rolls
 * back to the previous template (UPDATE_ROLLBACK_COMPLETE).
 */
export function finalStatus(
  operation: "create" | "update" | "delete",
  outcome: { failed: boolean; rollbackFailed?: boolean; disableRollback?: boolean },
): StackStatus {
  if (operation === "delete") return outcome.failed ? "DELETE_FAILED" : "DELETE_COMPLETE";
  if (!outcome.failed) return operation === "create" ? "CREATE_COMPLETE" : "UPDATE_COMPLETE";
  if (operation === "create") {
    if (outcome.disableRollback === true) return "CREATE_FAILED";
    return outcome.rollbackFailed === true ? "ROLLBACK_FAILED" : "ROLLBACK_COMPLETE";
  }
  if (outcome.disableRollback === true) return "UPDATE_FAILED";
  return outcome.rollbackFailed === true ? "UPDATE_ROLLBACK_FAILED" : "UPDATE_ROLLBACK_COMPLETE";
}
