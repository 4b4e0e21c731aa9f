import { Agent, request } from "undici";
import {
  type ComputeDriver,
  LaunchError,
  type LaunchSpec,
  type RunningInstance,
  type RuntimeState,
  type UsageSample,
} from "./driver.ts";
import { awsInstanceEnvironment } from "./instance-environment.ts";

// Pinned so the engine answers with the shapes this file reads, whatever its own version (Debian's
// docker.io 20.10 speaks 1.41 at most).
const apiVersion = "/v1.41";
const defaultSocket = "/var/run/docker.sock";
const namePrefix = "scaleout-";

/** Container labels; a restarted worker finds its instances by them. */
export const dockerLabels = {
  managed: "scaleout.managed",
  group: "scaleout.group",
  instanceId: "scaleout.instance-id",
  launchTemplateId: "scaleout.launch-template-id",
  launchTemplateVersion: "scaleout.launch-template-version",
  hostPort: "scaleout.host-port",
} as const;

export interface DockerDriverOptions {
  /** `unix:///path/docker.sock`; defaults to `DOCKER_HOST`, then `unix:///var/run/docker.sock`. */
  host?: string;
  /** Seconds between SIGTERM and SIGKILL when `terminate` is not given its own; default 2. */
  graceSeconds?: number;
}

/** A Docker Engine API call that failed; `message` is the engine's. */
export class DockerEngineError extends Error {
  override name = "DockerEngineError";
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/** The socket path of a `unix://` Docker host (or of `DOCKER_HOST`, or the default socket). */
export function dockerSocketPath(host: string | undefined = process.env.DOCKER_HOST): string {
  if (!host) return defaultSocket;
  if (host.startsWith("unix://")) return host.slice("unix://".length);
  if (host.startsWith("/")) return host;
  // tcp:// engines may be remote; scaleout only talks to the local engine.
  throw new Error(`Unsupported Docker host ${host}: scaleout talks to a local engine over a unix:// socket`);
}

/** Resolves true when a Docker engine answers `/_ping` on the socket within `timeoutMs`. */
export async function detectDocker(options: { host?: string; timeoutMs?: number } = {}): Promise<boolean> {
  let socketPath: string;
  try {
    socketPath = dockerSocketPath(options.host ?? process.env.DOCKER_HOST);
  } catch {
    return false;
  }
  const agent = new Agent({ connect: { socketPath } });
  try {
    const response = await request(`http://docker${apiVersion}/_ping`, {
      dispatcher: agent,
      signal: AbortSignal.timeout(options.timeoutMs ?? 1_000),
    });
    const body = await response.body.text();
    return response.statusCode === 200 && body.trim() === "OK";
  } catch {
    return false;
  } finally {
    await agent.destroy().catch(() => undefined);
  }
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

interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

interface ContainerStats {
  read?: string;
  cpu_stats?: CpuStats;
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

interface CpuReading {
  containerCpu: number;
  systemCpu: number;
}

interface ApiResponse {
  statusCode: number;
  body: unknown;
}

/**
 * The docker driver: one container per instance, through the Docker Engine API on the local socket.
 * It never pulls images (no registry is reachable): an image must exist locally.
 */
export function createDockerDriver(options: DockerDriverOptions = {}): ComputeDriver {
  const socketPath = dockerSocketPath(options.host ?? process.env.DOCKER_HOST);
  const agent = new Agent({ connect: { socketPath } });
  const defaultGrace = options.graceSeconds ?? 2;
  // CPU percent is a delta between two readings; one-shot stats carry no previous reading of their own.
  const previousCpu = new Map<string, CpuReading>();
  const cpuLimits = new Map<string, number>();

  async function api(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<ApiResponse> {
    const response = await request(`http://docker${apiVersion}${path}`, {
      method,
      dispatcher: agent,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.body.text();
    let parsed: unknown = text;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        // Some endpoints (ping, errors from proxies) answer plain text; keep it as is.
      }
    }
    return { statusCode: response.statusCode, body: parsed };
  }

  function engineMessage(response: ApiResponse): string {
    const body = response.body;
    if (typeof body === "object" && body !== null && "message" in body && typeof body.message === "string") {
      return body.message;
    }
    if (typeof body === "string" && body.trim()) return body.trim();
    return `Docker engine answered HTTP ${response.statusCode}`;
  }

  function fail(response: ApiResponse): never {
    throw new DockerEngineError(engineMessage(response), response.statusCode);
  }

  const containerName = (instanceId: string) => `${namePrefix}${instanceId}`;

  async function inspectContainer(nameOrId: string): Promise<ContainerInspect | undefined> {
    const response = await api("GET", `/containers/${encodeURIComponent(nameOrId)}/json`);
    if (response.statusCode === 404) return undefined;
    if (response.statusCode !== 200) fail(response);
    const container = response.body as ContainerInspect;
    // The name prefix alone could match a container someone else made; only labelled ones are ours.
    if (container.Config?.Labels?.[dockerLabels.managed] !== "true") return undefined;
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
    // Without a containerPort the app listens inside the container on the same number it is published on.
    const containerPort = bridge ? (spec.containerPort ?? spec.hostPort) : spec.hostPort;
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
        [dockerLabels.hostPort]: String(spec.hostPort),
      },
      ...(bridge ? { ExposedPorts: { [portKey]: {} } } : {}),
      HostConfig: {
        NetworkMode: bridge ? "bridge" : "host",
        // Published on loopback only: nothing outside this machine may reach an instance.
        ...(bridge
          ? { PortBindings: { [portKey]: [{ HostIp: "127.0.0.1", HostPort: String(spec.hostPort) }] } }
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
    const stats = response.body as ContainerStats;
    const cpu = stats.cpu_stats;
    const containerCpu = cpu?.cpu_usage?.total_usage;
    const systemCpu = cpu?.system_cpu_usage;
    // A stopped container answers with empty readings: there is nothing to sample.
    if (containerCpu === undefined || systemCpu === undefined || systemCpu === 0) {
      previousCpu.delete(instanceId);
      return undefined;
    }
    const onlineCpus = cpu?.online_cpus || cpu?.cpu_usage?.percpu_usage?.length || 1;
    const previous = previousCpu.get(instanceId);
    previousCpu.set(instanceId, { containerCpu, systemCpu });
    let cpuPercent = 0;
    if (previous && systemCpu > previous.systemCpu && containerCpu >= previous.containerCpu) {
      // docker stats: share of all host CPU time, times the CPU count, so 100 = one full core.
      cpuPercent =
        ((containerCpu - previous.containerCpu) / (systemCpu - previous.systemCpu)) * onlineCpus * 100;
    }
    if (limit > 0) {
      // Relative to the allowance, so 100 = all of it. The engine enforces the limit, so anything above
      // 100 is measurement jitter.
      cpuPercent = Math.min(100, cpuPercent / limit);
    }
    const memoryStats = stats.memory_stats;
    // As docker stats: page cache the kernel can drop is not the app's memory (cgroup v1, then v2 key).
    const inactiveFile = memoryStats?.stats?.total_inactive_file ?? memoryStats?.stats?.inactive_file ?? 0;
    const usage = memoryStats?.usage ?? 0;
    const read = stats.read ? Date.parse(stats.read) : Number.NaN;
    return {
      cpuPercent: Math.max(0, cpuPercent),
      memoryBytes: Math.max(0, usage - (usage >= inactiveFile ? inactiveFile : 0)),
      at: Number.isFinite(read) ? read : Date.now(),
    };
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
      await agent.close();
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
