// CloudFormation stacks through @aws-sdk/client-cloudformation against the whole system (api, worker and
// proxy as processes, fast mode, process-driver instances): the example template deploys real resources
// that serve traffic, an update of the launch template rolls the group's template, a failing resource
// rolls the stack back with events naming the cause, and DeleteStack removes every resource and instance.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type Parameter,
  UpdateStackCommand,
} from "@aws-sdk/client-cloudformation";
import {
  DescribeLoadBalancersCommand,
  DescribeTargetHealthCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { freePort } from "@scaleout/queue";
import { eventually } from "@scaleout/testing";
import { expect } from "vitest";
import { exampleApp } from "../../../../tests/e2e/system.ts";
import {
  groupOf,
  inService,
  instancesWhen,
  type SdkSystem,
  servedThrough,
  sdkTest as test,
} from "./system-fixture.ts";

const examples = join(import.meta.dirname, "..", "..", "..", "..", "examples", "cloudformation");
const template = readFileSync(join(examples, "web-service.yaml"), "utf8");

function clientOf(system: SdkSystem) {
  return new CloudFormationClient({
    endpoint: system.sys.api,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
}

async function stackWhen(
  cfn: CloudFormationClient,
  name: string,
  done: (status: string) => boolean,
  system: SdkSystem,
) {
  return eventually(
    async () => {
      const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: name }));
      const stack = Stacks?.[0];
      return stack !== undefined && done(stack.StackStatus ?? "") ? stack : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 100, message: `stack ${name}\n${system.sys.output().slice(-3000)}` },
  );
}

/** The stack's failure events, for an assertion's message. */
async function causes(cfn: CloudFormationClient, name: string): Promise<string> {
  const { StackEvents } = await cfn.send(new DescribeStackEventsCommand({ StackName: name }));
  return (StackEvents ?? [])
    .filter((e) => e.ResourceStatusReason !== undefined)
    .map((e) => `${e.LogicalResourceId} ${e.ResourceStatus} ${e.ResourceStatusReason}`)
    .join("\n");
}

const settled = (status: string) => !status.endsWith("_IN_PROGRESS");

test("the example template deploys, serves through its listener, updates its launch template, and deletes everything", async ({
  system,
  prefix,
}) => {
  const cfn = clientOf(system);
  const port = await freePort();
  const name = `web${prefix.replace(/[^a-zA-Z0-9]/g, "").slice(-8)}`;
  const parameters = (command: string): Parameter[] => [
    { ParameterKey: "ListenerPort", ParameterValue: String(port) },
    { ParameterKey: "ImageId", ParameterValue: "" },
    { ParameterKey: "AppCommand", ParameterValue: command },
  ];
  const started = Date.now();
  const { StackId } = await cfn.send(
    new CreateStackCommand({
      StackName: name,
      TemplateBody: template,
      Parameters: parameters(`exec ${process.execPath} ${exampleApp}`),
    }),
  );
  expect(StackId).toMatch(new RegExp(`^arn:aws:cloudformation:eu-west-1:\\d{12}:stack/${name}/`));
  const created = await stackWhen(cfn, name, settled, system);
  const createdMs = Date.now() - started;
  expect(created.StackStatus, await causes(cfn, name)).toBe("CREATE_COMPLETE");
  console.log(`stack creation (10 resources, CREATE_COMPLETE): ${createdMs} ms`);
  expect(created.Outputs?.find((o) => o.OutputKey === "Url")?.OutputValue).toMatch(
    new RegExp(`^http://${name}-alb-\\d+\\..*:${port}/$`),
  );

  const { StackResources } = await cfn.send(new DescribeStackResourcesCommand({ StackName: name }));
  const physical = Object.fromEntries(
    (StackResources ?? []).map((r) => [r.LogicalResourceId, r.PhysicalResourceId]),
  );
  expect(StackResources?.every((r) => r.ResourceStatus === "CREATE_COMPLETE")).toBe(true);
  const groupName = physical.Group ?? "";
  expect(groupName).toMatch(new RegExp(`^${name}-Group-`));

  // A request through the listener reaches one of the group's instances.
  const served = await servedThrough(system, port);
  const [instance] = await instancesWhen(system, groupName, inService(1), "one InService instance");
  expect(served).toContain(instance?.InstanceId ?? "no instance");
  // The rolling update below is judged by its failed requests, so it starts from a target the load
  // balancer routes to: replacing one still in its first health checks leaves, as on AWS, a moment with
  // no target to route to (503 NoRegisteredTargets; CI saw it when the update came that early).
  await eventually(
    async () => {
      const { TargetHealthDescriptions } = await system.elbv2.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: physical.TargetGroup }),
      );
      const health = TargetHealthDescriptions?.find((d) => d.Target?.Id === instance?.InstanceId);
      return health?.TargetHealth?.State === "healthy" ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, message: "the first instance healthy in its target group" },
  );

  // An update of the launch template: a new version, and the group's UpdatePolicy (rolling, one in
  // service) rolls its instance through an instance refresh while requests keep arriving.
  let failedRequests = 0;
  let requests = 0;
  let loading = true;
  const load = (async () => {
    while (loading) {
      requests++;
      try {
        // A slow answer under load is not a dropped request: only a long stall counts as one.
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(15_000) });
        await res.arrayBuffer();
        if (res.status !== 200) failedRequests++;
      } catch {
        failedRequests++;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const updateStarted = Date.now();
  await cfn.send(
    new UpdateStackCommand({
      StackName: name,
      TemplateBody: template,
      Parameters: parameters(`APP_VERSION=2 exec ${process.execPath} ${exampleApp}`),
    }),
  );
  const updated = await stackWhen(cfn, name, settled, system);
  loading = false;
  await load;
  console.log(
    `rolling update (UPDATE_COMPLETE): ${Date.now() - updateStarted} ms, ${requests} requests, ${failedRequests} failed`,
  );
  expect(updated.StackStatus, updated.StackStatusReason).toBe("UPDATE_COMPLETE");
  const group = await groupOf(system, groupName);
  expect(group.LaunchTemplate?.Version).toBe("2");
  const rolled = group.Instances ?? [];
  expect(rolled.map((i) => i.InstanceId)).not.toContain(instance?.InstanceId);
  expect(rolled.every((i) => i.LaunchTemplate?.Version === "2")).toBe(true);
  expect(failedRequests).toBe(0);
  const noChange = await cfn
    .send(
      new UpdateStackCommand({
        StackName: name,
        UsePreviousTemplate: true,
        Parameters: parameters(`APP_VERSION=2 exec ${process.execPath} ${exampleApp}`),
      }),
    )
    .catch((error: Error) => error);
  expect(noChange).toBeInstanceOf(Error);
  expect((noChange as Error).message).toBe("No updates are to be performed.");

  await cfn.send(new DeleteStackCommand({ StackName: name }));
  const deleted = await stackWhen(cfn, StackId ?? name, settled, system);
  expect(deleted.StackStatus, deleted.StackStatusReason).toBe("DELETE_COMPLETE");
  const { LoadBalancers } = await system.elbv2.send(new DescribeLoadBalancersCommand({}));
  expect(LoadBalancers ?? []).toEqual([]);
  await expect(groupOf(system, groupName)).rejects.toThrow(/no group/);
  const missing = await cfn
    .send(new DescribeStacksCommand({ StackName: name }))
    .catch((error: Error) => error);
  expect((missing as Error).message).toBe(`Stack with id ${name} does not exist`);
}, 240_000);

const failing = `
Resources:
  LoadBalancer:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Name: !Sub "\${AWS::StackName}-alb"
  Vpc:
    Type: AWS::EC2::VPC
    Properties: { CidrBlock: 10.0.0.0/16 }
  TargetGroup:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    DependsOn: LoadBalancer
    Properties:
      Protocol: HTTP
      Port: 80
      VpcId: !Ref Vpc
      HealthCheckIntervalSeconds: 500
`;

test("a failing resource rolls the stack back, with the events naming the cause; an unknown type is refused", async ({
  system,
  prefix,
}) => {
  const cfn = clientOf(system);
  const name = `bad${prefix.replace(/[^a-zA-Z0-9]/g, "").slice(-8)}`;
  const unknown = await cfn
    .send(
      new CreateStackCommand({
        StackName: name,
        TemplateBody: "Resources:\n  X:\n    Type: AWS::Nope::Thing\n",
      }),
    )
    .catch((error: Error) => error);
  expect((unknown as Error).message).toBe(
    "Template format error: Unrecognized resource types: [AWS::Nope::Thing]",
  );

  await cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: failing }));
  const stack = await stackWhen(cfn, name, (s) => settled(s) && s !== "ROLLBACK_IN_PROGRESS", system);
  expect(stack.StackStatus).toBe("ROLLBACK_COMPLETE");
  const { StackEvents } = await cfn.send(new DescribeStackEventsCommand({ StackName: name }));
  const events = (StackEvents ?? []).map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}`).reverse();
  expect(events[0]).toBe(`${name} CREATE_IN_PROGRESS`);
  const failed = StackEvents?.find((e) => e.ResourceStatus === "CREATE_FAILED");
  expect(failed?.LogicalResourceId).toBe("TargetGroup");
  expect(failed?.ResourceStatusReason).toMatch(
    /^Resource handler returned message: ".*[Hh]ealth ?[Cc]heck ?[Ii]nterval/,
  );
  const rollback = StackEvents?.find((e) => e.ResourceStatus === "ROLLBACK_IN_PROGRESS");
  expect(rollback?.ResourceStatusReason).toBe(
    "The following resource(s) failed to create: [TargetGroup]. Rollback requested by user.",
  );
  expect(events).toContain("LoadBalancer DELETE_COMPLETE");
  expect(events.at(-1)).toBe(`${name} ROLLBACK_COMPLETE`);
  const { LoadBalancers } = await system.elbv2.send(new DescribeLoadBalancersCommand({}));
  expect(LoadBalancers ?? []).toEqual([]);
}, 60_000);
