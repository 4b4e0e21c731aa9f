import { nextHealth } from "@scaleout/core";
import type { DataPlane } from "./data-plane.ts";
import { checkTarget } from "./health-probe.ts";
import type { RegistryWriter } from "./registry-writer.ts";
import type { SystemResources } from "./resources.ts";
import type { TargetGroupRuntime, TargetState } from "./targets.ts";

interface HealthTimer {
  timer: NodeJS.Timeout;
  intervalMs: number;
}

/**
 * Health checks every target of each group in use on the group's interval, moves targets through ALB's
 * health states (packages/core `nextHealth`) and records each transition in the registry.
 */
export class HealthChecker {
  private readonly timers = new Map<string, HealthTimer>();
  /** `group|target` whose previous check is still waiting for its timeout. */
  private readonly checking = new Set<string>();
  private closing = false;

  constructor(
    private readonly resources: SystemResources,
    private readonly plane: DataPlane,
    private readonly registry: RegistryWriter,
    /** Hears each transition after it was recorded (the owner of several workers tells them all). */
    private readonly onTransition: (groupArn: string, target: TargetState) => void = () => {},
  ) {}

  /** Starts, re-times or stops each group's checks after a snapshot was applied. */
  sync(removed: readonly string[]): void {
    for (const arn of removed) this.stop(arn);
    for (const runtime of this.plane.groups.values()) this.schedule(runtime);
  }

  private schedule(runtime: TargetGroupRuntime): void {
    const config = runtime.config;
    const arn = config.arn;
    const active = config.healthCheck.healthCheckEnabled && config.loadBalancerArns.size > 0;
    if (!active) {
      this.stop(arn);
      return;
    }
    const intervalMs = config.healthCheck.healthCheckIntervalSeconds * 1000;
    const existing = this.timers.get(arn);
    if (existing && existing.intervalMs === intervalMs) {
      // New targets should not wait a whole interval for their first check. Only they are checked now:
      // re-checking the others early would count a booting target's refusals twice in one interval and
      // take it to unhealthy (and its group to replace it) before it had the threshold's time to start.
      const fresh = [...runtime.targets.values()].filter(
        (t) => t.state === "initial" && t.consecutivePasses + t.consecutiveFails === 0,
      );
      if (fresh.length > 0) void this.run(runtime, fresh);
      return;
    }
    this.stop(arn);
    const timer = setInterval(() => void this.run(runtime), intervalMs);
    timer.unref();
    this.timers.set(arn, { timer, intervalMs });
    void this.run(runtime);
  }

  private stop(arn: string): void {
    const existing = this.timers.get(arn);
    if (existing) clearInterval(existing.timer);
    this.timers.delete(arn);
  }

  /** One round of checks for a group; answers when every check of the round has settled. */
  async run(runtime: TargetGroupRuntime, only?: readonly TargetState[]): Promise<void> {
    if (this.closing) return;
    // Several proxies fed by one api: only the lease holder checks (its timers run in every proxy, cheap).
    if (!(this.resources.options.checksActive?.() ?? true)) return;
    const targets = (only ?? [...runtime.targets.values()]).filter((t) => t.state !== "draining");
    await Promise.all(
      targets.map(async (target) => {
        const key = `${runtime.config.arn}|${target.key}`;
        if (this.checking.has(key)) return;
        this.checking.add(key);
        try {
          const result = await checkTarget(runtime, target);
          // Deregistered or draining while the check ran: its result no longer matters.
          if (runtime.targets.get(target.key) !== target || target.state === "draining") return;
          const step = nextHealth(target, result, runtime.config.healthCheck);
          target.consecutivePasses = step.consecutivePasses;
          target.consecutiveFails = step.consecutiveFails;
          const transition = step.transition;
          if (!transition) return;
          const wasHealthy = target.state === "healthy";
          // A state change at info, once: the checker runs in one process (the owner, or the only one).
          // A new reason in the same state (initial → initial while the first checks fail) is debug.
          this.resources.log[transition.state === target.state ? "debug" : "info"](
            `target ${target.key} of ${runtime.config.arn.split("/")[1] ?? runtime.config.arn}: ${target.state} → ${transition.state}${transition.reason ? ` (${transition.reason})` : ""}`,
          );
          target.state = transition.state;
          target.reason = transition.reason;
          target.description = transition.description;
          if (transition.state === "healthy" && !wasHealthy) target.healthySince = this.resources.now();
          runtime.invalidate();
          this.registry.recordHealth(runtime.config.arn, target);
          this.onTransition(runtime.config.arn, target);
        } finally {
          this.checking.delete(key);
        }
      }),
    );
  }

  close(): void {
    this.closing = true;
    for (const arn of [...this.timers.keys()]) this.stop(arn);
  }
}
