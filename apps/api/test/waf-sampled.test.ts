// GetSampledRequests and GetRateBasedStatementManagedKeys on the REST door, reading what the proxy keeps in
// Redis (written here with the proxy's own writer, writeWafSamples; the proxy's side is tested in
// apps/proxy/test/waf-rules.test.ts).

import { join } from "node:path";
import { limitsFor } from "@scaleout/core";
import { createDb, runMigrations, schema } from "@scaleout/db";
import { createRedis, redisWafState, type WafSampledRequest, writeWafSamples } from "@scaleout/queue";
import { createContext, createServices } from "@scaleout/services";
import { integrationTest } from "@scaleout/testing";
import { expect } from "vitest";
import { buildApp } from "../src/app.ts";
import { recordEvents } from "./helpers.ts";

const aclArn = "arn:aws:wafv2:us-east-1:000000000000:regional/webacl/shield/shield-id";

const sample = (timestamp: number, uri: string): WafSampledRequest => ({
  Request: {
    ClientIP: "127.0.0.2",
    Country: "-",
    URI: uri,
    Method: "GET",
    HTTPVersion: "HTTP/1.1",
    Headers: [],
  },
  Weight: 1,
  Timestamp: timestamp,
  Action: "BLOCK",
  RuleNameWithinRuleGroup: "flood",
  ResponseCodeSent: 403,
});

integrationTest(
  "sampled requests and managed keys through the REST door",
  async ({ dataDir, redisUrl, prefix }) => {
    const handle = createDb(join(dataDir, "scaleout.db"));
    runMigrations(handle.db);
    const redis = createRedis(redisUrl, "producer");
    // A producer connection queues nothing offline: wait until it is ready before writing samples.
    if (redis.status !== "ready") await new Promise((resolve) => redis.once("ready", resolve));
    const services = createServices(
      createContext(handle.db, {
        limits: limitsFor(true),
        events: recordEvents(),
        wafState: redisWafState(redis, prefix),
      }),
    );
    const app = await buildApp({ services });
    try {
      handle.db
        .insert(schema.webAcls)
        .values({
          arn: aclArn,
          id: "shield-id",
          name: "shield",
          scope: "REGIONAL",
          defaultAction: { Allow: {} },
          rules: [
            {
              Name: "flood",
              Priority: 1,
              Statement: { RateBasedStatement: { Limit: 10, AggregateKeyType: "IP" } },
              Action: { Block: {} },
              VisibilityConfig: {
                SampledRequestsEnabled: true,
                CloudWatchMetricsEnabled: true,
                MetricName: "flood",
              },
            },
          ],
          visibilityConfig: {
            SampledRequestsEnabled: true,
            CloudWatchMetricsEnabled: true,
            MetricName: "shield",
          },
          capacity: 2,
          lockToken: "t",
          createdAt: 0,
          updatedAt: 0,
        })
        .run();
      const now = Math.floor(Date.now() / 1000);
      const minute = Math.floor(now / 60);
      await writeWafSamples(redis, prefix, {
        samples: [
          [aclArn, "flood", minute, sample(now - 2, "/a")],
          [aclArn, "flood", minute, sample(now - 1, "/b")],
          [aclArn, "other", minute, sample(now - 1, "/c")],
        ],
        population: [[aclArn, "flood", minute, 40]],
        managedKeys: [[aclArn, "flood", ["127.0.0.2/32"], []]],
      });

      const sampled = await app.inject({
        method: "GET",
        url: `/v1/web-acls/shield-id/sampled-requests?ruleMetricName=flood&startTime=${now - 600}&endTime=${now + 1}&maxItems=10`,
      });
      expect(sampled.statusCode).toBe(200);
      const body = sampled.json();
      expect(body.PopulationSize).toBe(40);
      expect(body.SampledRequests.map((s: WafSampledRequest) => s.Request.URI)).toEqual(["/a", "/b"]);
      expect(body.SampledRequests[0]).toMatchObject({ Action: "BLOCK", ResponseCodeSent: 403, Weight: 1 });

      // Managed keys expire unless the proxy rewrites them each second: written just before they are read.
      await writeWafSamples(redis, prefix, {
        samples: [],
        population: [],
        managedKeys: [[aclArn, "flood", ["127.0.0.2/32"], []]],
      });
      const keys = await app.inject({
        method: "GET",
        url: "/v1/web-acls/shield-id/rules/flood/managed-keys",
      });
      expect(keys.json()).toEqual({
        ManagedKeysIPV4: { IPAddressVersion: "IPV4", Addresses: ["127.0.0.2/32"] },
        ManagedKeysIPV6: { IPAddressVersion: "IPV6", Addresses: [] },
      });

      const missing = await app.inject({ method: "GET", url: "/v1/web-acls/nope/rules/flood/managed-keys" });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().code).toBe("WAFNonexistentItemException");
      const notRate = await app.inject({
        method: "GET",
        url: "/v1/web-acls/shield-id/rules/absent/managed-keys",
      });
      expect(notRate.statusCode).toBe(404);
      const backwards = await app.inject({
        method: "GET",
        url: `/v1/web-acls/shield-id/sampled-requests?ruleMetricName=flood&startTime=${now}&endTime=${now - 5}`,
      });
      expect(backwards.statusCode).toBe(400);
      expect(backwards.json().code).toBe("WAFInvalidParameterException");
    } finally {
      await app.close();
      redis.disconnect();
      handle.close();
    }
  },
);
