import {
  AttachLoadBalancerTargetGroupsCommand,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeLoadBalancerTargetGroupsCommand,
} from "@aws-sdk/client-auto-scaling";
import { CreateLaunchTemplateCommand } from "@aws-sdk/client-ec2";
import {
  CreateListenerCommand,
  DescribeTargetHealthCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, startAwsApi } from "./helpers.ts";
import { forward, networkLoadBalancer, targetGroup } from "./network-fixture.ts";

// An Auto Scaling group behind a Network Load Balancer, through the SDK clients only: a TCP target group
// attached at creation and a TCP_UDP one attached later; the group's instances register in both.

let api: AwsTestApi;
beforeAll(async () => {
  api = await startAwsApi();
});
afterAll(async () => {
  await api?.close();
});

describe("Auto Scaling behind a Network Load Balancer", () => {
  test("TCP and TCP_UDP target groups attach to a group and its instances register in them", async () => {
    const { autoScaling, ec2, elbv2 } = api.clients();
    const lb = await networkLoadBalancer(elbv2, "nlb-asg");
    const tcp = await targetGroup(elbv2, "asg-tcp", "TCP", { Port: 8080 });
    const both = await targetGroup(elbv2, "asg-tcp-udp", "TCP_UDP", { Port: 5353 });
    await elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb,
        Protocol: "TCP",
        Port: 7301,
        DefaultActions: forward(tcp.TargetGroupArn),
      }),
    );
    await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "tcp-service",
        LaunchTemplateData: { ImageId: "scaleout/example:latest" },
      }),
    );
    await autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: "tcp-service",
        LaunchTemplate: { LaunchTemplateName: "tcp-service", Version: "$Latest" },
        MinSize: 0,
        MaxSize: 3,
        DesiredCapacity: 2,
        TargetGroupARNs: [tcp.TargetGroupArn ?? ""],
        HealthCheckType: "ELB",
      }),
    );
    await autoScaling.send(
      new AttachLoadBalancerTargetGroupsCommand({
        AutoScalingGroupName: "tcp-service",
        TargetGroupARNs: [both.TargetGroupArn ?? ""],
      }),
    );
    const described = await autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["tcp-service"] }),
    );
    expect(described.AutoScalingGroups?.[0]?.TargetGroupARNs?.sort()).toEqual(
      [tcp.TargetGroupArn, both.TargetGroupArn].sort(),
    );
    const attached = await autoScaling.send(
      new DescribeLoadBalancerTargetGroupsCommand({ AutoScalingGroupName: "tcp-service" }),
    );
    expect(attached.LoadBalancerTargetGroups?.map((t) => t.LoadBalancerTargetGroupARN).sort()).toEqual(
      [tcp.TargetGroupArn, both.TargetGroupArn].sort(),
    );

    // The worker is not running here: the test launches the instances its reconciler would.
    const launched = api.launch("tcp-service", 2);
    for (const group of [tcp, both]) {
      const health = await elbv2.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: group.TargetGroupArn }),
      );
      expect(health.TargetHealthDescriptions?.map((d) => d.Target?.Id).sort()).toEqual([...launched].sort());
    }
  });
});
