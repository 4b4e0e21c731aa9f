import { describe, expect, it } from "vitest";
import { checkUpdatable, finalStatus, inProgress } from "./stack-status.ts";

describe("stack statuses", () => {
  const arn = "arn:aws:cloudformation:eu-west-1:123456789012:stack/web/1";

  it("refuses updates of stacks that are busy or failed, in CloudFormation's words", () => {
    expect(() => checkUpdatable(arn, "UPDATE_ROLLBACK_COMPLETE")).not.toThrow();
    expect(() => checkUpdatable(arn, "ROLLBACK_COMPLETE")).toThrow(
      `Stack:${arn} is in ROLLBACK_COMPLETE state and can not be updated.`,
    );
    expect(() => checkUpdatable(arn, "UPDATE_IN_PROGRESS")).toThrow(/UPDATE_IN_PROGRESS state/);
    expect(inProgress("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")).toBe(true);
    expect(inProgress("CREATE_COMPLETE")).toBe(false);
  });

  it("ends each operation where CloudFormation does", () => {
    expect(finalStatus("create", { failed: false })).toBe("CREATE_COMPLETE");
    expect(finalStatus("create", { failed: true })).toBe("ROLLBACK_COMPLETE");
    expect(finalStatus("create", { failed: true, disableRollback: true })).toBe("CREATE_FAILED");
    expect(finalStatus("create", { failed: true, rollbackFailed: true })).toBe("ROLLBACK_FAILED");
    expect(finalStatus("update", { failed: true })).toBe("UPDATE_ROLLBACK_COMPLETE");
    expect(finalStatus("update", { failed: false })).toBe("UPDATE_COMPLETE");
    expect(finalStatus("delete", { failed: true })).toBe("DELETE_FAILED");
  });
});
