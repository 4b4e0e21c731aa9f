import type { Action } from "@scaleout/core";
import { eventually } from "@scaleout/testing";
import { afterAll, describe, expect } from "vitest";
import { forward, freePort, send, proxyTest as test } from "./helpers.ts";
import {
  addListenerCertificates,
  commonName,
  forgetListenerCertificates,
  handshake,
  httpsListener,
  openConnection,
  rotateCertificate,
  sendHttps,
  storeCertificate,
  TestAuthority,
} from "./tls-fixtures.ts";

const authority = new TestAuthority();
afterAll(() => authority.close());
const ca = authority.certificatePem;

const fixed = (body: string): Action[] => [
  {
    type: "fixed-response",
    fixedResponseConfig: { statusCode: "200", contentType: "text/plain", messageBody: body },
  },
];

describe("HTTPS listeners", () => {
  test("terminate TLS and forward with X-Forwarded-Proto https and the listener's port", async ({ env }) => {
    const { h } = env;
    const target = await env.target("a");
    const lb = h.loadBalancer();
    const tg = h.targetGroup("tg", [{ port: target.port }]);
    const certArn = storeCertificate(h, authority.issue(["www.example.test"]));
    const { port } = await httpsListener(h, lb, certArn, forward(tg));
    await h.reload();
    await h.waitForState("tg", target.port, "healthy");

    const reply = await sendHttps(port, "/hello", { ca, servername: "www.example.test" });
    expect(reply.status).toBe(200);
    expect(reply.target).toBe("a");
    expect(commonName(reply.peer)).toBe("www.example.test");
    const seen = target.seen.at(-1);
    expect(seen?.headers["x-forwarded-proto"]).toBe("https");
    expect(seen?.headers["x-forwarded-port"]).toBe(String(port));
    // The default policy (ELBSecurityPolicy-2016-08) tops out at TLS 1.2.
    expect(reply.protocol).toBe("TLSv1.2");

    // ALB's access log entry type `https`, with the cipher and protocol.
    const line = await eventually(() => h.accessLogLines().find((l) => l.includes("/hello")), {
      message: "the access log line of /hello",
    });
    const fields = line.split(" ");
    expect(fields[0]).toBe("https");
    expect(line).toContain(`GET https://www.example.test/hello HTTP/1.1`);
    expect(line).toMatch(/" ECDHE-(RSA|ECDSA)-[A-Z0-9-]+ TLSv1\.2 arn:/);
  });

  test("an imported and a requested certificate (ACM's store, the services' operations) each serve", async ({
    env,
  }) => {
    const { h } = env;
    const lb = h.loadBalancer();
    const imported = authority.issue(["imported.test"]);
    const { certificateArn: importedArn } = h.services.certificates.import({
      certificate: imported.certificatePem,
      privateKey: imported.privateKeyPem,
    });
    const { certificateArn: requestedArn } = await h.services.certificates.request({
      domainName: "requested.test",
      subjectAlternativeNames: ["*.requested.test"],
    });
    const port = await freePort();
    const listener = h.services.listeners.create(lb, {
      protocol: "HTTPS",
      port,
      certificates: [{ certificateArn: importedArn }],
      defaultActions: fixed("ok"),
    });
    h.services.listenerCertificates.add(listener.listenerArn, [{ certificateArn: requestedArn }]);
    await h.reload();

    const both = [ca, h.services.certificates.authorityPem()].join("\n");
    const byImport = await sendHttps(port, "/", { ca: both, servername: "imported.test" });
    expect(byImport.body).toBe("ok");
    expect(byImport.peer.serialNumber).toBe(imported.serial);
    const byRequest = await sendHttps(port, "/", { ca: both, servername: "www.requested.test" });
    expect(byRequest.body).toBe("ok");
    expect(commonName(byRequest.peer)).toBe("requested.test");
    // Verified against the local authority alone, as a client given /v1/certificate-authority.pem is.
    const verified = await handshake(port, {
      ca: h.services.certificates.authorityPem(),
      servername: "requested.test",
    });
    expect(commonName(verified.peer)).toBe("requested.test");
  });

  test("SNI picks the exact certificate, then the wildcard, then the default", async ({ env }) => {
    const { h } = env;
    const lb = h.loadBalancer();
    const defaultArn = storeCertificate(h, authority.issue(["default.test"]));
    const exactArn = storeCertificate(h, authority.issue(["api.example.test"]));
    const wildcardArn = storeCertificate(h, authority.issue(["*.example.test"]));
    const { port, arn } = await httpsListener(h, lb, defaultArn, fixed("ok"));
    addListenerCertificates(h, arn, [exactArn, wildcardArn]);
    await h.reload();

    const served = async (servername?: string) =>
      commonName((await handshake(port, { ca, ...(servername !== undefined && { servername }) })).peer);
    expect(await served("api.example.test")).toBe("api.example.test");
    expect(await served("API.EXAMPLE.TEST")).toBe("api.example.test");
    expect(await served("www.example.test")).toBe("*.example.test");
    expect(await served("deep.www.example.test")).toBe("default.test");
    expect(await served("elsewhere.test")).toBe("default.test");
    expect(await served(undefined)).toBe("default.test");
    const reply = await sendHttps(port, "/", { ca, servername: "www.example.test" });
    expect(reply.body).toBe("ok");
  });

  test("serves ECDSA to a client that supports it and RSA to one that does not", async ({ env }) => {
    const { h } = env;
    const lb = h.loadBalancer();
    const rsaArn = storeCertificate(h, authority.issue(["both.test"], "rsa"));
    const ecArn = storeCertificate(h, authority.issue(["both.test"], "ec"));
    const { port, arn } = await httpsListener(h, lb, rsaArn, fixed("ok"));
    addListenerCertificates(h, arn, [ecArn]);
    await h.reload();

    const any = await handshake(port, { ca, servername: "both.test" });
    expect(any.peer.pubkey?.length).toBeLessThan(100); // a P-256 point, not a 2048-bit modulus
    expect(any.cipher).toMatch(/^ECDHE-ECDSA-/);
    const rsaOnly = await handshake(port, {
      ca,
      servername: "both.test",
      maxVersion: "TLSv1.2",
      ciphers: "ECDHE-RSA-AES128-GCM-SHA256",
    });
    expect(rsaOnly.cipher).toBe("ECDHE-RSA-AES128-GCM-SHA256");
    expect(rsaOnly.peer.bits).toBe(2048);
  });

  test("a rotated certificate reaches new connections while an open one keeps working", async ({ env }) => {
    const { h } = env;
    const target = await env.target("a");
    const lb = h.loadBalancer();
    const tg = h.targetGroup("tg", [{ port: target.port }]);
    const first = authority.issue(["rotate.test"]);
    const arn = storeCertificate(h, first);
    const { port } = await httpsListener(h, lb, arn, forward(tg));
    await h.reload();
    await h.waitForState("tg", target.port, "healthy");

    const open = await openConnection(port, { ca, servername: "rotate.test" });
    env.defer(() => open.close());
    expect(open.peer.serialNumber).toBe(first.serial);
    expect((await open.get("/1", "rotate.test")).status).toBe(200);

    const second = authority.issue(["rotate.test"]);
    rotateCertificate(h, arn, second);
    await h.reload();

    const fresh = await sendHttps(port, "/2", { ca, servername: "rotate.test" });
    expect(fresh.peer.serialNumber).toBe(second.serial);
    const noSni = await sendHttps(port, "/3", { ca });
    expect(noSni.peer.serialNumber).toBe(second.serial);
    // The open connection still carries requests, on the certificate it started with.
    const reused = await open.get("/4", "rotate.test");
    expect(reused.status).toBe(200);
    expect(JSON.parse(reused.body).url).toBe("/4");
  });

  test("a listener without certificate rows impairs its load balancer until it has one", async ({ env }) => {
    const { h } = env;
    const lb = h.loadBalancer();
    const certArn = storeCertificate(h, authority.issue(["late.test"]));
    const { port, arn } = await httpsListener(h, lb, certArn, fixed("ok"));
    forgetListenerCertificates(h, arn);
    // Nor does the listener's own certificates column name a stored certificate.
    h.handle.sqlite
      .prepare("UPDATE listeners SET certificates = ? WHERE arn = ?")
      .run(
        JSON.stringify([{ certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/missing" }]),
        arn,
      );
    await h.reload();
    const described = h.services.loadBalancers.list({ arns: [lb] }).items[0];
    expect(described?.state).toEqual({
      code: "active_impaired",
      reason: `Listener on port ${port} has no default certificate in the certificate store`,
    });
    await expect(handshake(port, { ca })).rejects.toThrow();

    // A listener from before listener_certificates: its certificates column names its default.
    h.handle.sqlite
      .prepare("UPDATE listeners SET certificates = ? WHERE arn = ?")
      .run(JSON.stringify([{ certificateArn: certArn }]), arn);
    await h.reload();
    expect(h.services.loadBalancers.list({ arns: [lb] }).items[0]?.state).toEqual({ code: "active" });
    expect((await sendHttps(port, "/", { ca, servername: "late.test" })).body).toBe("ok");
  });

  test("a certificate whose key does not match impairs the load balancer; open listeners keep serving", async ({
    env,
  }) => {
    const { h } = env;
    const lb = h.loadBalancer();
    const good = authority.issue(["mismatch.test"]);
    const certArn = storeCertificate(h, good);
    const { port } = await httpsListener(h, lb, certArn, fixed("ok"));
    await h.reload();
    expect((await sendHttps(port, "/", { ca, servername: "mismatch.test" })).body).toBe("ok");

    // A rotation whose key belongs to another certificate: the listener keeps its last good contexts.
    const other = authority.issue(["other.test"]);
    rotateCertificate(h, certArn, {
      ...authority.issue(["mismatch.test"]),
      privateKeyPem: other.privateKeyPem,
    });
    await h.reload();
    const state = h.services.loadBalancers.list({ arns: [lb] }).items[0]?.state;
    expect(state?.code).toBe("active_impaired");
    expect(state?.reason).toMatch(new RegExp(`^Listener on port ${port} cannot use its certificates: `));
    const reply = await sendHttps(port, "/", { ca, servername: "mismatch.test" });
    expect(reply.peer.serialNumber).toBe(good.serial);

    rotateCertificate(h, certArn, authority.issue(["mismatch.test"]));
    await h.reload();
    expect(h.services.loadBalancers.list({ arns: [lb] }).items[0]?.state).toEqual({ code: "active" });
  });

  test("a listener modified from HTTP to HTTPS and back is served anew on the same port", async ({ env }) => {
    const { h } = env;
    const lb = h.loadBalancer();
    const { port, arn } = await h.listener(lb, fixed("ok"));
    await h.reload();
    expect((await send(port, "/")).body).toBe("ok");

    const certArn = storeCertificate(h, authority.issue(["switch.test"]));
    h.services.listeners.modify(arn, { protocol: "HTTPS", certificates: [{ certificateArn: certArn }] });
    await h.reload();
    expect((await sendHttps(port, "/", { ca, servername: "switch.test" })).body).toBe("ok");

    h.services.listeners.modify(arn, { protocol: "HTTP" });
    await h.reload();
    expect((await send(port, "/")).body).toBe("ok");
  });

  test("HTTP to HTTPS redirect round trip", async ({ env }) => {
    const { h } = env;
    const target = await env.target("a");
    const lb = h.loadBalancer();
    const tg = h.targetGroup("tg", [{ port: target.port }]);
    const certArn = storeCertificate(h, authority.issue(["shop.example.test"]));
    const https = await httpsListener(h, lb, certArn, forward(tg));
    const http = await h.listener(lb, [
      {
        type: "redirect",
        redirectConfig: { protocol: "HTTPS", port: String(https.port), statusCode: "HTTP_301" },
      },
    ]);
    await h.reload();
    await h.waitForState("tg", target.port, "healthy");

    const first = await send(http.port, "/cart?item=7", { headers: { host: "shop.example.test" } });
    expect(first.status).toBe(301);
    expect(first.headers.location).toBe(`https://shop.example.test:${https.port}/cart?item=7`);
    const location = new URL(first.headers.location ?? "");
    const second = await sendHttps(Number(location.port), `${location.pathname}${location.search}`, {
      ca,
      servername: location.hostname,
    });
    expect(second.status).toBe(200);
    expect(JSON.parse(second.body).url).toBe("/cart?item=7");
    expect(target.seen.at(-1)?.headers["x-forwarded-proto"]).toBe("https");

    // #{protocol} and #{port} are the request's: a redirect that keeps them on HTTPS stays there.
    h.services.rules.create(https.arn, {
      priority: 1,
      conditions: [{ field: "path-pattern", values: ["/old"] }],
      actions: [{ type: "redirect", redirectConfig: { path: "/new", statusCode: "HTTP_302" } }],
    });
    await h.reload();
    const kept = await sendHttps(https.port, "/old", { ca, servername: "shop.example.test" });
    expect(kept.status).toBe(302);
    expect(kept.headers.location).toBe(`https://shop.example.test:${https.port}/new`);
  });
});
