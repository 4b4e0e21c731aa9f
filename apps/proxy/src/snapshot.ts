import {
  type Action,
  type CompiledWebAcl,
  compileConditions,
  compileStoredMatcher,
  type DesyncMode,
  desyncModeOf,
  type HealthCheckSettings,
  RateLimiterStore,
  type RequestMatcher,
} from "@scaleout/core";
import { type Db, type RegistryData, readRegistryData } from "@scaleout/db";
import { type ListenerTls, loadListenerTls } from "./tls/listener-tls.ts";
import { loadWebAcls } from "./waf/load.ts";

/**
 * An immutable, compiled copy of the registry: what the request path reads. A new configuration builds
 * a new snapshot and swaps it in one assignment, so a request sees either the old rules or the new ones,
 * never half of each.
 */
export interface Snapshot {
  version: number;
  loadBalancers: Map<string, LoadBalancerConfig>;
  /** By port: every listener binds the same host. */
  listeners: Map<number, ListenerConfig>;
  targetGroups: Map<string, TargetGroupConfig>;
}

export interface LoadBalancerConfig {
  arn: string;
  name: string;
  /** application | network: a network load balancer's listeners are layer 4 (TCP, TLS, UDP, TCP_UDP). */
  type: string;
  /** Every attribute as stored, for what the fields below do not compile (network load balancers'). */
  attributes: Record<string, string>;
  state: string;
  stateReason: string | null;
  /** `app/{name}/{id}`: the LoadBalancer dimension of AWS/ApplicationELB metrics. */
  dimension: string;
  idleTimeoutMs: number;
  /** client_keep_alive.seconds: how long a client connection may live, in ms. */
  clientKeepAliveMs: number;
  xffMode: "append" | "preserve" | "remove";
  dropInvalidHeaders: boolean;
  /** routing.http.desync_mitigation_mode. */
  desyncMode: DesyncMode;
  /** access_logs.s3.enabled: requests go to the local access log (AWS: to S3). */
  accessLogs: boolean;
  /** routing.http2.enabled (default true): HTTPS listeners offer h2 by ALPN. */
  http2Enabled: boolean;
  /** The associated AWS WAF web ACL, compiled (waf/load.ts); evaluated before listener rules. */
  webAcl: CompiledWebAcl | undefined;
}

export interface CompiledRule {
  arn: string;
  /** Null for the default rule. */
  priority: number | null;
  matches: RequestMatcher;
  action: Action;
}

export interface ListenerConfig {
  arn: string;
  port: number;
  protocol: string;
  /** "http" or "https": X-Forwarded-Proto, redirects. */
  protocolLower: string;
  loadBalancerArn: string;
  /** By priority, the default rule last. */
  rules: CompiledRule[];
  /** HTTPS and TLS listeners: certificates and security policy; undefined for HTTP, TCP, UDP. */
  tls: ListenerTls | undefined;
  /** TLS listeners: AlpnPolicy (HTTP1Only, HTTP2Only, HTTP2Optional, HTTP2Preferred, None); else null. */
  alpnPolicy: string | null;
  /** Listener attributes as stored (tcp.idle_timeout.seconds, ...). */
  attributes: Record<string, string>;
}

export interface TargetConfig {
  /** `id:port`, unique within a group. */
  key: string;
  id: string;
  port: number;
  /** Where to connect: the ip, or the instance's address for instance targets. */
  host: string;
  state: string;
  reason: string | null;
  description: string | null;
  registeredAt: number;
  drainDeadline: number | null;
}

export interface TargetGroupConfig {
  arn: string;
  name: string;
  /** `targetgroup/{name}/{id}`: the TargetGroup dimension of metrics. */
  dimension: string;
  protocol: string;
  port: number;
  /** Every attribute as stored, for what the fields below do not compile (network target groups'). */
  attributes: Record<string, string>;
  healthCheck: HealthCheckSettings;
  healthy: (status: number) => boolean;
  algorithm: string;
  slowStartSeconds: number;
  deregistrationDelaySeconds: number;
  stickiness:
    | { type: "none" }
    | { type: "lb_cookie"; durationSeconds: number }
    | { type: "app_cookie"; cookieName: string; durationSeconds: number };
  targets: TargetConfig[];
  /** The load balancers whose listeners or rules forward here; health checks run only for groups in use. */
  loadBalancerArns: Set<string>;
}

/** `arn:...:loadbalancer/app/web/50dc6c495c0c9188` → `app/web/50dc6c495c0c9188`. */
export const loadBalancerDimension = (arn: string): string =>
  arn.slice(arn.indexOf(":loadbalancer/") + ":loadbalancer/".length);
/** `arn:...:targetgroup/web-tg/73e2d6bc24d8a067` → `targetgroup/web-tg/73e2d6bc24d8a067`. */
export const targetGroupDimension = (arn: string): string => arn.slice(arn.lastIndexOf(":") + 1);

/**
 * `limiters`: rate-based rules' counters, kept by the caller across snapshots (a configuration change
 * must not reset a flood's counts).
 */
export function loadSnapshot(db: Db, limiters = new RateLimiterStore()): Snapshot {
  return compileSnapshot(readRegistryData(db), limiters);
}

/**
 * Compiles the registry's rows (read from SQLite here, or received from the api by a remote proxy) into
 * what the request path reads. Throws on rows it cannot compile; the caller keeps its last snapshot.
 */
export function compileSnapshot(data: RegistryData, limiters = new RateLimiterStore()): Snapshot {
  const version = data.version;
  const instanceHosts = new Map<string, string>();
  for (const row of data.instances) if (row.address) instanceHosts.set(row.id, row.address);

  const webAcls = loadWebAcls(data, limiters);
  const loadBalancers = new Map<string, LoadBalancerConfig>();
  for (const row of data.loadBalancers) {
    const idle = Number(row.attributes["idle_timeout.timeout_seconds"] ?? "60");
    const keepAlive = Number(row.attributes["client_keep_alive.seconds"] ?? "3600");
    loadBalancers.set(row.arn, {
      arn: row.arn,
      name: row.name,
      type: row.type,
      attributes: row.attributes,
      state: row.state,
      stateReason: row.stateReason,
      dimension: loadBalancerDimension(row.arn),
      idleTimeoutMs: idle * 1000,
      clientKeepAliveMs: keepAlive * 1000,
      desyncMode: desyncModeOf(row.attributes["routing.http.desync_mitigation_mode"]),
      xffMode: (row.attributes["routing.http.xff_header_processing.mode"] ??
        "append") as LoadBalancerConfig["xffMode"],
      dropInvalidHeaders: row.attributes["routing.http.drop_invalid_header_fields.enabled"] === "true",
      accessLogs: row.attributes["access_logs.s3.enabled"] === "true",
      http2Enabled: row.attributes["routing.http2.enabled"] !== "false",
      webAcl: webAcls.get(row.arn),
    });
  }

  const usage = new Map<string, Set<string>>();
  for (const row of data.actionTargetGroups) {
    const set = usage.get(row.targetGroupArn) ?? new Set<string>();
    set.add(row.loadBalancerArn);
    usage.set(row.targetGroupArn, set);
  }

  const targetsByGroup = new Map<string, TargetConfig[]>();
  for (const row of data.targets) {
    const host = /^i-[0-9a-f]+$/.test(row.targetId) ? instanceHosts.get(row.targetId) : row.targetId;
    if (host === undefined) continue; // an instance target whose instance has no address yet
    const list = targetsByGroup.get(row.targetGroupArn) ?? [];
    list.push({
      key: `${row.targetId}:${row.port}`,
      id: row.targetId,
      port: row.port,
      host,
      state: row.state,
      reason: row.reason,
      description: row.description,
      registeredAt: row.registeredAt,
      drainDeadline: row.drainDeadline,
    });
    targetsByGroup.set(row.targetGroupArn, list);
  }

  const targetGroups = new Map<string, TargetGroupConfig>();
  for (const row of data.targetGroups) {
    const a = row.attributes;
    const stickinessOn = a["stickiness.enabled"] === "true";
    targetGroups.set(row.arn, {
      arn: row.arn,
      name: row.name,
      dimension: targetGroupDimension(row.arn),
      protocol: row.protocol,
      port: row.port,
      attributes: a,
      healthCheck: row.healthCheck,
      // The api checked the matcher (ALB: 200-499, NLB: up to 599); what is stored must not fail the load.
      healthy: compileStoredMatcher(row.healthCheck.matcher.httpCode),
      algorithm: a["load_balancing.algorithm.type"] ?? "round_robin",
      slowStartSeconds: Number(a["slow_start.duration_seconds"] ?? "0"),
      deregistrationDelaySeconds: Number(a["deregistration_delay.timeout_seconds"] ?? "300"),
      stickiness: !stickinessOn
        ? { type: "none" }
        : a["stickiness.type"] === "app_cookie"
          ? {
              type: "app_cookie",
              cookieName: a["stickiness.app_cookie.cookie_name"] ?? "",
              durationSeconds: Number(a["stickiness.app_cookie.duration_seconds"] ?? "86400"),
            }
          : {
              type: "lb_cookie",
              durationSeconds: Number(a["stickiness.lb_cookie.duration_seconds"] ?? "86400"),
            },
      targets: targetsByGroup.get(row.arn) ?? [],
      loadBalancerArns: usage.get(row.arn) ?? new Set(),
    });
  }

  const rulesByListener = new Map<string, CompiledRule[]>();
  for (const row of data.rules) {
    const list = rulesByListener.get(row.listenerArn) ?? [];
    const action = row.actions[row.actions.length - 1];
    if (!action) continue;
    list.push({ arn: row.arn, priority: row.priority, matches: compileConditions(row.conditions), action });
    rulesByListener.set(row.listenerArn, list);
  }

  const tlsByListener = loadListenerTls(data);
  const listeners = new Map<number, ListenerConfig>();
  for (const row of data.listeners) {
    const rules = (rulesByListener.get(row.arn) ?? []).sort(
      (a, b) => (a.priority ?? Number.MAX_SAFE_INTEGER) - (b.priority ?? Number.MAX_SAFE_INTEGER),
    );
    listeners.set(row.port, {
      arn: row.arn,
      port: row.port,
      protocol: row.protocol,
      protocolLower: row.protocol.toLowerCase(),
      loadBalancerArn: row.loadBalancerArn,
      rules,
      tls: tlsByListener.get(row.arn),
      alpnPolicy: row.alpnPolicy,
      attributes: row.attributes,
    });
  }

  return { version, loadBalancers, listeners, targetGroups };
}
