import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { createCertificateAuthority } from "@scaleout/services";
import { describe, expect } from "vitest";
import { buildTestApp, expectError, expectStatus, lastSegment, apiTest as test } from "./helpers.ts";

/*
 * REST /v1/certificates and /v1/certificate-authority.pem: the same certificate store as ACM's API, PEM as
 * text. A requested certificate is served by a real TLS server and verified by curl with `--cacert`, as
 * the README shows.
 */

const outside = createCertificateAuthority(undefined, Date.now);
async function bring(names: string[]) {
  const issued = await outside.issue(names, "EC_prime256v1", Date.now());
  return {
    certificate: issued.certificatePem,
    privateKey: issued.privateKeyPem,
    certificateChain: outside.certificatePem(),
  };
}

describe("REST /v1/certificates", () => {
  test("import, describe by id or ARN, re-import, pem, tags, list, delete", async ({ api }) => {
    const created = await api.request("POST", "/v1/certificates", {
      ...(await bring(["rest.example.com"])),
      tags: [{ key: "team", value: "a" }],
    });
    expectStatus(created, 201);
    const arn: string = created.body.certificateArn;
    const id = lastSegment(arn);

    const byId = await api.request("GET", `/v1/certificates/${id}`);
    expectStatus(byId, 200);
    expect(byId.body).toMatchObject({
      certificateArn: arn,
      domainName: "rest.example.com",
      type: "IMPORTED",
    });
    const byArn = await api.request("GET", `/v1/certificates/${encodeURIComponent(arn)}`);
    expect(byArn.body).toEqual(byId.body);

    const rotated = await bring(["rest.example.com", "www.rest.example.com"]);
    const put = await api.request("PUT", `/v1/certificates/${id}`, rotated);
    expectStatus(put, 200);
    expect(put.body).toEqual({ certificateArn: arn });
    const pem = await api.request("GET", `/v1/certificates/${id}/pem`);
    expect(pem.body).toEqual({
      certificate: rotated.certificate,
      certificateChain: rotated.certificateChain,
    });

    const tagged = await api.request("POST", `/v1/certificates/${id}/tags`, {
      tags: [{ key: "b", value: "2" }],
    });
    expect(tagged.body.tags).toEqual([
      { key: "b", value: "2" },
      { key: "team", value: "a" },
    ]);
    const untagged = await api.request("DELETE", `/v1/certificates/${id}/tags?key=team`);
    expect(untagged.body.tags).toEqual([{ key: "b", value: "2" }]);

    const requested = await api.request("POST", "/v1/certificates/request", {
      domainName: "req.example.com",
      keyAlgorithm: "EC_secp384r1",
    });
    expectStatus(requested, 201);
    const list = await api.request("GET", "/v1/certificates?pageSize=1");
    expect(list.body.certificateSummaryList).toHaveLength(1);
    expect(list.body.nextToken).toBeDefined();
    const next = await api.request("GET", `/v1/certificates?pageSize=1&nextToken=${list.body.nextToken}`);
    expect(next.body.certificateSummaryList[0].certificateArn).toBe(requested.body.certificateArn);
    const ec = await api.request("GET", "/v1/certificates?keyType=EC_secp384r1");
    expect(ec.body.certificateSummaryList.map((s: { certificateArn: string }) => s.certificateArn)).toEqual([
      requested.body.certificateArn,
    ]);

    expectStatus(await api.request("DELETE", `/v1/certificates/${id}`), 204);
    expectError(await api.request("GET", `/v1/certificates/${id}`), 404, "ResourceNotFoundException");
    for (const reply of [byId, byArn, put, pem, tagged, list])
      expect(reply.raw.body).not.toMatch(/PRIVATE KEY/);
  });

  test("refusals answer ACM's codes with REST statuses", async ({ api }) => {
    const good = await bring(["bad.example.com"]);
    expectError(
      await api.request("POST", "/v1/certificates", {
        ...good,
        privateKey: (await bring(["x.example.com"])).privateKey,
      }),
      400,
      "ValidationException",
      /does not match/,
    );
    expectError(
      await api.request("POST", "/v1/certificates", { certificate: good.certificate }),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("POST", "/v1/certificates/request", { domainName: "*.*.example.com" }),
      400,
      "ValidationException",
    );
    expectError(
      await api.request("POST", "/v1/certificates/request", {
        domainName: "a.example.com",
        keyAlgorithm: "RSA_4096",
      }),
      400,
      "ValidationError",
    );
    expectError(await api.request("GET", "/v1/certificates/not%20an%20id"), 400, "InvalidArnException");
    expectError(
      await api.request("GET", "/v1/certificates/00000000-0000-0000-0000-000000000000"),
      404,
      "ResourceNotFoundException",
    );
    expectError(await api.request("GET", "/v1/certificates?nextToken=junk"), 400, "InvalidArgsException");

    const { body } = await api.request("POST", "/v1/certificates/request", {
      domainName: "used.example.com",
    });
    const lb = await api.request("POST", "/v1/load-balancers", { name: "cert-user" });
    expectStatus(lb, 201);
    const listener = await api.request("POST", "/v1/load-balancers/cert-user/listeners", {
      protocol: "HTTPS",
      port: 18444,
      certificates: [{ certificateArn: body.certificateArn }],
      defaultActions: [{ type: "fixed-response", fixedResponseConfig: { statusCode: "200" } }],
    });
    expectStatus(listener, 201);
    expectError(
      await api.request("DELETE", `/v1/certificates/${lastSegment(body.certificateArn)}`),
      409,
      "ResourceInUseException",
    );
  });

  test("a requested certificate serves TLS that curl --cacert verifies with the CA from the API", async ({
    api,
    dataDir,
  }) => {
    const ca = await api.request("GET", "/v1/certificate-authority.pem");
    expectStatus(ca, 200);
    expect(ca.raw.headers["content-type"]).toContain("application/x-pem-file");
    expect(new X509Certificate(ca.raw.body).subject).toContain("CN=scaleout local CA");
    const caFile = join(dataDir, "scaleout-ca.pem");
    writeFileSync(caFile, ca.raw.body);

    const requested = await api.request("POST", "/v1/certificates/request", {
      domainName: "localhost.example.com",
      subjectAlternativeNames: ["*.localhost.example.com"],
    });
    const arn: string = requested.body.certificateArn;
    const pem = await api.request("GET", `/v1/certificates/${lastSegment(arn)}/pem`);
    // The key is only in the registry (the proxy reads it there); no API returns it.
    const row = api.handle.sqlite
      .prepare("SELECT private_key_pem AS key FROM certificates WHERE arn = ?")
      .get(arn) as { key: string } | undefined;
    const server = createServer({ cert: pem.body.certificate, key: row?.key ?? "" }, (_request, response) => {
      response.end("hello over TLS\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const curl = (host: string) =>
        promisify(execFile)("curl", [
          "--silent",
          "--show-error",
          "--max-time",
          "10",
          "--cacert",
          caFile,
          "--resolve",
          `${host}:${port}:127.0.0.1`,
          `https://${host}:${port}/`,
        ]);
      expect((await curl("www.localhost.example.com")).stdout).toBe("hello over TLS\n");
      expect((await curl("localhost.example.com")).stdout).toBe("hello over TLS\n");
      // A name the certificate does not carry fails verification.
      await expect(curl("other.example.com")).rejects.toThrow(/SSL|certificate/i);
    } finally {
      server.close();
    }
  });

  test("the CA certificate needs the api token like every other route", async ({ dataDir }) => {
    const api = await buildTestApp({ dataDir: join(dataDir, "token"), apiToken: "s3cret" });
    try {
      expectError(await api.request("GET", "/v1/certificate-authority.pem"), 401, "Unauthorized");
      const ok = await api.request("GET", "/v1/certificate-authority.pem", undefined, {
        authorization: "Bearer s3cret",
      });
      expectStatus(ok, 200);
      expect(ok.raw.body).toMatch(/^-----BEGIN CERTIFICATE-----/);
    } finally {
      await api.close();
    }
  });
});
