import { CloudFormation } from "@scaleout/core";
import { expect, test } from "vitest";
import { actingProviderTypes, providerOf } from "../src/cfn-providers/index.ts";
import { generatedName } from "../src/cfn-providers/types.ts";
import { createToken } from "../src/cfn-resource-actions.ts";
import { putResource } from "../src/cfn-store.ts";
import { runStackOperation } from "../src/index.ts";
import { servicesPerTest } from "./services-per-test.ts";

/*
 * The providers of ListenerCertificate, WarmPool and CertificateManager::Certificate through the stack
 * executor over a real SQLite file (create, in-place updates, a replacement, delete), and a resumed
 * create adopting what an interrupted provider call made instead of making it twice.
 */

const fresh = servicesPerTest();

const template = (options: { domain?: string; sni?: string; poolMin?: number; team?: string } = {}) => `
Resources:
  Cert:
    Type: AWS::CertificateManager::Certificate
    Properties:
      DomainName: ${options.domain ?? "app.example.com"}
      ValidationMethod: DNS
      KeyAlgorithm: EC_prime256v1
      Tags: [{ Key: team, Value: ${options.team ?? "web"} }]
  Other:
    Type: AWS::CertificateManager::Certificate
    Properties: { DomainName: other.example.com, KeyAlgorithm: EC_prime256v1 }
  Third:
    Type: AWS::CertificateManager::Certificate
    Properties: { DomainName: third.example.com, KeyAlgorithm: EC_prime256v1 }
  LoadBalancer:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: { Subnets: [subnet-a] }
  Group:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: { Port: 80, Protocol: HTTP }
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref LoadBalancer
      Port: 18443
      Protocol: HTTPS
      Certificates: [{ CertificateArn: !Ref Cert }]
      DefaultActions: [{ Type: forward, TargetGroupArn: !Ref Group }]
  Sni:
    Type: AWS::ElasticLoadBalancingV2::ListenerCertificate
    Properties:
      ListenerArn: !Ref Listener
      Certificates: [{ CertificateArn: !Ref ${options.sni ?? "Other"} }]
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData: { UserData: !Base64 "exec node app.js" }
  Fleet:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: "0"
      MaxSize: "3"
      LaunchTemplate: { LaunchTemplateId: !Ref Template, Version: !GetAtt Template.LatestVersionNumber }
  Pool:
    Type: AWS::AutoScaling::WarmPool
    Properties:
      AutoScalingGroupName: !Ref Fleet
      MinSize: ${options.poolMin ?? 1}
      PoolState: Running
      InstanceReusePolicy: { ReuseOnScaleIn: true }
Outputs:
  CertArn: { Value: !Ref Cert }
  CertId: { Value: !GetAtt Cert.Id }
  SniId: { Value: !Ref Sni }
  Pool: { Value: !Ref Pool }
`;

const rows = (name: string) =>
  Object.fromEntries(fresh.services.cfnStacks.resources(name).resources.map((r) => [r.logicalId, r]));
const physical = (name: string, logicalId: string) => rows(name)[logicalId]?.physicalId ?? "";
const outputs = (name: string) =>
  Object.fromEntries(fresh.services.cfnStacks.get(name).outputs.map((o) => [o.OutputKey, o.OutputValue]));
const listenerCertificates = (listenerArn: string) =>
  fresh.services.listenerCertificates
    .list(listenerArn)
    .items.map((c) => `${c.certificateArn} ${c.isDefault}`);

async function run(name: string): Promise<string> {
  return runStackOperation(fresh.services, fresh.services.cfnStacks.get(name).stackId);
}

test("a certificate the stack requests serves its HTTPS listener; SNI certificates and a warm pool act, update in place, and go with the stack", async () => {
  fresh.services.cfnStacks.create({ stackName: "tls", templateBody: template() });
  expect(await run("tls")).toBe("CREATE_COMPLETE");
  const cert = physical("tls", "Cert");
  expect(cert).toMatch(/^arn:aws:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/);
  expect(fresh.services.certificates.describe(cert).status).toBe("ISSUED");
  const listener = physical("tls", "Listener");
  expect(fresh.services.listeners.get(listener).certificates).toEqual([{ certificateArn: cert }]);
  expect(listenerCertificates(listener)).toEqual([`${cert} true`, `${physical("tls", "Other")} false`]);
  const fleet = physical("tls", "Fleet");
  expect(fresh.services.warmPools.describe(fleet).warmPoolConfiguration).toMatchObject({
    minSize: 1,
    poolState: "Running",
    instanceReusePolicy: { reuseOnScaleIn: true },
  });
  expect(outputs("tls")).toEqual({
    CertArn: cert,
    CertId: cert,
    SniId: physical("tls", "Sni"),
    Pool: fleet,
  });
  expect(physical("tls", "Sni")).toMatch(new RegExp(`^${listener.replaceAll("/", "\\/")}\\|[0-9a-f]{16}$`));

  // In place: the SNI certificate, the pool's minimum and the certificate's tags. Replacement: the
  // domain name, a new certificate the listener moves to before the old one is deleted at cleanup.
  fresh.services.cfnStacks.update({
    stackName: "tls",
    templateBody: template({ domain: "www.example.com", sni: "Third", poolMin: 2, team: "edge" }),
  });
  expect(await run("tls")).toBe("UPDATE_COMPLETE");
  const renewed = physical("tls", "Cert");
  expect(renewed).not.toBe(cert);
  expect(fresh.services.certificates.describe(renewed).domainName).toBe("www.example.com");
  expect(fresh.services.certificates.listTags(renewed)).toEqual([{ key: "team", value: "edge" }]);
  expect(() => fresh.services.certificates.describe(cert)).toThrow(/Could not find certificate/);
  expect(physical("tls", "Sni")).toBe(outputs("tls").SniId);
  expect(listenerCertificates(listener)).toEqual([`${renewed} true`, `${physical("tls", "Third")} false`]);
  expect(fresh.services.warmPools.describe(fleet).warmPoolConfiguration?.minSize).toBe(2);

  fresh.services.cfnStacks.delete("tls");
  const stackId = fresh.services.cfnStacks.list()[0]?.stackId ?? "";
  expect(await runStackOperation(fresh.services, stackId)).toBe("DELETE_COMPLETE");
  expect(fresh.services.certificates.list({}).items).toEqual([]);
  expect(() => fresh.services.groups.get(fleet)).toThrow(/not found/);
  expect(fresh.services.loadBalancers.list({}).items).toEqual([]);
});

test("a private CA is refused with the stack rolled back; the failure names it", async () => {
  fresh.services.cfnStacks.create({
    stackName: "pca",
    templateBody: `
Resources:
  Cert:
    Type: AWS::CertificateManager::Certificate
    Properties:
      DomainName: app.example.com
      CertificateAuthorityArn: arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x
`,
  });
  expect(await run("pca")).toBe("ROLLBACK_COMPLETE");
  const failed = fresh.services.cfnStacks.events("pca").find((e) => e.status === "CREATE_FAILED");
  expect(failed?.statusReason).toMatch(/no private certificate authorities/);
});

test("a create resumed after the worker stopped inside the provider calls adopts what those calls made", async () => {
  fresh.services.cfnStacks.create({ stackName: "resume", templateBody: template() });
  const { stackId } = fresh.services.cfnStacks.get("resume");
  const token = (logicalId: string) => createToken(stackId, logicalId);
  // What the interrupted calls made before the worker stopped: each under the name (or client token)
  // the executor derives for that create, with no physical id recorded.
  const { certificateArn } = await fresh.services.certificates.request({
    domainName: "app.example.com",
    keyAlgorithm: "EC_prime256v1",
    idempotencyToken: token("Cert"),
  });
  const launchTemplate = fresh.services.launchTemplates.create({
    launchTemplateName: generatedName("resume", "Template", 125, token("Template")),
    command: ["node", "app.js"],
  });
  const fleet = fresh.services.groups.create({
    autoScalingGroupName: generatedName("resume", "Fleet", 255, token("Fleet")),
    minSize: 0,
    maxSize: 3,
    launchTemplate: { launchTemplateId: launchTemplate.launchTemplateId, version: "1" },
  });
  const { loadBalancer } = fresh.services.loadBalancers.create({
    name: generatedName("resume", "LoadBalancer", 32, token("LoadBalancer")),
  });
  const { targetGroup } = fresh.services.targetGroups.create({
    name: generatedName("resume", "Group", 32, token("Group")),
    port: 80,
    protocol: "HTTP",
  });
  const listener = fresh.services.listeners.create(loadBalancer.loadBalancerArn, {
    protocol: "HTTPS",
    port: 18443,
    certificates: [{ certificateArn }],
    defaultActions: [{ type: "forward", targetGroupArn: targetGroup.targetGroupArn }],
  });
  const interrupted = [
    ["Cert", "AWS::CertificateManager::Certificate"],
    ["Template", "AWS::EC2::LaunchTemplate"],
    ["Fleet", "AWS::AutoScaling::AutoScalingGroup"],
    ["LoadBalancer", "AWS::ElasticLoadBalancingV2::LoadBalancer"],
    ["Group", "AWS::ElasticLoadBalancingV2::TargetGroup"],
    ["Listener", "AWS::ElasticLoadBalancingV2::Listener"],
  ];
  for (const [logicalId, type] of interrupted)
    putResource(
      fresh.db,
      stackId,
      {
        logicalId: logicalId ?? "",
        type: type ?? "",
        physicalId: null,
        status: "CREATE_IN_PROGRESS",
        properties: {},
        attributes: {},
      },
      Date.now(),
    );
  expect(await run("resume")).toBe("CREATE_COMPLETE");
  expect(physical("resume", "Cert")).toBe(certificateArn);
  expect(physical("resume", "Template")).toBe(launchTemplate.launchTemplateId);
  const certificates = fresh.services.certificates.list({}).items.map((c) => c.domainName);
  expect(certificates.filter((domain) => domain === "app.example.com")).toHaveLength(1);
  expect(fresh.services.launchTemplates.list({}).items).toHaveLength(1);
  expect(physical("resume", "Fleet")).toBe(fleet.autoScalingGroupName);
  expect(physical("resume", "LoadBalancer")).toBe(loadBalancer.loadBalancerArn);
  expect(physical("resume", "Group")).toBe(targetGroup.targetGroupArn);
  expect(physical("resume", "Listener")).toBe(listener.listenerArn);
  expect(fresh.services.loadBalancers.list({}).items).toHaveLength(1);
  expect(
    fresh.services.listeners.list({ loadBalancerName: loadBalancer.loadBalancerArn }).items,
  ).toHaveLength(1);
  expect(fresh.services.groups.list({}).items).toHaveLength(1);
});

test("the engine's registry and the providers name the same types: each acting type has a provider, each placeholder the generic one", () => {
  for (const type of CloudFormation.supportedResourceTypes()) expect(providerOf(type), type).toBeDefined();
  for (const type of actingProviderTypes()) {
    const spec = CloudFormation.resourceTypeSpec(type);
    expect(spec, type).toBeDefined();
    expect(spec?.placeholder, type).toBeUndefined();
  }
  expect(providerOf("AWS::S3::Bucket")).toBeUndefined();
});

test("placeholders take their name property and fail without a required property, in CloudFormation's words", async () => {
  fresh.services.cfnStacks.create({
    stackName: "named",
    templateBody: `
Resources:
  Handler:
    Type: AWS::Lambda::Function
    Properties: { FunctionName: cleanup, Code: { ZipFile: "x" }, Role: arn:aws:iam::123456789012:role/r }
  Topic:
    Type: AWS::SNS::Topic
    Properties: { TopicName: alerts }
Outputs:
  Arn: { Value: !GetAtt Handler.Arn }
  Topic: { Value: !GetAtt Topic.TopicName }
`,
  });
  expect(await run("named")).toBe("CREATE_COMPLETE");
  expect(physical("named", "Handler")).toBe("cleanup");
  expect(outputs("named")).toEqual({
    Arn: "arn:aws:lambda:us-east-1:000000000000:function:cleanup",
    Topic: "alerts",
  });
  expect(physical("named", "Topic")).toBe("arn:aws:sns:us-east-1:000000000000:alerts");

  fresh.services.cfnStacks.create({
    stackName: "nocode",
    templateBody: "Resources:\n  Handler:\n    Type: AWS::Lambda::Function\n    Properties: { Role: r }\n",
  });
  expect(await run("nocode")).toBe("ROLLBACK_COMPLETE");
  const failed = fresh.services.cfnStacks.events("nocode").find((e) => e.status === "CREATE_FAILED");
  expect(failed?.statusReason).toContain(
    "Properties validation failed for resource Handler with message: [#: required key [Code] not found]",
  );
});
