import {
  CreateWebACLCommand,
  GetRateBasedStatementManagedKeysCommand,
  GetSampledRequestsCommand,
  WAFNonexistentItemException,
} from "@aws-sdk/client-wafv2";
import { createRedis, redisWafState, writeWafSamples } from "@scaleout/queue";
import { integrationTest } from "@scaleout/testing";
import { expect } from "vitest";
import { failure, startAwsApi } from "./helpers.ts";

/*
 * GetSampledRequests and GetRateBasedStatementManagedKeys through @aws-sdk/client-wafv2, reading what the
 * proxy keeps in Redis (written here with the proxy's own writer; apps/proxy/test/waf-rules.test.ts checks
 * what the proxy hands that writer under real traffic).
 */

const visibility = (MetricName: string) => ({
  SampledRequestsEnabled: true,
  CloudWatchMetricsEnabled: true,
  MetricName,
});

integrationTest("sampled requests and managed keys through WAFV2Client", async ({ redisUrl, prefix }) => {
  const redis = createRedis(redisUrl, "producer");
  // A producer connection queues nothing offline: wait until it is ready before writing samples.
  if (redis.status !== "ready") await new Promise((resolve) => redis.once("ready", resolve));
  const api = await startAwsApi({ fast: true, wafState: redisWafState(redis, prefix) });
  try {
    const waf = api.clients().wafv2;
    const created = await waf.send(
      new CreateWebACLCommand({
        Name: "shield",
        Scope: "REGIONAL",
        DefaultAction: { Allow: {} },
        VisibilityConfig: visibility("shield"),
        Rules: [
          {
            Name: "flood",
            Priority: 1,
            Statement: { RateBasedStatement: { Limit: 10, AggregateKeyType: "IP", EvaluationWindowSec: 60 } },
            Action: { Block: {} },
            VisibilityConfig: visibility("flood"),
          },
        ],
      }),
    );
    const arn = created.Summary?.ARN ?? "";
    const id = created.Summary?.Id ?? "";
    const now = Math.floor(Date.now() / 1000);
    const minute = Math.floor(now / 60);
    const sample = (Timestamp: number, URI: string) => ({
      Request: {
        ClientIP: "127.0.0.2",
        Country: "-",
        URI,
        Method: "GET",
        HTTPVersion: "HTTP/1.1",
        Headers: [{ Name: "host", Value: "x" }],
      },
      Weight: 1,
      Timestamp,
      Action: "BLOCK",
      RuleNameWithinRuleGroup: "flood",
      ResponseCodeSent: 403,
      Labels: [{ Name: "awswaf:000000000000:webacl:shield:x" }],
    });
    await writeWafSamples(redis, prefix, {
      samples: [
        [arn, "flood", minute, sample(now - 3, "/a")],
        [arn, "flood", minute, sample(now - 2, "/b")],
        [arn, "flood", minute, sample(now - 1, "/c")],
      ],
      population: [[arn, "flood", minute, 25]],
      managedKeys: [[arn, "flood", ["127.0.0.2/32"], ["2001:db8::1/128"]]],
    });

    const sampled = await waf.send(
      new GetSampledRequestsCommand({
        WebAclArn: arn,
        RuleMetricName: "flood",
        Scope: "REGIONAL",
        TimeWindow: { StartTime: new Date((now - 300) * 1000), EndTime: new Date((now + 1) * 1000) },
        MaxItems: 2,
      }),
    );
    expect(sampled.PopulationSize).toBe(25);
    expect(sampled.SampledRequests?.map((s) => s.Request?.URI)).toEqual(["/a", "/b"]);
    const first = sampled.SampledRequests?.[0];
    expect(first?.Action).toBe("BLOCK");
    expect(first?.ResponseCodeSent).toBe(403);
    expect(first?.Request?.ClientIP).toBe("127.0.0.2");
    expect(first?.Request?.HTTPVersion).toBe("HTTP/1.1");
    expect(first?.Timestamp?.getTime()).toBe((now - 3) * 1000);
    expect(first?.Labels).toEqual([{ Name: "awswaf:000000000000:webacl:shield:x" }]);
    expect(sampled.TimeWindow?.EndTime?.getTime()).toBe((now + 1) * 1000);

    const keys = await waf.send(
      new GetRateBasedStatementManagedKeysCommand({
        Scope: "REGIONAL",
        WebACLName: "shield",
        WebACLId: id,
        RuleName: "flood",
      }),
    );
    expect(keys.ManagedKeysIPV4).toEqual({ IPAddressVersion: "IPV4", Addresses: ["127.0.0.2/32"] });
    expect(keys.ManagedKeysIPV6).toEqual({ IPAddressVersion: "IPV6", Addresses: ["2001:db8::1/128"] });

    const missing = await failure(
      waf.send(
        new GetRateBasedStatementManagedKeysCommand({
          Scope: "REGIONAL",
          WebACLName: "shield",
          WebACLId: id,
          RuleName: "nope",
        }),
      ),
    );
    expect(missing).toBeInstanceOf(WAFNonexistentItemException);
  } finally {
    await api.close();
    redis.disconnect();
  }
});
