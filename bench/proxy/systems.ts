// The systems bench/proxy measures side by side: scaleout's proxy (one or more builds, at a number of
// workers), nginx and HAProxy, each on its own loopback port over the same two targets. Every one of them
// stays up for the whole run, so runs can alternate between systems.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { limitsFor } from "@scaleout/core";
import { createDb, runMigrations } from "@scaleout/db";
import { freePort } from "@scaleout/queue";
import { createContext, createServices, type Services } from "@scaleout/services";
import { proxyNodeEnv } from "../../apps/proxy/src/process-settings.ts";
import { start } from "../lib/measure.ts";
import { addWebAcl } from "./waf.ts";

export type SystemKind = "direct" | "scaleout" | "nginx" | "haproxy" | "minimal";

export interface System {
  /** Column and row label, e.g. "scaleout w2", "nginx auto". */
  name: string;
  kind: SystemKind;
  port: number;
  /** Root of the process tree whose CPU, RSS and sockets are the system's (none for the direct target). */
  pid: number | undefined;
  /** Workers or threads asked for (scaleout: SCALEOUT_PROXY_WORKERS; nginx: worker_processes; HAProxy: nbthread). */
  workers: number;
  /** Something the reader must know to read this system's figures honestly. */
  note: string | undefined;
  /** Measured in the small-response rows only (the minimal proxy asks its target for `/` whatever the path). */
  smallOnly?: boolean;
}

/** The name of the setting h/workers adds; a build that never mentions it runs one process whatever we pass. */
export const workersSetting = "SCALEOUT_PROXY_WORKERS";

/** Whether a bundle reads the workers setting: the variable's name appears in the built code or not. */
export function buildKnowsWorkers(bundle: string): boolean {
  return readFileSync(bundle, "utf8").includes(workersSetting);
}

export function directTarget(port: number): System {
  return { name: "direct (one target)", kind: "direct", port, pid: undefined, workers: 1, note: undefined };
}

/**
 * nginx over both targets with upstream keep-alive (as in shared/research/proxy-baselines.md).
 * `proxy_max_temp_file_size 0`: a 1 MiB response streams through nginx's memory buffers instead of being
 * spooled to a temporary file, which is what scaleout does (backpressure, no disk) and what a proxy
 * tuned for throughput is configured to do.
 */
export async function startNginx(
  work: string,
  targets: number[],
  workers: number | "auto",
  name: string,
  cores: number,
): Promise<System> {
  const port = await freePort();
  const dir = join(work, `nginx-${workers}`);
  const conf = join(work, `nginx-${workers}.conf`);
  writeFileSync(
    conf,
    `worker_processes ${workers};
pid ${dir}.pid;
error_log ${dir}-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}-body;
  proxy_temp_path ${dir}-proxy;
  upstream targets { ${targets.map((t) => `server 127.0.0.1:${t};`).join(" ")} keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://targets;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_max_temp_file_size 0;
    }
  }
}
`,
  );
  const child = start("nginx", ["-c", conf, "-p", work, "-g", "daemon off;"]);
  return {
    name,
    kind: "nginx",
    port,
    pid: child.pid,
    workers: workers === "auto" ? cores : workers,
    note: undefined,
  };
}

/**
 * bench/accept's minimal proxy on node:http (min-proxy.cjs): each request forwarded as one fixed GET over
 * a keep-alive raw socket to the targets, its body answered back; no routing, no header rewriting, no
 * metrics, no timers of its own. Beside scaleout w1 (the same node:http server side, the same node and
 * flags) the difference is the proxy's own work per connection and per request. Small responses only.
 */
export async function startMinimal(targets: number[], nodeArgs: string[]): Promise<System> {
  const port = await freePort();
  const script = join(import.meta.dirname, "..", "accept", "min-proxy.cjs");
  const child = start(process.execPath, [...nodeArgs, script, "http", targets.join(","), String(port)], {
    ...proxyNodeEnv,
    ...process.env,
  });
  return {
    name: "minimal proxy",
    kind: "minimal",
    port,
    pid: child.pid,
    workers: 1,
    note: "bench/accept/min-proxy.cjs on node:http, scaleout's node flags: the floor of a proxy on node:http (small-response rows only)",
    smallOnly: true,
  };
}

/** HAProxy 2.x in the foreground (`-db`, one process), round robin over both targets, `nbthread` threads. */
export async function startHaproxy(
  work: string,
  targets: number[],
  threads: number,
  name: string,
): Promise<System> {
  const port = await freePort();
  const conf = join(work, `haproxy-${threads}.cfg`);
  writeFileSync(
    conf,
    `global
  nbthread ${threads}
  maxconn 8192
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend bench
  bind 127.0.0.1:${port}
  default_backend targets
backend targets
  balance roundrobin
${targets.map((t, i) => `  server t${i} 127.0.0.1:${t}`).join("\n")}
`,
  );
  const child = start("haproxy", ["-f", conf, "-db"]);
  return { name, kind: "haproxy", port, pid: child.pid, workers: threads, note: undefined };
}

/** `count` path rules that the bench's requests never match: every request is checked against all of them. */
export function addUnmatchedRules(services: Services, listenerArn: string, count: number): void {
  for (let i = 1; i <= count; i++) {
    services.rules.create(listenerArn, {
      priority: i,
      conditions: [{ field: "path-pattern", values: [`/rule${i}/*`] }],
      actions: [
        {
          type: "fixed-response",
          fixedResponseConfig: { statusCode: "200", contentType: "text/plain", messageBody: `rule ${i}` },
        },
      ],
    });
  }
}

/**
 * A registry whose load balancer's listener forwards to a group of `targets`, after `rules` path rules
 * that never match (10 for the matrix: every request is checked against all of them).
 */
export function writeRegistry(
  dataDir: string,
  listenerPort: number,
  targets: number[],
  rules = 10,
  accessLog = false,
): void {
  const handle = createDb(join(dataDir, "scaleout.db"));
  runMigrations(handle.db);
  const services = createServices(createContext(handle.db, { limits: limitsFor(true) }));
  const { loadBalancer } = services.loadBalancers.create({ name: "bench" });
  // Off by default, as in AWS (and as nginx and HAProxy run here): the proxy then writes no line at all.
  if (accessLog)
    services.loadBalancers.modifyAttributes(loadBalancer.loadBalancerArn, [
      { key: "access_logs.s3.enabled", value: "true" },
    ]);
  const { targetGroup } = services.targetGroups.create({
    name: "bench-tg",
    protocol: "HTTP",
    port: 80,
    targetType: "ip",
    healthCheckIntervalSeconds: 5,
  });
  const listener = services.listeners.create("bench", {
    protocol: "HTTP",
    port: listenerPort,
    defaultActions: [{ type: "forward", targetGroupArn: targetGroup.targetGroupArn }],
  });
  addUnmatchedRules(services, listener.listenerArn, rules);
  services.targetGroups.register(
    "bench-tg",
    targets.map((port) => ({ id: "127.0.0.1", port })),
  );
  handle.close();
}

/**
 * scaleout's proxy from a bundle, with its own registry (one listener, 10 rules) on its own port, told
 * to run `workers` worker processes. The setting is always passed explicitly: a build that knows it
 * defaults to one worker per core, so leaving it unset would not mean one worker.
 */
export async function startScaleout(
  work: string,
  targets: number[],
  options: {
    bundle: string;
    workers: number;
    name: string;
    nodeArgs: string[];
    accessLog?: boolean;
    /** A 10-rule web ACL associated with the load balancer (waf.ts). */
    waf?: boolean;
    /** More environment for the process (a variant's settings, e.g. SCALEOUT_PROXY_WORKER_HEADER=1). */
    env?: Record<string, string>;
    /**
     * npm start's environment for the proxy (process-settings.ts) under the shell's (default true);
     * false for a bench whose variants name their environment themselves (bench/proxy-memory).
     */
    shippedEnv?: boolean;
  },
): Promise<System> {
  const port = await freePort();
  const dataDir = join(work, options.name.replace(/[^a-z0-9]+/gi, "-"));
  writeRegistry(dataDir, port, targets, 10, options.accessLog);
  if (options.waf) addWebAcl(dataDir);
  const child = start(process.execPath, [...options.nodeArgs, options.bundle], {
    ...(options.shippedEnv !== false && proxyNodeEnv),
    ...process.env,
    SCALEOUT_DATA_DIR: dataDir,
    REDIS_URL: "",
    NODE_ENV: "production",
    [workersSetting]: String(options.workers),
    ...options.env,
  });
  const knows = buildKnowsWorkers(options.bundle);
  return {
    name: options.name,
    kind: "scaleout",
    port,
    pid: child.pid,
    workers: options.workers,
    note:
      knows || options.workers === 1
        ? undefined
        : `this build does not read ${workersSetting}: it is the same single process as at workers=1`,
  };
}
