import { defaultPartition, type Limits, limitsFor, type Partition } from "@scaleout/core";
import { bumpConfigVersion, type Db, type Tx, writeTransaction } from "@scaleout/db";
import { type StartedActivity, takeStartedActivities } from "./activity-starts.ts";
import { type CertificateAuthority, createCertificateAuthority } from "./certificate-authority.ts";
import type { PortProbe } from "./port-probe.ts";
import type { WafStateReader } from "./waf-sampled.ts";

/**
 * What the control plane tells the outside world after a change has committed. The api implements it
 * with Redis (pub/sub for the version, BullMQ for jobs); tests may record the calls.
 */
export interface ChangeEvents {
  /** A configuration change committed as `version`. */
  configChanged(version: number): void;
  /** A group's desired capacity or membership changed: reconcile it. */
  groupChanged(groupName: string, reason: string): void;
  /** An alarm action names a scaling policy: run it (SetAlarmState from the API). */
  policyInvoked(invocation: PolicyInvocation): void;
  /**
   * An event as EventBridge delivers it (lifecycle actions, instance refreshes, ...), for the events
   * stream (`GET /v1/events`) that a user's test can follow.
   */
  published(event: PlatformEvent): void;
  /** A scaling activity started (its row committed); for the log's one line per start. */
  activityStarted?(activity: StartedActivity): void;
}

/**
 * An EventBridge event: what its `detail-type`, `source`, `resources` and `detail` carry. The publisher
 * adds `version`, `id`, `account`, `region` and `time`.
 */
export interface PlatformEvent {
  "detail-type": string;
  source: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface PolicyInvocation {
  policyArn: string;
  alarmName: string;
  alarmState: string;
  triggeredAt: string;
  metricValue?: number;
  breachThreshold?: number;
}

export interface ServiceContext {
  db: Db;
  partition: Partition;
  limits: Limits;
  events: ChangeEvents;
  /** Unix milliseconds; injectable so tests can move time. */
  now(): number;
  /** Whether the proxy could bind a listener port (port-probe.ts); by default every port could. */
  portProbe: PortProbe;
  /**
   * The local certificate authority of RequestCertificate, kept in the data directory (server.ts); by
   * default one in memory, made on first use. Shared by the per-region copies of a context.
   */
  certificateAuthority: CertificateAuthority;
  /** Where WAF's data-plane state (sampled requests, managed keys) is read; none by default (waf-sampled.ts). */
  wafState?: WafStateReader;
}

export function createContext(db: Db, overrides: Partial<Omit<ServiceContext, "db">> = {}): ServiceContext {
  const now = overrides.now ?? Date.now;
  return {
    db,
    partition: overrides.partition ?? defaultPartition,
    limits: overrides.limits ?? limitsFor(false),
    events: overrides.events ?? {
      configChanged() {},
      groupChanged() {},
      policyInvoked() {},
      published() {},
    },
    now,
    portProbe: overrides.portProbe ?? (() => undefined),
    certificateAuthority: overrides.certificateAuthority ?? createCertificateAuthority(undefined, now),
    ...(overrides.wafState && { wafState: overrides.wafState }),
  };
}

/** What a mutation may ask to announce once its transaction has committed. */
export interface Announcements {
  groups: Array<{ name: string; reason: string }>;
  invocations: PolicyInvocation[];
  /** Events published once the change has committed (never for a change that rolled back). */
  events: PlatformEvent[];
}

/**
 * Runs `change` in one synchronous transaction that also bumps the configuration version, then, only
 * after the commit, announces the version and anything the change asked for. better-sqlite3
 * transactions must be synchronous: an async callback would commit before its awaits ran.
 */
export function mutate<T>(ctx: ServiceContext, change: (tx: Tx, announce: Announcements) => T): T {
  const announce: Announcements = { groups: [], invocations: [], events: [] };
  const { result, version, started } = writeTransaction(ctx.db, (tx) => {
    const result = change(tx, announce);
    return { result, version: bumpConfigVersion(tx), started: takeStartedActivities(tx) };
  });
  ctx.events.configChanged(version);
  for (const group of announce.groups) ctx.events.groupChanged(group.name, group.reason);
  for (const invocation of announce.invocations) ctx.events.policyInvoked(invocation);
  for (const event of announce.events) ctx.events.published(event);
  for (const activity of started) ctx.events.activityStarted?.(activity);
  return result;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
/** AWS's causes write times to the second: 2026-11-23T10:00:00Z. */
export const isoSeconds = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;
