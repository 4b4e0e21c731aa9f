import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { limitsFor } from "@scaleout/core";
import { createDb, type DbHandle, runMigrations } from "@scaleout/db";
import { freePort } from "@scaleout/queue";
import {
  type ChangeEvents,
  createContext,
  createServices,
  type PlatformEvent,
  type PolicyInvocation,
  type Services,
} from "@scaleout/services";
import { integrationTest } from "@scaleout/testing";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import { buildApp } from "../src/app.ts";

/** A free loopback port (bind port 0, read it, release it). */
export { freePort };

export const repoRoot = join(import.meta.dirname, "..", "..", "..");

/** ChangeEvents that remember every call, so tests can assert what a change announced. */
export interface RecordedEvents extends ChangeEvents {
  versions: number[];
  groups: Array<{ name: string; reason: string }>;
  invocations: PolicyInvocation[];
  events: PlatformEvent[];
}

export function recordEvents(): RecordedEvents {
  const recorded: RecordedEvents = {
    versions: [],
    groups: [],
    invocations: [],
    events: [],
    configChanged(version) {
      recorded.versions.push(version);
    },
    groupChanged(name, reason) {
      recorded.groups.push({ name, reason });
    },
    policyInvoked(invocation) {
      recorded.invocations.push(invocation);
    },
    published(event) {
      recorded.events.push(event);
    },
  };
  return recorded;
}

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  events: RecordedEvents;
  handle: DbHandle;
  /** Every 5xx the app answered; `close()` fails the test when there is one. */
  serverErrors: Array<{ method: string; url: string; status: number; body: string }>;
  /** app.inject with a JSON body, answering status, parsed JSON (when there is a body) and the raw response. */
  request(
    method: InjectOptions["method"],
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Reply>;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  body: any;
  raw: LightMyRequestResponse;
}

interface AppOptions {
  dataDir: string;
  fast?: boolean;
  apiToken?: string;
  now?: () => number;
  /** The host and origin checks' settings (the api's defaults when left out). */
  trust?: { bindHost: string; allowedHosts: readonly string[]; allowedOrigins: readonly string[] };
  /** The console's settings (its tick, 1 s when left out). */
  console?: { tickMs: number };
}

/** Real services over a fresh SQLite file in `dataDir`, recording their events. */
function openServices(options: AppOptions) {
  const handle = createDb(join(options.dataDir, "scaleout.db"));
  runMigrations(handle.db);
  const events = recordEvents();
  const services = createServices(
    createContext(handle.db, {
      limits: limitsFor(options.fast ?? false),
      events,
      ...(options.now && { now: options.now }),
    }),
  );
  return { handle, events, services };
}

type ServerErrors = TestApp["serverErrors"];

/** Builds the app and records every 5xx it answers, whichever route or hook produced it. */
async function readyApp(
  services: Services,
  options: Pick<AppOptions, "apiToken" | "trust" | "console">,
  errors: () => ServerErrors,
): Promise<FastifyInstance> {
  const { apiToken, trust, console } = options;
  const app = await buildApp({
    services,
    ...(apiToken !== undefined && { apiToken }),
    ...(trust !== undefined && { trust }),
    ...(console !== undefined && { console }),
  });
  app.addHook("onResponse", async (request, reply) => {
    if (reply.statusCode >= 500)
      errors().push({ method: request.method, url: request.url, status: reply.statusCode, body: "" });
  });
  await app.ready();
  return app;
}

function testApp(
  app: FastifyInstance,
  opened: ReturnType<typeof openServices>,
  serverErrors: ServerErrors,
  release: () => Promise<void>,
): TestApp {
  const request: TestApp["request"] = async (method, url, body, headers = {}) => {
    const raw = await app.inject({
      method,
      url,
      headers,
      ...(body !== undefined && { payload: body as InjectOptions["payload"] }),
    });
    const recorded = serverErrors[serverErrors.length - 1];
    if (raw.statusCode >= 500 && recorded) recorded.body = raw.body;
    const type = String(raw.headers["content-type"] ?? "");
    const parsed = raw.body !== "" && type.includes("json") ? JSON.parse(raw.body) : raw.body;
    return { status: raw.statusCode, body: parsed, raw };
  };
  return {
    app,
    ...opened,
    serverErrors,
    request,
    async close() {
      await release();
      opened.handle.close();
      expect(serverErrors, "no request may be answered with a 5xx").toEqual([]);
    },
  };
}

/**
 * The api over a real SQLite file in `dataDir`, with events recorded instead of sent to Redis (one test
 * file covers the Redis implementation). Requests go through app.inject().
 */
export async function buildTestApp(options: AppOptions): Promise<TestApp> {
  const opened = openServices(options);
  const serverErrors: ServerErrors = [];
  const app = await readyApp(opened.services, options, () => serverErrors);
  return testApp(app, opened, serverErrors, () => app.close());
}

/**
 * Compiling every route's schemas makes `app.ready()` cost ~0.4 s of CPU, most of the suite's time. The
 * fixtures therefore build one app per mode and test file and point it, test by test, at that test's own
 * services over its own SQLite file, so each test still starts with an empty registry. The app does keep
 * some state of its own (the proxy feed's lease, the console's capacity history), so a file's tests must
 * leave it as they found it, and no app outlives its file: npm test runs the integration files one after
 * another in one fork (`--no-isolate`), where this module is imported once for all of them.
 */
const shared = new Map<
  string,
  { app: FastifyInstance; slot: { services?: Services; errors: ServerErrors } }
>();
let sharedFile: string | undefined;

function switchable(current: () => Services): Services {
  // Routes keep `services.<resource>` from registration, so each resource is a proxy of its own.
  return new Proxy({} as Services, {
    get: (_services, resource) =>
      new Proxy(
        {},
        { get: (_resource, member) => Reflect.get(current()[resource as keyof Services] as object, member) },
      ),
  });
}

async function sharedTestApp(options: AppOptions): Promise<TestApp> {
  const file = expect.getState().testPath;
  if (file !== sharedFile) {
    // The last file's apps: no test uses them any more.
    for (const { app } of shared.values()) await app.close();
    shared.clear();
    sharedFile = file;
  }
  const key = `fast=${options.fast ?? false}`;
  const opened = openServices(options);
  let entry = shared.get(key);
  if (!entry) {
    // The app reads its services while it registers (the AWS door's account id), so the first test's are set.
    const slot: { services?: Services; errors: ServerErrors } = { services: opened.services, errors: [] };
    const services = switchable(() => {
      if (!slot.services) throw new Error("no test is using the shared app");
      return slot.services;
    });
    entry = { app: await readyApp(services, {}, () => slot.errors), slot };
    shared.set(key, entry);
  }
  const { app, slot } = entry;
  slot.services = opened.services;
  slot.errors = [];
  return testApp(app, opened, slot.errors, async () => {
    slot.services = undefined;
  });
}

/**
 * `integrationTest` plus `api` (AWS ranges) and `fastApi` (fast mode), each over its own SQLite file in
 * the test's data directory. Teardown fails the test when any request was answered with a 5xx.
 */
export const apiTest = integrationTest.extend<{ api: TestApp; fastApi: TestApp }>({
  api: async ({ dataDir }, use) => {
    const t = await sharedTestApp({ dataDir });
    await use(t);
    await t.close();
  },
  fastApi: async ({ dataDir }, use) => {
    const t = await sharedTestApp({ dataDir: join(dataDir, "fast"), fast: true });
    await use(t);
    await t.close();
  },
});

/** Asserts an AWS-style error: the status, `{ code, message }` and nothing else. */
export function expectError(reply: Reply, status: number, code: string, message?: RegExp | string): void {
  expect({ status: reply.status, code: reply.body?.code }, JSON.stringify(reply.body)).toEqual({
    status,
    code,
  });
  expect(Object.keys(reply.body).sort()).toEqual(["code", "message"]);
  expect(typeof reply.body.message).toBe("string");
  expect(reply.body.message.length).toBeGreaterThan(0);
  if (message !== undefined) expect(reply.body.message).toMatch(message);
}

/** Asserts a success status, showing the body when it is not. */
export function expectStatus(reply: Reply, status: number): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
}

/** The last `/` segment of an ARN: what REST paths take for listeners and rules. */
export const lastSegment = (arn: string): string => arn.slice(arn.lastIndexOf("/") + 1);

// ---- Fixtures in the issue's own words -------------------------------------------------------------

export const issueTargetGroup = {
  name: "web-tg",
  protocol: "HTTP",
  port: 80,
  targetType: "ip",
  healthCheckPath: "/health",
  healthCheckIntervalSeconds: 5,
};

export const issueLaunchTemplate = {
  launchTemplateName: "app",
  image: "scaleout/example:latest",
  command: ["node", "/app/server.js"],
  environment: { MODE: "demo" },
  containerPort: 8080,
  cpu: 0.5,
  memoryMiB: 256,
  networkMode: "host",
};

export const issueGroup = (targetGroupArn: string) => ({
  autoScalingGroupName: "app",
  launchTemplate: { launchTemplateName: "app" },
  minSize: 1,
  maxSize: 4,
  desiredCapacity: 1,
  targetGroupARNs: [targetGroupArn],
  healthCheckType: "ELB",
  healthCheckGracePeriod: 5,
});

export const issueTargetTrackingPolicy = {
  policyName: "cpu50",
  policyType: "TargetTrackingScaling",
  targetTrackingConfiguration: {
    predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
    targetValue: 50,
  },
};

export const issueAlarm = (policyArn: string) => ({
  namespace: "AWS/EC2",
  metricName: "CPUUtilization",
  dimensions: [{ name: "AutoScalingGroupName", value: "app" }],
  statistic: "Average",
  period: 60,
  evaluationPeriods: 2,
  threshold: 80,
  comparisonOperator: "GreaterThanThreshold",
  alarmActions: [policyArn],
});

/** Creates the issue's load balancer, target group and listener; answers their ARNs and the listener id. */
export async function seedWeb(t: TestApp): Promise<{
  loadBalancerArn: string;
  targetGroupArn: string;
  listenerArn: string;
  listenerId: string;
}> {
  const lb = await t.request("POST", "/v1/load-balancers", { name: "web" });
  expectStatus(lb, 201);
  const tg = await t.request("POST", "/v1/target-groups", issueTargetGroup);
  expectStatus(tg, 201);
  const listener = await t.request("POST", "/v1/load-balancers/web/listeners", {
    protocol: "HTTP",
    port: 8080,
    defaultActions: [{ type: "forward", targetGroupArn: tg.body.targetGroupArn }],
  });
  expectStatus(listener, 201);
  return {
    loadBalancerArn: lb.body.loadBalancerArn,
    targetGroupArn: tg.body.targetGroupArn,
    listenerArn: listener.body.listenerArn,
    listenerId: lastSegment(listener.body.listenerArn),
  };
}

/** Creates the issue's launch template, target group and group "app"; answers the target group ARN. */
export async function seedGroup(t: TestApp, overrides: Record<string, unknown> = {}): Promise<string> {
  const tg = await t.request("POST", "/v1/target-groups", issueTargetGroup);
  expect(tg.status).toBeLessThan(300);
  expectStatus(await t.request("POST", "/v1/launch-templates", issueLaunchTemplate), 201);
  const group = await t.request("POST", "/v1/auto-scaling-groups", {
    ...issueGroup(tg.body.targetGroupArn),
    ...overrides,
  });
  expectStatus(group, 201);
  return tg.body.targetGroupArn;
}

// ---- Real processes --------------------------------------------------------------------------------

export interface ApiProcess {
  child: ChildProcess;
  port: number;
  base: string;
  output(): string;
  /** SIGTERM, then the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/**
 * Starts the real api (`apps/api/src/server.ts` under tsx) on a free loopback port and waits until
 * /healthz answers. The caller stops it; `stop()` is safe to call twice.
 */
export async function startApi(env: {
  dataDir: string;
  redisUrl: string;
  prefix: string;
  extra?: Record<string, string>;
}): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "apps/api/src/server.ts")], {
    cwd: repoRoot,
    env: {
      ...process.env,
      SCALEOUT_API_PORT: String(port),
      SCALEOUT_API_HOST: "127.0.0.1",
      SCALEOUT_DATA_DIR: env.dataDir,
      REDIS_URL: env.redisUrl,
      SCALEOUT_REDIS_PREFIX: env.prefix,
      SCALEOUT_API_TOKEN: "",
      LOG_LEVEL: "warn",
      ...env.extra,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
  const api: ApiProcess = {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    output: () => output,
    async stop(timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  // A bound, not a speed claim: on a loaded machine (two test forks) tsx's start of the api alone can
  // take many seconds. The failure says what /healthz last answered.
  const deadline = Date.now() + 60_000;
  let last = "no answer";
  for (;;) {
    if (child.exitCode !== null) throw new Error(`api exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${api.base}/healthz`);
      if (response.ok) return api;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = `not answering (${String(error)})`;
    }
    if (Date.now() > deadline) {
      await api.stop();
      throw new Error(`api not healthy within 60 s, /healthz last: ${last}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** fetch on loopback with a JSON body; answers status and parsed body. */
export async function http(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{
  status: number; // biome-ignore lint/suspicious/noExplicitAny: asserted field by field
  body: any;
}> {
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body !== undefined && {
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    }),
  });
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  return { status: response.status, body: text !== "" && type.includes("json") ? JSON.parse(text) : text };
}
