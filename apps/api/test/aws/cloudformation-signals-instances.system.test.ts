// CreationPolicy against the whole system (api, worker and proxy as processes, fast mode, process-driver
// instances), through @aws-sdk/client-cloudformation: a group whose instances signal from their user
// data, as on EC2 (`aws cloudformation signal-resource` with the instance id from IMDSv2, or the same
// request through the SDK where the CLI is not installed), reaches CREATE_COMPLETE; a group whose
// instances never signal fails with CloudFormation's timeout message and rolls back, its instances gone.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
} from "@aws-sdk/client-cloudformation";
import { eventually } from "@scaleout/testing";
import { expect } from "vitest";
import { exampleApp } from "../../../../tests/e2e/system.ts";
import { groupOf, type SdkSystem, sdkTest as test } from "./system-fixture.ts";

const awsCli = await promisify(execFile)("aws", ["--version"]).then(
  () => existsSync("/usr/bin/curl") || existsSync("/bin/curl"),
  () => false,
);
const sdkSignal = join(import.meta.dirname, "cfn-signal.mjs");

/** The user data: signal the group as this instance, then serve. */
function userData(stackName: string, signals: boolean): string {
  const app = `exec "${process.execPath}" "${exampleApp}"`;
  if (!signals) return app;
  if (!awsCli) return `"${process.execPath}" "${sdkSignal}" ${stackName} Group SUCCESS\n${app}\n`;
  return `
IMDS="$AWS_EC2_METADATA_SERVICE_ENDPOINT"
TOKEN=$(curl -sS -X PUT "\${IMDS}latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
ID=$(curl -sS -H "X-aws-ec2-metadata-token: $TOKEN" "\${IMDS}latest/meta-data/instance-id")
AWS_MAX_ATTEMPTS=1 aws cloudformation signal-resource --stack-name ${stackName} \\
  --logical-resource-id Group --unique-id "$ID" --status SUCCESS
${app}
`;
}

const template = (count: number, timeout: string) => `
Parameters:
  UserData: { Type: String }
Resources:
  LaunchTemplate:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        InstanceType: t3.micro
        UserData: { "Fn::Base64": !Ref UserData }
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    CreationPolicy:
      ResourceSignal: { Count: ${count}, Timeout: ${timeout} }
      AutoScalingCreationPolicy: { MinSuccessfulInstancesPercent: 100 }
    Properties:
      MinSize: ${count}
      MaxSize: ${count}
      DesiredCapacity: ${count}
      VPCZoneIdentifier: [subnet-local]
      LaunchTemplate:
        LaunchTemplateId: !Ref LaunchTemplate
        Version: !GetAtt LaunchTemplate.LatestVersionNumber
`;

async function settledStack(cfn: CloudFormationClient, name: string, system: SdkSystem) {
  return eventually(
    async () => {
      const stack = (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
      const status = stack?.StackStatus ?? "";
      return status.endsWith("_IN_PROGRESS") ? undefined : stack;
    },
    { timeoutMs: 60_000, intervalMs: 100, message: `stack ${name}\n${system.sys.output().slice(-3000)}` },
  );
}

test("instances that signal from their user data complete the group; silent ones time out and roll back", async ({
  system,
  prefix,
}) => {
  const cfn = new CloudFormationClient({
    endpoint: system.sys.api,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
  const suffix = prefix.replace(/[^a-zA-Z0-9]/g, "").slice(-8);
  const signalling = `sig${suffix}`;
  const silent = `mute${suffix}`;
  const started = Date.now();
  await Promise.all([
    cfn.send(
      new CreateStackCommand({
        StackName: signalling,
        TemplateBody: template(2, "PT60S"),
        Parameters: [{ ParameterKey: "UserData", ParameterValue: userData(signalling, true) }],
      }),
    ),
    cfn.send(
      new CreateStackCommand({
        StackName: silent,
        TemplateBody: template(1, "PT3S"),
        Parameters: [{ ParameterKey: "UserData", ParameterValue: userData(silent, false) }],
      }),
    ),
  ]);
  const [completed, failed] = await Promise.all([
    settledStack(cfn, signalling, system),
    settledStack(cfn, silent, system),
  ]);
  console.log(`signalled group (2 instances, ${awsCli ? "AWS CLI" : "SDK"}): ${Date.now() - started} ms`);

  const events = async (name: string) =>
    ((await cfn.send(new DescribeStackEventsCommand({ StackName: name }))).StackEvents ?? []).map((e) =>
      `${e.LogicalResourceId} ${e.ResourceStatus} ${e.ResourceStatusReason ?? ""}`.trim(),
    );
  const signalEvents = await events(signalling);
  expect(completed?.StackStatus, signalEvents.join("\n")).toBe("CREATE_COMPLETE");
  const { StackResourceDetail } = await cfn.send(
    new DescribeStackResourceCommand({ StackName: signalling, LogicalResourceId: "Group" }),
  );
  const instances = (await groupOf(system, StackResourceDetail?.PhysicalResourceId ?? "")).Instances ?? [];
  expect(instances).toHaveLength(2);
  const received = signalEvents.filter((e) =>
    e.startsWith("Group CREATE_IN_PROGRESS Received SUCCESS signal"),
  );
  expect(received.map((e) => e.slice(e.lastIndexOf(" ") + 1)).sort()).toEqual(
    instances.map((i) => i.InstanceId).sort(),
  );

  const silentEvents = await events(silent);
  expect(failed?.StackStatus, silentEvents.join("\n")).toBe("ROLLBACK_COMPLETE");
  expect(silentEvents).toContain(
    "Group CREATE_FAILED Failed to receive 1 resource signal(s) within the specified duration",
  );
  expect(silentEvents).toContain("Group DELETE_COMPLETE");
  const groups = await system.autoScaling.send(new DescribeAutoScalingGroupsCommand({}));
  expect((groups.AutoScalingGroups ?? []).map((g) => g.AutoScalingGroupName)).toEqual([
    StackResourceDetail?.PhysicalResourceId,
  ]);
}, 120_000);
