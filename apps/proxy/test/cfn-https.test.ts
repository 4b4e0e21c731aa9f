import { runStackOperation } from "@scaleout/services";
import { expect } from "vitest";
import { freePort, loopback, proxyTest as test } from "./helpers.ts";
import { sendHttps } from "./tls-fixtures.ts";

/*
 * A stack whose template requests ACM certificates and puts them on an HTTPS listener (the default one,
 * and a second by ListenerCertificate): the stack reaches CREATE_COMPLETE at once (scaleout's local CA
 * issues), and the proxy serves the listener with them, the chain verified against that CA, each
 * certificate chosen by SNI.
 */

const template = (port: number, targetPort: number) => `
Resources:
  Cert:
    Type: AWS::CertificateManager::Certificate
    Properties: { DomainName: app.example.com, ValidationMethod: DNS, KeyAlgorithm: EC_prime256v1 }
  AdminCert:
    Type: AWS::CertificateManager::Certificate
    Properties: { DomainName: admin.example.com, KeyAlgorithm: EC_prime256v1 }
  LoadBalancer:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: { Subnets: [subnet-a] }
  Group:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      Port: 80
      Protocol: HTTP
      TargetType: ip
      HealthCheckPath: /health
      HealthCheckIntervalSeconds: 1
      HealthCheckTimeoutSeconds: 1
      HealthyThresholdCount: 2
      Targets: [{ Id: ${loopback}, Port: ${targetPort} }]
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref LoadBalancer
      Port: ${port}
      Protocol: HTTPS
      SslPolicy: ELBSecurityPolicy-TLS13-1-2-2021-06
      Certificates: [{ CertificateArn: !Ref Cert }]
      DefaultActions: [{ Type: forward, TargetGroupArn: !Ref Group }]
  Admin:
    Type: AWS::ElasticLoadBalancingV2::ListenerCertificate
    Properties:
      ListenerArn: !Ref Listener
      Certificates: [{ CertificateArn: !Ref AdminCert }]
`;

test("a stack's ACM certificate serves its HTTPS listener, and a ListenerCertificate adds one by SNI", async ({
  env,
}) => {
  const { h } = env;
  const target = await env.target("app");
  const port = await freePort();
  h.services.cfnStacks.create({ stackName: "tls", templateBody: template(port, target.port) });
  const stackId = h.services.cfnStacks.get("tls").stackId;
  expect(await runStackOperation(h.services, stackId)).toBe("CREATE_COMPLETE");
  await h.reload();
  const group = h.services.cfnStacks.resources("tls").resources.find((r) => r.logicalId === "Group");
  await h.waitForState(group?.physicalId ?? "", target.port, "healthy");

  const ca = h.services.certificates.authorityPem();
  const app = await sendHttps(port, "/", { ca, servername: "app.example.com" });
  expect(app.status).toBe(200);
  expect(app.target).toBe("app");
  expect(app.peer.subject.CN).toBe("app.example.com");
  const admin = await sendHttps(port, "/", { ca, servername: "admin.example.com" });
  expect(admin.status).toBe(200);
  expect(admin.peer.subject.CN).toBe("admin.example.com");
  // A name no certificate holds gets the default one, as an ALB answers.
  const other = await sendHttps(port, "/", { ca, servername: "elsewhere.example.org" });
  expect(other.peer.subject.CN).toBe("app.example.com");
});
