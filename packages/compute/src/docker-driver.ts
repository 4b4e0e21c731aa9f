import { type ContainerStats, type CpuReading, containerUsage } from "./container-usage.ts";
import { createDockerEngine, engineFailure, engineMessage } from "./docker-engine.ts";
import {
  type ComputeDriver,
  LaunchError,
  type LaunchSpec,
  type RunningInstance,
  type RuntimeState,
  type UsageSample,
} from "./driver.ts";
import { awsInstanceEnvironment } from "./instance-environment.ts";
import { instanceLabels } from "./instance-labels.ts";
import { createPortAllocator, type PortAllocator } from "./port-allocator.ts";

export { DockerEngineError, detectDocker, dockerSocketPath } from "./docker-engine.ts";

const namePrefix = "scaleout-";

/** Container labels (instance-labels.ts). */
export const dockerLabels = instanceLabels;

export interface DockerDriverOptions {
  /** `unix:///path/docker.sock`; defaults to `DOCKER_HOST`, then `unix:///var/run/docker.sock`. */
  host?: string;
  /** Seconds between SIGTERM and SIGKILL when `terminate` is not given its own; default 2. */
  graceSeconds?: number;
  /**
   * The installation id (readInstallationId) every container is labelled with; the driver lists, adopts
   * and reaps only containers with it. Absent: unlabelled, and every scaleout container is listed (one
   * installation per engine, as before installation ids).
   */
  installationId?: string;
  /** Where ports for launches without a `hostPort` come from; default: free loopback ports. */
  ports?: PortAllocator;
}

interface ContainerState {
  Status?: string;
  Running?: boolean;
  ExitCode?: number;
  Error?: string;
  OOMKilled?: boolean;
  StartedAt?: string;
}

interface ContainerInspect {
  Id: string;
  State?: ContainerState;
  Config?: { Labels?: Record<string, string> | null; Env?: string[] | null };
  HostConfig?: { NanoCpus?: number };
}

interface ContainerSummary {
  Id: string;
  Labels?: Record<string, string> | null;
}

/**
 * The docker driver: one container per instance, through the Docker Engine API on the local socket.
 * It never pulls images (no registry is reachable): an image must exist locally.
 */
export function createDockerDriver(options: DockerDriverOptions = {}): ComputeDriver {
  const engine = createDockerEngine(options.host);
  const api = engine.call;
  const fail = engineFailure;
  const installationId = options.installationId;
  const ports = options.ports ?? createPortAllocator();
  const defaultGrace = options.graceSeconds ?? 2;
  // CPU percent is a delta between two readings; one-shot stats carry no previous reading of their own.
  const previousCpu = new Map<string, CpuReading>();
  const cpuLimits = new Map<string, number>();

  const containerName = (instanceId: string) => `${namePrefix}${instanceId}`;

  async function inspectContainer(nameOrId: string): Promise<ContainerInspect | undefined> {
    const response = await api("GET", `/containers/${encodeURIComponent(nameOrId)}/json`);
    if (response.statusCode === 404) return undefined;
    if (response.statusCode !== 200) fail(response);
    const container = response.body as ContainerInspect;
    // The name prefix alone could match a container someone else made; only labelled ones are ours.
    const labels = container.Config?.Labels ?? {};
    if (labels[dockerLabels.managed] !== "true") return undefined;
    // Another installation's (found by name: an instance id is random, so only a caller guessing ids
    // gets here). One without the label predates installation ids: it was this engine's only user's.
    const owner = labels[dockerLabels.installation];
    if (installationId !== undefined && owner !== undefined && owner !== installationId) return undefined;
    return container;
  }

  function toRunningInstance(container: ContainerInspect): RunningInstance | undefined {
    const labels = container.Config?.Labels ?? {};
    const instanceId = labels[dockerLabels.instanceId];
    const groupName = labels[dockerLabels.group];
    const launchTemplateId = labels[dockerLabels.launchTemplateId];
    if (!instanceId || groupName === undefined || launchTemplateId === undefined) return undefined;
    const state = container.State ?? {};
    const runtimeState = toRuntimeState(state.Status);
    const instance: RunningInstance = {
      instanceId,
      groupName,
      launchTemplateId,
      launchTemplateVersion: Number(labels[dockerLabels.launchTemplateVersion] ?? 0),
      ref: container.Id,
      state: runtimeState,
      address: "127.0.0.1",
      port: Number(labels[dockerLabels.hostPort] ?? portFromEnv(container.Config?.Env) ?? 0),
    };
    const startedAt = parseDockerTime(state.StartedAt);
    if (startedAt !== undefined) instance.startedAt = startedAt;
    if (runtimeState === "exited") {
      if (state.ExitCode !== undefined) instance.exitCode = state.ExitCode;
      const error = state.Error || (state.OOMKilled ? "OOMKilled" : "");
      if (error) instance.error = error;
    }
    return instance;
  }

  async function removeContainer(nameOrId: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const response = await api("DELETE", `/containers/${encodeURIComponent(nameOrId)}?force=true&v=true`);
      if (response.statusCode === 204 || response.statusCode === 404) return;
      // 409: another caller's removal is in progress; it is gone once that finishes.
      if (response.statusCode === 409 && attempt < 50) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      fail(response);
    }
  }

  async function launch(spec: LaunchSpec): Promise<RunningInstance> {
    if (!spec.image) {
      throw new LaunchError(
        "launch template has no image: the docker driver runs containers from a local image",
      );
    }
    const bridge = spec.networkMode === "bridge";
    const hostPort = spec.hostPort ?? (await ports.allocate());
    // Without a containerPort the app listens inside the container on the same number it is published on.
    const containerPort = bridge ? (spec.containerPort ?? hostPort) : hostPort;
    // The metadata service listens on the host's loopback: reachable with host networking (what scaleout
    // runs), not from a bridge network's own loopback (docs/aws-differences.md).
    const env: Record<string, string> = {
      ...(spec.aws && awsInstanceEnvironment(spec.aws)),
      ...spec.environment,
    };
    // In bridge mode published traffic arrives on the container's own interface, not its loopback; the
    // example app binds HOST when set. 0.0.0.0 here is inside the container's network namespace only.
    if (bridge && env.HOST === undefined) env.HOST = "0.0.0.0";
    env.SCALEOUT_INSTANCE_ID = spec.instanceId;
    env.PORT = String(containerPort);
    const portKey = `${containerPort}/tcp`;
    const body = {
      Image: spec.image,
      ...(spec.command && spec.command.length > 0 ? { Cmd: spec.command } : {}),
      Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
      Labels: {
        [dockerLabels.managed]: "true",
        [dockerLabels.group]: spec.groupName,
        [dockerLabels.instanceId]: spec.instanceId,
        [dockerLabels.launchTemplateId]: spec.launchTemplateId,
        [dockerLabels.launchTemplateVersion]: String(spec.launchTemplateVersion),
        [dockerLabels.hostPort]: String(hostPort),
        ...(installationId !== undefined && { [dockerLabels.installation]: installationId }),
      },
      ...(bridge ? { ExposedPorts: { [portKey]: {} } } : {}),
      HostConfig: {
        NetworkMode: bridge ? "bridge" : "host",
        // Published on loopback only: nothing outside this machine may reach an instance.
        ...(bridge
          ? { PortBindings: { [portKey]: [{ HostIp: "127.0.0.1", HostPort: String(hostPort) }] } }
          : {}),
        ...(spec.cpu !== undefined ? { NanoCpus: Math.round(spec.cpu * 1e9) } : {}),
        ...(spec.memoryMiB !== undefined ? { Memory: Math.round(spec.memoryMiB * 1024 * 1024) } : {}),
        // The reconciler replaces instances; the engine restarting them behind its back would confuse it.
        RestartPolicy: { Name: "no" },
      },
    };
    if (bridge) {
      // An engine without a bridge network (dockerd --bridge=none) still starts "bridge" containers, in a
      // network namespace of their own with nothing published: unreachable, so refuse up front.
      const network = await api("GET", "/networks/bridge");
      if (network.statusCode !== 200) {
        throw new LaunchError(`${engineMessage(network)}: this engine cannot run bridge mode; use host mode`);
      }
    }
    const name = containerName(spec.instanceId);
    const created = await api("POST", `/containers/create?name=${encodeURIComponent(name)}`, body);
    if (created.statusCode !== 201) throw new LaunchError(engineMessage(created));
    const id = (created.body as { Id: string }).Id;

    const started = await api("POST", `/containers/${id}/start`);
    if (started.statusCode !== 204 && started.statusCode !== 304) {
      // A container that never started is no instance: leave nothing behind for list() to report.
      await removeContainer(id).catch(() => undefined);
      throw new LaunchError(engineMessage(started));
    }
    cpuLimits.set(spec.instanceId, spec.cpu ?? 0);
    previousCpu.delete(spec.instanceId);

    const container = await inspectContainer(id);
    const instance = container && toRunningInstance(container);
    if (!instance) throw new LaunchError(`container ${name} disappeared right after it started`);
    return instance;
  }

  async function terminate(
    instanceId: string,
    terminateOptions: { graceSeconds?: number } = {},
  ): Promise<void> {
    const grace = Math.max(0, Math.ceil(terminateOptions.graceSeconds ?? defaultGrace));
    const container = await inspectContainer(containerName(instanceId));
    previousCpu.delete(instanceId);
    cpuLimits.delete(instanceId);
    if (!container) return;
    const stopped = await api("POST", `/containers/${container.Id}/stop?t=${grace}`);
    // 304: already stopped; 404: removed meanwhile. Either way removal below settles it.
    if (stopped.statusCode !== 204 && stopped.statusCode !== 304 && stopped.statusCode !== 404) fail(stopped);
    await removeContainer(container.Id);
  }

  async function list(groupName?: string): Promise<RunningInstance[]> {
    const labelFilters = [`${dockerLabels.managed}=true`];
    if (installationId !== undefined) labelFilters.push(`${dockerLabels.installation}=${installationId}`);
    if (groupName !== undefined) labelFilters.push(`${dockerLabels.group}=${groupName}`);
    const filters = encodeURIComponent(JSON.stringify({ label: labelFilters }));
    const response = await api("GET", `/containers/json?all=true&filters=${filters}`);
    if (response.statusCode !== 200) fail(response);
    const summaries = response.body as ContainerSummary[];
    // The summary has no exit code, error or start time; inspect gives all of them.
    const containers = await Promise.all(summaries.map((summary) => inspectContainer(summary.Id)));
    const instances: RunningInstance[] = [];
    for (const container of containers) {
      // Undefined: removed between the listing and the inspection.
      const instance = container && toRunningInstance(container);
      if (instance) instances.push(instance);
    }
    return instances;
  }

  async function inspect(instanceId: string): Promise<RunningInstance | undefined> {
    const container = await inspectContainer(containerName(instanceId));
    return container && toRunningInstance(container);
  }

  async function sample(instanceId: string): Promise<UsageSample | undefined> {
    let limit = cpuLimits.get(instanceId);
    if (limit === undefined) {
      // Adopted from an earlier worker: the allowance lives on the container.
      const container = await inspectContainer(containerName(instanceId));
      if (!container) return undefined;
      limit = (container.HostConfig?.NanoCpus ?? 0) / 1e9;
      cpuLimits.set(instanceId, limit);
    }
    const response = await api(
      "GET",
      `/containers/${encodeURIComponent(containerName(instanceId))}/stats?stream=false&one-shot=true`,
    );
    if (response.statusCode === 404) {
      previousCpu.delete(instanceId);
      cpuLimits.delete(instanceId);
      return undefined;
    }
    if (response.statusCode !== 200) fail(response);
    const usage = containerUsage(response.body as ContainerStats, previousCpu.get(instanceId), limit);
    // A stopped container answers with empty readings: there is nothing to sample.
    if (!usage) {
      previousCpu.delete(instanceId);
      return undefined;
    }
    previousCpu.set(instanceId, usage.reading);
    return usage.sample;
  }

  async function park(
    instanceId: string,
    parkOptions: { graceSeconds?: number; keepMemory?: boolean } = {},
  ): Promise<void> {
    const grace = Math.max(0, Math.ceil(parkOptions.graceSeconds ?? defaultGrace));
    const container = await inspectContainer(containerName(instanceId));
    if (!container) throw new LaunchError(`container ${containerName(instanceId)} does not exist`);
    if (parkOptions.keepMemory) {
      // Frozen with its memory (the cgroup freezer), as hibernation keeps an instance's RAM.
      const paused = await api("POST", `/containers/${container.Id}/pause`);
      if (paused.statusCode !== 204) fail(paused);
      previousCpu.delete(instanceId);
      return;
    }
    // Stopped, not removed: a stopped EC2 instance keeps its volume, and `resume` starts this container.
    const stopped = await api("POST", `/containers/${container.Id}/stop?t=${grace}`);
    if (stopped.statusCode !== 204 && stopped.statusCode !== 304) fail(stopped);
    previousCpu.delete(instanceId);
  }

  async function resume(instanceId: string): Promise<RunningInstance> {
    const container = await inspectContainer(containerName(instanceId));
    if (!container) throw new LaunchError(`container ${containerName(instanceId)} does not exist`);
    // 304: already running (a Running pool's instance, or a resume repeated after a crash).
    const paused = container.State?.Status === "paused";
    const started = await api("POST", `/containers/${container.Id}/${paused ? "unpause" : "start"}`);
    if (started.statusCode !== 204 && started.statusCode !== 304)
      throw new LaunchError(engineMessage(started));
    previousCpu.delete(instanceId);
    const after = await inspectContainer(container.Id);
    const instance = after && toRunningInstance(after);
    if (!instance) throw new LaunchError(`container ${containerName(instanceId)} disappeared as it started`);
    return instance;
  }

  return {
    name: "docker",
    launch,
    terminate,
    list,
    inspect,
    sample,
    park,
    resume,
    async close() {
      await engine.close();
    },
  };
}

function toRuntimeState(status: string | undefined): RuntimeState {
  switch (status) {
    case "running":
      return "running";
    // Frozen by park (a Hibernated warm pool): it serves nothing until resumed.
    case "paused":
      return "stopped";
    case "created":
    case "restarting":
      return "starting";
    case "exited":
    case "dead":
    case "removing":
      return "exited";
    default:
      return "missing";
  }
}

function parseDockerTime(value: string | undefined): number | undefined {
  // Never-started containers carry Go's zero time.
  if (!value || value.startsWith("0001-")) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function portFromEnv(env: string[] | null | undefined): number | undefined {
  const entry = env?.find((item) => item.startsWith("PORT="));
  return entry ? Number(entry.slice("PORT=".length)) : undefined;
}
