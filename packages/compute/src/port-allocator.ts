import { createServer } from "node:net";

/*
 * Ports for instances, allocated by the driver that runs them (issue 17): the reconciler asks for a
 * launch, and the driver answers where the instance listens. The docker, process and swarm drivers run
 * instances on host networking, so a port is one the host has free: bound on port 0 and released, as the
 * docker driver's callers did before, minus the ports the caller reserves (listener ports not yet bound,
 * metadata ports, other instances') and those handed out recently whose instance may not listen yet.
 */

export interface PortAllocatorOptions {
  /** Ports that must not be handed out (the worker: every port its registry knows). */
  reserved?: () => Iterable<number>;
  /** How long a handed-out port stays held for its instance to bind it; default 60 s. */
  holdMs?: number;
  now?: () => number;
}

export interface PortAllocator {
  /** A free port, none of `also` (the caller's own knowledge, such as the ports its instances publish). */
  allocate(also?: Iterable<number>): Promise<number>;
}

export function createPortAllocator(options: PortAllocatorOptions = {}): PortAllocator {
  const holdMs = options.holdMs ?? 60_000;
  const now = options.now ?? Date.now;
  const held = new Map<number, number>();
  return {
    async allocate(also = []) {
      const at = now();
      for (const [port, until] of held) if (until <= at) held.delete(port);
      const taken = new Set([...(options.reserved?.() ?? []), ...also, ...held.keys()]);
      for (let attempt = 0; attempt < 50; attempt++) {
        const port = await ephemeralPort();
        if (taken.has(port)) continue;
        held.set(port, at + holdMs);
        return port;
      }
      throw new Error("could not find a free port for a new instance in 50 attempts");
    },
  };
}

/** A port the kernel has free on loopback (bound on port 0, then released). */
function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === "object" && address !== null) resolve(address.port);
        else reject(new Error("no port bound"));
      });
    });
  });
}
