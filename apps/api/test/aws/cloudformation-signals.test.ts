// SignalResource and CreationPolicy through @aws-sdk/client-cloudformation against an in-process api; the
// test plays the worker (runStackOperation, as the cfn-stacks job calls it) and the instances (their
// signals). A resource waits for Count SUCCESS signals, each an event; a FAILURE signal or the Timeout
// fails it and rolls the stack back in CloudFormation's words; an instance's own key may signal only
// as itself.

import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type ResourceSignalStatus,
  SignalResourceCommand,
} from "@aws-sdk/client-cloudformation";
import { instanceAccessKeyId } from "@scaleout/core";
import { runStackOperation } from "@scaleout/services";
import { eventually } from "@scaleout/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, failure, startAwsApi } from "./helpers.ts";

const token = "signal-token";
let api: AwsTestApi;

const clientOf = (accessKeyId: string) =>
  new CloudFormationClient({
    endpoint: api.endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId, secretAccessKey: "secret" },
    maxAttempts: 1,
  });

beforeAll(async () => {
  api = await startAwsApi({ fast: true, apiToken: token });
});

afterAll(async () => {
  await api.close();
});

const template = (count: number, timeout: string) => `
Parameters:
  Count: { Type: Number, Default: ${count} }
Resources:
  Vpc: { Type: AWS::EC2::VPC }
  Waiting:
    Type: AWS::CloudFormation::WaitCondition
    DependsOn: Vpc
    CreationPolicy: { ResourceSignal: { Count: !Ref Count, Timeout: ${timeout} } }
  After:
    Type: AWS::SSM::Parameter
    Properties: { Type: String, Value: !GetAtt Waiting.Data }
`;

async function started(name: string, body: string) {
  const cfn = clientOf(token);
  const { StackId } = await cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: body }));
  const run = runStackOperation(api.services, StackId ?? "");
  // The executor has created the resource and waits on its signals.
  await eventually(
    () =>
      api.services.cfnStacks
        .events(name)
        .some((e) => e.logicalId === "Waiting" && e.statusReason === "Resource creation Initiated") ||
      undefined,
    { timeoutMs: 10_000, message: "the resource waiting for signals" },
  );
  return { cfn, run };
}

const signal = (cfn: CloudFormationClient, StackName: string, UniqueId: string, Status = "SUCCESS") =>
  // Status as the wire carries it: a string, so the test can send one outside the enum.
  cfn.send(
    new SignalResourceCommand({
      StackName,
      LogicalResourceId: "Waiting",
      UniqueId,
      Status: Status as ResourceSignalStatus,
    }),
  );

async function eventsOf(cfn: CloudFormationClient, name: string) {
  const { StackEvents } = await cfn.send(new DescribeStackEventsCommand({ StackName: name }));
  return (StackEvents ?? []).map((e) =>
    `${e.LogicalResourceId} ${e.ResourceStatus} ${e.ResourceStatusReason ?? ""}`.trim(),
  );
}

describe("CreationPolicy", () => {
  test("the resource stays CREATE_IN_PROGRESS until Count SUCCESS signals, then the stack completes", async () => {
    const { cfn, run } = await started("counted", template(2, "PT60S"));
    await signal(cfn, "counted", "i-0aaaaaaaaaaaaaaa1");
    await signal(cfn, "counted", "i-0aaaaaaaaaaaaaaa1");
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: "counted" }));
    expect(Stacks?.[0]?.StackStatus).toBe("CREATE_IN_PROGRESS");
    await signal(cfn, "counted", "i-0aaaaaaaaaaaaaaa2");
    expect(await run).toBe("CREATE_COMPLETE");
    const events = (await eventsOf(cfn, "counted")).reverse();
    expect(events.filter((e) => e.startsWith("Waiting"))).toEqual([
      "Waiting CREATE_IN_PROGRESS",
      "Waiting CREATE_IN_PROGRESS Resource creation Initiated",
      "Waiting CREATE_IN_PROGRESS Received SUCCESS signal with UniqueId i-0aaaaaaaaaaaaaaa1",
      "Waiting CREATE_IN_PROGRESS Received SUCCESS signal with UniqueId i-0aaaaaaaaaaaaaaa1",
      "Waiting CREATE_IN_PROGRESS Received SUCCESS signal with UniqueId i-0aaaaaaaaaaaaaaa2",
      "Waiting CREATE_COMPLETE",
    ]);
    // What depends on it was created after it.
    expect(events.indexOf("After CREATE_IN_PROGRESS")).toBeGreaterThan(
      events.indexOf("Waiting CREATE_COMPLETE"),
    );
    expect((await failure(signal(cfn, "counted", "i-0aaaaaaaaaaaaaaa3"))).message).toBe(
      "Resource Waiting is in CREATE_COMPLETE state and cannot be signaled",
    );
  });

  test("a FAILURE signal fails the resource and rolls the stack back", async () => {
    const { cfn, run } = await started("refused", template(1, "PT60S"));
    await signal(cfn, "refused", "i-0bbbbbbbbbbbbbbb1", "FAILURE");
    expect(await run).toBe("ROLLBACK_COMPLETE");
    const events = await eventsOf(cfn, "refused");
    expect(events).toContain(
      "Waiting CREATE_FAILED Received FAILURE signal with UniqueId i-0bbbbbbbbbbbbbbb1",
    );
    expect(events).toContain("Waiting DELETE_COMPLETE");
    expect(events.at(0)).toBe("refused ROLLBACK_COMPLETE");
  });

  test("no signal within the Timeout: CloudFormation's message, and a rollback", async () => {
    const { cfn, run } = await started("silent", template(1, "PT1S"));
    expect(await run).toBe("ROLLBACK_COMPLETE");
    const events = await eventsOf(cfn, "silent");
    expect(events).toContain(
      "Waiting CREATE_FAILED Failed to receive 1 resource signal(s) within the specified duration",
    );
    expect(events).toContain(
      "silent ROLLBACK_IN_PROGRESS The following resource(s) failed to create: [Waiting]. Rollback requested by user.",
    );
  });

  test("SignalResource's input errors, in CloudFormation's words", async () => {
    const cfn = clientOf(token);
    expect((await failure(signal(cfn, "nostack", "i-1"))).message).toBe(
      "Stack with id nostack does not exist",
    );
    expect((await failure(signal(cfn, "counted", "i-1", "MAYBE"))).message).toMatch(
      /Member must satisfy enum value set: \[SUCCESS, FAILURE\]/,
    );
    const missing = await failure(
      cfn.send(
        new SignalResourceCommand({
          StackName: "counted",
          LogicalResourceId: "Nope",
          UniqueId: "i-1",
          Status: "SUCCESS",
        }),
      ),
    );
    expect(missing.message).toBe("Resource Nope does not exist for stack counted");
  });

  test("an instance's own key signals as itself only", async () => {
    const own = "i-0ccccccccccccccc1";
    const { run } = await started("instance", template(1, "PT60S"));
    const instance = clientOf(instanceAccessKeyId(token, own));
    const denied = await failure(signal(instance, "instance", "i-0ccccccccccccccc2"));
    expect(denied.name).toBe("AccessDenied");
    expect(denied.message).toMatch(/not authorized to perform: cloudformation:SignalResource/);
    await signal(instance, "instance", own);
    expect(await run).toBe("CREATE_COMPLETE");
  });
});
