import {
  ACMClient,
  DeleteCertificateCommand,
  ImportCertificateCommand,
  RequestCertificateCommand,
} from "@aws-sdk/client-acm";
import {
  AddListenerCertificatesCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  DescribeListenersCommand,
  DescribeSSLPoliciesCommand,
  ModifyListenerCommand,
  paginateDescribeListenerCertificates,
  RemoveListenerCertificatesCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { selfSigned } from "../listener-certificates-fixture.ts";
import { type AwsTestApi, collect, failure, startAwsApi } from "./helpers.ts";

let api: AwsTestApi;
let acm: ACMClient;
beforeAll(async () => {
  api = await startAwsApi();
  acm = new ACMClient({
    endpoint: api.endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  acm?.destroy();
  await api?.close();
});

/** A certificate issued at once by ACM's local authority, through ACM's SDK client. */
async function storeCertificate(domain = "www.example.com"): Promise<{ arn: string }> {
  const requested = await acm.send(
    new RequestCertificateCommand({ DomainName: domain, KeyAlgorithm: "EC_prime256v1" }),
  );
  return { arn: requested.CertificateArn ?? "" };
}

const fixed = [{ Type: "fixed-response" as const, FixedResponseConfig: { StatusCode: "200" } }];

async function loadBalancer(name: string): Promise<string> {
  const { elbv2 } = api.clients();
  const created = await elbv2.send(new CreateLoadBalancerCommand({ Name: name, Subnets: ["subnet-1"] }));
  const arn = created.LoadBalancers?.[0]?.LoadBalancerArn;
  if (!arn) throw new Error("no load balancer ARN");
  return arn;
}

describe("HTTPS listeners through the ELBv2 SDK client", () => {
  test("certificates imported and requested through ACM's client serve as listener certificates", async () => {
    const { elbv2 } = api.clients();
    const lb = await loadBalancer("tls-acm");
    const material = selfSigned("www.example.com");
    const encoder = new TextEncoder();
    const imported = await acm.send(
      new ImportCertificateCommand({
        Certificate: encoder.encode(material.certificatePem),
        PrivateKey: encoder.encode(material.privateKeyPem),
      }),
    );
    const requested = await acm.send(
      new RequestCertificateCommand({ DomainName: "api.example.com", KeyAlgorithm: "EC_prime256v1" }),
    );
    const importedArn = imported.CertificateArn ?? "";
    const requestedArn = requested.CertificateArn ?? "";
    const created = await elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb,
        Protocol: "HTTPS",
        Port: 9445,
        SslPolicy: "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        Certificates: [{ CertificateArn: importedArn }],
        DefaultActions: fixed,
      }),
    );
    const listenerArn = created.Listeners?.[0]?.ListenerArn ?? "";
    await elbv2.send(
      new AddListenerCertificatesCommand({
        ListenerArn: listenerArn,
        Certificates: [{ CertificateArn: requestedArn }],
      }),
    );
    // ACM refuses to delete what a listener uses, default or SNI; re-importing (rotation) is allowed.
    for (const arn of [importedArn, requestedArn]) {
      const inUse = await failure(acm.send(new DeleteCertificateCommand({ CertificateArn: arn })));
      expect(inUse.name).toBe("ResourceInUseException");
    }
    const rotated = selfSigned("www.example.com");
    await acm.send(
      new ImportCertificateCommand({
        CertificateArn: importedArn,
        Certificate: encoder.encode(rotated.certificatePem),
        PrivateKey: encoder.encode(rotated.privateKeyPem),
      }),
    );
    const listed = await collect(
      paginateDescribeListenerCertificates({ client: elbv2 }, { ListenerArn: listenerArn }),
      (page) => page.Certificates,
    );
    expect(listed.items).toEqual([
      { CertificateArn: importedArn, IsDefault: true },
      { CertificateArn: requestedArn, IsDefault: false },
    ]);
    // Once off the listener, the SNI certificate can be deleted.
    await elbv2.send(
      new RemoveListenerCertificatesCommand({
        ListenerArn: listenerArn,
        Certificates: [{ CertificateArn: requestedArn }],
      }),
    );
    await acm.send(new DeleteCertificateCommand({ CertificateArn: requestedArn }));
    const gone = await failure(
      elbv2.send(
        new AddListenerCertificatesCommand({
          ListenerArn: listenerArn,
          Certificates: [{ CertificateArn: requestedArn }],
        }),
      ),
    );
    expect(gone.name).toBe("CertificateNotFoundException");
  });

  test("create with a certificate, SNI certificates in pages, modify, and back to HTTP", async () => {
    const { elbv2 } = api.clients();
    const lb = await loadBalancer("tls-web");
    const main = await storeCertificate("www.example.com");
    const created = await elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb,
        Protocol: "HTTPS",
        Port: 9443,
        Certificates: [{ CertificateArn: main.arn }],
        DefaultActions: fixed,
      }),
    );
    const listener = created.Listeners?.[0];
    expect(listener).toMatchObject({
      Protocol: "HTTPS",
      SslPolicy: "ELBSecurityPolicy-2016-08",
      Certificates: [{ CertificateArn: main.arn }],
    });
    const listenerArn = listener?.ListenerArn ?? "";

    const sni = await Promise.all(
      ["a.example.com", "b.example.com", "c.example.com"].map((d) => storeCertificate(d)),
    );
    const added = await elbv2.send(
      new AddListenerCertificatesCommand({
        ListenerArn: listenerArn,
        Certificates: sni.map((c) => ({ CertificateArn: c.arn })),
      }),
    );
    expect(added.Certificates?.map((c) => c.CertificateArn).sort()).toEqual(sni.map((c) => c.arn).sort());

    const listed = await collect(
      paginateDescribeListenerCertificates({ client: elbv2 }, { ListenerArn: listenerArn, PageSize: 2 }),
      (page) => page.Certificates,
    );
    expect(listed.pages).toBe(2);
    expect(listed.items[0]).toEqual({ CertificateArn: main.arn, IsDefault: true });
    expect(listed.items.slice(1).every((c) => c.IsDefault === false)).toBe(true);

    const refused = await failure(
      elbv2.send(
        new RemoveListenerCertificatesCommand({
          ListenerArn: listenerArn,
          Certificates: [{ CertificateArn: main.arn }],
        }),
      ),
    );
    expect(refused.name).toBe("OperationNotPermittedException");
    expect(refused.$metadata).toMatchObject({ httpStatusCode: 400 });
    await elbv2.send(
      new RemoveListenerCertificatesCommand({
        ListenerArn: listenerArn,
        Certificates: [{ CertificateArn: sni[0]?.arn }],
      }),
    );

    const modified = await elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: listenerArn,
        SslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
        Certificates: [{ CertificateArn: sni[1]?.arn }],
      }),
    );
    expect(modified.Listeners?.[0]).toMatchObject({
      SslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      Certificates: [{ CertificateArn: sni[1]?.arn }],
    });
    const afterModify = await collect(
      paginateDescribeListenerCertificates({ client: elbv2 }, { ListenerArn: listenerArn }),
      (page) => page.Certificates,
    );
    expect(afterModify.items.filter((c) => c.IsDefault)).toEqual([
      { CertificateArn: sni[1]?.arn, IsDefault: true },
    ]);

    const plain = await elbv2.send(new ModifyListenerCommand({ ListenerArn: listenerArn, Protocol: "HTTP" }));
    expect(plain.Listeners?.[0]?.SslPolicy).toBeUndefined();
    expect(plain.Listeners?.[0]?.Certificates).toBeUndefined();
    const described = await elbv2.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }));
    expect(described.Listeners?.[0]?.Protocol).toBe("HTTP");
  });

  test("ELB's error codes for certificates and policies", async () => {
    const { elbv2 } = api.clients();
    const lb = await loadBalancer("tls-errors");
    const cert = await storeCertificate();
    const create = (input: Partial<ConstructorParameters<typeof CreateListenerCommand>[0]>) =>
      failure(
        elbv2.send(
          new CreateListenerCommand({
            LoadBalancerArn: lb,
            Protocol: "HTTPS",
            Port: 9444,
            DefaultActions: fixed,
            ...input,
          }),
        ),
      );
    const unknownCert = cert.arn.replace(/[0-9a-f-]{36}$/, "00000000-0000-0000-0000-000000000000");
    const notFound = await create({ Certificates: [{ CertificateArn: unknownCert }] });
    expect(notFound.name).toBe("CertificateNotFoundException");
    expect(notFound.$metadata).toMatchObject({ httpStatusCode: 400 });
    const policy = await create({
      Certificates: [{ CertificateArn: cert.arn }],
      SslPolicy: "ELBSecurityPolicy-1999",
    });
    expect(policy.name).toBe("SSLPolicyNotFoundException");
    const missing = await create({});
    expect(missing.name).toBe("ValidationError");
    const http = await create({ Protocol: "HTTP", Certificates: [{ CertificateArn: cert.arn }] });
    expect(http.name).toBe("ValidationError");
    expect(http.message).toMatch(/cannot be specified for HTTP listeners/);
    const noListener = await failure(
      elbv2.send(
        new AddListenerCertificatesCommand({
          ListenerArn:
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/x/0000000000000000/0000000000000000",
          Certificates: [{ CertificateArn: cert.arn }],
        }),
      ),
    );
    expect(noListener.name).toBe("ListenerNotFoundException");
  });

  test("DescribeSSLPolicies: names, load balancer type, pagination and SSLPolicyNotFound", async () => {
    const { elbv2 } = api.clients();
    const named = await elbv2.send(
      new DescribeSSLPoliciesCommand({ Names: ["ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"] }),
    );
    expect(named.SslPolicies).toEqual([
      {
        Name: "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        SslProtocols: ["TLSv1.2", "TLSv1.3"],
        Ciphers: [
          { Name: "TLS_AES_128_GCM_SHA256", Priority: 1 },
          { Name: "TLS_AES_256_GCM_SHA384", Priority: 2 },
          { Name: "TLS_CHACHA20_POLY1305_SHA256", Priority: 3 },
          { Name: "ECDHE-ECDSA-AES128-GCM-SHA256", Priority: 4 },
          { Name: "ECDHE-RSA-AES128-GCM-SHA256", Priority: 5 },
          { Name: "ECDHE-ECDSA-AES256-GCM-SHA384", Priority: 6 },
          { Name: "ECDHE-RSA-AES256-GCM-SHA384", Priority: 7 },
        ],
        SupportedLoadBalancerTypes: ["application", "network"],
      },
    ]);
    // DescribeSSLPolicies has no SDK paginator: follow NextMarker by hand.
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await elbv2.send(
        new DescribeSSLPoliciesCommand({ LoadBalancerType: "application", PageSize: 10, Marker: marker }),
      );
      names.push(...(page.SslPolicies ?? []).map((p) => p.Name ?? ""));
      marker = page.NextMarker;
    } while (marker);
    expect(names.length).toBeGreaterThan(30);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain("ELBSecurityPolicy-2016-08");
    const unknown = await failure(elbv2.send(new DescribeSSLPoliciesCommand({ Names: ["Nope"] })));
    expect(unknown.name).toBe("SSLPolicyNotFoundException");
    const badType = await failure(
      elbv2.send(new DescribeSSLPoliciesCommand({ LoadBalancerType: "classic" as "application" })),
    );
    expect(badType.name).toBe("ValidationError");
  });
});
