// An AWS CDK app (examples/cloudformation/cdk-app: a VPC, an ApplicationLoadBalancer with an HTTP
// listener, an AutoScalingGroup behind it with scaleOnCpuUtilization) synthesized by the real `cdk synth`
// with no network and no AWS credentials, then deployed unchanged to the whole system (api, worker, proxy
// as processes, fast mode, process-driver instances) through @aws-sdk/client-cloudformation as the CDK
// deploys: a change set, executed. The listener serves a request from the group's instance, and
// DeleteStack removes every resource and instance.

import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";
import { DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
} from "@aws-sdk/client-cloudformation";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeInstancesCommand, DescribeLaunchTemplatesCommand } from "@aws-sdk/client-ec2";
import {
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { freePort } from "@scaleout/queue";
import { eventually, integrationTest as test } from "@scaleout/testing";
import { afterEach, expect } from "vitest";
import { inService, instancesWhen, type SdkSystem, servedThrough, startSdkSystem } from "./system-fixture.ts";

const execFileAsync = promisify(execFile);
const cdkApp = join(import.meta.dirname, "..", "..", "..", "..", "examples", "cloudformation", "cdk-app");

let running: SdkSystem | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/**
 * `cdk synth` of the example app into `outdir`, offline: no AWS credentials or profile, the version
 * check, notices and the CLI's telemetry off. The stack is environment-agnostic and looks nothing up, so
 * nothing needs the network. Returns the synthesized template's text.
 */
async function synth(outdir: string, listenerPort: number): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("AWS_")) delete env[key];
  // The CLI and the app it runs (cdk.json: `node --import tsx ...`) on the node running this test.
  await execFileAsync(
    process.execPath,
    [
      join(cdkApp, "node_modules", "aws-cdk", "bin", "cdk"),
      "synth",
      "--no-notices",
      "--quiet",
      "--output",
      outdir,
      "--context",
      `listenerPort=${listenerPort}`,
    ],
    {
      cwd: cdkApp,
      env: {
        ...env,
        PATH: `${dirname(process.execPath)}${delimiter}${env.PATH ?? ""}`,
        CDK_DISABLE_VERSION_CHECK: "1",
        CDK_DISABLE_CLI_TELEMETRY: "true",
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_CONFIG_FILE: join(outdir, "no-such-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(outdir, "no-such-aws-credentials"),
      },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  // No context lookup ran: the CLI writes what it looked up to cdk.context.json.
  expect(existsSync(join(cdkApp, "cdk.context.json"))).toBe(false);
  return readFileSync(join(outdir, "WebService.template.json"), "utf8");
}

const settled = (status: string) => !status.endsWith("_IN_PROGRESS");

test("a cdk-synthesized app deploys through a change set, serves through its listener, and deletes everything", async ({
  redisUrl,
  prefix,
  dataDir,
}) => {
  const port = await freePort();
  // Synthesis (seconds of CPU) runs while the system starts.
  const synthStarted = Date.now();
  const [template, system] = await Promise.all([
    synth(join(dataDir, "cdk.out"), port).then((body) => {
      console.log(`cdk synth: ${Date.now() - synthStarted} ms, template ${body.length} bytes`);
      return body;
    }),
    startSdkSystem({ redisUrl, prefix, dataDir }).then((started) => {
      running = started;
      return started;
    }),
  ]);
  const resources = JSON.parse(template).Resources as Record<string, { Type: string }>;
  expect(Object.values(resources).map((r) => r.Type)).toEqual(
    expect.arrayContaining([
      "AWS::EC2::VPC",
      "AWS::EC2::NatGateway",
      "AWS::ElasticLoadBalancingV2::LoadBalancer",
      "AWS::ElasticLoadBalancingV2::Listener",
      "AWS::AutoScaling::AutoScalingGroup",
      "AWS::AutoScaling::ScalingPolicy",
      "AWS::CDK::Metadata",
    ]),
  );

  const cfn = new CloudFormationClient({
    endpoint: system.sys.api,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
  const name = `cdk${prefix.replace(/[^a-zA-Z0-9]/g, "").slice(-8)}`;
  // An SSM parameter name that neither a stack here nor scaleout's documented defaults hold.
  const imageKey = Object.keys(JSON.parse(template).Parameters).find((k) =>
    k.startsWith("SsmParameterValue"),
  );
  const missing = await cfn
    .send(
      new CreateStackCommand({
        StackName: name,
        TemplateBody: template,
        Capabilities: ["CAPABILITY_IAM"],
        Parameters: [{ ParameterKey: imageKey, ParameterValue: "/my/golden-image" }],
      }),
    )
    .catch((error: Error) => error);
  expect((missing as Error).message).toBe(
    "Unable to fetch parameters [/my/golden-image] from parameter store for this account.",
  );
  const started = Date.now();
  // What `cdk deploy` calls once its assets are published: a CREATE change set with the capabilities
  // the CDK always grants, executed when it is ready.
  const { Id } = await cfn.send(
    new CreateChangeSetCommand({
      StackName: name,
      ChangeSetName: "cdk-deploy-change-set",
      ChangeSetType: "CREATE",
      TemplateBody: template,
      Capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
      Description: "CDK Changeset for execution",
    }),
  );
  const changeSet = await eventually(
    async () => {
      const described = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: Id, StackName: name }));
      return settled(described.Status ?? "CREATE_IN_PROGRESS") ? described : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, message: "the change set" },
  );
  expect(changeSet.Status, changeSet.StatusReason).toBe("CREATE_COMPLETE");
  expect(changeSet.Changes?.length).toBe(Object.keys(resources).length);
  await cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: Id, StackName: name }));
  const created = await eventually(
    async () => {
      const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: name }));
      const stack = Stacks?.[0];
      return stack !== undefined && settled(stack.StackStatus ?? "") ? stack : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 100, message: `stack ${name}\n${system.sys.output().slice(-3000)}` },
  );
  const createdMs = Date.now() - started;
  const { StackEvents } = await cfn.send(new DescribeStackEventsCommand({ StackName: name }));
  const causes = (StackEvents ?? [])
    .filter((e) => e.ResourceStatusReason !== undefined)
    .map((e) => `${e.LogicalResourceId} ${e.ResourceStatus} ${e.ResourceStatusReason}`)
    .join("\n");
  expect(created.StackStatus, causes).toBe("CREATE_COMPLETE");
  const { StackResources } = await cfn.send(new DescribeStackResourcesCommand({ StackName: name }));
  console.log(
    `stack creation (cdk template, ${StackResources?.length} resources, CREATE_COMPLETE): ${createdMs} ms`,
  );
  // The SSM parameters resolved as documented: the CDK's bootstrap version, and the AMI as no image (the
  // process driver runs the launch template's user data).
  const parameter = (key: string) => created.Parameters?.find((p) => p.ParameterKey === key);
  expect(parameter("BootstrapVersion")).toMatchObject({
    ParameterValue: "/cdk-bootstrap/hnb659fds/version",
    ResolvedValue: "33",
  });
  const image = created.Parameters?.find((p) => p.ParameterKey?.startsWith("SsmParameterValueawsserviceami"));
  expect(image).toMatchObject({
    ParameterValue: expect.stringMatching(/^\/aws\/service\/ami-amazon-linux-latest\//),
    ResolvedValue: "",
  });

  const groupName =
    StackResources?.find((r) => r.ResourceType === "AWS::AutoScaling::AutoScalingGroup")
      ?.PhysicalResourceId ?? "";
  const served = await servedThrough(system, port);
  const [instance] = await instancesWhen(system, groupName, inService(1), "one InService instance");
  expect(served).toContain(instance?.InstanceId ?? "no instance");

  const deleteStarted = Date.now();
  await cfn.send(new DeleteStackCommand({ StackName: name }));
  const deleted = await eventually(
    async () => {
      const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: created.StackId }));
      const stack = Stacks?.[0];
      return stack !== undefined && settled(stack.StackStatus ?? "") ? stack : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100, message: `deleting ${name}\n${system.sys.output().slice(-3000)}` },
  );
  expect(deleted.StackStatus, deleted.StackStatusReason).toBe("DELETE_COMPLETE");
  console.log(`stack deletion: ${Date.now() - deleteStarted} ms`);
  const { LoadBalancers } = await system.elbv2.send(new DescribeLoadBalancersCommand({}));
  expect(LoadBalancers ?? []).toEqual([]);
  const { TargetGroups } = await system.elbv2.send(new DescribeTargetGroupsCommand({}));
  expect(TargetGroups ?? []).toEqual([]);
  const { AutoScalingGroups } = await system.autoScaling.send(new DescribeAutoScalingGroupsCommand({}));
  expect(AutoScalingGroups ?? []).toEqual([]);
  const { LaunchTemplates } = await system.ec2.send(new DescribeLaunchTemplatesCommand({}));
  expect(LaunchTemplates ?? []).toEqual([]);
  const { MetricAlarms } = await system.cloudWatch.send(new DescribeAlarmsCommand({}));
  expect(MetricAlarms ?? []).toEqual([]);
  // Terminated instances leave DescribeInstances; any still listed must be terminated.
  await eventually(
    async () => {
      const { Reservations } = await system.ec2.send(new DescribeInstancesCommand({}));
      const listed = (Reservations ?? []).flatMap((r) => r.Instances ?? []);
      return listed.every((i) => i.State?.Name === "terminated") ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, message: "every instance terminated" },
  );
}, 180_000);
