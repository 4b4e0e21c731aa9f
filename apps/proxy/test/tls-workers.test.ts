import { join } from "node:path";
import { limitsFor } from "@scaleout/core";
import { createDb, runMigrations } from "@scaleout/db";
import { createContext, createServices } from "@scaleout/services";
import { eventually, integrationTest } from "@scaleout/testing";
import { afterAll, describe, expect } from "vitest";
import { fastHealthCheck, forward, load, loopback, startTarget } from "./helpers.ts";
import { spawnProxy } from "./proxy-process.ts";
import {
  type HttpsReply,
  httpsListener,
  sClient,
  sendHttps,
  storeCertificate,
  TestAuthority,
} from "./tls-fixtures.ts";

const authority = new TestAuthority();
afterAll(() => authority.close());
const ca = authority.certificatePem;

describe("proxy workers and TLS", () => {
  integrationTest(
    "every worker terminates TLS, and their TLS metrics add up in the owner",
    async ({ dataDir }) => {
      const handle = createDb(join(dataDir, "scaleout.db"));
      runMigrations(handle.db);
      const services = createServices(createContext(handle.db, { limits: limitsFor(true) }));
      const registry = { handle, services };
      const target = await startTarget("a");
      const lb = services.loadBalancers.create({ name: "web" }).loadBalancer.loadBalancerArn;
      const { targetGroup } = services.targetGroups.create({
        name: "tg",
        protocol: "HTTP",
        port: 80,
        targetType: "ip",
        ...fastHealthCheck,
      });
      services.targetGroups.register("tg", [{ id: loopback, port: target.port }]);
      const certArn = storeCertificate(registry, authority.issue(["workers.test"]));
      const { port } = await httpsListener(
        registry,
        lb,
        certArn,
        forward(targetGroup.targetGroupArn),
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
      );
      const proxy = spawnProxy(dataDir);
      try {
        const send = () => sendHttps(port, "/", { ca, servername: "workers.test" });
        const workers = await proxy.until(async () => {
          const replies = await Promise.all(Array.from({ length: 10 }, () => send().catch(() => undefined)));
          const pids = new Set(replies.map((r) => String(r?.headers["x-scaleout-worker"] ?? "-")));
          return replies.every((r) => r?.status === 200) && pids.size === 2 ? pids : undefined;
        }, "two workers answering over TLS");
        expect(workers.size).toBe(2);

        const replies: HttpsReply[] = [];
        await load(40, 4, async () => {
          const reply = await send();
          replies.push(reply);
          return reply;
        });
        expect(replies.every((r) => r.status === 200 && r.protocol === "TLSv1.3")).toBe(true);
        for (let i = 0; i < 4; i++) {
          const refused = await sClient(port, "workers.test", authority.caFile, [
            "-tls1_1",
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
          ]);
          expect(refused.ok).toBe(false);
        }
        const dimension = lb.slice(lb.indexOf(":loadbalancer/") + ":loadbalancer/".length);
        const sum = (metricName: string) => {
          const now = Math.floor(Date.now() / 1000);
          const { datapoints } = services.metrics.statistics({
            namespace: "AWS/ApplicationELB",
            metricName,
            dimensions: [{ name: "LoadBalancer", value: dimension }],
            startTime: now - 300,
            endTime: now + 60,
            period: 60,
            statistics: ["Sum"],
          });
          return datapoints.reduce((n, d) => n + (d.sum ?? 0), 0);
        };
        await eventually(() => (sum("ClientTLSNegotiationErrorCount") === 4 ? true : undefined), {
          timeoutMs: 10_000,
          message: `ClientTLSNegotiationErrorCount 4 (now ${sum("ClientTLSNegotiationErrorCount")})`,
        });
        // Every connection was new: the fixture's, the 40 above, and the 4 refused handshakes.
        await eventually(() => (sum("NewConnectionCount") === sum("RequestCount") + 4 ? true : undefined), {
          timeoutMs: 10_000,
          message: `NewConnectionCount = RequestCount + 4 (${sum("NewConnectionCount")}, ${sum("RequestCount")})`,
        });
      } finally {
        await proxy.stop();
        await target.close();
        handle.close();
      }
    },
    60_000,
  );
});
