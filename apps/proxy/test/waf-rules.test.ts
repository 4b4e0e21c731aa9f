import type { WafRule } from "@scaleout/core";
import { schema } from "@scaleout/db";
import type { WafSampleBatch } from "@scaleout/queue";
import { eventually, integrationTest as test } from "@scaleout/testing";
import { eq } from "drizzle-orm";
import { describe, expect } from "vitest";
import { createHarness, forward, type Harness, send, startTarget, type TargetServer } from "./helpers.ts";
import { associate, b64, insertIpSet, insertWebAcl, none, visibility } from "./waf-fixtures.ts";

/**
 * One web ACL in front of one target, every rule kind the issue names, over real sockets: clients on
 * 127.0.0.2-127.0.0.4 (loopback), the proxy's clock offset by the test to move rate windows on.
 */
async function setUp(dataDir: string, rules: (ipSetArn: string) => WafRule[]) {
  const clock = { offset: 0 };
  const batches: WafSampleBatch[] = [];
  const h: Harness = await createHarness(dataDir, {
    now: () => Date.now() + clock.offset,
    wafSink: (batch) => batches.push(batch),
  });
  const target: TargetServer = await startTarget("t1");
  const lbArn = h.loadBalancer();
  const tgArn = h.targetGroup("tg", [{ port: target.port }]);
  const { port } = await h.listener(lbArn, forward(tgArn));
  const ipSet = insertIpSet(h.handle.db, "blocked", ["127.0.0.4/32"]);
  const aclArn = insertWebAcl(h.handle.db, "shield", rules(ipSet.ARN), {
    bodies: { teapot: { ContentType: "APPLICATION_JSON", Content: '{"error":"no admin here"}' } },
  });
  associate(h.handle.db, aclArn, lbArn);
  await h.reload();
  await h.waitForState("tg", target.port, "healthy");
  return {
    h,
    target,
    port,
    aclArn,
    clock,
    batches,
    close: async () => {
      await target.close();
      await h.close();
    },
  };
}

const from = (localAddress: string, headers: Record<string, string> = {}) => ({ localAddress, headers });
/** Requests the target saw from one client (X-Forwarded-For carries the client's address). */
const seenFrom = (target: TargetServer, ip: string) =>
  target.seen.filter((s) => s.headers["x-forwarded-for"] === ip).length;

describe("AWS WAF in front of the listener rules", () => {
  test("a flood over its rate limit is blocked (403) while another client is served; the block lifts when the window moves on", async ({
    dataDir,
  }) => {
    const env = await setUp(dataDir, () => [
      {
        Name: "flood",
        Priority: 1,
        Statement: { RateBasedStatement: { Limit: 5, EvaluationWindowSec: 10, AggregateKeyType: "IP" } },
        Action: { Block: {} },
        VisibilityConfig: visibility("flood"),
      },
    ]);
    try {
      const flood = [];
      for (let i = 0; i < 12; i++) flood.push((await send(env.port, "/", from("127.0.0.2"))).status);
      expect(flood).toEqual([200, 200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403]);
      const blocked = await send(env.port, "/", from("127.0.0.2"));
      expect(blocked.body).toContain("403 Forbidden");
      expect(blocked.headers.server).toBe("awselb/2.0");
      // Under its own limit, the other client is served between the flood's blocked requests.
      const other = [];
      for (let i = 0; i < 5; i++) {
        other.push((await send(env.port, "/", from("127.0.0.3"))).status);
        expect((await send(env.port, "/", from("127.0.0.2"))).status).toBe(403);
      }
      expect(other).toEqual(new Array(5).fill(200));
      // The target never saw a blocked request.
      expect(seenFrom(env.target, "127.0.0.2")).toBe(5);
      expect(seenFrom(env.target, "127.0.0.3")).toBe(5);

      env.clock.offset += 11_000;
      expect((await send(env.port, "/", from("127.0.0.2"))).status).toBe(200);
      expect(seenFrom(env.target, "127.0.0.2")).toBe(6);
    } finally {
      await env.close();
    }
  });

  test("IP set, URL-decoded byte match with a custom response, size constraint, Count with a label a later rule matches", async ({
    dataDir,
  }) => {
    const env = await setUp(dataDir, (ipSetArn) => [
      {
        Name: "bad-ips",
        Priority: 0,
        Statement: { IPSetReferenceStatement: { ARN: ipSetArn } },
        Action: { Block: {} },
        VisibilityConfig: visibility("bad-ips"),
      },
      {
        Name: "no-admin",
        Priority: 1,
        Statement: {
          ByteMatchStatement: {
            SearchString: b64("/admin"),
            FieldToMatch: { UriPath: {} },
            PositionalConstraint: "STARTS_WITH",
            TextTransformations: [{ Type: "URL_DECODE", Priority: 0 }],
          },
        },
        Action: {
          Block: {
            CustomResponse: {
              ResponseCode: 418,
              CustomResponseBodyKey: "teapot",
              ResponseHeaders: [{ Name: "x-why", Value: "admin" }],
            },
          },
        },
        VisibilityConfig: visibility("no-admin"),
      },
      {
        Name: "long-query",
        Priority: 2,
        Statement: {
          SizeConstraintStatement: {
            FieldToMatch: { QueryString: {} },
            ComparisonOperator: "GT",
            Size: 64,
            TextTransformations: none,
          },
        },
        Action: { Block: {} },
        VisibilityConfig: visibility("long-query"),
      },
      {
        Name: "suspicious",
        Priority: 3,
        Statement: {
          ByteMatchStatement: {
            SearchString: b64("yes"),
            FieldToMatch: { SingleHeader: { Name: "x-suspicious" } },
            PositionalConstraint: "EXACTLY",
            TextTransformations: none,
          },
        },
        Action: { Count: { CustomRequestHandling: { InsertHeaders: [{ Name: "suspicious", Value: "1" }] } } },
        RuleLabels: [{ Name: "flag:suspicious" }],
        VisibilityConfig: visibility("suspicious"),
      },
      {
        Name: "suspicious-private",
        Priority: 4,
        Statement: {
          AndStatement: {
            Statements: [
              { LabelMatchStatement: { Scope: "LABEL", Key: "flag:suspicious" } },
              {
                ByteMatchStatement: {
                  SearchString: b64("/private"),
                  FieldToMatch: { UriPath: {} },
                  PositionalConstraint: "STARTS_WITH",
                  TextTransformations: none,
                },
              },
            ],
          },
        },
        Action: { Block: {} },
        VisibilityConfig: visibility("suspicious-private"),
      },
    ]);
    try {
      const { port, target } = env;
      // IP set: 127.0.0.4 is in it, WAF's 403 page.
      const listed = await send(port, "/", from("127.0.0.4"));
      expect(listed.status).toBe(403);
      expect(seenFrom(target, "127.0.0.4")).toBe(0);

      // Byte match on the URL-decoded path: %61 is `a`.
      const admin = await send(port, "/%61dmin/users", from("127.0.0.2"));
      expect(admin.status).toBe(418);
      expect(admin.body).toBe('{"error":"no admin here"}');
      expect(admin.headers["content-type"]).toBe("application/json");
      expect(admin.headers["x-why"]).toBe("admin");
      expect((await send(port, "/administrator-guide", from("127.0.0.3"))).status).toBe(418);
      expect((await send(port, "/public/admin", from("127.0.0.2"))).status).toBe(200);

      // Size constraint on the query string.
      expect((await send(port, `/?q=${"x".repeat(70)}`, from("127.0.0.2"))).status).toBe(403);
      expect((await send(port, `/?q=${"x".repeat(10)}`, from("127.0.0.2"))).status).toBe(200);

      // Count: the request passes, with the inserted header; its label blocks /private at a later rule.
      const before = target.seen.length;
      const counted = await send(port, "/page", from("127.0.0.2", { "x-suspicious": "yes" }));
      expect(counted.status).toBe(200);
      expect(target.seen.length).toBe(before + 1);
      expect(target.seen.at(-1)?.headers["x-amzn-waf-suspicious"]).toBe("1");
      expect((await send(port, "/private/x", from("127.0.0.2", { "x-suspicious": "yes" }))).status).toBe(403);
      expect((await send(port, "/private/x", from("127.0.0.2"))).status).toBe(200);

      // AWS/WAFV2 metrics land in the metric store (the proxy flushes each second).
      const names = await eventually(
        () => {
          const rows = env.h.handle.db
            .select()
            .from(schema.metrics)
            .where(eq(schema.metrics.namespace, "AWS/WAFV2"))
            .all();
          const seen = new Set(rows.map((r) => `${r.metricName} ${JSON.stringify(r.dimensions)}`));
          const wanted = [
            'BlockedRequests [{"name":"Region","value":"us-east-1"},{"name":"Rule","value":"ALL"},{"name":"WebACL","value":"shield"}]',
            'AllowedRequests [{"name":"Region","value":"us-east-1"},{"name":"Rule","value":"ALL"},{"name":"WebACL","value":"shield"}]',
            'BlockedRequests [{"name":"Region","value":"us-east-1"},{"name":"Rule","value":"no-admin"},{"name":"WebACL","value":"shield"}]',
            'CountedRequests [{"name":"Region","value":"us-east-1"},{"name":"Rule","value":"suspicious"},{"name":"WebACL","value":"shield"}]',
          ];
          return wanted.every((w) => seen.has(w)) ? [...seen] : undefined;
        },
        { timeoutMs: 5000, message: "AWS/WAFV2 metrics in the store" },
      );
      expect(names.length).toBeGreaterThanOrEqual(4);

      // Sampled requests went to the sink, per rule metric name, with WAF's fields.
      const samples = await eventually(
        () => {
          const all = env.batches.flatMap((b) => b.samples);
          return all.some(([, metric]) => metric === "no-admin") ? all : undefined;
        },
        { timeoutMs: 5000, message: "sampled requests" },
      );
      const adminSample = samples.find(([, metric]) => metric === "no-admin")?.[3];
      expect(adminSample?.Action).toBe("BLOCK");
      expect(adminSample?.Request.URI).toBe("/%61dmin/users");
      expect(adminSample?.ResponseCodeSent).toBe(418);
      const countSample = samples.find(([, metric]) => metric === "suspicious")?.[3];
      expect(countSample?.Action).toBe("COUNT");
      expect(countSample?.Labels).toEqual([{ Name: "awswaf:000000000000:webacl:shield:flag:suspicious" }]);
    } finally {
      await env.close();
    }
  });
});
