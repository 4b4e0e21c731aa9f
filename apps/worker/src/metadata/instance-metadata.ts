import type { InstanceAwsAccess } from "@scaleout/compute";
import type { Settings } from "@scaleout/config";
import type { InstanceMetadataSource } from "@scaleout/services";
import type { Logger } from "../log.ts";
import { instanceAwsAccess } from "./access.ts";
import { createMetadataServer, type MetadataLimits } from "./server.ts";

/*
 * The worker's instance-metadata service: a port opened for each instance before it launches, the
 * ports of live instances opened again when a worker starts, and those of terminated instances closed
 * after each reconcile pass (sync). Closed on shutdown; the instances keep running and the next worker
 * serves them again on the same ports.
 */

export interface InstanceMetadata {
  /** Serves an instance on its port; rejects when the port cannot be bound. */
  open(instanceId: string, port: number): Promise<void>;
  /** The AWS variables of an instance whose metadata service listens on `port`. */
  access(instanceId: string, port: number): InstanceAwsAccess;
  /** Opens the ports of live instances and closes those of the rest (registry as truth). */
  sync(): Promise<void>;
  /** The instances served now, and their ports. */
  served(): Map<string, number>;
  close(): Promise<void>;
}

export function createInstanceMetadata(options: {
  source: InstanceMetadataSource;
  settings: Settings;
  log: Logger;
  limits?: Partial<MetadataLimits>;
}): InstanceMetadata {
  const { source, settings, log } = options;
  const server = createMetadataServer({
    identity: (instanceId) => source.identity(instanceId),
    log,
    ...(options.limits && { limits: options.limits }),
  });
  return {
    open: server.open,
    access: (instanceId, port) => instanceAwsAccess(settings, instanceId, port),
    async sync() {
      // Idempotent, so syncs of passes that end together may overlap.
      await server.sync(source.metadataPorts());
    },
    served: server.served,
    close: server.closeAll,
  };
}
