import { eventually } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { createLogger } from "../src/log.ts";
import {
  activitiesOf,
  createExampleTemplate,
  get,
  instancesOf,
  systemTest,
  waitForInService,
  waitUntilAnswering,
} from "./helpers.ts";

const when = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/.source;

describe("collect-metrics, evaluate-alarms and execute-policy (process driver)", () => {
  systemTest.scoped({ kind: "process" });

  systemTest(
    "CPU load drives a CPU alarm into ALARM, its policy scales the group out, and the alarm repeats its action",
    async ({ system }) => {
      // The worker's log lines, read at the end: each state change at info exactly once.
      const lines: string[] = [];
      await system.startWorker({ log: createLogger("debug", (line) => void lines.push(line)) });
      const group = system.groupName();
      createExampleTemplate(system, `tpl-${group}`);
      system.services.groups.create({
        autoScalingGroupName: group,
        launchTemplate: { launchTemplateName: `tpl-${group}` },
        minSize: 1,
        maxSize: 2,
        desiredCapacity: 1,
        defaultCooldown: 0,
      });
      const [instance] = await waitForInService(system, group, 1);
      if (!instance) throw new Error("no instance");
      await waitUntilAnswering(instance.port ?? 0);

      // CPUUtilization per instance and per group lands in the metric store each second.
      const statistics = (dimension: string, value: string) =>
        system.services.metrics.statistics({
          namespace: "AWS/EC2",
          metricName: "CPUUtilization",
          dimensions: [{ name: dimension, value }],
          startTime: Math.floor(Date.now() / 1000) - 60,
          endTime: Math.floor(Date.now() / 1000) + 1,
          period: 60,
          statistics: ["Average", "SampleCount"],
        }).datapoints;
      await eventually(
        () =>
          (statistics("InstanceId", instance.instanceId)[0]?.sampleCount ?? 0) >= 2 &&
          (statistics("AutoScalingGroupName", group)[0]?.sampleCount ?? 0) >= 2
            ? true
            : undefined,
        { timeoutMs: 10_000, message: "CPU datapoints" },
      );
      expect(statistics("InstanceId", instance.instanceId)[0]?.unit).toBe("Percent");

      const { policy } = system.services.policies.put(group, {
        policyName: "add-one",
        policyType: "SimpleScaling",
        adjustmentType: "ChangeInCapacity",
        scalingAdjustment: 1,
        cooldown: 0,
      });
      const alarmName = `cpu-high-${group}`;
      system.services.alarms.put(alarmName, {
        namespace: "AWS/EC2",
        metricName: "CPUUtilization",
        dimensions: [{ name: "AutoScalingGroupName", value: group }],
        statistic: "Average",
        period: 1,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        // Low: on a loaded machine (CI: 2 cores, the suite twice) a burning instance gets what the scheduler
        // gives it, at times a sixth of a core, while an idle one stays near 0 %. 5 % still tells them apart,
        // for one instance and for the two-instance average that must stay above it below.
        threshold: 5,
        comparisonOperator: "GreaterThanThreshold",
        alarmActions: [policy.policyARN],
      });
      await eventually(() => (system.services.alarms.get(alarmName).stateValue === "OK" ? true : undefined), {
        timeoutMs: 10_000,
        message: "the alarm OK while idle",
      });

      // Burn the first instance's CPU (the app blocks its event loop for each request).
      let burning = true;
      const burn = (async () => {
        while (burning) await get(instance.port ?? 0, "/burn?ms=400").catch(() => undefined);
      })();
      try {
        await eventually(
          () => (system.services.alarms.get(alarmName).stateValue === "ALARM" ? true : undefined),
          {
            timeoutMs: 15_000,
            message: "ALARM",
          },
        );
        const alarm = system.services.alarms.get(alarmName);
        expect(alarm.stateReason).toMatch(/^Threshold Crossed: 2 out of the last 2 datapoints/);
        await waitForInService(system, group, 2, 15_000);
        const launch = activitiesOf(system, group).find(
          (a) => a.description.startsWith("Launching") && a.cause.includes(alarmName),
        );
        expect(launch?.cause).toMatch(
          new RegExp(
            `^At ${when} a monitor alarm ${alarmName} in state ALARM triggered policy add-one changing the desired capacity from 1 to 2\\.  At ${when} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 1 to 2\\.$`,
          ),
        );
        // Staying in ALARM (one instance still burns: the group's average stays above 5 %), it invokes
        // the policy again every period in fast mode; at the maximum that changes nothing, but each is an
        // Action in the alarm's history.
        await eventually(
          () => {
            const actions = system.services.alarms
              .history(alarmName, { historyItemType: "Action" })
              .items.filter((item) => item.historySummary.includes(policy.policyARN));
            return actions.length >= 2 ? actions : undefined;
          },
          { timeoutMs: 15_000, message: "repeated actions" },
        );
      } finally {
        burning = false;
        await burn;
      }
      expect(instancesOf(system, group)).toHaveLength(2);
      expect(system.services.groups.get(group).desiredCapacity).toBe(2);

      // The worker stops first, so its log and the alarm's history are read at rest.
      await system.stopWorker();
      // One log format: every line JSON with level, time, process and msg.
      const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const record of records) {
        expect(record).toMatchObject({ process: "worker" });
        expect(typeof record.level).toBe("string");
        expect(typeof record.time).toBe("string");
        expect(typeof record.msg).toBe("string");
      }
      const info = (msg: string) => records.filter((r) => r.level === "info" && r.msg === msg).length;
      // Each state change once, at info, though the alarm was evaluated every second and repeated its action:
      // as many lines as the alarm's history has updates. (How many there are depends on the CPU the burning
      // instance got each second: a starved second can take the average under the threshold and back.)
      const stateUpdates = system.services.alarms
        .history(alarmName, { historyItemType: "StateUpdate" })
        .items.map((item) => item.historySummary);
      const updates = (from: string, to: string) =>
        stateUpdates.filter((summary) => summary === `Alarm updated from ${from} to ${to}`).length;
      expect(info(`alarm ${alarmName}: OK → ALARM`)).toBeGreaterThanOrEqual(1);
      for (const [from, to] of [
        ["INSUFFICIENT_DATA", "OK"],
        ["INSUFFICIENT_DATA", "ALARM"],
        ["OK", "ALARM"],
        ["ALARM", "OK"],
      ] as const) {
        expect(info(`alarm ${alarmName}: ${from} → ${to}`)).toBe(updates(from, to));
      }
      expect(info("policy executed: desired 1 → 2")).toBe(1);
      for (const row of instancesOf(system, group)) {
        expect(info(`activity started: Launching a new EC2 instance: ${row.instanceId}`)).toBe(1);
        expect(info(`activity ended: Launching a new EC2 instance: ${row.instanceId}: Successful`)).toBe(1);
      }
      // The repeats are debug: none of them at info.
      const repeats = records.filter((r) => r.msg === "alarm actions invoked again");
      expect(repeats.length).toBeGreaterThanOrEqual(1);
      expect(repeats.every((r) => r.level === "debug")).toBe(true);
      expect(records.filter((r) => r.msg === "policy executed" && r.level === "info")).toEqual([]);
    },
  );
});
