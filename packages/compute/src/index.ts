import { createDockerDriver, type DockerDriverOptions, detectDocker } from "./docker-driver.ts";
import type { ComputeDriver } from "./driver.ts";
import { createProcessDriver } from "./process-driver.ts";

export * from "./docker-driver.ts";
export * from "./driver.ts";
export * from "./example-image.ts";
export * from "./instance-environment.ts";
export * from "./process-driver.ts";

export type DriverKind = "docker" | "process";

export interface CreateDriverOptions {
  /** The process driver's record directory; needed whenever the process driver may be chosen. */
  stateDir: string;
  /** The Docker engine's `unix://` address; default `DOCKER_HOST`, then `/var/run/docker.sock`. */
  dockerHost?: string;
  /** Default seconds between SIGTERM and SIGKILL on terminate. */
  graceSeconds?: number;
}

/**
 * The compute driver to use: `kind` when given, else `SCALEOUT_COMPUTE` (`docker` or `process`), else
 * docker when an engine answers on the socket and the process driver when none does.
 */
export async function createDriver(
  kind: DriverKind | undefined,
  options: CreateDriverOptions,
): Promise<ComputeDriver> {
  const chosen =
    kind ??
    driverKindFromEnv() ??
    ((await detectDocker({ host: options.dockerHost })) ? "docker" : "process");
  if (chosen === "docker") {
    const dockerOptions: DockerDriverOptions = {};
    if (options.dockerHost !== undefined) dockerOptions.host = options.dockerHost;
    if (options.graceSeconds !== undefined) dockerOptions.graceSeconds = options.graceSeconds;
    return createDockerDriver(dockerOptions);
  }
  return createProcessDriver({
    stateDir: options.stateDir,
    ...(options.graceSeconds !== undefined ? { graceSeconds: options.graceSeconds } : {}),
  });
}

function driverKindFromEnv(): DriverKind | undefined {
  const value = process.env.SCALEOUT_COMPUTE?.trim();
  if (!value) return undefined;
  if (value === "docker" || value === "process") return value;
  throw new Error(`SCALEOUT_COMPUTE must be "docker" or "process", got "${value}"`);
}
