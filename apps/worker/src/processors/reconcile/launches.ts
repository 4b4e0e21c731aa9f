import { LaunchError, type LaunchSpec, placementFromEnvironment } from "@scaleout/compute";
import { freePort } from "@scaleout/queue";
import type { GroupSnapshot, InstanceRow, Launched, ResolvedLaunchTemplate } from "@scaleout/services";
import type { WorkerContext } from "../../context.ts";

/*
 * Launching: the ports new instances take, what the runtime is asked to start, and the back-off that
 * keeps a group whose launches the runtime refuses from trying again at once.
 */

interface Backoff {
  /** The launch template version the refusals were for: another one deserves a fresh try. */
  key: string;
  failures: number;
  notBefore: number;
}

export function createLauncher(ctx: WorkerContext) {
  const { registry, driver, log, timing, metadata } = ctx;
  const backoffs = new Map<string, Backoff>();

  /** Free loopback ports for `count` metadata services, none that an instance or a listener holds. */
  async function pickPorts(count: number): Promise<number[]> {
    const taken = registry.portsInUse();
    const ports: number[] = [];
    for (let attempt = 0; ports.length < count; attempt++) {
      if (attempt > count * 20) throw new Error("could not find free loopback ports for metadata services");
      const port = await freePort();
      if (taken.has(port)) continue;
      taken.add(port);
      ports.push(port);
    }
    return ports;
  }

  /**
   * Each instance's metadata service gets a loopback port of its own beside the instance's, recorded
   * before the runtime starts it, so that a restarted worker serves it on the same port. Taken here,
   * where every launch passes, rather than where launches are planned.
   */
  async function withMetadataPorts(rows: InstanceRow[]): Promise<InstanceRow[]> {
    const ports = await pickPorts(rows.filter((row) => row.metadataPort === null).length);
    return rows.map((row) => {
      if (row.metadataPort !== null) return row;
      const metadataPort = ports.shift();
      if (metadataPort === undefined) return row;
      registry.recordMetadataPort(row.id, metadataPort);
      return { ...row, metadataPort };
    });
  }

  function specFor(resolved: ResolvedLaunchTemplate, row: InstanceRow): LaunchSpec {
    const { version } = resolved;
    const placement = placementFromEnvironment(version.environment);
    return {
      instanceId: row.id,
      groupName: row.groupName,
      launchTemplateId: row.launchTemplateId,
      launchTemplateVersion: row.launchTemplateVersion,
      ...(version.image !== null && { image: version.image }),
      ...(version.command !== null && { command: version.command }),
      environment: placement.environment,
      ...(placement.constraints.length > 0 && { placementConstraints: placement.constraints }),
      networkMode: version.networkMode === "bridge" ? "bridge" : "host",
      // Rows planned before drivers allocated ports carry one; new rows leave it to the driver.
      ...(row.port !== null && { hostPort: row.port }),
      ...(version.containerPort !== null && { containerPort: version.containerPort }),
      ...(version.cpu !== null && { cpu: version.cpu }),
      ...(version.memoryMiB !== null && { memoryMiB: version.memoryMiB }),
      ...(row.metadataPort !== null && { aws: metadata.access(row.id, row.metadataPort) }),
    };
  }

  return {
    /** Stops and removes an instance's runtime (quietly when there is none). */
    async terminateRuntime(instanceId: string): Promise<void> {
      await driver.terminate(instanceId, { graceSeconds: timing.terminateGraceSeconds });
    },

    pickPorts,

    /** The back-off key of the template version a launch now uses. */
    backoffKey(snapshot: GroupSnapshot, resolved: ResolvedLaunchTemplate = snapshot.launchTemplate): string {
      const { template, version } = resolved;
      return `${template.id}:${version.version}`;
    },

    /** Milliseconds the group's launches still wait after refusals, or 0. */
    backingOff(groupName: string, key: string, now: number): number {
      const backoff = backoffs.get(groupName);
      if (!backoff || backoff.key !== key) return 0;
      return Math.max(0, backoff.notBefore - now);
    },

    forget(groupName: string): void {
      backoffs.delete(groupName);
    },

    /**
     * Launches Pending rows; a refusal fails the row's activity and backs the group off. `record` says
     * what a launch and a refusal write (the warm pool's launches record their own rows and activities).
     */
    async launchRows(
      snapshot: GroupSnapshot,
      pending: InstanceRow[],
      backoffKey: string,
      record: LaunchRecorder = { launched: registry.completeLaunch, failed: registry.failLaunch },
      /** The template version to launch (an instance refresh's replacements); the group's by default. */
      resolved: ResolvedLaunchTemplate = snapshot.launchTemplate,
    ) {
      let launched = 0;
      let failed = 0;
      const rows = await withMetadataPorts(pending);
      await Promise.all(
        rows.map(async (row) => {
          try {
            // Served before the instance starts: its first instruction may ask who it is.
            if (row.metadataPort !== null) {
              await metadata.open(row.id, row.metadataPort).catch((error: unknown) => {
                throw new LaunchError(
                  `could not open the instance metadata service on 127.0.0.1:${row.metadataPort}: ${error instanceof Error ? error.message : String(error)}`,
                );
              });
            }
            const instance = await driver.launch(specFor(resolved, row));
            record.launched(row.id, {
              ref: instance.ref,
              address: instance.address,
              port: instance.port,
            });
            launched++;
            log.info("instance launched", { group: row.groupName, instance: row.id, port: instance.port });
          } catch (error) {
            failed++;
            const reason = error instanceof Error ? error.message : String(error);
            // A launch that failed half-way (an engine error after the container was created) may have
            // left something behind; the row is not Terminated until it is gone.
            await driver
              .terminate(row.id, { graceSeconds: timing.terminateGraceSeconds })
              .catch(() => undefined);
            record.failed(row.id, reason);
            log.warn(error instanceof LaunchError ? "launch refused" : "launch failed", {
              group: row.groupName,
              instance: row.id,
              reason,
            });
          }
        }),
      );
      const group = snapshot.group.name;
      if (failed > 0) {
        const previous = backoffs.get(group);
        const failures = (previous?.key === backoffKey ? previous.failures : 0) + 1;
        const wait = Math.min(timing.launchBackoffMaxMs, timing.launchBackoffMs * 2 ** (failures - 1));
        backoffs.set(group, { key: backoffKey, failures, notBefore: Date.now() + wait });
        log.warn("launches back off", { group, failures, waitMs: wait });
      } else if (launched > 0) backoffs.delete(group);
      return { launched, failed };
    },
  };
}

export type Launcher = ReturnType<typeof createLauncher>;

/** What a launch writes to the registry once the runtime has answered. */
export interface LaunchRecorder {
  launched(instanceId: string, launched: Launched): void;
  failed(instanceId: string, reason: string): void;
}
