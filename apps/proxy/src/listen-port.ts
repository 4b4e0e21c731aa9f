import type { ListenOptions, Server } from "node:net";
import type { SystemResources } from "./resources.ts";
import type { ListenerConfig } from "./snapshot.ts";

/** What a listener's binding records of its port: bound, or failed and why (the load balancer's reason). */
export interface PortState {
  state: "binding" | "bound" | "failed";
  reason: string | null;
}

/**
 * Binds a listener's server to its port, HTTP (listeners.ts) and layer 4 (l4/l4-listeners.ts) alike:
 * resolves once bound or failed, never rejects. A port lost after binding closes the server and calls
 * `lost`, so the load balancer says so now and the next reload binds again.
 */
export function listenOnPort(
  server: Server,
  binding: PortState,
  listener: ListenerConfig,
  resources: SystemResources,
  events: { lost: () => void; bound?: (host: string) => void },
): Promise<void> {
  const port = listener.port;
  const host = resources.options.bindHost;
  return new Promise((resolve) => {
    server.on("error", (error: NodeJS.ErrnoException) => {
      const wasBound = binding.state === "bound";
      binding.state = "failed";
      binding.reason = `Listener on port ${port} cannot ${wasBound ? "serve" : "bind"} ${host}:${port}: ${error.code ?? error.message}`;
      resources.log.error(`listener ${listener.arn}: ${binding.reason}`);
      if (wasBound) {
        server.close();
        events.lost();
      }
      resolve();
    });
    // reusePort: every worker process binds the port itself and the kernel spreads connections
    // (SO_REUSEPORT; Node >= 22.12 binds it in the worker, bypassing the cluster primary); cluster's
    // sharing otherwise.
    const options: ListenOptions & { reusePort?: boolean } = { port, host };
    if (resources.options.reusePort) options.reusePort = true;
    server.listen(options, () => {
      binding.state = "bound";
      events.bound?.(host);
      resolve();
    });
  });
}

/**
 * The one info line a listener's binding logs once bound (`listener bound: TCP 127.0.0.1:8080 (load
 * balancer web)`), HTTP and layer 4 alike, UDP sides with `/udp`; debug when listeners are not announced.
 */
export function announceBound(
  resources: SystemResources,
  listener: ListenerConfig,
  host: string,
  suffix = "",
): void {
  const name = listener.loadBalancerArn.split("/")[2] ?? listener.loadBalancerArn;
  resources.log[resources.options.announceListeners === false ? "debug" : "info"](
    `listener bound: ${listener.protocol} ${host}:${listener.port}${suffix} (load balancer ${name})`,
  );
}
