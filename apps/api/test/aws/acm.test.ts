import { X509Certificate } from "node:crypto";
import {
  type ACMClient,
  AddTagsToCertificateCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  GetCertificateCommand,
  ImportCertificateCommand,
  ListTagsForCertificateCommand,
  paginateListCertificates,
  RemoveTagsFromCertificateCommand,
  RequestCertificateCommand,
} from "@aws-sdk/client-acm";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  DeleteListenerCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { createCertificateAuthority } from "@scaleout/services";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, collect, failure, startAwsApi } from "./helpers.ts";

/*
 * AWS Certificate Manager driven only through the SDK's ACMClient (awsJson1_1): import, request, describe,
 * list with the paginator, get, tags, delete, and ACM's errors. Every response body is recorded and
 * searched for key material at the end: no API answers a private key.
 */

let api: AwsTestApi;
let acm: ACMClient;
const bodies: string[] = [];

beforeAll(async () => {
  api = await startAwsApi({ onBody: (body) => bodies.push(body) });
  acm = api.clients().acm;
});
afterAll(async () => {
  await api?.close();
});

/** A certificate from a CA that is not scaleout's, as a user would bring one. */
const outside = createCertificateAuthority(undefined, Date.now);
async function bring(names: string[]) {
  const issued = await outside.issue(names, "RSA_2048", Date.now());
  return {
    pem: issued,
    input: {
      Certificate: Buffer.from(issued.certificatePem),
      PrivateKey: Buffer.from(issued.privateKeyPem),
      CertificateChain: Buffer.from(outside.certificatePem()),
    },
  };
}

describe("ACM through ACMClient", () => {
  let imported = "";
  let requested = "";

  test("ImportCertificate, DescribeCertificate, and re-import to the same ARN", async () => {
    const first = await bring(["shop.example.com", "www.shop.example.com"]);
    const { CertificateArn } = await acm.send(
      new ImportCertificateCommand({ ...first.input, Tags: [{ Key: "env", Value: "staging" }] }),
    );
    expect(CertificateArn).toMatch(/^arn:aws:acm:eu-west-1:000000000000:certificate\//);
    imported = CertificateArn ?? "";
    const { Certificate } = await acm.send(new DescribeCertificateCommand({ CertificateArn: imported }));
    expect(Certificate).toMatchObject({
      CertificateArn: imported,
      DomainName: "shop.example.com",
      SubjectAlternativeNames: ["shop.example.com", "www.shop.example.com"],
      Type: "IMPORTED",
      Status: "ISSUED",
      KeyAlgorithm: "RSA_2048",
      InUseBy: [],
      ExtendedKeyUsages: [{ Name: "TLS_WEB_SERVER_AUTHENTICATION", OID: "1.3.6.1.5.5.7.3.1" }],
    });
    expect(Certificate?.ImportedAt).toBeInstanceOf(Date);
    expect(Certificate?.NotAfter?.getTime()).toBe(
      Date.parse(new X509Certificate(first.pem.certificatePem).validTo),
    );

    const second = await bring(["shop.example.com"]);
    const again = await acm.send(new ImportCertificateCommand({ ...second.input, CertificateArn: imported }));
    expect(again.CertificateArn).toBe(imported);
    const got = await acm.send(new GetCertificateCommand({ CertificateArn: imported }));
    expect(got.Certificate).toBe(second.pem.certificatePem);
    expect(got.CertificateChain).toBe(outside.certificatePem());
    const tags = await acm.send(new ListTagsForCertificateCommand({ CertificateArn: imported }));
    expect(tags.Tags).toEqual([{ Key: "env", Value: "staging" }]);
  });

  test("RequestCertificate is issued at once and verifies against /v1/certificate-authority.pem", async () => {
    const { CertificateArn } = await acm.send(
      new RequestCertificateCommand({
        DomainName: "api.example.com",
        SubjectAlternativeNames: ["*.api.example.com"],
        ValidationMethod: "DNS",
        KeyAlgorithm: "EC_prime256v1",
        IdempotencyToken: "once",
      }),
    );
    requested = CertificateArn ?? "";
    const same = await acm.send(
      new RequestCertificateCommand({ DomainName: "api.example.com", IdempotencyToken: "once" }),
    );
    expect(same.CertificateArn).toBe(requested);

    const { Certificate } = await acm.send(new DescribeCertificateCommand({ CertificateArn: requested }));
    expect(Certificate).toMatchObject({
      Type: "AMAZON_ISSUED",
      Status: "ISSUED",
      KeyAlgorithm: "EC_prime256v1",
      SubjectAlternativeNames: ["api.example.com", "*.api.example.com"],
      RenewalEligibility: "INELIGIBLE",
    });
    expect(Certificate?.DomainValidationOptions?.map((v) => v.ValidationStatus)).toEqual([
      "SUCCESS",
      "SUCCESS",
    ]);
    expect(Certificate?.DomainValidationOptions?.[0]?.ResourceRecord?.Type).toBe("CNAME");

    const caResponse = await fetch(`${api.endpoint}/v1/certificate-authority.pem`);
    expect(caResponse.headers.get("content-type")).toContain("application/x-pem-file");
    const ca = new X509Certificate(await caResponse.text());
    expect(ca.subject).toContain("CN=scaleout local CA");
    expect(ca.ca).toBe(true);
    const got = await acm.send(new GetCertificateCommand({ CertificateArn: requested }));
    const leaf = new X509Certificate(got.Certificate ?? "");
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkHost("v2.api.example.com")).toBe("*.api.example.com");
    expect(new X509Certificate(got.CertificateChain ?? "").fingerprint256).toBe(ca.fingerprint256);
  });

  test("ListCertificates pages with the paginator; without Includes.keyTypes only RSA_1024/RSA_2048", async () => {
    for (let i = 0; i < 4; i++)
      await acm.send(
        new RequestCertificateCommand({ DomainName: `p${i}.example.com`, KeyAlgorithm: "EC_secp384r1" }),
      );
    const byDefault = await collect(
      paginateListCertificates({ client: acm, pageSize: 2 }, {}),
      (page) => page.CertificateSummaryList,
    );
    expect(byDefault.items.map((s) => s.CertificateArn)).toEqual([imported]);
    const all = await collect(
      paginateListCertificates(
        { client: acm, pageSize: 2 },
        { Includes: { keyTypes: ["RSA_2048", "EC_prime256v1", "EC_secp384r1"] } },
      ),
      (page) => page.CertificateSummaryList,
    );
    expect(all.pages).toBe(3);
    expect(all.items).toHaveLength(6);
    expect(new Set(all.items.map((s) => s.CertificateArn)).size).toBe(6);
    const ec = all.items.find((s) => s.CertificateArn === requested);
    expect(ec).toMatchObject({
      Type: "AMAZON_ISSUED",
      KeyAlgorithm: "EC_prime256v1",
      InUse: false,
      Status: "ISSUED",
    });
    const none = await acm.send(
      new (await import("@aws-sdk/client-acm")).ListCertificatesCommand({
        CertificateStatuses: ["EXPIRED"],
        Includes: { keyTypes: ["EC_secp384r1"] },
      }),
    );
    expect(none.CertificateSummaryList).toEqual([]);
  });

  test("tags: add, list, remove", async () => {
    await acm.send(
      new AddTagsToCertificateCommand({
        CertificateArn: requested,
        Tags: [{ Key: "a", Value: "1" }, { Key: "b" }],
      }),
    );
    await acm.send(
      new RemoveTagsFromCertificateCommand({ CertificateArn: requested, Tags: [{ Key: "a", Value: "1" }] }),
    );
    const { Tags } = await acm.send(new ListTagsForCertificateCommand({ CertificateArn: requested }));
    expect(Tags).toEqual([{ Key: "b" }]);
    const tooMany = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}` }));
    const error = await failure(
      acm.send(new AddTagsToCertificateCommand({ CertificateArn: requested, Tags: tooMany })),
    );
    expect(error.name).toBe("TooManyTagsException");
    const reserved = await failure(
      acm.send(new AddTagsToCertificateCommand({ CertificateArn: requested, Tags: [{ Key: "aws:x" }] })),
    );
    expect(reserved.name).toBe("InvalidTagException");
  });

  test("DeleteCertificate is refused while an HTTPS listener uses the certificate", async () => {
    const { elbv2 } = api.clients();
    const lb = await elbv2.send(new CreateLoadBalancerCommand({ Name: "acm-test" }));
    const listener = await elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.LoadBalancers?.[0]?.LoadBalancerArn,
        Protocol: "HTTPS",
        Port: 18443,
        Certificates: [{ CertificateArn: requested }],
        DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "200" } }],
      }),
    );
    const listenerArn = listener.Listeners?.[0]?.ListenerArn ?? "";
    const { Certificate } = await acm.send(new DescribeCertificateCommand({ CertificateArn: requested }));
    expect(Certificate?.InUseBy).toEqual([lb.LoadBalancers?.[0]?.LoadBalancerArn]);
    const inUse = await failure(acm.send(new DeleteCertificateCommand({ CertificateArn: requested })));
    expect(inUse.name).toBe("ResourceInUseException");
    expect((inUse as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(400);
    await elbv2.send(new DeleteListenerCommand({ ListenerArn: listenerArn }));
    await acm.send(new DeleteCertificateCommand({ CertificateArn: requested }));
    const gone = await failure(acm.send(new DescribeCertificateCommand({ CertificateArn: requested })));
    expect(gone.name).toBe("ResourceNotFoundException");
  });

  test("ACM's errors", async () => {
    const badArn = await failure(
      acm.send(new DescribeCertificateCommand({ CertificateArn: "arn:aws:acm:eu-west-1:000000000000:nope" })),
    );
    expect(badArn.name).toBe("InvalidArnException");
    const notArn = await failure(acm.send(new GetCertificateCommand({ CertificateArn: "nope" })));
    expect(notArn.name).toBe("ValidationException");
    const mismatch = await bring(["x.example.com"]);
    const other = await bring(["y.example.com"]);
    const wrongKey = await failure(
      acm.send(new ImportCertificateCommand({ ...mismatch.input, PrivateKey: other.input.PrivateKey })),
    );
    expect(wrongKey.name).toBe("ValidationException");
    expect(wrongKey.message).toMatch(/does not match/);
    const junk = await failure(
      acm.send(
        new ImportCertificateCommand({ Certificate: Buffer.from("junk"), PrivateKey: Buffer.from("junk") }),
      ),
    );
    expect(junk.name).toBe("ValidationException");
    const wildcardInside = await failure(
      acm.send(new RequestCertificateCommand({ DomainName: "a.*.example.com" })),
    );
    expect(wildcardInside.name).toBe("ValidationException");
    const tooMany = await failure(
      acm.send(
        new RequestCertificateCommand({
          DomainName: "many.example.com",
          SubjectAlternativeNames: Array.from({ length: 10 }, (_, i) => `s${i}.example.com`),
        }),
      ),
    );
    expect(tooMany.name).toBe("LimitExceededException");
    const privateCa = await failure(
      acm.send(
        new RequestCertificateCommand({
          DomainName: "pca.example.com",
          CertificateAuthorityArn: "arn:aws:acm-pca:eu-west-1:000000000000:certificate-authority/x",
        }),
      ),
    );
    expect(privateCa.name).toBe("ValidationException");
  });

  test("on the wire: awsJson1_1 answers, errors as __type and message, blobs base64", async () => {
    const post = (target: string, body: unknown) =>
      fetch(`${api.endpoint}/`, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": target,
          authorization:
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/acm/aws4_request, SignedHeaders=host, Signature=00",
        },
        body: JSON.stringify(body),
      });
    const listed = await post("CertificateManager.ListCertificates", {});
    expect(listed.status).toBe(200);
    expect(listed.headers.get("content-type")).toMatch(/^application\/x-amz-json-1\.1\b/);
    const missing = await post("CertificateManager.DescribeCertificate", {
      CertificateArn: "arn:aws:acm:eu-west-1:000000000000:certificate/00000000-0000-0000-0000-000000000000",
    });
    expect(missing.status).toBe(400);
    expect(missing.headers.get("x-amzn-query-error")).toBeNull();
    expect(await missing.json()).toEqual({
      __type: "ResourceNotFoundException",
      message: expect.stringContaining("Could not find certificate"),
    });
    const notBase64 = await post("CertificateManager.ImportCertificate", {
      Certificate: "not base64!",
      PrivateKey: "AAAA",
    });
    expect(notBase64.status).toBe(400);
    expect(((await notBase64.json()) as { __type: string }).__type).toBe("ValidationException");
    const { pem } = await bring(["wire.example.com"]);
    const imported = await post("CertificateManager.ImportCertificate", {
      Certificate: Buffer.from(pem.certificatePem).toString("base64"),
      PrivateKey: Buffer.from(pem.privateKeyPem).toString("base64"),
    });
    expect(imported.status).toBe(200);
    const unknown = await post("CertificateManager.RevokeCertificate", {});
    expect(((await unknown.json()) as { __type: string }).__type).toBe("InvalidAction");
  });

  test("no response carried a private key", () => {
    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) {
      expect(body).not.toMatch(/PRIVATE KEY/);
      // Base64 of "-----BEGIN PRIVATE KEY" and "-----BEGIN EC PRIVATE", in case a blob was echoed.
      expect(body).not.toContain(Buffer.from("PRIVATE KEY").toString("base64").slice(0, 12));
    }
  });
});
