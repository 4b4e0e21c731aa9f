import { createDockerDriver, type DockerDriverOptions } from "./docker-driver.ts";
import { detectEngine } from "./docker-engine.ts";
import type { ComputeDriver } from "./driver.ts";
import type { PortAllocator } from "./port-allocator.ts";
import { createProcessDriver } from "./process-driver.ts";
import { createSwarmDriver } from "./swarm-driver.ts";

export * from "./container-usage.ts";
export * from "./docker-driver.ts";
export {
  createDockerEngine,
  type DockerEngine,
  detectEngine,
  type EngineKind,
  engineMessage,
} from "./docker-engine.ts";
export * from "./driver.ts";
export * from "./example-image.ts";
export * from "./instance-environment.ts";
export * from "./placement.ts";
export * from "./port-allocator.ts";
export * from "./process-driver.ts";
export * from "./swarm-driver.ts";
export { serviceName, swarmContainerLabel, swarmLabels } from "./swarm-service.ts";

export type DriverKind = "docker" | "process" | "swarm";

export interface CreateDriverOptions {
  /** The process driver's record directory; needed whenever the process driver may be chosen. */
  stateDir: string;
  /** The Docker engine's `unix://` address; default `DOCKER_HOST`, then `/var/run/docker.sock`. */
  dockerHost?: string;
  /** Default seconds between SIGTERM and SIGKILL on terminate. */
  graceSeconds?: number;
  /** This scaleout's installation id (readInstallationId): what the driver labels, lists and reaps. */
  installationId?: string;
  /** Where instance ports come from (the worker's avoids every port its registry knows). */
  ports?: PortAllocator;
}

/**
 * The compute driver to use: `kind` when given, else `SCALEOUT_COMPUTE` (`docker`, `swarm` or `process`),
 * else by what answers on the Docker socket: swarm when the engine is an active swarm manager, docker
 * when it is a plain engine, and the process driver when none answers.
 */
export async function createDriver(
  kind: DriverKind | undefined,
  options: CreateDriverOptions,
): Promise<ComputeDriver> {
  const chosen = kind ?? driverKindFromEnv() ?? (await detectKind(options.dockerHost));
  const common = {
    ...(options.graceSeconds !== undefined && { graceSeconds: options.graceSeconds }),
    ...(options.installationId !== undefined && { installationId: options.installationId }),
    ...(options.ports !== undefined && { ports: options.ports }),
  };
  if (chosen === "docker") {
    const dockerOptions: DockerDriverOptions = { ...common };
    if (options.dockerHost !== undefined) dockerOptions.host = options.dockerHost;
    return createDockerDriver(dockerOptions);
  }
  if (chosen === "swarm") {
    return createSwarmDriver({
      ...common,
      ...(options.dockerHost !== undefined && { host: options.dockerHost }),
    });
  }
  return createProcessDriver({ stateDir: options.stateDir, ...common });
}

/** What "auto" picks (no kind, no SCALEOUT_COMPUTE). */
export async function detectKind(dockerHost?: string): Promise<DriverKind> {
  const engine = await detectEngine(dockerHost !== undefined ? { host: dockerHost } : {});
  return engine === "swarm-manager" ? "swarm" : engine === "engine" ? "docker" : "process";
}

function driverKindFromEnv(): DriverKind | undefined {
  const value = process.env.SCALEOUT_COMPUTE?.trim();
  if (!value) return undefined;
  if (value === "docker" || value === "process" || value === "swarm") return value;
  throw new Error(`SCALEOUT_COMPUTE must be "docker", "swarm" or "process", got "${value}"`);
}
