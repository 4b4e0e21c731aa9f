// bench/proxy's WAF figures (issue 15): throughput with a 10-rule web ACL associated beside the same build
// without one, in the same run (target ≥ 0.85×), and the proxy's memory while a flood from 100,000
// distinct source keys (X-Forwarded-For, counted by a FORWARDED_IP rate-based rule) goes through it.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  compileIpSets,
  compileWebAcl,
  evaluateWebAcl,
  RateLimiterStore,
  type Statement,
  type WafRequest,
  type WafRule,
} from "@scaleout/core";
import { createDb, schema } from "@scaleout/db";
import { processTree, rssMb, wrkAsync } from "../lib/measure.ts";
import { type Cell, summarise } from "./matrix.ts";
import type { System } from "./systems.ts";

const arn = (kind: string, name: string) =>
  `arn:aws:wafv2:us-east-1:000000000000:regional/${kind}/${name}/${name}-id`;
const b64 = (text: string) => Buffer.from(text).toString("base64");
const visibility = (name: string) => ({
  SampledRequestsEnabled: true,
  CloudWatchMetricsEnabled: true,
  MetricName: name,
});
const none = [{ Type: "NONE" as const, Priority: 0 }];
const uriContains = (text: string): Statement => ({
  ByteMatchStatement: {
    SearchString: b64(text),
    FieldToMatch: { UriPath: {} },
    PositionalConstraint: "CONTAINS",
    TextTransformations: [
      { Type: "URL_DECODE", Priority: 0 },
      { Type: "LOWERCASE", Priority: 1 },
    ],
  },
});

/**
 * Ten rules a real web ACL might hold, none of which blocks the bench's requests, so every request is
 * evaluated against all ten (the worst case: no rule terminates early): byte matches with
 * transformations, a regex, a size constraint, an IP set, And/Or/Not, a label match, and two rate-based
 * rules (by source IP, with a limit wrk never reaches, and by X-Forwarded-For for the flood).
 */
export function webAclRules(ipSetArn: string): WafRule[] {
  const block = { Block: {} };
  const rules: Array<[string, Statement, WafRule["Action"]]> = [
    ["bad-ips", { IPSetReferenceStatement: { ARN: ipSetArn } }, block],
    ["sqli-path", uriContains("union select"), block],
    ["traversal", uriContains("../"), block],
    [
      "php",
      {
        RegexMatchStatement: {
          RegexString: "\\.(php|asp)$",
          FieldToMatch: { UriPath: {} },
          TextTransformations: none,
        },
      },
      block,
    ],
    [
      "long-query",
      {
        SizeConstraintStatement: {
          FieldToMatch: { QueryString: {} },
          ComparisonOperator: "GT",
          Size: 2048,
          TextTransformations: none,
        },
      },
      block,
    ],
    [
      "scanner",
      {
        OrStatement: {
          Statements: [
            {
              ByteMatchStatement: {
                SearchString: b64("sqlmap"),
                FieldToMatch: { SingleHeader: { Name: "user-agent" } },
                PositionalConstraint: "CONTAINS",
                TextTransformations: [{ Type: "LOWERCASE", Priority: 0 }],
              },
            },
            {
              ByteMatchStatement: {
                SearchString: b64("nikto"),
                FieldToMatch: { SingleHeader: { Name: "user-agent" } },
                PositionalConstraint: "CONTAINS",
                TextTransformations: [{ Type: "LOWERCASE", Priority: 0 }],
              },
            },
          ],
        },
      },
      { Count: {} },
    ],
    ["scanner-block", { LabelMatchStatement: { Scope: "LABEL", Key: "scanner" } }, block],
    [
      "delete-outside-api",
      {
        AndStatement: {
          Statements: [
            {
              ByteMatchStatement: {
                SearchString: b64("DELETE"),
                FieldToMatch: { Method: {} },
                PositionalConstraint: "EXACTLY",
                TextTransformations: none,
              },
            },
            {
              NotStatement: {
                Statement: {
                  ByteMatchStatement: {
                    SearchString: b64("/api/"),
                    FieldToMatch: { UriPath: {} },
                    PositionalConstraint: "STARTS_WITH",
                    TextTransformations: none,
                  },
                },
              },
            },
          ],
        },
      },
      block,
    ],
    [
      "per-ip",
      { RateBasedStatement: { Limit: 2_000_000_000, EvaluationWindowSec: 60, AggregateKeyType: "IP" } },
      block,
    ],
    [
      "per-client",
      {
        RateBasedStatement: {
          Limit: 1000,
          EvaluationWindowSec: 60,
          AggregateKeyType: "FORWARDED_IP",
          ForwardedIPConfig: { HeaderName: "X-Forwarded-For", FallbackBehavior: "NO_MATCH" },
        },
      },
      block,
    ],
  ];
  return rules.map(([name, statement, action], i) => ({
    Name: name,
    Priority: i,
    Statement: statement,
    Action: action,
    ...(name === "scanner" && { RuleLabels: [{ Name: "scanner" }] }),
    VisibilityConfig: visibility(name),
  }));
}

/** The 10-rule web ACL, associated with the bench's load balancer in the registry of `dataDir`. */
export function addWebAcl(dataDir: string): void {
  const handle = createDb(join(dataDir, "scaleout.db"));
  const db = handle.db;
  const ipSetArn = arn("ipset", "blocked");
  db.insert(schema.ipSets)
    .values({
      arn: ipSetArn,
      id: "blocked-id",
      name: "blocked",
      scope: "REGIONAL",
      ipAddressVersion: "IPV4",
      addresses: ["10.0.0.0/8", "192.0.2.0/24", "198.51.100.7/32"],
      lockToken: "t",
      createdAt: 0,
      updatedAt: 0,
    })
    .run();
  const aclArn = arn("webacl", "bench");
  db.insert(schema.webAcls)
    .values({
      arn: aclArn,
      id: "bench-id",
      name: "bench",
      scope: "REGIONAL",
      defaultAction: { Allow: {} },
      rules: webAclRules(ipSetArn),
      visibilityConfig: visibility("bench"),
      capacity: 100,
      lockToken: "t",
      createdAt: 0,
      updatedAt: 0,
    })
    .run();
  const lb = db.select().from(schema.loadBalancers).get();
  if (!lb) throw new Error("the bench registry has no load balancer");
  db.insert(schema.webAclAssociations).values({ resourceArn: lb.arn, webAclArn: aclArn, createdAt: 0 }).run();
  handle.close();
}

/**
 * The engine alone, in this process: CPU µs per evaluation of the 10-rule web ACL for the bench's request
 * (GET / from one address, every rule evaluated, the rate-based rules counting). Robust to a busy machine
 * where the proxies' rates are not: it is CPU time, not throughput.
 */
export function engineCost(print: (line: string) => void): void {
  const ipSetArn = arn("ipset", "blocked");
  const sets = compileIpSets([
    {
      Name: "blocked",
      Id: "blocked-id",
      ARN: ipSetArn,
      IPAddressVersion: "IPV4",
      Addresses: ["10.0.0.0/8", "192.0.2.0/24"],
    },
  ]);
  const acl = compileWebAcl(
    {
      Name: "bench",
      Id: "bench-id",
      ARN: arn("webacl", "bench"),
      DefaultAction: { Allow: {} },
      Rules: webAclRules(ipSetArn),
      VisibilityConfig: visibility("bench"),
      Capacity: 100,
      LabelNamespace: "awswaf:000000000000:webacl:bench:",
    },
    sets,
    new RateLimiterStore(),
  );
  const request: WafRequest = {
    method: "GET",
    uriPath: "/",
    queryString: "",
    headers: { host: "127.0.0.1:8080", "user-agent": "wrk" },
    sourceIp: "127.0.0.1",
  };
  const n = 300_000;
  let allowed = 0;
  const heapBefore = process.memoryUsage().heapUsed;
  const now = Date.now();
  for (let i = 0; i < 20_000; i++) evaluateWebAcl(acl, request, now);
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) if (evaluateWebAcl(acl, request, now + i / 100).action === "ALLOW") allowed++;
  const used = process.cpuUsage(before);
  const micros = (used.user + used.system) / n;
  print(
    `WAF engine: ${micros.toFixed(2)} µs CPU per evaluation of the 10-rule web ACL (${n} evaluations, ${allowed} allowed)`,
  );

  // A million distinct X-Forwarded-For keys through the same engine: the FORWARDED_IP rule's table stays
  // at its capacity, and the heap with it.
  const keys = 1_000_000;
  const headers: Record<string, string> = { host: "127.0.0.1:8080" };
  const flood: WafRequest = { ...request, headers };
  let heapPeak = 0;
  for (let i = 0; i < keys; i++) {
    headers["x-forwarded-for"] = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    evaluateWebAcl(acl, flood, now + 1000 + i / 1000);
    if (i % 100_000 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }
  const tracked = acl.rules.flatMap((r) => r.rateLimiters.map((l) => `${r.name} ${l.size}`)).join(", ");
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
  print(
    `WAF engine flood: ${keys} distinct keys: keys tracked ${tracked}; heap ${mb(heapBefore)} MB before, ${mb(heapPeak)} MB peak, ${mb(process.memoryUsage().heapUsed)} MB after`,
  );
}

/** Per row: the web ACL build's rate against the same build without one, and the ≥ 0.85× target. */
export function wafReport(
  cells: Cell[],
  withAcl: System,
  without: System,
  print: (line: string) => void,
): void {
  print("");
  engineCost(print);
  print(`WAF: ${withAcl.name} (10-rule web ACL associated) against ${without.name} (none), same run`);
  for (const cell of cells) {
    if (cell.system !== withAcl) continue;
    const plain = cells.find((c) => c.system === without && c.scenario === cell.scenario);
    if (!plain) continue;
    const a = summarise(cell);
    const b = summarise(plain);
    const ratio = a.rate / b.rate;
    const cpu =
      a.cpuPerUnit !== undefined && b.cpuPerUnit !== undefined
        ? `, CPU ${a.cpuPerUnit.toFixed(1)} vs ${b.cpuPerUnit.toFixed(1)} µs per ${cell.scenario.unit}`
        : "";
    print(
      `  ${cell.scenario.label}: ${a.rate.toFixed(0)}/s vs ${b.rate.toFixed(0)}/s = ${ratio.toFixed(2)}× ${ratio >= 0.85 ? "PASS" : "MISS"} (target ≥ 0.85×)${cpu}, p99 ${a.p99.toFixed(2)} vs ${b.p99.toFixed(2)} ms`,
    );
  }
}

/**
 * A flood from `keys` distinct X-Forwarded-For addresses (10.x.y.z, cycling) at the web ACL's system for
 * `seconds`: the proxy's RSS before, at its peak (sampled every half second) and after.
 */
export async function floodMemory(
  system: System,
  work: string,
  keys: number,
  seconds: number,
  print: (line: string) => void,
): Promise<void> {
  const script = join(work, "flood.lua");
  writeFileSync(
    script,
    `local n = 0
request = function()
  n = (n + 1) % ${keys}
  local ip = "10." .. math.floor(n / 65536) .. "." .. (math.floor(n / 256) % 256) .. "." .. (n % 256)
  return wrk.format(nil, "/", { ["X-Forwarded-For"] = ip })
end
`,
  );
  const pids = system.pid === undefined ? [] : processTree(system.pid);
  const before = rssMb(pids);
  let peak = before;
  const result = await wrkAsync(`http://127.0.0.1:${system.port}/`, 50, seconds, ["-s", script], () => {
    peak = Math.max(peak, rssMb(pids));
  });
  const after = rssMb(pids);
  print("");
  print(
    `WAF flood: ${result.requests} requests from ${keys} distinct X-Forwarded-For keys in ${seconds} s (${result.requestsPerSecond.toFixed(0)}/s, ${Math.min(result.requests, keys)} keys seen): ${system.name} RSS ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB peak, ${after.toFixed(0)} MB after (rate counters: at most 50,000 keys a rule, bounded)`,
  );
}
