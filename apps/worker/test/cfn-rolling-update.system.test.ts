import { exampleAppPath } from "@scaleout/compute";
import { eventually } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { activitiesOf, instancesOf, systemTest, waitForInService } from "./helpers.ts";

/*
 * A stack's AutoScalingRollingUpdate with MaxBatchSize 1, run by a real worker (its cfn-stacks queue and
 * its reconciler) with the process driver: the update of the launch template replaces the group's three
 * instances one at a time (never more than one out of service, never more than three running), as
 * CloudFormation's batches of one would.
 */

const template = (groupName: string, version: string) =>
  JSON.stringify({
    Resources: {
      Template: {
        Type: "AWS::EC2::LaunchTemplate",
        Properties: {
          LaunchTemplateData: {
            UserData: {
              "Fn::Base64": JSON.stringify({
                command: [process.execPath, exampleAppPath],
                environment: { APP_VERSION: version },
              }),
            },
          },
        },
      },
      Group: {
        Type: "AWS::AutoScaling::AutoScalingGroup",
        UpdatePolicy: {
          AutoScalingRollingUpdate: { MaxBatchSize: "1", MinInstancesInService: "0", PauseTime: "PT0S" },
        },
        Properties: {
          AutoScalingGroupName: groupName,
          MinSize: "0",
          MaxSize: "4",
          DesiredCapacity: "3",
          LaunchTemplate: {
            LaunchTemplateId: { Ref: "Template" },
            Version: { "Fn::GetAtt": ["Template", "LatestVersionNumber"] },
          },
        },
      },
    },
  });

describe("AutoScalingRollingUpdate through an instance refresh (process driver)", () => {
  systemTest.scoped({ kind: "process" });
  const test = systemTest;

  test("MaxBatchSize 1 replaces the instances one at a time", async ({ system }) => {
    await system.startWorker();
    const group = system.groupName();
    const stackName = `roll${group.replace(/[^a-zA-Z0-9]/g, "").slice(-12)}`;
    const status = () => system.services.cfnStacks.get(stackName).status;
    const settled = (message: string) =>
      eventually(() => (status().endsWith("_IN_PROGRESS") ? undefined : status()), {
        timeoutMs: 60_000,
        intervalMs: 20,
        message,
      });
    system.services.cfnStacks.create({ stackName, templateBody: template(group, "1") });
    expect(await settled("the stack to be created")).toBe("CREATE_COMPLETE");
    const before = await waitForInService(system, group, 3);

    const updateStarted = new Date().toISOString();
    system.services.cfnStacks.update({ stackName, templateBody: template(group, "2") });
    let fewestInService = 3;
    let mostRunning = 0;
    const final = await eventually(
      () => {
        const running = instancesOf(system, group).filter((i) => i.lifecycleState !== "Terminating");
        fewestInService = Math.min(
          fewestInService,
          running.filter((i) => i.lifecycleState === "InService").length,
        );
        mostRunning = Math.max(mostRunning, running.length);
        const now = status();
        return now.endsWith("_IN_PROGRESS") ? undefined : now;
      },
      { timeoutMs: 60_000, intervalMs: 10, message: "the rolling update to end" },
    );
    expect(final, system.services.cfnStacks.get(stackName).statusReason ?? "").toBe("UPDATE_COMPLETE");
    const [refresh] = system.services.instanceRefreshes.describe(group).items;
    expect(refresh?.preferences).toMatchObject({ minHealthyPercentage: 66, maxHealthyPercentage: 100 });
    expect(fewestInService).toBeGreaterThanOrEqual(2);
    expect(mostRunning).toBeLessThanOrEqual(3);
    // The activities alternate: one taken out of service, its replacement launched, then the next.
    const refreshed = activitiesOf(system, group)
      .filter((a) => a.startTime >= updateStarted)
      .sort((a, b) => a.startTime.localeCompare(b.startTime))
      .map((a) =>
        /^Launching/.test(a.description)
          ? "launch"
          : /^Terminating/.test(a.description)
            ? "out"
            : a.description,
      );
    expect(refreshed).toEqual(["out", "launch", "out", "launch", "out", "launch"]);
    const after = await waitForInService(system, group, 3);
    expect(after.map((i) => i.instanceId)).not.toContain(before[0]?.instanceId);
    expect(after.every((i) => i.launchTemplate.version === "2")).toBe(true);
  }, 120_000);
});
