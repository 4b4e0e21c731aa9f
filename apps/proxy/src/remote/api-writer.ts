import type { Sample } from "@scaleout/core";
import type { WafSampleBatch } from "@scaleout/queue";
import {
  logLoadBalancerState,
  type RegistryWriter,
  type TargetHealthRow,
  type TargetKey,
} from "../registry-writer.ts";
import { type ApiClient, ApiError } from "./api-client.ts";

type Ref = { targetGroupArn: string; id: string; port: number };

/** Metric samples held while the api is away, at most (a few minutes of a busy proxy); older ones go. */
const maxPendingSamples = 50_000;

/**
 * A proxy fed by the api writes through it (POST /v1/proxy/reports) rather than through Redis: one
 * authenticated door to secure beyond loopback, and the api validates what it is sent. Writes are
 * queued and sent one report at a time: health at once (the other proxies route on it), the rest with
 * it or within a quarter second. While the api is away they wait (health and state: the latest per
 * target; samples: up to a bound), so each method answers true once its write is queued.
 */
export class ApiRegistryWriter implements RegistryWriter {
  private health = new Map<string, Ref & Omit<TargetHealthRow, "id" | "port"> & { healthySince?: number }>();
  private drained = new Map<string, Ref & { at: number }>();
  private removed = new Map<string, Ref>();
  private states = new Map<string, { arn: string; state: string; reason: string | null }>();
  private samples: Sample[] = [];
  /** WAF's sampled requests, populations and managed keys since the last report (dropped if the api is away). */
  private waf: WafSampleBatch | undefined;
  /** The last state sent of each load balancer: its line is logged once a change. */
  private readonly sentStates = new Map<string, string>();
  private sending = false;
  private timer: NodeJS.Timeout | undefined;
  private retryMs = 250;
  private closed = false;

  constructor(
    private readonly client: ApiClient,
    private readonly proxy: string,
    private readonly log: Pick<Console, "info" | "warn">,
  ) {}

  recordHealth(groupArn: string, target: TargetHealthRow & { healthySince?: number }): boolean {
    this.health.set(`${groupArn}|${target.id}:${target.port}`, {
      targetGroupArn: groupArn,
      id: target.id,
      port: target.port,
      state: target.state,
      reason: target.reason,
      description: target.description,
      ...(target.healthySince !== undefined && { healthySince: target.healthySince }),
    });
    this.flushSoon(0);
    return true;
  }

  markTargetDrained(groupArn: string, target: TargetKey, at: number): boolean {
    this.drained.set(`${groupArn}|${target.id}:${target.port}`, {
      targetGroupArn: groupArn,
      ...ref(target),
      at,
    });
    this.flushSoon(0);
    return true;
  }

  deleteDrainedTarget(groupArn: string, target: TargetKey): boolean {
    this.removed.set(`${groupArn}|${target.id}:${target.port}`, { targetGroupArn: groupArn, ...ref(target) });
    this.flushSoon(0);
    return true;
  }

  recordLoadBalancerState(arn: string, state: string, reason: string | null): boolean {
    this.states.set(arn, { arn, state, reason });
    this.flushSoon(0);
    return true;
  }

  recordSamples(samples: Sample[]): boolean {
    if (samples.length === 0) return true;
    this.samples.push(...samples);
    if (this.samples.length > maxPendingSamples)
      this.samples.splice(0, this.samples.length - maxPendingSamples);
    this.flushSoon(250);
    return true;
  }

  /** WAF's second of sampled requests (the local proxy writes them to Redis; this one sends them). */
  recordWaf(batch: WafSampleBatch): void {
    if (batch.samples.length === 0 && batch.population.length === 0 && batch.managedKeys.length === 0) return;
    const waiting = this.waf ?? { samples: [], population: [], managedKeys: [] };
    // Managed keys are a view, the newest replaces; samples are bounded as AWS keeps 100 a minute.
    this.waf = {
      samples: [...waiting.samples, ...batch.samples].slice(-5000),
      population: [...waiting.population, ...batch.population].slice(-5000),
      managedKeys: batch.managedKeys.length > 0 ? batch.managedKeys : waiting.managedKeys,
    };
    this.flushSoon(250);
  }

  /** Sends what waits, once (the proxy is stopping). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    if (!this.sending) await this.flush();
  }

  private flushSoon(ms: number): void {
    if (this.timer || this.sending || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    const health = [...this.health.values()];
    const drained = [...this.drained.values()];
    const removed = [...this.removed.values()];
    const states = [...this.states.values()];
    const samples = this.samples.slice(0, 10_000);
    const waf = this.waf;
    if (health.length + drained.length + removed.length + states.length + samples.length === 0 && !waf)
      return;
    this.waf = undefined;
    this.health = new Map();
    this.drained = new Map();
    this.removed = new Map();
    this.states = new Map();
    this.samples = this.samples.slice(samples.length);
    this.sending = true;
    const report = {
      proxy: this.proxy,
      ...(health.length > 0 && { health }),
      ...(drained.length > 0 && { drained }),
      ...(removed.length > 0 && { removed }),
      ...(states.length > 0 && { loadBalancerStates: states }),
      ...(samples.length > 0 && { samples }),
      ...(waf && { waf }),
    };
    let failed = false;
    try {
      await this.client.post("v1/proxy/reports", report);
      this.retryMs = 250;
      for (const s of states) {
        const key = `${s.state}|${s.reason ?? ""}`;
        if (this.sentStates.get(s.arn) !== key) logLoadBalancerState(this.log, s.arn, s.state, s.reason);
        this.sentStates.set(s.arn, key);
      }
    } catch (error) {
      // 409: the lease moved on; this proxy's health no longer counts (the new holder checks). The rest goes again.
      const lostLease = error instanceof ApiError && error.status === 409;
      // 400: the api refuses the report as it is (another version, say): sending it again would not help.
      const refused = error instanceof ApiError && error.status === 400;
      if (refused) this.log.warn(`the api refused this proxy's report: ${error.message}`);
      else {
        failed = !lostLease;
        this.requeue(lostLease ? [] : health, drained, removed, states, samples);
        if (lostLease) this.retryMs = 0;
      }
    } finally {
      this.sending = false;
    }
    if (this.closed) return;
    if (failed) {
      this.retryMs = Math.min(this.retryMs * 2, 5000);
      this.flushSoon(this.retryMs);
    } else if (
      this.health.size + this.drained.size + this.removed.size + this.states.size + this.samples.length >
      0
    )
      this.flushSoon(0);
  }

  /** What failed goes back, unless something newer of the same target or load balancer came meanwhile. */
  private requeue(
    health: ReturnType<typeof this.health.get>[],
    drained: Array<Ref & { at: number }>,
    removed: Ref[],
    states: Array<{ arn: string; state: string; reason: string | null }>,
    samples: Sample[],
  ): void {
    for (const h of health) {
      if (!h) continue;
      const key = `${h.targetGroupArn}|${h.id}:${h.port}`;
      if (!this.health.has(key)) this.health.set(key, h);
    }
    for (const d of drained) {
      const key = `${d.targetGroupArn}|${d.id}:${d.port}`;
      if (!this.drained.has(key)) this.drained.set(key, d);
    }
    for (const r of removed) {
      const key = `${r.targetGroupArn}|${r.id}:${r.port}`;
      if (!this.removed.has(key)) this.removed.set(key, r);
    }
    for (const s of states) if (!this.states.has(s.arn)) this.states.set(s.arn, s);
    this.samples = [...samples, ...this.samples].slice(-maxPendingSamples);
  }
}

const ref = (target: TargetKey) => ({ id: target.id, port: target.port });
