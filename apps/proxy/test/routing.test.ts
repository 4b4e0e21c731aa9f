import { createHash, randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import type { Action, RuleCondition } from "@scaleout/core";
import { describe, expect } from "vitest";
import { countByTarget, forward, load, loopback, type ProxyEnv, send, proxyTest as test } from "./helpers.ts";

const fixed = (body: string, statusCode = "200"): Action[] => [
  {
    type: "fixed-response",
    fixedResponseConfig: { statusCode, contentType: "text/plain", messageBody: body },
  },
];

/** A listener whose default answers "default" and whose rules answer `rule-<priority>`. */
async function rulesListener(
  env: ProxyEnv,
  rules: Array<{ priority: number; conditions: RuleCondition[] }>,
): Promise<number> {
  const { h } = env;
  const lb = h.loadBalancer();
  const listener = await h.listener(lb, fixed("default"));
  for (const rule of rules) {
    h.services.rules.create(listener.arn, {
      priority: rule.priority,
      conditions: rule.conditions,
      actions: fixed(`rule-${rule.priority}`),
    });
  }
  await h.reload();
  return listener.port;
}

/** Which rule answered each request: `[path, options?]` → body. */
async function routes(
  port: number,
  requests: Array<[string, Parameters<typeof send>[2]?]>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [i, [path, options]] of requests.entries()) {
    const reply = await send(port, path, options);
    out[`${i}: ${options?.method ?? "GET"} ${path} ${JSON.stringify(options?.headers ?? {})}`] = reply.body;
  }
  return out;
}

/** A PUT with `payload` written in pieces; answers the status and the target's JSON. */
function sendBody(
  port: number,
  payload: Buffer,
  headers: Record<string, string>,
): Promise<{
  status: number;
  body: { bodyLength: number; bodySha256: string; headers: Record<string, string> };
}> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: loopback, port, path: "/upload", method: "PUT", headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) }),
        );
      },
    );
    req.on("error", reject);
    for (let offset = 0; offset < payload.length; offset += 64 * 1024)
      req.write(payload.subarray(offset, offset + 64 * 1024));
    req.end();
  });
}

describe("conditions", () => {
  test("path-pattern: case-sensitive, * and ?, on the path only", async ({ env }) => {
    const port = await rulesListener(env, [
      { priority: 10, conditions: [{ field: "path-pattern", values: ["/api/*", "/v?/items"] }] },
    ]);
    const result = await routes(port, [
      ["/api/users"],
      ["/api/a/b/c"],
      ["/API/users"],
      ["/api"],
      ["/v1/items"],
      ["/v10/items"],
      ["/V1/items"],
      ["/other?next=/api/users"],
      ["/api/users?x=/nothing"],
    ]);
    expect(Object.values(result)).toEqual([
      "rule-10",
      "rule-10",
      "default",
      "default",
      "rule-10",
      "default",
      "default",
      "default",
      "rule-10",
    ]);
  });

  test("host-header: case-insensitive, wildcards, port stripped", async ({ env }) => {
    const port = await rulesListener(env, [
      { priority: 10, conditions: [{ field: "host-header", values: ["*.example.com", "api?.test"] }] },
    ]);
    const host = (value: string): [string, Parameters<typeof send>[2]] => ["/", { headers: { host: value } }];
    const result = await routes(port, [
      host("www.example.com"),
      host("WWW.Example.COM"),
      host("www.example.com:8080"),
      host("example.com"),
      host("api1.test"),
      host("API2.TEST:1234"),
      host("api12.test"),
      host("example.com.evil"),
    ]);
    expect(Object.values(result)).toEqual([
      "rule-10",
      "rule-10",
      "rule-10",
      "default",
      "rule-10",
      "rule-10",
      "default",
      "default",
    ]);
  });

  test("http-header: name and value case-insensitive, wildcards", async ({ env }) => {
    const port = await rulesListener(env, [
      {
        priority: 10,
        conditions: [
          { field: "http-header", httpHeaderConfig: { httpHeaderName: "X-Env", values: ["prod*", "stage"] } },
        ],
      },
    ]);
    const result = await routes(port, [
      ["/", { headers: { "x-env": "production" } }],
      ["/", { headers: { "X-ENV": "PRODUCTION" } }],
      ["/", { headers: { "X-Env": "Stage" } }],
      ["/", { headers: { "x-env": "dev" } }],
      ["/", { headers: { "x-env": "stage2" } }],
      ["/", { headers: { "x-other": "prod" } }],
      ["/"],
    ]);
    expect(Object.values(result)).toEqual([
      "rule-10",
      "rule-10",
      "rule-10",
      "default",
      "default",
      "default",
      "default",
    ]);
  });

  test("http-request-method: exact", async ({ env }) => {
    const port = await rulesListener(env, [
      {
        priority: 10,
        conditions: [{ field: "http-request-method", httpRequestMethodConfig: { values: ["POST", "PUT"] } }],
      },
    ]);
    const result = await routes(port, [
      ["/", { method: "POST" }],
      ["/", { method: "PUT" }],
      ["/", { method: "GET" }],
      ["/", { method: "DELETE" }],
      ["/", { method: "PATCH" }],
    ]);
    expect(Object.values(result)).toEqual(["rule-10", "rule-10", "default", "default", "default"]);
  });

  test("query-string: key/value pairs, key-less values, wildcards, case-insensitive", async ({ env }) => {
    const port = await rulesListener(env, [
      {
        priority: 10,
        conditions: [
          {
            field: "query-string",
            queryStringConfig: { values: [{ key: "version", value: "v?" }, { value: "*example*" }] },
          },
        ],
      },
    ]);
    const result = await routes(port, [
      ["/?version=v1"],
      ["/?Version=V2"],
      ["/?a=1&version=v3&b=2"],
      ["/?version=v10"],
      ["/?version=x1"],
      ["/?other=v1"],
      ["/?anything=my-example-value"],
      ["/?anything=EXAMPLE"],
      ["/?anything=sample"],
      ["/"],
      ["/version=v1"],
    ]);
    expect(Object.values(result)).toEqual([
      "rule-10",
      "rule-10",
      "rule-10",
      "default",
      "default",
      "default",
      "rule-10",
      "rule-10",
      "default",
      "default",
      "default",
    ]);
  });

  test("source-ip: CIDR on the connection's address, never X-Forwarded-For", async ({ env }) => {
    const port = await rulesListener(env, [
      { priority: 5, conditions: [{ field: "source-ip", sourceIpConfig: { values: ["10.0.0.0/8"] } }] },
      // Any 127.0.0.0/8 address reaches 127.0.0.1 over loopback: a second client address without leaving the host.
      { priority: 8, conditions: [{ field: "source-ip", sourceIpConfig: { values: ["127.0.0.2/32"] } }] },
      {
        priority: 10,
        conditions: [{ field: "source-ip", sourceIpConfig: { values: ["127.0.0.0/8", "::1/128"] } }],
      },
    ]);
    const result = await routes(port, [
      ["/"],
      ["/", { headers: { "x-forwarded-for": "10.1.2.3" } }],
      ["/", { headers: { "x-forwarded-for": "127.0.0.2" } }],
      ["/", { localAddress: "127.0.0.2" }],
      ["/", { localAddress: "127.0.0.3", headers: { "x-forwarded-for": "10.9.9.9" } }],
    ]);
    expect(Object.values(result)).toEqual(["rule-10", "rule-10", "rule-10", "rule-8", "rule-10"]);

    // A listener whose only rule names other blocks: X-Forwarded-For naming one of them changes nothing.
    const other = await rulesListener(env, [
      {
        priority: 1,
        conditions: [{ field: "source-ip", sourceIpConfig: { values: ["10.0.0.0/8", "192.168.0.0/16"] } }],
      },
    ]);
    expect((await send(other, "/", { headers: { "x-forwarded-for": "10.0.0.1" } })).body).toBe("default");
    expect((await send(other, "/")).body).toBe("default");
  });

  test("rules by priority, whatever their creation order; all conditions must hold; default last", async ({
    env,
  }) => {
    const port = await rulesListener(env, [
      { priority: 50, conditions: [{ field: "path-pattern", values: ["/x/*"] }] },
      { priority: 3, conditions: [{ field: "path-pattern", values: ["/x/y"] }] },
      {
        priority: 7,
        conditions: [
          { field: "path-pattern", values: ["/x/*"] },
          { field: "http-request-method", httpRequestMethodConfig: { values: ["POST"] } },
        ],
      },
      { priority: 40000, conditions: [{ field: "path-pattern", values: ["*"] }] },
    ]);
    const result = await routes(port, [
      ["/x/y"],
      ["/x/y", { method: "POST" }],
      ["/x/z", { method: "POST" }],
      ["/x/z"],
      ["/elsewhere"],
    ]);
    expect(Object.values(result)).toEqual(["rule-3", "rule-3", "rule-7", "rule-50", "rule-40000"]);
  });
});

describe("actions", () => {
  test("forward to a single target group", async ({ env }) => {
    const a = await env.target("a");
    const { port } = await env.h.simple([a]);
    const reply = await send(port, "/hello?x=1");
    expect(reply.status).toBe(200);
    expect(reply.target).toBe("a");
    expect(JSON.parse(reply.body)).toMatchObject({ method: "GET", url: "/hello?x=1", bodyLength: 0 });

    // Request bodies stream through intact, with a length or chunked.
    const payload = randomBytes(1024 * 1024);
    const sha = createHash("sha256").update(payload).digest("hex");
    const sized = await sendBody(port, payload, { "content-length": String(payload.length) });
    expect(sized).toMatchObject({
      status: 200,
      body: { method: "PUT", bodyLength: payload.length, bodySha256: sha },
    });
    const chunked = await sendBody(port, payload, {});
    expect(chunked).toMatchObject({ status: 200, body: { bodyLength: payload.length, bodySha256: sha } });
    expect(chunked.body.headers["transfer-encoding"] ?? chunked.body.headers["content-length"]).toBeDefined();
  });

  test("weighted forward: 80/20 over 1000 requests; weight 0 gets none", async ({ env }) => {
    const { h } = env;
    const [a, b] = await Promise.all([env.target("a"), env.target("b")]);
    const lb = h.loadBalancer();
    const tgA = h.targetGroup("tg-a", [a]);
    const tgB = h.targetGroup("tg-b", [b]);
    const listener = await h.listener(lb, [
      {
        type: "forward",
        forwardConfig: {
          targetGroups: [
            { targetGroupArn: tgA, weight: 80 },
            { targetGroupArn: tgB, weight: 20 },
          ],
        },
      },
    ]);
    h.services.rules.create(listener.arn, {
      priority: 1,
      conditions: [{ field: "path-pattern", values: ["/zero"] }],
      actions: [
        {
          type: "forward",
          forwardConfig: {
            targetGroups: [
              { targetGroupArn: tgA, weight: 999 },
              { targetGroupArn: tgB, weight: 0 },
            ],
          },
        },
      ],
    });
    await h.reload();
    await h.waitForState("tg-a", a.port, "healthy");
    await h.waitForState("tg-b", b.port, "healthy");

    const agent = new Agent({ keepAlive: true, maxSockets: 20 });
    env.defer(() => agent.destroy());
    const replies = await load(1000, 20, () => send(listener.port, "/", { agent }));
    const counts = countByTarget(replies);
    expect(counts.a ?? 0).toBeGreaterThan(740);
    expect(counts.a ?? 0).toBeLessThan(860);
    expect((counts.a ?? 0) + (counts.b ?? 0)).toBe(1000);

    const zero = countByTarget(await load(200, 20, () => send(listener.port, "/zero", { agent })));
    expect(zero).toEqual({ a: 200 });
  });

  test("target group stickiness: AWSALBTG pins a client to one group", async ({ env }) => {
    const { h } = env;
    const [a, b] = await Promise.all([env.target("a"), env.target("b")]);
    const lb = h.loadBalancer();
    const tgA = h.targetGroup("tg-a", [a]);
    const tgB = h.targetGroup("tg-b", [b]);
    const listener = await h.listener(lb, [
      {
        type: "forward",
        forwardConfig: {
          targetGroups: [
            { targetGroupArn: tgA, weight: 1 },
            { targetGroupArn: tgB, weight: 1 },
          ],
          targetGroupStickinessConfig: { enabled: true, durationSeconds: 60 },
        },
      },
    ]);
    await h.reload();

    // Without the cookie both groups get requests, and each answer names its group in AWSALBTG.
    const fresh = await load(40, 4, () => send(listener.port));
    expect(Object.keys(countByTarget(fresh)).sort()).toEqual(["a", "b"]);
    for (const reply of fresh) {
      const cookies = [reply.headers["set-cookie"] ?? []].flat();
      expect(cookies.some((c) => /^AWSALBTG=[^;]+;.*Expires=/.test(c))).toBe(true);
    }

    for (const first of [fresh.find((r) => r.target === "a"), fresh.find((r) => r.target === "b")]) {
      const cookie = [first?.headers["set-cookie"] ?? []]
        .flat()
        .find((c) => c.startsWith("AWSALBTG="))
        ?.split(";")[0];
      expect(cookie).toBeDefined();
      const pinned = await load(30, 3, () => send(listener.port, "/", { headers: { cookie: `${cookie}` } }));
      expect(countByTarget(pinned)).toEqual({ [first?.target ?? "?"]: 30 });
    }
  });

  test("redirect: #{protocol}, #{host}, #{port}, #{path}, #{query}; 301 and 302", async ({ env }) => {
    const { h } = env;
    const lb = h.loadBalancer();
    const listener = await h.listener(lb, fixed("default"));
    h.services.rules.create(listener.arn, {
      priority: 1,
      conditions: [{ field: "path-pattern", values: ["/old/*"] }],
      actions: [
        {
          type: "redirect",
          redirectConfig: {
            protocol: "HTTPS",
            port: "443",
            host: "#{host}",
            path: "/new/#{path}",
            query: "#{query}&moved=1",
            statusCode: "HTTP_301",
          },
        },
      ],
    });
    h.services.rules.create(listener.arn, {
      priority: 2,
      conditions: [{ field: "path-pattern", values: ["/temp/*"] }],
      actions: [
        {
          type: "redirect",
          redirectConfig: {
            protocol: "#{protocol}",
            port: "#{port}",
            host: "other.#{host}",
            path: "/#{path}",
            query: "#{query}",
            statusCode: "HTTP_302",
          },
        },
      ],
    });
    await h.reload();

    const permanent = await send(listener.port, "/old/page?a=b", { headers: { host: "Example.com:1234" } });
    expect(permanent.status).toBe(301);
    expect(permanent.headers.location).toBe("https://Example.com/new/old/page?a=b&moved=1");

    const temporary = await send(listener.port, "/temp/x/y?q=1", { headers: { host: "site.test" } });
    expect(temporary.status).toBe(302);
    expect(temporary.headers.location).toBe(`http://other.site.test:${listener.port}/temp/x/y?q=1`);

    const noQuery = await send(listener.port, "/temp/z", { headers: { host: "site.test" } });
    expect(noQuery.headers.location).toBe(`http://other.site.test:${listener.port}/temp/z`);
  });

  test("fixed-response: status, content type and body", async ({ env }) => {
    const { h } = env;
    const lb = h.loadBalancer();
    const listener = await h.listener(lb, [
      {
        type: "fixed-response",
        fixedResponseConfig: {
          statusCode: "418",
          contentType: "application/json",
          messageBody: '{"ok":false}',
        },
      },
    ]);
    h.services.rules.create(listener.arn, {
      priority: 1,
      conditions: [{ field: "path-pattern", values: ["/empty"] }],
      actions: [{ type: "fixed-response", fixedResponseConfig: { statusCode: "204" } }],
    });
    await h.reload();
    const reply = await send(listener.port, "/anything");
    expect(reply.status).toBe(418);
    expect(reply.headers["content-type"]).toBe("application/json");
    expect(reply.body).toBe('{"ok":false}');
    const empty = await send(listener.port, "/empty");
    expect(empty.status).toBe(204);
    expect(empty.body).toBe("");
  });

  test("a forward action's target group stays reachable through rules and the default", async ({ env }) => {
    const { h } = env;
    const [a, b] = await Promise.all([env.target("a"), env.target("b")]);
    const lb = h.loadBalancer();
    const tgA = h.targetGroup("tg-a", [a]);
    const tgB = h.targetGroup("tg-b", [b]);
    const listener = await h.listener(lb, forward(tgA));
    h.services.rules.create(listener.arn, {
      priority: 1,
      conditions: [{ field: "path-pattern", values: ["/b/*"] }],
      actions: forward(tgB),
    });
    await h.reload();
    expect((await send(listener.port, "/b/1")).target).toBe("b");
    expect((await send(listener.port, "/a/1")).target).toBe("a");
  });
});
