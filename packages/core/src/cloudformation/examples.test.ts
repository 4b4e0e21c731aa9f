import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveValue } from "./intrinsics.ts";
import { planStack } from "./plan.ts";
import { missingProperties } from "./resource-type.ts";
import { resourceTypeSpec, unsupportedResourceTypes } from "./resource-types.ts";
import { fixedResources, testPseudo } from "./test-stack.ts";
import { validateTemplateBody } from "./validate.ts";
import type { TemplateValue } from "./value.ts";

const examples = join(import.meta.dirname, "..", "..", "..", "..", "examples", "cloudformation");
const read = (name: string) => readFileSync(join(examples, name), "utf8");

const arn = (kind: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:${kind}`;
const provisioned = fixedResources(
  {
    LoadBalancer: arn("loadbalancer/app/web-alb/50dc6c495c0c9188"),
    TargetGroup: arn("targetgroup/web-web/73e2d6bc24d8a067"),
    ApiTargetGroup: arn("targetgroup/web-api/83e2d6bc24d8a067"),
    Listener: arn("listener/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2"),
    LaunchTemplate: "lt-0123456789abcdef0",
    Group: "web-Group-1A2B3C4D5E6F",
  },
  {
    "LoadBalancer.DNSName": "web-alb-1.us-east-1.elb.localhost",
    "LoadBalancer.LoadBalancerFullName": "app/web-alb/50dc6c495c0c9188",
    "TargetGroup.TargetGroupFullName": "targetgroup/web-web/73e2d6bc24d8a067",
    "LaunchTemplate.LatestVersionNumber": "1",
  },
);

describe("examples/cloudformation", () => {
  it("the YAML and JSON forms are the same template", () => {
    expect(validateTemplateBody(read("web-service.yaml")).body).toEqual(
      validateTemplateBody(read("web-service.json")).body,
    );
  });

  it("uses only resource types scaleout deploys, each with its required properties", () => {
    const template = validateTemplateBody(read("web-service.yaml"));
    expect(unsupportedResourceTypes(template)).toEqual([]);
    for (const resource of Object.values(template.resources)) {
      const spec = resourceTypeSpec(resource.type);
      expect(spec && missingProperties(spec, resource.properties)).toEqual([]);
    }
  });

  it("web-service plans in waves and resolves every property and output", () => {
    const template = validateTemplateBody(read("web-service.yaml"));
    const plan = planStack(template, {
      parameters: [{ key: "Environment", value: "prod" }],
      pseudo: { ...testPseudo },
    });
    expect(plan.graph.creation).toEqual([
      ["LoadBalancer", "TargetGroup", "ApiTargetGroup", "LaunchTemplate"],
      ["Listener", "Group", "UnhealthyHostsAlarm"],
      ["ApiRule", "CpuTracking"],
    ]);
    const context = plan.context(provisioned);
    const resolved = Object.fromEntries(
      Object.entries(plan.resources).map(([id, resource]) => [
        id,
        resolveValue(context, resource.properties),
      ]),
    ) as Record<string, Record<string, TemplateValue>>;
    expect(resolved.Group).toMatchObject({
      MinSize: 2,
      MaxSize: 6,
      DesiredCapacity: 2,
      LaunchTemplate: { LaunchTemplateId: "lt-0123456789abcdef0", Version: "1" },
      VPCZoneIdentifier: ["subnet-local"],
    });
    expect(resolved.LaunchTemplate?.LaunchTemplateData).toMatchObject({
      UserData: Buffer.from("node examples/app/server.js").toString("base64"),
    });
    expect(resolved.TargetGroup?.TargetGroupAttributes).toEqual([
      { Key: "deregistration_delay.timeout_seconds", Value: "30" },
    ]);
    expect(resolved.Listener?.Port).toBe("8090");
    const outputs = Object.fromEntries(
      Object.entries(plan.outputs).map(([name, output]) => [name, resolveValue(context, output.value)]),
    );
    expect(outputs).toEqual({
      Url: "http://web-alb-1.us-east-1.elb.localhost:8090/",
      LoadBalancerArn: arn("loadbalancer/app/web-alb/50dc6c495c0c9188"),
      GroupName: "web-Group-1A2B3C4D5E6F",
    });
    expect(resolveValue(context, plan.outputs.LoadBalancerArn?.exportName ?? null)).toBe(
      "web-LoadBalancerArn",
    );
  });

  it("a template of the CDK's shape (VPC, ALB, group, metadata, rules) validates, plans and resolves", () => {
    const template = validateTemplateBody(read("cdk-shaped.json"));
    expect(unsupportedResourceTypes(template)).toEqual([]);
    const ids = Object.keys(template.resources);
    const values = fixedResources(Object.fromEntries(ids.map((id) => [id, `${id}-physical`])), {
      "Vpc8378EB38.CidrBlock": "10.0.0.0/16",
      "LBSecurityGroup8A41EA2B.GroupId": "sg-lb",
      "FleetInstanceSecurityGroupA8C3D7AD.GroupId": "sg-fleet",
      "FleetInstanceProfile3A7A8C21.Arn": "arn:aws:iam::123456789012:instance-profile/fleet",
      "FleetLaunchTemplate75C5D2C1.LatestVersionNumber": "1",
      "LB8A12904C.DNSName": "lb.eu-west-1.elb.localhost",
    });
    const plan = planStack(template, { parameters: [], pseudo: { ...testPseudo, region: "eu-west-1" } });
    expect(Object.keys(plan.resources)).toContain("CDKMetadata");
    expect(plan.parameters.BootstrapVersion?.value).toBe("/cdk-bootstrap/hnb659fds/version");
    const context = plan.context(values);
    const subnet = (id: string) => resolveValue(context, plan.resources[id]?.properties ?? null);
    expect(subnet("VpcPublicSubnet1Subnet5C2D37C4")).toMatchObject({
      AvailabilityZone: "eu-west-1a",
      CidrBlock: "10.0.0.0/24",
    });
    expect(subnet("VpcPublicSubnet2Subnet691E08A3")).toMatchObject({
      AvailabilityZone: "eu-west-1b",
      CidrBlock: "10.0.1.0/24",
    });
    // The load balancer waits for the route (DependsOn), which waits for the gateway attachment.
    const wave = (id: string) => plan.graph.creation.findIndex((w) => w.includes(id));
    expect(wave("LB8A12904C")).toBeGreaterThan(wave("VpcPublicSubnet1DefaultRoute3DA9E72A"));
    expect(wave("VpcPublicSubnet1DefaultRoute3DA9E72A")).toBeGreaterThan(wave("VpcVPCGWBF912B6E"));
    expect(wave("FleetScalingPolicyCpu12B4F2F8")).toBe(plan.graph.creation.length - 1);
    const elsewhere = planStack(template, { parameters: [], pseudo: { ...testPseudo, region: "xx-test-1" } });
    expect(Object.keys(elsewhere.resources)).not.toContain("CDKMetadata");
  });
});
