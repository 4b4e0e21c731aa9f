import { collectDefaultMetrics, Registry } from "prom-client";

/** prom-client's default metrics (CPU, memory, event loop lag, GC) of this process under a `process` label. */
export function processRegistry(name: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ process: name });
  collectDefaultMetrics({ register: registry });
  return registry;
}
