import { expect, test } from "vitest";
import { putResource } from "../src/cfn-store.ts";
import { runStackOperation } from "../src/index.ts";
import { servicesPerTest } from "./services-per-test.ts";

/*
 * The stack executor over a real SQLite file, run in process (the worker's job calls the same function):
 * create with outputs and exports, an update that changes one resource in place and replaces another
 * (the old one deleted at cleanup), an update that fails and rolls every resource back, an interrupted
 * create that ends rolled back, and DeletionPolicy Retain.
 */

const fresh = servicesPerTest();

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
  Object.fromEntries(fresh.services.cfnStacks.resources(name).resources.map((r) => [r.logicalId, r]));
const events = (name: string) =>
  fresh.services.cfnStacks
    .events(name)
    .map((e) => `${e.logicalId} ${e.status}`)
    .reverse();

async function created(name: string, body = template()) {
  fresh.services.cfnStacks.create({ stackName: name, templateBody: body });
  expect(await runStackOperation(fresh.services, fresh.services.cfnStacks.get(name).stackId)).toBe(
    "CREATE_COMPLETE",
  );
}

test("create: every resource provisioned, outputs and exports written, GetAtt and Ref resolved", async () => {
  await created("web");
  const rows = resources("web");
  const lb = fresh.services.loadBalancers.get(rows.LoadBalancer?.physicalId ?? "");
  expect(lb.loadBalancerName).toBe("web-alb");
  const listener = fresh.services.listeners.get(rows.Listener?.physicalId ?? "");
  expect(listener.port).toBe(18080);
  expect(listener.defaultActions[0]?.targetGroupArn).toBe(rows.Group?.physicalId);
  expect(rows.Vpc?.physicalId).toMatch(/^vpc-[0-9a-f]{17}$/);
  expect(fresh.services.cfnStacks.get("web").outputs).toEqual([
    { OutputKey: "Dns", OutputValue: lb.dnsName, ExportName: "web-dns" },
  ]);
  expect(fresh.services.cfnStacks.exports()).toEqual([
    { name: "web-dns", stackId: fresh.services.cfnStacks.get("web").stackId, value: lb.dnsName },
  ]);
  expect(events("web")[0]).toBe("web CREATE_IN_PROGRESS");
  expect(events("web").at(-1)).toBe("web CREATE_COMPLETE");
});

test("update: a health check changes in place, a new name replaces the target group and cleanup deletes the old", async () => {
  await created("web");
  const before = resources("web");
  fresh.services.cfnStacks.update({
    stackName: "web",
    templateBody: template({ interval: 10, groupName: "web-tg2" }),
  });
  expect(await runStackOperation(fresh.services, fresh.services.cfnStacks.get("web").stackId)).toBe(
    "UPDATE_COMPLETE",
  );
  const after = resources("web");
  expect(after.Group?.physicalId).not.toBe(before.Group?.physicalId);
  expect(fresh.services.targetGroups.get(after.Group?.physicalId ?? "").healthCheckIntervalSeconds).toBe(10);
  expect(() => fresh.services.targetGroups.get(before.Group?.physicalId ?? "")).toThrow(/not found/i);
  // The listener now forwards to the new group: updated in place, same ARN.
  expect(after.Listener?.physicalId).toBe(before.Listener?.physicalId);
  expect(
    fresh.services.listeners.get(after.Listener?.physicalId ?? "").defaultActions[0]?.targetGroupArn,
  ).toBe(after.Group?.physicalId);
  expect(events("web")).toContain("web UPDATE_COMPLETE_CLEANUP_IN_PROGRESS");
  expect(events("web").at(-1)).toBe("web UPDATE_COMPLETE");
  expect(() =>
    fresh.services.cfnStacks.update({
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
  fresh.services.cfnStacks.update({ stackName: "web", templateBody: template({ interval: 10, extra }) });
  expect(await runStackOperation(fresh.services, fresh.services.cfnStacks.get("web").stackId)).toBe(
    "UPDATE_ROLLBACK_COMPLETE",
  );
  const stack = fresh.services.cfnStacks.get("web");
  expect(stack.templateBody).toBe(template());
  const after = resources("web");
  expect(Object.keys(after).sort()).toEqual(["Group", "Listener", "LoadBalancer", "Vpc"]);
  expect(after.Group?.physicalId).toBe(before.Group?.physicalId);
  expect(fresh.services.targetGroups.get(after.Group?.physicalId ?? "").healthCheckIntervalSeconds).toBe(30);
  const failed = fresh.services.cfnStacks.events("web").find((e) => e.status === "CREATE_FAILED");
  expect(failed?.logicalId).toBe("Broken");
  expect(failed?.statusReason).toMatch(/^Resource handler returned message: /);
  expect(events("web")).toContain("web UPDATE_ROLLBACK_IN_PROGRESS");
});

test("an interrupted create (the worker stopped mid-resource) resumes that resource's create", async () => {
  fresh.services.cfnStacks.create({ stackName: "web", templateBody: template() });
  const stack = fresh.services.cfnStacks.get("web");
  // What a worker that died inside the provider call leaves: the resource in progress, no physical id.
  putResource(
    fresh.db,
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
  expect(await runStackOperation(fresh.services, stack.stackId)).toBe("CREATE_COMPLETE");
  const resumed = fresh.services.cfnStacks
    .events("web")
    .find((e) => e.logicalId === "Vpc" && e.statusReason?.startsWith("Resumed") === true);
  expect(resumed?.status).toBe("CREATE_IN_PROGRESS");
  expect(resources("web").Vpc?.physicalId).toMatch(/^vpc-[0-9a-f]{17}$/);
});

test("an interrupted update fails the resource under way and rolls the update back", async () => {
  await created("web");
  fresh.services.cfnStacks.update({ stackName: "web", templateBody: template({ interval: 10 }) });
  const stack = fresh.services.cfnStacks.get("web");
  const group = resources("web").Group;
  if (group === undefined) throw new Error("no Group row");
  putResource(fresh.db, stack.stackId, { ...group, status: "UPDATE_IN_PROGRESS" }, Date.now());
  expect(await runStackOperation(fresh.services, stack.stackId)).toBe("UPDATE_ROLLBACK_COMPLETE");
  const failed = fresh.services.cfnStacks.events("web").find((e) => e.status === "UPDATE_FAILED");
  expect(failed?.statusReason).toMatch(/The operation was interrupted/);
});

test("delete: reverse order, DeletionPolicy Retain keeps the resource (DELETE_SKIPPED)", async () => {
  await created("web", template({ retain: true }));
  const lbArn = resources("web").LoadBalancer?.physicalId ?? "";
  fresh.services.cfnStacks.delete("web");
  const stackId = fresh.services.cfnStacks.list()[0]?.stackId ?? "";
  expect(await runStackOperation(fresh.services, stackId)).toBe("DELETE_COMPLETE");
  expect(fresh.services.loadBalancers.get(lbArn).loadBalancerName).toBe("web-alb");
  expect(fresh.services.listeners.list({ loadBalancerName: lbArn }).items).toEqual([]);
  expect(events(stackId)).toContain("LoadBalancer DELETE_SKIPPED");
  expect(fresh.services.cfnStacks.exports()).toEqual([]);
  expect(() => fresh.services.cfnStacks.get("web")).toThrow("Stack with id web does not exist");
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
  const group = fresh.services.groups.get(rows.Group?.physicalId ?? "");
  expect(group.launchTemplate?.launchTemplateId).toBe(rows.Template?.physicalId);
  expect(group.launchTemplate?.version).toBe("1");
  expect(
    fresh.services.lifecycleHooks.get(group.autoScalingGroupName, rows.Hook?.physicalId ?? "")
      .heartbeatTimeout,
  ).toBe(60);
  expect(
    fresh.services.scheduledActions.get(group.autoScalingGroupName, rows.Nightly?.physicalId ?? "")
      .recurrence,
  ).toBe("0 2 * * *");
  const alarm = fresh.services.alarms.get(rows.High?.physicalId ?? "");
  expect(alarm.alarmActions).toEqual([rows.Cpu?.physicalId]);
  expect(fresh.services.cfnStacks.get("asg").outputs[0]?.OutputValue).toBe(rows.Cpu?.physicalId);
  fresh.services.cfnStacks.delete("asg");
  const stackId = fresh.services.cfnStacks.list()[0]?.stackId ?? "";
  expect(await runStackOperation(fresh.services, stackId)).toBe("DELETE_COMPLETE");
  expect(() => fresh.services.groups.get(group.autoScalingGroupName)).toThrow(/not found/);
  expect(() => fresh.services.alarms.get(rows.High?.physicalId ?? "")).toThrow();
  expect(() => fresh.services.launchTemplates.get(rows.Template?.physicalId ?? "")).toThrow();
});
