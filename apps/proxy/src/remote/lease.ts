import { leaseRenewalMs } from "@scaleout/core";
import type { ApiClient } from "./api-client.ts";

const isLeaseAnswer = (value: unknown): value is { held: boolean; ttlMs: number } =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { held?: unknown }).held === "boolean" &&
  Number.isSafeInteger((value as { ttlMs?: unknown }).ttlMs) &&
  (value as { ttlMs: number }).ttlMs > 0;

/**
 * This proxy's side of the health-check lease (core proxy-lease.ts): asks the api three times a lease,
 * and counts itself the holder only while its last granted lease, counted from when it asked, runs.
 * So an api that stops answering ends this proxy's checks before the api could grant the lease again.
 */
export class LeaseKeeper {
  private heldUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private holding = false;
  private closed = false;

  constructor(
    private readonly client: ApiClient,
    private readonly proxy: string,
    private readonly log: Pick<Console, "info" | "warn">,
    private readonly now: () => number = Date.now,
    /** Before the api has named the lease's length. */
    private intervalMs = 1000,
  ) {}

  held(): boolean {
    const held = this.now() < this.heldUntil;
    if (held !== this.holding) {
      this.holding = held;
      this.log.info(
        held
          ? "holding the health-check lease: this proxy runs the checks"
          : "not holding the health-check lease: routing on the api's health",
      );
    }
    return held;
  }

  start(): void {
    void this.ask();
  }

  /** Gives the lease up (a clean stop), so another proxy takes over without waiting for expiry. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const was = this.now() < this.heldUntil;
    this.heldUntil = 0;
    if (was) await this.client.post("v1/proxy/lease", { proxy: this.proxy, release: true }).catch(() => {});
  }

  private async ask(): Promise<void> {
    const askedAt = this.now();
    try {
      const answer = await this.client.post("v1/proxy/lease", { proxy: this.proxy });
      if (isLeaseAnswer(answer)) {
        this.heldUntil = answer.held ? askedAt + answer.ttlMs : 0;
        this.intervalMs = leaseRenewalMs(answer.ttlMs);
      }
    } catch {
      // The api is down or refuses: the lease runs out on its own (held() counts from askedAt).
    }
    this.held();
    if (this.closed) return;
    this.timer = setTimeout(() => void this.ask(), this.intervalMs);
    this.timer.unref();
  }
}
