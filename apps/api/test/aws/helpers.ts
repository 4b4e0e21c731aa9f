import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ACMClient } from "@aws-sdk/client-acm";
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { WAFV2Client } from "@aws-sdk/client-wafv2";
import { limitsFor } from "@scaleout/core";
import { createDb, type DbHandle, runMigrations } from "@scaleout/db";
import {
  type ChangeEvents,
  createContext,
  createServices,
  instanceRegistry,
  type PortProbe,
  type Services,
  type WafStateReader,
} from "@scaleout/services";
import { tempDir } from "@scaleout/testing";
import type { FastifyInstance } from "fastify";
import { expect } from "vitest";
import { type AppOptions, buildApp } from "../../src/app.ts";

export interface RecordedChanges extends ChangeEvents {
  groups: Array<{ name: string; reason: string }>;
}

export interface AwsTestApi {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>`: what the SDK clients' `endpoint` is set to. */
  endpoint: string;
  services: Services;
  events: RecordedChanges;
  handle: DbHandle;
  /** Every answer with a 5xx status; `close()` fails the test when there is one. */
  serverErrors: Array<{ url: string; status: number }>;
  clients(options?: { region?: string; accessKeyId?: string }): {
    elbv2: ElasticLoadBalancingV2Client;
    autoScaling: AutoScalingClient;
    ec2: EC2Client;
    cloudWatch: CloudWatchClient;
    acm: ACMClient;
    wafv2: WAFV2Client;
  };
  /** Stands in for the worker, which these tests do not run: launches `count` instances of a group. */
  launch(groupName: string, count: number): string[];
  close(): Promise<void>;
}

/** The api listening on a loopback port over a fresh SQLite registry, as `npm start` would run it. */
export async function startAwsApi(
  options: {
    apiToken?: string;
    fast?: boolean;
    trust?: AppOptions["trust"];
    portProbe?: PortProbe;
    /** Receives every response body the api sends (what a test searches for what must never leave). */
    onBody?: (body: string) => void;
    /** Where GetSampledRequests and GetRateBasedStatementManagedKeys read (the proxy's Redis). */
    wafState?: WafStateReader;
  } = {},
): Promise<AwsTestApi> {
  const dir = tempDir();
  const handle = createDb(join(dir.dir, "scaleout.db"));
  runMigrations(handle.db);
  const events: RecordedChanges = {
    groups: [],
    configChanged() {},
    groupChanged(name, reason) {
      events.groups.push({ name, reason });
    },
    policyInvoked() {},
    published() {},
  };
  const services = createServices(
    createContext(handle.db, {
      limits: limitsFor(options.fast ?? false),
      events,
      ...(options.portProbe && { portProbe: options.portProbe }),
      ...(options.wafState && { wafState: options.wafState }),
    }),
  );
  const app = await buildApp({
    services,
    ...(options.apiToken !== undefined && { apiToken: options.apiToken }),
    ...(options.trust && { trust: options.trust }),
  });
  const serverErrors: AwsTestApi["serverErrors"] = [];
  app.addHook("onResponse", async (request, reply) => {
    if (reply.statusCode >= 500) serverErrors.push({ url: request.url, status: reply.statusCode });
  });
  const onBody = options.onBody;
  if (onBody) {
    app.addHook("onSend", async (_request, _reply, payload) => {
      if (typeof payload === "string") onBody(payload);
      return payload;
    });
  }
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const registry = instanceRegistry(services.ctx);
  let nextPort = 20_000;

  return {
    app,
    endpoint,
    services,
    events,
    handle,
    serverErrors,
    clients({ region = "eu-west-1", accessKeyId = "AKIDEXAMPLE" } = {}) {
      const config = {
        endpoint,
        region,
        credentials: { accessKeyId, secretAccessKey: "secret" },
        // A 5xx must fail the test, not be retried into a pass.
        maxAttempts: 1,
      };
      return {
        elbv2: new ElasticLoadBalancingV2Client(config),
        autoScaling: new AutoScalingClient(config),
        ec2: new EC2Client(config),
        cloudWatch: new CloudWatchClient(config),
        acm: new ACMClient(config),
        wafv2: new WAFV2Client(config),
      };
    },
    launch(groupName, count) {
      const snapshot = registry.snapshot(groupName);
      if (!snapshot) throw new Error(`no group ${groupName}`);
      const plans = Array.from({ length: count }, () => ({
        instanceId: `i-${Math.random().toString(16).slice(2, 10).padEnd(17, "0")}`,
        port: nextPort++,
      }));
      const rows = registry.beginLaunches(snapshot, plans, { cause: "test launch", driver: "process" });
      for (const row of rows) {
        registry.completeLaunch(row.id, {
          ref: `pid-${row.port}`,
          address: "127.0.0.1",
          port: row.port ?? 0,
        });
      }
      return rows.map((row) => row.id);
    },
    async close() {
      await app.close();
      handle.close();
      dir.remove();
      expect(serverErrors, "no AWS API request may be answered with a 5xx").toEqual([]);
    },
  };
}

/** The error a promise rejects with, for asserting on the SDK's parsed error. */
export async function failure(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected the call to fail");
}

/** Every item of an SDK paginator. */
export async function collect<P, T>(
  pages: AsyncIterable<P>,
  items: (page: P) => T[] | undefined,
): Promise<{
  items: T[];
  pages: number;
}> {
  const all: T[] = [];
  let count = 0;
  for await (const page of pages) {
    count++;
    all.push(...(items(page) ?? []));
  }
  return { items: all, pages: count };
}
