import { describe, expect } from "vitest";
import { expectError, expectStatus, lastSegment, seedWeb, type TestApp, apiTest as test } from "./helpers.ts";
import { importCertificate, requestCertificate } from "./listener-certificates-fixture.ts";

const fixed = { type: "fixed-response", fixedResponseConfig: { statusCode: "200", messageBody: "ok" } };

async function httpsListener(api: TestApp, certificateArn: string, extra: Record<string, unknown> = {}) {
  const reply = await api.request("POST", "/v1/load-balancers/web/listeners", {
    protocol: "HTTPS",
    port: 8443,
    defaultActions: [fixed],
    certificates: [{ certificateArn }],
    ...extra,
  });
  expectStatus(reply, 201);
  return { arn: reply.body.listenerArn as string, id: lastSegment(reply.body.listenerArn), body: reply.body };
}

/** The listener's listener_certificates rows, read straight from SQLite. */
const rowsOf = (api: TestApp, listenerArn: string) =>
  (
    api.handle.sqlite
      .prepare("select certificate_arn, is_default from listener_certificates where listener_arn = ?")
      .all(listenerArn) as Array<{ certificate_arn: string; is_default: number }>
  ).map((r) => ({ certificateArn: r.certificate_arn, isDefault: r.is_default === 1 }));

describe("HTTPS listeners over REST", () => {
  test("the default certificate is a listener_certificates row; the policy defaults to 2016-08", async ({
    api,
  }) => {
    await seedWeb(api);
    const cert = await importCertificate(api);
    const listener = await httpsListener(api, cert.arn);
    expect(listener.body).toMatchObject({
      protocol: "HTTPS",
      sslPolicy: "ELBSecurityPolicy-2016-08",
      certificates: [{ certificateArn: cert.arn }],
    });
    expect(rowsOf(api, listener.arn)).toEqual([{ certificateArn: cert.arn, isDefault: true }]);

    // Replacing the default certificate replaces the row, in the same change as the listener.
    const other = await requestCertificate(api, "api.example.com");
    const patched = await api.request("PATCH", `/v1/listeners/${listener.id}`, {
      certificates: [{ certificateArn: other.arn }],
      sslPolicy: "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    });
    expectStatus(patched, 200);
    expect(patched.body.sslPolicy).toBe("ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09");
    expect(rowsOf(api, listener.arn)).toEqual([{ certificateArn: other.arn, isDefault: true }]);

    // HTTPS -> HTTP clears policy and certificates, as AWS does.
    const plain = await api.request("PATCH", `/v1/listeners/${listener.id}`, { protocol: "HTTP" });
    expectStatus(plain, 200);
    expect(plain.body.sslPolicy).toBeUndefined();
    expect(plain.body.certificates).toBeUndefined();
    expect(rowsOf(api, listener.arn)).toEqual([]);
    // Back to HTTPS needs a certificate again, and gets the default policy.
    expectError(
      await api.request("PATCH", `/v1/listeners/${listener.id}`, { protocol: "HTTPS" }),
      400,
      "ValidationError",
      /certificate must be specified/,
    );
    const again = await api.request("PATCH", `/v1/listeners/${listener.id}`, {
      protocol: "HTTPS",
      certificates: [{ certificateArn: cert.arn }],
    });
    expectStatus(again, 200);
    expect(again.body.sslPolicy).toBe("ELBSecurityPolicy-2016-08");
  });

  test("certificates and policies are checked with ELB's codes", async ({ api }) => {
    await seedWeb(api);
    const url = "/v1/load-balancers/web/listeners";
    const cert = await requestCertificate(api);
    const base = { protocol: "HTTPS", port: 8443, defaultActions: [fixed] };
    const unknown = cert.arn.replace(/[0-9a-f-]{36}$/, "00000000-0000-0000-0000-000000000000");
    expectError(
      await api.request("POST", url, { ...base, certificates: [{ certificateArn: unknown }] }),
      404,
      "CertificateNotFound",
    );
    expectError(
      await api.request("POST", url, {
        ...base,
        certificates: [{ certificateArn: "arn:aws:iam::000000000000:server-certificate/web" }],
      }),
      404,
      "CertificateNotFound",
      /ACM certificates only/,
    );
    expectError(
      await api.request("POST", url, {
        ...base,
        certificates: [{ certificateArn: cert.arn }],
        sslPolicy: "ELBSecurityPolicy-Nope",
      }),
      404,
      "SSLPolicyNotFound",
    );
    expectError(
      await api.request("POST", url, {
        ...base,
        certificates: [{ certificateArn: cert.arn }, { certificateArn: cert.arn }],
      }),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("POST", url, base),
      400,
      "ValidationError",
      /certificate must be specified/,
    );
    // HTTP listeners take neither certificates nor a policy.
    const http = { ...base, protocol: "HTTP" };
    expectError(
      await api.request("POST", url, { ...http, certificates: [{ certificateArn: cert.arn }] }),
      400,
      "ValidationError",
      /cannot be specified for HTTP listeners/,
    );
    expectError(
      await api.request("POST", url, { ...http, sslPolicy: "ELBSecurityPolicy-2016-08" }),
      400,
      "ValidationError",
      /cannot be specified for HTTP listeners/,
    );
    // Nothing was written by the refused calls.
    expect(api.handle.sqlite.prepare("select * from listener_certificates").all()).toEqual([]);
  });

  test("SNI certificates: add, describe in pages with the default first, remove; the default stays", async ({
    api,
  }) => {
    await seedWeb(api);
    const main = await requestCertificate(api);
    const listener = await httpsListener(api, main.arn);
    const extra = await Promise.all(
      ["a.example.com", "b.example.com", "c.example.com"].map((d) => requestCertificate(api, d)),
    );
    const url = `/v1/listeners/${listener.id}/certificates`;
    const added = await api.request("POST", url, {
      certificates: extra.map((c) => ({ certificateArn: c.arn })),
    });
    expectStatus(added, 200);
    expect(added.body.certificates).toHaveLength(3);
    expect(added.body.certificates.every((c: { isDefault: boolean }) => !c.isDefault)).toBe(true);
    // Adding one already there succeeds and adds nothing.
    expectStatus(await api.request("POST", url, { certificates: [{ certificateArn: extra[0]?.arn }] }), 200);

    const seen: Array<{ certificateArn: string; isDefault: boolean }> = [];
    let nextToken: string | undefined;
    do {
      const page = await api.request(
        "GET",
        `${url}?pageSize=2${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ""}`,
      );
      expectStatus(page, 200);
      expect(page.body.certificates.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.certificates);
      nextToken = page.body.nextToken;
    } while (nextToken);
    expect(seen).toHaveLength(4);
    expect(seen[0]).toEqual({ certificateArn: main.arn, isDefault: true });
    expect(new Set(seen.slice(1).map((c) => c.certificateArn))).toEqual(new Set(extra.map((c) => c.arn)));

    // The default certificate cannot be removed; an SNI one can, and removing it twice is fine.
    expectError(
      await api.request("DELETE", `${url}/${encodeURIComponent(main.arn)}`),
      409,
      "OperationNotPermitted",
    );
    const first = extra[0]?.arn ?? "";
    // ACM refuses to delete a certificate a listener uses, default or SNI.
    for (const arn of [main.arn, first])
      expectError(
        await api.request("DELETE", `/v1/certificates/${encodeURIComponent(arn)}`),
        409,
        "ResourceInUseException",
      );
    expectStatus(await api.request("DELETE", `${url}/${encodeURIComponent(first)}`), 204);
    expectStatus(await api.request("DELETE", `${url}/${encodeURIComponent(first)}`), 204);
    const after = await api.request("GET", url);
    expect(after.body.certificates).toHaveLength(3);
    expectStatus(await api.request("DELETE", `/v1/certificates/${encodeURIComponent(first)}`), 204);
    // Unknown certificates, unknown listeners and HTTP listeners are refused.
    const unknown = main.arn.replace(/[0-9a-f-]{36}$/, "00000000-0000-0000-0000-000000000000");
    expectError(
      await api.request("POST", url, { certificates: [{ certificateArn: unknown }] }),
      404,
      "CertificateNotFound",
    );
    expectError(
      await api.request("GET", "/v1/listeners/0000000000000000/certificates"),
      404,
      "ListenerNotFound",
    );
    const http = await api.request("GET", "/v1/load-balancers/web/listeners");
    const httpId = lastSegment(
      http.body.listeners.find((l: { protocol: string }) => l.protocol === "HTTP").listenerArn,
    );
    expectError(
      await api.request("POST", `/v1/listeners/${httpId}/certificates`, {
        certificates: [{ certificateArn: main.arn }],
      }),
      400,
      "ValidationError",
    );
    expectError(await api.request("POST", url, { certificates: [] }), 400, "ValidationError");
    expectError(await api.request("GET", `${url}?nextToken=garbage`), 400, "InvalidNextToken");
  });

  test("a listener holds at most 25 SNI certificates", async ({ api }) => {
    await seedWeb(api);
    const main = await requestCertificate(api);
    const listener = await httpsListener(api, main.arn);
    const url = `/v1/listeners/${listener.id}/certificates`;
    const arns = (
      await Promise.all(Array.from({ length: 26 }, () => requestCertificate(api, "sni.example.com")))
    ).map((c) => c.arn);
    expectStatus(
      await api.request("POST", url, {
        certificates: arns.slice(0, 25).map((certificateArn) => ({ certificateArn })),
      }),
      200,
    );
    expectError(
      await api.request("POST", url, { certificates: [{ certificateArn: arns[25] }] }),
      400,
      "TooManyCertificates",
    );
  });

  test("an HTTPS listener stored before certificates were checked keeps loading", async ({ api }) => {
    await seedWeb(api);
    const cert = await requestCertificate(api);
    const listener = await httpsListener(api, cert.arn);
    // What a registry from before this change holds: an unknown ARN in the column, no rows.
    const legacyArn = "arn:aws:acm:us-east-1:000000000000:certificate/legacy";
    api.handle.sqlite.prepare("delete from listener_certificates").run();
    api.handle.sqlite
      .prepare("update listeners set certificates = ? where arn = ?")
      .run(JSON.stringify([{ certificateArn: legacyArn }]), listener.arn);
    const read = await api.request("GET", `/v1/listeners/${listener.id}`);
    expectStatus(read, 200);
    expect(read.body.certificates).toEqual([{ certificateArn: legacyArn }]);
    const certs = await api.request("GET", `/v1/listeners/${listener.id}/certificates`);
    expect(certs.body.certificates).toEqual([{ certificateArn: legacyArn, isDefault: true }]);
    // Changing something else keeps it; replacing the certificate checks the new one.
    const moved = await api.request("PATCH", `/v1/listeners/${listener.id}`, { port: 8444 });
    expectStatus(moved, 200);
    expect(moved.body.certificates).toEqual([{ certificateArn: legacyArn }]);
    const replaced = await api.request("PATCH", `/v1/listeners/${listener.id}`, {
      certificates: [{ certificateArn: cert.arn }],
    });
    expectStatus(replaced, 200);
    expect(rowsOf(api, listener.arn)).toEqual([{ certificateArn: cert.arn, isDefault: true }]);
    // Deleting the listener takes its certificate rows with it.
    expectStatus(await api.request("DELETE", `/v1/listeners/${listener.id}`), 204);
    expect(rowsOf(api, listener.arn)).toEqual([]);
  });
});
