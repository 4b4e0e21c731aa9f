import { connect } from "node:tls";
import type { Action } from "@scaleout/core";
import { eventually } from "@scaleout/testing";
import { afterAll, describe, expect } from "vitest";
import type { Harness } from "./helpers.ts";
import { forward, loopback, proxyTest as test } from "./helpers.ts";
import { curl, httpsListener, sClient, sendHttps, storeCertificate, TestAuthority } from "./tls-fixtures.ts";

const authority = new TestAuthority();
afterAll(() => authority.close());
const { caFile } = authority;
const ca = authority.certificatePem;

const fixed = (body: string): Action[] => [
  {
    type: "fixed-response",
    fixedResponseConfig: { statusCode: "200", contentType: "text/plain", messageBody: body },
  },
];

/** A legacy client: TLS 1.1 only, with the client's own OpenSSL allowed to offer it. */
const tls11 = ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"];

async function listenerWithPolicy(
  h: Harness,
  sslPolicy: string | undefined,
  actions: Action[] = fixed("ok"),
) {
  const lb = h.loadBalancer();
  const certArn = storeCertificate(h, authority.issue(["policy.test"]));
  const listener = await httpsListener(h, lb, certArn, actions, sslPolicy);
  await h.reload();
  return { lb, ...listener };
}

function lbStatistics(h: Harness, lbArn: string, metricName: string): number | undefined {
  const dimension = lbArn.slice(lbArn.indexOf(":loadbalancer/") + ":loadbalancer/".length);
  const now = Math.floor(Date.now() / 1000);
  const { datapoints } = h.services.metrics.statistics({
    namespace: "AWS/ApplicationELB",
    metricName,
    dimensions: [{ name: "LoadBalancer", value: dimension }],
    startTime: now - 300,
    endTime: now + 60,
    period: 60,
    statistics: ["Sum"],
  });
  return datapoints.length === 0 ? undefined : datapoints.reduce((n, d) => n + (d.sum ?? 0), 0);
}

describe("security policies", () => {
  test("a listener created without SslPolicy gets ELBSecurityPolicy-2016-08: TLS 1.0-1.2, legacy ciphers", async ({
    env,
  }) => {
    const { port } = await listenerWithPolicy(env.h, undefined);
    const legacy = await sClient(port, "policy.test", caFile, tls11);
    expect(legacy, legacy.output).toMatchObject({ ok: true, protocol: "TLSv1.1" });
    const sha1 = await sClient(port, "policy.test", caFile, ["-tls1_2", "-cipher", "AES128-SHA:@SECLEVEL=0"]);
    expect(sha1, sha1.output).toMatchObject({ ok: true, protocol: "TLSv1.2", cipher: "AES128-SHA" });
    const tls13 = await sClient(port, "policy.test", caFile, ["-tls1_3"]);
    expect(tls13.ok, tls13.output).toBe(false);
    const modern = await sClient(port, "policy.test", caFile, []);
    expect(modern, modern.output).toMatchObject({
      ok: true,
      protocol: "TLSv1.2",
      cipher: "ECDHE-RSA-AES128-GCM-SHA256",
    });
  });

  test("ELBSecurityPolicy-TLS13-1-2-2021-06: TLS 1.2 and 1.3 only, forward-secret ciphers only", async ({
    env,
  }) => {
    const { port } = await listenerWithPolicy(env.h, "ELBSecurityPolicy-TLS13-1-2-2021-06");
    const legacy = await sClient(port, "policy.test", caFile, tls11);
    expect(legacy.ok, legacy.output).toBe(false);
    const staticRsa = await sClient(port, "policy.test", caFile, ["-tls1_2", "-cipher", "AES128-GCM-SHA256"]);
    expect(staticRsa.ok, staticRsa.output).toBe(false);
    const fs = await sClient(port, "policy.test", caFile, [
      "-tls1_2",
      "-cipher",
      "ECDHE-RSA-AES256-GCM-SHA384",
    ]);
    expect(fs, fs.output).toMatchObject({
      ok: true,
      protocol: "TLSv1.2",
      cipher: "ECDHE-RSA-AES256-GCM-SHA384",
    });
    const chacha = await sClient(port, "policy.test", caFile, [
      "-tls1_3",
      "-ciphersuites",
      "TLS_CHACHA20_POLY1305_SHA256",
    ]);
    expect(chacha, chacha.output).toMatchObject({
      ok: true,
      protocol: "TLSv1.3",
      cipher: "TLS_CHACHA20_POLY1305_SHA256",
    });
  });

  test("curl --cacert reaches the target through the HTTPS listener", async ({ env }) => {
    const { h } = env;
    const target = await env.target("a");
    const tg = h.targetGroup("tg", [{ port: target.port }]);
    const { port } = await listenerWithPolicy(h, "ELBSecurityPolicy-TLS13-1-2-2021-06", forward(tg));
    await h.waitForState("tg", target.port, "healthy");
    const reply = await curl(port, "policy.test", caFile, "/via-curl");
    expect(reply.status, reply.error).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ target: "a", url: "/via-curl" });
    expect(target.seen.at(-1)?.headers["x-forwarded-proto"]).toBe("https");
  });

  test("a policy change reaches new connections while an open one keeps working", async ({ env }) => {
    const { h } = env;
    const { port, arn } = await listenerWithPolicy(h, "ELBSecurityPolicy-2016-08");
    expect((await sClient(port, "policy.test", caFile, tls11)).ok).toBe(true);

    // A connection opened under the old policy, kept open across the change.
    const socket = connect({ host: loopback, port, servername: "policy.test", ca, maxVersion: "TLSv1.2" });
    env.defer(() => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", resolve);
      socket.once("error", reject);
    });

    h.services.listeners.modify(arn, { sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" });
    await h.reload();
    const refused = await sClient(port, "policy.test", caFile, tls11);
    expect(refused.ok, refused.output).toBe(false);
    expect((await sendHttps(port, "/", { ca, servername: "policy.test" })).protocol).toBe("TLSv1.3");

    const answer = new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (chunk: Buffer) => {
        text += chunk.toString("latin1");
        if (text.includes("\r\n\r\nok")) resolve(text);
      });
    });
    socket.write("GET / HTTP/1.1\r\nhost: policy.test\r\n\r\n");
    expect(await answer).toMatch(/^HTTP\/1\.1 200/);
  });

  test("NewConnectionCount and ClientTLSNegotiationErrorCount", async ({ env }) => {
    const { h } = env;
    const { port, lb } = await listenerWithPolicy(h, "ELBSecurityPolicy-TLS13-1-2-2021-06");
    for (let i = 0; i < 3; i++)
      expect((await sendHttps(port, "/", { ca, servername: "policy.test" })).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await sClient(port, "policy.test", caFile, tls11)).ok).toBe(false);
    await eventually(() => (lbStatistics(h, lb, "ClientTLSNegotiationErrorCount") === 2 ? true : undefined), {
      message: `ClientTLSNegotiationErrorCount 2 (now ${lbStatistics(h, lb, "ClientTLSNegotiationErrorCount")})`,
      timeoutMs: 5000,
    });
    expect(lbStatistics(h, lb, "NewConnectionCount")).toBe(5);
    expect(lbStatistics(h, lb, "RequestCount")).toBe(3);
  });
});
