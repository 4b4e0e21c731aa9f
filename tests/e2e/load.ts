// Bounded loopback load: a fixed number of request loops against one URL on 127.0.0.1 that stop when
// asked or at their deadline, whichever comes first. Every answer is counted; anything but a 2xx that
// names the instance that served it is a failure, kept with its time and reason.

export interface Failure {
  at: number;
  url: string;
  status?: number;
  reason: string;
}

export interface Traffic {
  ok: number;
  failures: Failure[];
  /** Answers per instance id. */
  served: Map<string, number>;
  /** When each instance id served its first answer (Date.now()). */
  firstServed: Map<string, number>;
}

export function createTraffic(): Traffic {
  return { ok: 0, failures: [], served: new Map(), firstServed: new Map() };
}

export interface LoadOptions {
  url: string;
  concurrency: number;
  /** The loops stop by themselves after this long. */
  maxMs: number;
  /** A pause after each answer, per loop. */
  pauseMs?: number;
  /** Called with each answer's instance id. */
  onServed?: (instanceId: string, at: number) => void;
}

export interface Load {
  /** Resolves when every loop has stopped (asked to, or at the deadline). */
  done: Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function driveLoad(traffic: Traffic, options: LoadOptions): Load {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(options.url))
    throw new Error(`refusing to send load anywhere but loopback: ${options.url}`);
  let running = true;
  const deadline = Date.now() + options.maxMs;
  const loop = async () => {
    while (running && Date.now() < deadline) {
      try {
        const res = await fetch(options.url, { signal: AbortSignal.timeout(30_000) });
        const text = await res.text();
        const at = Date.now();
        let instanceId: string | undefined;
        try {
          instanceId = (JSON.parse(text) as { instanceId?: string }).instanceId;
        } catch {
          // not JSON: an error page of the load balancer
        }
        if (res.status < 200 || res.status > 299 || !instanceId) {
          traffic.failures.push({
            at,
            url: options.url,
            status: res.status,
            reason: `${res.status} ${text.slice(0, 200)}`,
          });
        } else {
          traffic.ok++;
          traffic.served.set(instanceId, (traffic.served.get(instanceId) ?? 0) + 1);
          if (!traffic.firstServed.has(instanceId)) traffic.firstServed.set(instanceId, at);
          options.onServed?.(instanceId, at);
        }
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        traffic.failures.push({
          at: Date.now(),
          url: options.url,
          reason: `${error instanceof Error ? error.message : String(error)}${cause ? ` (${cause.code ?? ""} ${cause.message ?? ""})` : ""}`,
        });
        await sleep(20);
      }
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency }, loop)).then(() => undefined);
  return {
    done,
    stop: async () => {
      running = false;
      await done;
    },
  };
}
