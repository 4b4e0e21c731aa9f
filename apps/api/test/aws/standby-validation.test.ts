// AWS's validation of standby, detach, attach, protection and suspended processes, and EC2's
// DescribeInstances errors and pagination, through the SDK v3 clients. No worker runs here: rows stand
// in for launched instances (helpers' `launch`), and what the services write is read back.

import {
  AttachInstancesCommand,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeScalingProcessTypesCommand,
  DetachInstancesCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
  ResumeProcessesCommand,
  SetInstanceProtectionCommand,
  SuspendProcessesCommand,
  UpdateAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import {
  CreateLaunchTemplateCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  paginateDescribeInstances,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type AwsTestApi, collect, failure, startAwsApi } from "./helpers.ts";

let api: AwsTestApi;
beforeAll(async () => {
  api = await startAwsApi();
  const { ec2 } = api.clients();
  await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: "moves",
      LaunchTemplateData: { ImageId: "example/app:1" },
    }),
  );
});
afterAll(async () => {
  await api?.close();
});

async function createGroup(
  name: string,
  sizes: { min: number; max: number; desired: number },
  protect = false,
) {
  const { autoScaling } = api.clients();
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateName: "moves" },
      MinSize: sizes.min,
      MaxSize: sizes.max,
      DesiredCapacity: sizes.desired,
      NewInstancesProtectedFromScaleIn: protect,
    }),
  );
  return api.launch(name, sizes.desired);
}

async function group(name: string) {
  const { autoScaling } = api.clients();
  const { AutoScalingGroups } = await autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  const found = AutoScalingGroups?.[0];
  if (!found) throw new Error(`no group ${name}`);
  return found;
}

test("EnterStandby and ExitStandby: AWS's checks, states, activities and the desired capacity", async () => {
  const { autoScaling } = api.clients();
  const [a, b] = await createGroup("standby", { min: 1, max: 2, desired: 2 });
  const first = a ?? "";
  const second = b ?? "";

  const stranger = await failure(
    autoScaling.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: "standby",
        InstanceIds: ["i-00000000000000000"],
        ShouldDecrementDesiredCapacity: true,
      }),
    ),
  );
  expect(stranger.name).toBe("ValidationError");
  expect(stranger.message).toBe(
    "The instance i-00000000000000000 is not part of Auto Scaling group standby.",
  );

  const belowMin = await failure(
    autoScaling.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: "standby",
        InstanceIds: [first, second],
        ShouldDecrementDesiredCapacity: true,
      }),
    ),
  );
  expect(belowMin.message).toBe(
    "AutoScalingGroup standby has min-size=1, max-size=2, and desired-size=2. To place into standby 2 instances, please update the AutoScalingGroup sizes appropriately.",
  );

  // No target groups: nothing to drain, so Standby at once and the activity done.
  const entered = await autoScaling.send(
    new EnterStandbyCommand({
      AutoScalingGroupName: "standby",
      InstanceIds: [first],
      ShouldDecrementDesiredCapacity: true,
    }),
  );
  expect(entered.Activities?.[0]).toMatchObject({
    AutoScalingGroupName: "standby",
    Description: `Moving EC2 instance to Standby: ${first}`,
    StatusCode: "Successful",
  });
  const standby = await group("standby");
  expect(standby.DesiredCapacity).toBe(1);
  expect(standby.Instances?.find((i) => i.InstanceId === first)?.LifecycleState).toBe("Standby");

  const again = await failure(
    autoScaling.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: "standby",
        InstanceIds: [first],
        ShouldDecrementDesiredCapacity: false,
      }),
    ),
  );
  expect(again.message).toBe(`The instance ${first} is not in InService.`);
  const notStandby = await failure(
    autoScaling.send(new ExitStandbyCommand({ AutoScalingGroupName: "standby", InstanceIds: [second] })),
  );
  expect(notStandby.message).toBe(`The instance ${second} is not in Standby.`);
  const noIds = await failure(autoScaling.send(new ExitStandbyCommand({ AutoScalingGroupName: "standby" })));
  expect(noIds.name).toBe("ValidationError");

  const exited = await autoScaling.send(
    new ExitStandbyCommand({ AutoScalingGroupName: "standby", InstanceIds: [first] }),
  );
  expect(exited.Activities?.[0]?.Cause).toMatch(
    new RegExp(
      `instance ${first} was moved out of standby in response to a user request, increasing the capacity from 1 to 2\\.$`,
    ),
  );
  const back = await group("standby");
  expect(back.DesiredCapacity).toBe(2);
  // Pending until the worker takes it InService and registers it.
  expect(back.Instances?.find((i) => i.InstanceId === first)?.LifecycleState).toBe("Pending");
});

test("DetachInstances and AttachInstances: detached instances leave the group, attach checks the maximum", async () => {
  const { autoScaling } = api.clients();
  const [a] = await createGroup("detach-from", { min: 0, max: 2, desired: 2 });
  await createGroup("detach-to", { min: 0, max: 1, desired: 1 });
  const moved = a ?? "";

  const detached = await autoScaling.send(
    new DetachInstancesCommand({
      AutoScalingGroupName: "detach-from",
      InstanceIds: [moved],
      ShouldDecrementDesiredCapacity: false,
    }),
  );
  expect(detached.Activities?.[0]).toMatchObject({
    Description: `Detaching EC2 instance: ${moved}`,
    StatusCode: "Successful",
  });
  expect(detached.Activities?.[0]?.Cause).toMatch(/was detached in response to a user request\.$/);
  expect((await group("detach-from")).DesiredCapacity).toBe(2);
  expect((await group("detach-from")).Instances?.map((i) => i.InstanceId)).not.toContain(moved);
  const listed = await autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [moved] }));
  expect(listed.AutoScalingInstances).toEqual([]);

  const full = await failure(
    autoScaling.send(new AttachInstancesCommand({ AutoScalingGroupName: "detach-to", InstanceIds: [moved] })),
  );
  expect(full.message).toBe(
    "AutoScalingGroup detach-to has min-size=0, max-size=1, and desired-size=1. To attach 1 instance, please update the AutoScalingGroup sizes appropriately.",
  );
  const unknown = await failure(
    autoScaling.send(
      new AttachInstancesCommand({ AutoScalingGroupName: "detach-to", InstanceIds: ["i-0000000000000000f"] }),
    ),
  );
  expect(unknown.name).toBe("ValidationError");

  await autoScaling.send(
    new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "detach-to", MaxSize: 2 }),
  );
  await autoScaling.send(
    new AttachInstancesCommand({ AutoScalingGroupName: "detach-to", InstanceIds: [moved] }),
  );
  const joined = await group("detach-to");
  expect(joined.DesiredCapacity).toBe(2);
  expect(joined.Instances?.find((i) => i.InstanceId === moved)?.LifecycleState).toBe("Pending");
});

test("SetInstanceProtection and NewInstancesProtectedFromScaleIn", async () => {
  const { autoScaling } = api.clients();
  const [protectedAtLaunch] = await createGroup("protect", { min: 0, max: 3, desired: 1 }, true);
  expect((await group("protect")).Instances?.[0]).toMatchObject({
    InstanceId: protectedAtLaunch,
    ProtectedFromScaleIn: true,
  });
  await autoScaling.send(
    new UpdateAutoScalingGroupCommand({
      AutoScalingGroupName: "protect",
      NewInstancesProtectedFromScaleIn: false,
    }),
  );
  const [unprotected] = api.launch("protect", 1);
  const view = await group("protect");
  expect(view.NewInstancesProtectedFromScaleIn).toBe(false);
  expect(view.Instances?.find((i) => i.InstanceId === unprotected)?.ProtectedFromScaleIn).toBe(false);

  await autoScaling.send(
    new SetInstanceProtectionCommand({
      AutoScalingGroupName: "protect",
      InstanceIds: [protectedAtLaunch ?? "", unprotected ?? ""],
      ProtectedFromScaleIn: false,
    }),
  );
  expect((await group("protect")).Instances?.every((i) => i.ProtectedFromScaleIn === false)).toBe(true);
  const stranger = await failure(
    autoScaling.send(
      new SetInstanceProtectionCommand({
        AutoScalingGroupName: "protect",
        InstanceIds: ["i-00000000000000001"],
        ProtectedFromScaleIn: true,
      }),
    ),
  );
  expect(stranger.message).toBe(
    "The instance i-00000000000000001 is not part of Auto Scaling group protect.",
  );
});

test("SuspendProcesses, ResumeProcesses and DescribeScalingProcessTypes", async () => {
  const { autoScaling } = api.clients();
  await createGroup("processes", { min: 0, max: 1, desired: 0 });
  const { Processes } = await autoScaling.send(new DescribeScalingProcessTypesCommand({}));
  expect(Processes?.map((p) => p.ProcessName)).toEqual([
    "AZRebalance",
    "AddToLoadBalancer",
    "AlarmNotification",
    "HealthCheck",
    "InstanceRefresh",
    "Launch",
    "ReplaceUnhealthy",
    "ScheduledActions",
    "Terminate",
  ]);

  const invalid = await failure(
    autoScaling.send(
      new SuspendProcessesCommand({ AutoScalingGroupName: "processes", ScalingProcesses: ["Nap"] }),
    ),
  );
  expect(invalid.name).toBe("ValidationError");
  expect(invalid.message).toContain("Nap");

  await autoScaling.send(new SuspendProcessesCommand({ AutoScalingGroupName: "processes" }));
  expect((await group("processes")).SuspendedProcesses).toHaveLength(9);
  await autoScaling.send(
    new ResumeProcessesCommand({
      AutoScalingGroupName: "processes",
      ScalingProcesses: ["Launch", "Terminate"],
    }),
  );
  const left = (await group("processes")).SuspendedProcesses ?? [];
  expect(left.map((p) => p.ProcessName)).not.toContain("Launch");
  expect(left).toHaveLength(7);
  expect(
    left.every((p) => /^User suspended at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(p.SuspensionReason ?? "")),
  ).toBe(true);
  await autoScaling.send(new ResumeProcessesCommand({ AutoScalingGroupName: "processes" }));
  expect((await group("processes")).SuspendedProcesses).toEqual([]);
});

test("EC2 DescribeInstances and DescribeInstanceStatus: filters, pagination and EC2's errors", async () => {
  const { ec2 } = api.clients();
  const ids = await createGroup("ec2", { min: 0, max: 7, desired: 7 });
  const all = await collect(
    paginateDescribeInstances(
      { client: ec2, pageSize: 5 },
      { Filters: [{ Name: "tag:aws:autoscaling:groupName", Values: ["ec2"] }] },
    ),
    (page) => page.Reservations?.flatMap((r) => r.Instances ?? []),
  );
  expect(all.pages).toBe(2);
  expect(all.items.map((i) => i.InstanceId).sort()).toEqual([...ids].sort());
  const one = all.items[0];
  expect(one).toMatchObject({
    ImageId: "example/app:1",
    PrivateIpAddress: "127.0.0.1",
    State: { Code: 16, Name: "running" },
    Placement: { AvailabilityZone: expect.stringMatching(/^[a-z]+-[a-z]+-\d+a$/) },
  });
  expect(one?.LaunchTime).toBeInstanceOf(Date);
  expect(Number(one?.Tags?.find((t) => t.Key === "scaleout:port")?.Value)).toBeGreaterThan(0);

  const malformed = await failure(ec2.send(new DescribeInstancesCommand({ InstanceIds: ["web-1"] })));
  expect(malformed.name).toBe("InvalidInstanceID.Malformed");
  const missing = await failure(
    ec2.send(new DescribeInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] })),
  );
  expect(missing.name).toBe("InvalidInstanceID.NotFound");
  expect(missing.message).toBe("The instance ID 'i-0123456789abcdef0' does not exist");
  const filter = await failure(
    ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "vpc-id", Values: ["vpc-1"] }] })),
  );
  expect(filter.name).toBe("InvalidParameterValue");
  const combination = await failure(
    ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids[0] ?? ""], MaxResults: 5 })),
  );
  expect(combination.name).toBe("InvalidParameterCombination");
  const stopped = await ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: "instance-state-name", Values: ["stopped"] }] }),
  );
  expect(stopped.Reservations ?? []).toEqual([]);

  const status = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [ids[0] ?? ""] }));
  expect(status.InstanceStatuses?.[0]).toMatchObject({
    InstanceId: ids[0],
    InstanceState: { Code: 16, Name: "running" },
    InstanceStatus: { Status: "ok" },
    SystemStatus: { Status: "ok" },
  });

  // The REST door's view of the same, with the port.
  const res = await fetch(`${api.endpoint}/v1/instances?groupName=ec2&maxResults=5`);
  const body = (await res.json()) as { instances: Array<{ port?: number }>; nextToken?: string };
  expect(res.status).toBe(200);
  expect(body.instances).toHaveLength(5);
  expect(body.instances[0]?.port).toBeGreaterThan(0);
  expect(body.nextToken).toBeDefined();
});

test("the REST door: standby, protection and suspended processes under /v1/auto-scaling-groups/{name}", async () => {
  const [id] = await createGroup("rest-moves", { min: 0, max: 2, desired: 1 });
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${api.endpoint}/v1${path}`, {
      method,
      ...(body !== undefined && {
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    });

  const entered = await call("POST", "/auto-scaling-groups/rest-moves/instances/enter-standby", {
    instanceIds: [id],
    shouldDecrementDesiredCapacity: true,
  });
  expect(entered.status).toBe(200);
  const { activities } = (await entered.json()) as { activities: Array<{ description: string }> };
  expect(activities[0]?.description).toBe(`Moving EC2 instance to Standby: ${id}`);
  const refused = await call("POST", "/auto-scaling-groups/rest-moves/instances/enter-standby", {
    instanceIds: [id],
    shouldDecrementDesiredCapacity: true,
  });
  expect(refused.status).toBe(400);
  expect(await refused.json()).toEqual({
    code: "ValidationError",
    message: `The instance ${id} is not in InService.`,
  });

  expect(
    (
      await call("PUT", "/auto-scaling-groups/rest-moves/instances/protection", {
        instanceIds: [id],
        protectedFromScaleIn: true,
      })
    ).status,
  ).toBe(204);
  expect(
    (
      await call("POST", "/auto-scaling-groups/rest-moves/suspended-processes", {
        scalingProcesses: ["Launch", "Terminate"],
      })
    ).status,
  ).toBe(204);
  expect((await group("rest-moves")).SuspendedProcesses?.map((p) => p.ProcessName)).toEqual([
    "Launch",
    "Terminate",
  ]);
  expect(
    (await call("DELETE", "/auto-scaling-groups/rest-moves/suspended-processes?scalingProcesses=Launch"))
      .status,
  ).toBe(204);
  expect((await group("rest-moves")).SuspendedProcesses?.map((p) => p.ProcessName)).toEqual(["Terminate"]);
  expect((await call("DELETE", "/auto-scaling-groups/rest-moves/suspended-processes")).status).toBe(204);
  expect((await group("rest-moves")).SuspendedProcesses).toEqual([]);
  const types = (await (await call("GET", "/scaling-process-types")).json()) as { processes: unknown[] };
  expect(types.processes).toHaveLength(9);
});
