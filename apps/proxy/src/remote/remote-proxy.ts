import { udpFlowIdleSeconds } from "@scaleout/core";
import type { RegistryData } from "@scaleout/db";
import type { AccessLog } from "../access-log.ts";
import { LoadBalancerProxy } from "../proxy.ts";
import { ApiClient } from "./api-client.ts";
import { apiSource } from "./api-source.ts";
import { ApiRegistryWriter } from "./api-writer.ts";
import { followChanges } from "./change-stream.ts";
import { LeaseKeeper } from "./lease.ts";
import { checkRegistryData } from "./registry-data-check.ts";

export interface RemoteProxyOptions {
  api: string;
  token?: string | undefined;
  /** Where listeners bind (this host's address, or 0.0.0.0). */
  bindHost: string;
  /** This proxy's id at the api (the lease, reports); unique among the proxies of one api. */
  id: string;
  fast: boolean;
  accessLog: AccessLog;
  log: Pick<Console, "debug" | "info" | "warn" | "error">;
  /** Bind listeners with SO_REUSEPORT, so several proxies on one host share each port. */
  reusePort?: boolean;
  workerHeader?: boolean;
}

/**
 * A proxy fed by the api instead of the SQLite file (`scaleout proxy --api`): the snapshot from GET
 * /v1/proxy/snapshot, reloaded when the change stream names a new version; health from its own checks
 * while it holds the lease, else from the stream; its writes through POST /v1/proxy/reports. When the api
 * is away it keeps serving its last configuration and catches up when it returns.
 */
export class RemoteProxy {
  readonly proxy: LoadBalancerProxy;
  private readonly lease: LeaseKeeper;
  private readonly writer: ApiRegistryWriter;
  private readonly client: ApiClient;
  private stream: { close(): void } | undefined;
  private running = false;
  private again = false;
  /** The version the stream last named: a reload that lands on an older one (a race) goes again. */
  private announced = -1;
  private retry: NodeJS.Timeout | undefined;
  /** The newest snapshot the stream pushed, until a reload takes it. */
  private pushed: RegistryData | undefined;
  private closing = false;

  constructor(private readonly options: RemoteProxyOptions) {
    this.client = new ApiClient({ url: options.api, token: options.token });
    this.lease = new LeaseKeeper(this.client, options.id, options.log);
    this.writer = new ApiRegistryWriter(this.client, options.id, options.log);
    this.proxy = new LoadBalancerProxy({
      bindHost: options.bindHost,
      accessLog: options.accessLog,
      log: options.log,
      source: apiSource(this.client, () => {
        const data = this.pushed;
        this.pushed = undefined;
        return data;
      }),
      writer: this.writer,
      checksActive: () => this.lease.held(),
      reusePort: options.reusePort ?? false,
      workerHeader: options.workerHeader ?? false,
      udpIdleTimeoutMs: udpFlowIdleSeconds(options.fast) * 1000,
      wafSink: (batch) => this.writer.recordWaf(batch),
    });
  }

  async start(): Promise<void> {
    // The first snapshot may not come (the api is down): the stream's hello brings it when it is up.
    await this.proxy.start();
    this.lease.start();
    this.stream = followChanges(
      this.client,
      {
        hello: (version, health) => {
          this.announced = version;
          this.proxy.applyHealth(health);
          // A snapshot follows the hello unless the registry is large: then it is fetched.
          setTimeout(() => {
            if (this.proxy.version !== this.announced) void this.reload();
          }, 100).unref();
        },
        version: (version) => {
          this.announced = version;
          if (version !== this.proxy.version) void this.reload();
        },
        snapshot: (value) => {
          const data = checkRegistryData(value);
          if (typeof data === "string") {
            this.options.log.warn(
              `the api pushed a snapshot this proxy cannot use (${data}); keeping the last`,
            );
            return;
          }
          this.announced = Math.max(this.announced, data.version);
          if (data.version === this.proxy.version) return;
          this.pushed = data;
          void this.reload();
        },
        health: (_seq, entries) => this.proxy.applyHealth(entries),
      },
      { log: this.options.log, proxy: this.options.id },
    );
  }

  get version(): number {
    return this.proxy.version;
  }

  /**
   * One reload at a time; a notice during a reload schedules exactly one more. A reload that fails (the
   * api went away between the notice and the fetch) tries again shortly, while the last snapshot serves.
   */
  private async reload(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    let ok = true;
    try {
      for (let round = 0; round < 3; round++) {
        this.again = false;
        ok = await this.proxy.reload();
        if (!ok || !(this.again || this.proxy.version < this.announced)) break;
      }
    } finally {
      this.running = false;
    }
    if ((!ok || this.proxy.version < this.announced) && !this.closing && !this.retry) {
      this.retry = setTimeout(() => {
        this.retry = undefined;
        void this.reload();
      }, 500);
      this.retry.unref();
    }
  }

  async close(graceMs = 10_000): Promise<void> {
    this.closing = true;
    clearTimeout(this.retry);
    this.stream?.close();
    await this.lease.close();
    await this.proxy.close(graceMs);
    await this.writer.close();
  }
}
