import {
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeAlarmsCommand, PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { CreateLaunchTemplateCommand, DescribeLaunchTemplatesCommand } from "@aws-sdk/client-ec2";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { doorRequests } from "./fuzz-requests.ts";
import { type AwsTestApi, startAwsApi } from "./helpers.ts";

/*
 * Hostile input never reaches a 500: random requests to every served operation, with parameters shaped by
 * the operation and then spoiled, in every encoding and with broken framing. A fixed seed in CI;
 * FUZZ_SEED and FUZZ_RUNS explore further (the seed of a run is in its failure message).
 */

const seed = Number(process.env.FUZZ_SEED ?? 20_261_201);
const runs = Number(process.env.FUZZ_RUNS ?? 1_500);

interface Seeded {
  loadBalancer: string;
  targetGroup: string;
  listener: string;
}

/** A load balancer, target group, listener, launch template, group and alarm, all named `name`. */
async function createSet(api: AwsTestApi, name: string, port: number): Promise<Seeded> {
  const { elbv2, ec2, autoScaling, cloudWatch } = api.clients();
  const lb = await elbv2.send(new CreateLoadBalancerCommand({ Name: name }));
  const tg = await elbv2.send(
    new CreateTargetGroupCommand({ Name: name, Protocol: "HTTP", Port: 80, TargetType: "ip" }),
  );
  const loadBalancer = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? "";
  const targetGroup = tg.TargetGroups?.[0]?.TargetGroupArn ?? "";
  const listener = await elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: loadBalancer,
      Protocol: "HTTP",
      Port: port,
      DefaultActions: [{ Type: "forward", TargetGroupArn: targetGroup }],
    }),
  );
  await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: name,
      LaunchTemplateData: { ImageId: "nginx:1.27" },
    }),
  );
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateName: name },
      MinSize: 0,
      MaxSize: 1,
    }),
  );
  await cloudWatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: "Fuzz",
      MetricName: "Latency",
      Statistic: "Average",
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: "GreaterThanThreshold",
    }),
  );
  return { loadBalancer, targetGroup, listener: listener.Listeners?.[0]?.ListenerArn ?? "" };
}

let api: AwsTestApi;
/** What the fuzz never names and must find intact afterwards. */
let kept: Seeded;
/** Names, ARNs and values the fuzz may use, so that requests get past "not found" into the operations. */
const known = ["fuzz-prey", "$Latest", "$Default", "1", "forward", "HTTP", "Average", "elbv2"];

beforeAll(async () => {
  api = await startAwsApi();
  kept = await createSet(api, "fuzz-kept", 18_080);
  const prey = await createSet(api, "fuzz-prey", 18_081);
  // An ACM certificate to find, tag, re-import onto and delete.
  const { certificateArn: certificate } = await api.services.certificates.request({
    domainName: "prey.example.com",
  });
  known.push(prey.loadBalancer, prey.targetGroup, prey.listener, certificate);
});

afterAll(async () => {
  await api?.close();
});

describe("the AWS door under fuzzing", () => {
  test(`${runs} hostile requests (seed ${seed}) get no 5xx and leave the registry intact`, {
    timeout: 120_000,
  }, async () => {
    const started = performance.now();
    let sent = 0;
    const statuses = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(doorRequests(known), async (request) => {
        sent++;
        const response = await fetch(`${api.endpoint}/`, {
          method: "POST",
          headers: request.headers,
          body: request.body,
        });
        const text = await response.text();
        const code = /<Code>([^<]*)<\/Code>|"__type":"(?:[^"#]*#)?([^"]*)"/.exec(text);
        const outcome = `${response.status}${code && response.status >= 400 ? ` ${code[1] ?? code[2]}` : ""}`;
        statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1);
        if (response.status >= 500) {
          throw new Error(`${response.status} to ${request.description}: ${text.slice(0, 500)}`);
        }
        expect(response.status).toBeGreaterThanOrEqual(200);
      }),
      { seed, numRuns: runs, endOnFailure: false },
    );
    const seconds = (performance.now() - started) / 1000;
    expect(sent).toBeGreaterThanOrEqual(runs);
    // The fuzz reaches the operations, not only the framing checks: some requests succeed.
    expect(statuses.get("200") ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(runs / 20);
    process.stdout.write(
      `AWS door fuzz: seed ${seed}, ${sent} requests in ${seconds.toFixed(1)} s, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
    // Bounded on a loaded 2-core machine: the fuzz is a CI test, not a soak.
    expect(seconds).toBeLessThan(60);

    expect(api.handle.sqlite.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(api.handle.sqlite.pragma("foreign_key_check")).toEqual([]);
    const { elbv2, ec2, autoScaling, cloudWatch } = api.clients();
    const lbs = await elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [kept.loadBalancer] }));
    expect(lbs.LoadBalancers?.[0]?.LoadBalancerName).toBe("fuzz-kept");
    const tgs = await elbv2.send(new DescribeTargetGroupsCommand({ Names: ["fuzz-kept"] }));
    expect(tgs.TargetGroups?.[0]?.TargetGroupArn).toBe(kept.targetGroup);
    const listeners = await elbv2.send(new DescribeListenersCommand({ ListenerArns: [kept.listener] }));
    expect(listeners.Listeners?.[0]?.Port).toBe(18_080);
    const templates = await ec2.send(
      new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ["fuzz-kept"] }),
    );
    expect(templates.LaunchTemplates).toHaveLength(1);
    const groups = await autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["fuzz-kept"] }),
    );
    expect(groups.AutoScalingGroups?.[0]?.MaxSize).toBe(1);
    const alarms = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: ["fuzz-kept"] }));
    expect(alarms.MetricAlarms).toHaveLength(1);
  });
});
