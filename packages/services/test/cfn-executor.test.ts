import { join } from "node:path";
import { createDb, type DbHandle, runMigrations } from "@scaleout/db";
import { tempDir } from "@scaleout/testing";
import { afterEach, beforeEach, expect, test } from "vitest";
import { putResource } from "../src/cfn-store.ts";
import { createContext, createServices, runStackOperation, type Services } from "../src/index.ts";

/*
 * The stack executor over a real SQLite file, run in process (the worker's job calls the same function):
 * create with outputs and exports, an update that changes one resource in place and replaces another
 * (the old one deleted at cleanup), an update that fails and rolls every resource back, an interrupted
 * create that ends rolled back, and DeletionPolicy Retain.
 */

let temp: ReturnType<typeof tempDir>;
let handle: DbHandle;
let services: Services;

beforeEach(() => {
  temp = tempDir();
  handle = createDb(join(temp.dir, "scaleout.db"));
  runMigrations(handle.db);
  services = createServices(createContext(handle.db));
});

afterEach(() => {
  handle.close();
  temp.remove();
});

const template = (
  options: { interval?: number; groupName?: string; extra?: string; retain?: boolean } = {},
) => `
Parameters:
  Port: { Type: Number, Default: 18080 }
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: { CidrBlock: 10.1.0.0/16 }
  LoadBalancer:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    ${options.retain === true ? "DeletionPolicy: Retain" : ""}
    Properties: { Name: !Sub "\${AWS::StackName}-alb" }
  Group:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      Name: ${options.groupName ?? `!Sub "\${AWS::StackName}-tg"`}
      Port: 80
      Protocol: HTTP
      VpcId: !Ref Vpc
      HealthCheckIntervalSeconds: ${options.interval ?? 30}
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref LoadBalancer
      Port: !Ref Port
      Protocol: HTTP
      DefaultActions: [{ Type: forward, TargetGroupArn: !Ref Group }]
${options.extra ?? ""}
Outputs:
  Dns:
    Value: !GetAtt LoadBalancer.DNSName
    Export: { Name: !Sub "\${AWS::StackName}-dns" }
`;

const resources = (name: string) =>
  Object.fromEntries(services.cfnStacks.resources(name).resources.map((r) => [r.logicalId, r]));
const events = (name: string) =>
  services.cfnStacks
    .events(name)
    .map((e) => `${e.logicalId} ${e.status}`)
    .reverse();

async function created(name: string, body = template()) {
  services.cfnStacks.create({ stackName: name, templateBody: body });
  expect(await runStackOperation(services, services.cfnStacks.get(name).stackId)).toBe("CREATE_COMPLETE");
}

test("create: every resource provisioned, outputs and exports written, GetAtt and Ref resolved", async () => {
  await created("web");
  const rows = resources("web");
  const lb = services.loadBalancers.get(rows.LoadBalancer?.physicalId ?? "");
  expect(lb.loadBalancerName).toBe("web-alb");
  const listener = services.listeners.get(rows.Listener?.physicalId ?? "");
  expect(listener.port).toBe(18080);
  expect(listener.defaultActions[0]?.targetGroupArn).toBe(rows.Group?.physicalId);
  expect(rows.Vpc?.physicalId).toMatch(/^vpc-[0-9a-f]{17}$/);
  expect(services.cfnStacks.get("web").outputs).toEqual([
    { OutputKey: "Dns", OutputValue: lb.dnsName, ExportName: "web-dns" },
  ]);
  expect(services.cfnStacks.exports()).toEqual([
    { name: "web-dns", stackId: services.cfnStacks.get("web").stackId, value: lb.dnsName },
  ]);
  expect(events("web")[0]).toBe("web CREATE_IN_PROGRESS");
  expect(events("web").at(-1)).toBe("web CREATE_COMPLETE");
});

test("update: a health check changes in place, a new name replaces the target group and cleanup deletes the old", async () => {
  await created("web");
  const before = resources("web");
  services.cfnStacks.update({
    stackName: "web",
    templateBody: template({ interval: 10, groupName: "web-tg2" }),
  });
  expect(await runStackOperation(services, services.cfnStacks.get("web").stackId)).toBe("UPDATE_COMPLETE");
  const after = resources("web");
  expect(after.Group?.physicalId).not.toBe(before.Group?.physicalId);
  expect(services.targetGroups.get(after.Group?.physicalId ?? "").healthCheckIntervalSeconds).toBe(10);
  expect(() => services.targetGroups.get(before.Group?.physicalId ?? "")).toThrow(/not found/i);
  // The listener now forwards to the new group: updated in place, same ARN.
  expect(after.Listener?.physicalId).toBe(before.Listener?.physicalId);
  expect(services.listeners.get(after.Listener?.physicalId ?? "").defaultActions[0]?.targetGroupArn).toBe(
    after.Group?.physicalId,
  );
  expect(events("web")).toContain("web UPDATE_COMPLETE_CLEANUP_IN_PROGRESS");
  expect(events("web").at(-1)).toBe("web UPDATE_COMPLETE");
  expect(() =>
    services.cfnStacks.update({
      stackName: "web",
      templateBody: template({ interval: 10, groupName: "web-tg2" }),
    }),
  ).toThrow("No updates are to be performed.");
});

test("update: a failing resource rolls every change back (UPDATE_ROLLBACK_COMPLETE)", async () => {
  await created("web");
  const before = resources("web");
  const extra = `  Broken:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    DependsOn: Listener
    Properties: { Port: 80, Protocol: HTTP, HealthCheckIntervalSeconds: 500 }`;
  services.cfnStacks.update({ stackName: "web", templateBody: template({ interval: 10, extra }) });
  expect(await runStackOperation(services, services.cfnStacks.get("web").stackId)).toBe(
    "UPDATE_ROLLBACK_COMPLETE",
  );
  const stack = services.cfnStacks.get("web");
  expect(stack.templateBody).toBe(template());
  const after = resources("web");
  expect(Object.keys(after).sort()).toEqual(["Group", "Listener", "LoadBalancer", "Vpc"]);
  expect(after.Group?.physicalId).toBe(before.Group?.physicalId);
  expect(services.targetGroups.get(after.Group?.physicalId ?? "").healthCheckIntervalSeconds).toBe(30);
  const failed = services.cfnStacks.events("web").find((e) => e.status === "CREATE_FAILED");
  expect(failed?.logicalId).toBe("Broken");
  expect(failed?.statusReason).toMatch(/^Resource handler returned message: /);
  expect(events("web")).toContain("web UPDATE_ROLLBACK_IN_PROGRESS");
});

test("an interrupted create (the worker stopped mid-resource) resumes that resource's create", async () => {
  services.cfnStacks.create({ stackName: "web", templateBody: template() });
  const stack = services.cfnStacks.get("web");
  // What a worker that died inside the provider call leaves: the resource in progress, no physical id.
  putResource(
    handle.db,
    stack.stackId,
    {
      logicalId: "Vpc",
      type: "AWS::EC2::VPC",
      physicalId: null,
      status: "CREATE_IN_PROGRESS",
      properties: {},
      attributes: {},
    },
    Date.now(),
  );
  expect(await runStackOperation(services, stack.stackId)).toBe("CREATE_COMPLETE");
  const resumed = services.cfnStacks
    .events("web")
    .find((e) => e.logicalId === "Vpc" && e.statusReason?.startsWith("Resumed") === true);
  expect(resumed?.status).toBe("CREATE_IN_PROGRESS");
  expect(resources("web").Vpc?.physicalId).toMatch(/^vpc-[0-9a-f]{17}$/);
});

test("an interrupted update fails the resource under way and rolls the update back", async () => {
  await created("web");
  services.cfnStacks.update({ stackName: "web", templateBody: template({ interval: 10 }) });
  const stack = services.cfnStacks.get("web");
  const group = resources("web").Group;
  if (group === undefined) throw new Error("no Group row");
  putResource(handle.db, stack.stackId, { ...group, status: "UPDATE_IN_PROGRESS" }, Date.now());
  expect(await runStackOperation(services, stack.stackId)).toBe("UPDATE_ROLLBACK_COMPLETE");
  const failed = services.cfnStacks.events("web").find((e) => e.status === "UPDATE_FAILED");
  expect(failed?.statusReason).toMatch(/The operation was interrupted/);
});

test("delete: reverse order, DeletionPolicy Retain keeps the resource (DELETE_SKIPPED)", async () => {
  await created("web", template({ retain: true }));
  const lbArn = resources("web").LoadBalancer?.physicalId ?? "";
  services.cfnStacks.delete("web");
  const stackId = services.cfnStacks.list()[0]?.stackId ?? "";
  expect(await runStackOperation(services, stackId)).toBe("DELETE_COMPLETE");
  expect(services.loadBalancers.get(lbArn).loadBalancerName).toBe("web-alb");
  expect(services.listeners.list({ loadBalancerName: lbArn }).items).toEqual([]);
  expect(events(stackId)).toContain("LoadBalancer DELETE_SKIPPED");
  expect(services.cfnStacks.exports()).toEqual([]);
  expect(() => services.cfnStacks.get("web")).toThrow("Stack with id web does not exist");
});

const groupTemplate = `
Resources:
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData: { UserData: !Base64 "exec node app.js" }
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: "0"
      MaxSize: "2"
      LaunchTemplate: { LaunchTemplateId: !Ref Template, Version: !GetAtt Template.LatestVersionNumber }
      VPCZoneIdentifier: [subnet-a, subnet-b]
  Hook:
    Type: AWS::AutoScaling::LifecycleHook
    Properties:
      AutoScalingGroupName: !Ref Group
      LifecycleTransition: autoscaling:EC2_INSTANCE_LAUNCHING
      HeartbeatTimeout: 60
  Nightly:
    Type: AWS::AutoScaling::ScheduledAction
    Properties: { AutoScalingGroupName: !Ref Group, Recurrence: "0 2 * * *", DesiredCapacity: 1 }
  Cpu:
    Type: AWS::AutoScaling::ScalingPolicy
    Properties:
      AutoScalingGroupName: !Ref Group
      PolicyType: TargetTrackingScaling
      TargetTrackingConfiguration:
        PredefinedMetricSpecification: { PredefinedMetricType: ASGAverageCPUUtilization }
        TargetValue: 50
  High:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/EC2
      MetricName: CPUUtilization
      Dimensions: [{ Name: AutoScalingGroupName, Value: !Ref Group }]
      Statistic: Average
      Period: 60
      EvaluationPeriods: "2"
      Threshold: 80
      ComparisonOperator: GreaterThanThreshold
      AlarmActions: [!Ref Cpu]
Outputs:
  Policy: { Value: !GetAtt Cpu.Arn }
`;

test("Auto Scaling resources: launch template, group, hook, scheduled action, policy and alarm, created and deleted", async () => {
  await created("asg", groupTemplate);
  const rows = resources("asg");
  const group = services.groups.get(rows.Group?.physicalId ?? "");
  expect(group.launchTemplate?.launchTemplateId).toBe(rows.Template?.physicalId);
  expect(group.launchTemplate?.version).toBe("1");
  expect(
    services.lifecycleHooks.get(group.autoScalingGroupName, rows.Hook?.physicalId ?? "").heartbeatTimeout,
  ).toBe(60);
  expect(
    services.scheduledActions.get(group.autoScalingGroupName, rows.Nightly?.physicalId ?? "").recurrence,
  ).toBe("0 2 * * *");
  const alarm = services.alarms.get(rows.High?.physicalId ?? "");
  expect(alarm.alarmActions).toEqual([rows.Cpu?.physicalId]);
  expect(services.cfnStacks.get("asg").outputs[0]?.OutputValue).toBe(rows.Cpu?.physicalId);
  services.cfnStacks.delete("asg");
  const stackId = services.cfnStacks.list()[0]?.stackId ?? "";
  expect(await runStackOperation(services, stackId)).toBe("DELETE_COMPLETE");
  expect(() => services.groups.get(group.autoScalingGroupName)).toThrow(/not found/);
  expect(() => services.alarms.get(rows.High?.physicalId ?? "")).toThrow();
  expect(() => services.launchTemplates.get(rows.Template?.physicalId ?? "")).toThrow();
});
