import { type ContainerStats, type CpuReading, containerUsage } from "./container-usage.ts";
import { createDockerEngine, engineFailure, engineMessage } from "./docker-engine.ts";
import {
  type ComputeDriver,
  LaunchError,
  type LaunchSpec,
  type RunningInstance,
  type UsageSample,
} from "./driver.ts";
import { invalidConstraints } from "./placement.ts";
import { createPortAllocator, type PortAllocator } from "./port-allocator.ts";
import {
  currentTasks,
  type SwarmNode,
  type SwarmService,
  type SwarmTask,
  swarmInstance,
} from "./swarm-instances.ts";
import { serviceName, serviceSpec, swarmLabels } from "./swarm-service.ts";

export interface SwarmDriverOptions {
  /** A swarm manager's engine: `unix:///path/docker.sock`; defaults to `DOCKER_HOST`, then the default socket. */
  host?: string;
  /** The stop grace period of every instance's task (Swarm fixes it when the service is created); default 2. */
  graceSeconds?: number;
  /** Labelled on every service; only services with it are listed, adopted and reaped. */
  installationId?: string;
  /** Where instance ports come from (they are published on whichever node runs the task). */
  ports?: PortAllocator;
  /** How long a launch waits for Swarm to start its task; default 30 s. */
  launchTimeoutMs?: number;
}

const poll = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The swarm driver: one Swarm service with one replica per instance, created through the manager's
 * Engine API (the docker driver's client), placed by Swarm's scheduler on any node. The instance answers
 * at its node's address on its port. CPU is read from the engine's stats of the task's container where
 * that container runs on the manager's own node; a task on another node answers no sample (that node's
 * engine is not this socket).
 */
export function createSwarmDriver(options: SwarmDriverOptions = {}): ComputeDriver {
  const engine = createDockerEngine(options.host);
  const api = engine.call;
  const graceSeconds = options.graceSeconds ?? 2;
  const installationId = options.installationId;
  const ports = options.ports ?? createPortAllocator();
  const launchTimeoutMs = options.launchTimeoutMs ?? 30_000;
  const previousCpu = new Map<string, CpuReading & { container: string }>();
  let localNodeId: string | undefined;

  const filters = (value: Record<string, string[]>) => encodeURIComponent(JSON.stringify(value));

  function ours(service: SwarmService): boolean {
    const labels = service.Spec?.Labels ?? {};
    if (labels[swarmLabels.managed] !== "true") return false;
    return installationId === undefined || labels[swarmLabels.installation] === installationId;
  }

  async function findService(instanceId: string): Promise<SwarmService | undefined> {
    const response = await api("GET", `/services/${encodeURIComponent(serviceName(instanceId))}`);
    if (response.statusCode === 404) return undefined;
    if (response.statusCode !== 200) engineFailure(response);
    const service = response.body as SwarmService;
    return ours(service) ? service : undefined;
  }

  async function tasksOf(serviceIds: string[]): Promise<SwarmTask[]> {
    if (serviceIds.length === 0) return [];
    const response = await api("GET", `/tasks?filters=${filters({ service: serviceIds })}`);
    // A service removed meanwhile: the engine refuses the filter rather than answer nothing.
    if (response.statusCode === 404) return [];
    if (response.statusCode !== 200) engineFailure(response);
    return response.body as SwarmTask[];
  }

  async function nodes(): Promise<Map<string, SwarmNode>> {
    const response = await api("GET", "/nodes");
    if (response.statusCode !== 200) engineFailure(response);
    return new Map((response.body as SwarmNode[]).map((node) => [node.ID, node]));
  }

  async function describe(services: SwarmService[]): Promise<RunningInstance[]> {
    const [tasks, nodeMap] = await Promise.all([tasksOf(services.map((s) => s.ID)), nodes()]);
    const instances: RunningInstance[] = [];
    for (const service of services) {
      const instance = swarmInstance(service, tasks, nodeMap);
      if (instance) instances.push(instance);
    }
    return instances;
  }

  async function inspect(instanceId: string): Promise<RunningInstance | undefined> {
    const service = await findService(instanceId);
    if (!service) return undefined;
    const [instance] = await describe([service]);
    return instance;
  }

  async function listServices(groupName?: string): Promise<SwarmService[]> {
    const label = [`${swarmLabels.managed}=true`];
    if (installationId !== undefined) label.push(`${swarmLabels.installation}=${installationId}`);
    if (groupName !== undefined) label.push(`${swarmLabels.group}=${groupName}`);
    const response = await api("GET", `/services?filters=${filters({ label })}`);
    if (response.statusCode !== 200) engineFailure(response);
    return (response.body as SwarmService[]).filter(ours);
  }

  async function removeService(id: string): Promise<void> {
    const removed = await api("DELETE", `/services/${encodeURIComponent(id)}`);
    if (removed.statusCode !== 200 && removed.statusCode !== 404) engineFailure(removed);
  }

  /** Waits until the instance's task runs (or ends, or the deadline passes); answers the last view. */
  async function untilSettled(instanceId: string, deadline: number): Promise<RunningInstance | undefined> {
    for (;;) {
      const instance = await inspect(instanceId);
      if (instance?.state !== "starting" || Date.now() > deadline) return instance;
      await poll(100);
    }
  }

  /** Why a task is still not running (Swarm's scheduler says so in the task's Err: "no suitable node"). */
  async function pendingReason(instanceId: string): Promise<string> {
    const service = await findService(instanceId);
    if (!service) return "the service disappeared";
    const [task] = currentTasks(service, await tasksOf([service.ID]));
    return task?.Status?.Err || task?.Status?.Message || "no task was created";
  }

  async function launch(spec: LaunchSpec): Promise<RunningInstance> {
    if (!spec.image) {
      throw new LaunchError("launch template has no image: the swarm driver runs services from an image");
    }
    if (spec.networkMode === "bridge") {
      throw new LaunchError(
        "the swarm driver runs instances on each node's host network: use networkMode host (bridge needs an overlay network this driver does not create)",
      );
    }
    const constraints = spec.placementConstraints ?? [];
    const invalid = invalidConstraints(constraints);
    if (invalid) throw new LaunchError(invalid);
    const known = (await listServices()).map((service) =>
      Number(service.Spec?.Labels?.[swarmLabels.hostPort] ?? 0),
    );
    const port = spec.hostPort ?? (await ports.allocate(known));
    const created = await api(
      "POST",
      "/services/create",
      serviceSpec({ spec, port, installationId, graceSeconds, constraints }),
    );
    if (created.statusCode !== 201) throw new LaunchError(engineMessage(created));
    previousCpu.delete(spec.instanceId);
    const instance = await untilSettled(spec.instanceId, Date.now() + launchTimeoutMs);
    if (instance?.state === "running") return instance;
    // Nothing half-launched stays: the reconciler fails the activity with this reason.
    const reason =
      instance === undefined
        ? "the service disappeared as it started"
        : instance.state === "starting"
          ? `Swarm did not start it within ${launchTimeoutMs} ms: ${await pendingReason(spec.instanceId)}`
          : (instance.error ?? `its task ended (${instance.state})`);
    await terminate(spec.instanceId).catch(() => undefined);
    throw new LaunchError(reason);
  }

  /**
   * Stops the service's containers on this node, with `grace`: Swarm takes about 3 s to stop the task of
   * a removed or scaled-down service by itself (measured: docs/multi-host.md), and never restarts one
   * (RestartPolicy none). Tasks on other nodes are Swarm's to stop.
   */
  async function stopLocalTasks(serviceId: string, grace: number): Promise<void> {
    const label = filters({ label: [`com.docker.swarm.service.id=${serviceId}`] });
    const local = await api("GET", `/containers/json?filters=${label}`);
    if (local.statusCode !== 200) return;
    await Promise.all(
      (local.body as Array<{ Id: string }>).map((container) =>
        api("POST", `/containers/${container.Id}/stop?t=${grace}`).catch(() => undefined),
      ),
    );
  }

  async function terminate(
    instanceId: string,
    terminateOptions: { graceSeconds?: number } = {},
  ): Promise<void> {
    previousCpu.delete(instanceId);
    const service = await findService(instanceId);
    if (!service) return;
    const grace = Math.max(0, Math.ceil(terminateOptions.graceSeconds ?? graceSeconds));
    const label = filters({ label: [`com.docker.swarm.service.id=${service.ID}`] });
    await stopLocalTasks(service.ID, grace);
    await removeService(service.ID);
    // Gone when its container no longer runs: a stopped one serves nothing, and the agent removes it in
    // its own time. Only this node's can be watched through this socket.
    const deadline = Date.now() + (grace + 10) * 1000;
    while (Date.now() < deadline) {
      const containers = await api("GET", `/containers/json?filters=${label}`);
      if (containers.statusCode !== 200 || (containers.body as unknown[]).length === 0) return;
      await poll(100);
    }
  }

  async function localNode(): Promise<string | undefined> {
    if (localNodeId !== undefined) return localNodeId;
    const response = await api("GET", "/info");
    if (response.statusCode !== 200) engineFailure(response);
    localNodeId = (response.body as { Swarm?: { NodeID?: string } }).Swarm?.NodeID || undefined;
    return localNodeId;
  }

  async function sample(instanceId: string): Promise<UsageSample | undefined> {
    const service = await findService(instanceId);
    if (!service) {
      previousCpu.delete(instanceId);
      return undefined;
    }
    const [task] = currentTasks(service, await tasksOf([service.ID]));
    const container = task?.Status?.ContainerStatus?.ContainerID;
    if (task?.Status?.State !== "running" || !container) return undefined;
    // Another node's container: its engine is not this socket (docs/multi-host.md).
    if (task.NodeID !== (await localNode())) return undefined;
    const response = await api(
      "GET",
      `/containers/${encodeURIComponent(container)}/stats?stream=false&one-shot=true`,
    );
    if (response.statusCode === 404) return undefined;
    if (response.statusCode !== 200) engineFailure(response);
    const limit = (service.Spec?.TaskTemplate?.Resources?.Limits?.NanoCPUs ?? 0) / 1e9;
    const previous = previousCpu.get(instanceId);
    const usage = containerUsage(
      response.body as ContainerStats,
      previous?.container === container ? previous : undefined,
      limit,
    );
    if (!usage) {
      previousCpu.delete(instanceId);
      return undefined;
    }
    previousCpu.set(instanceId, { ...usage.reading, container });
    return usage.sample;
  }

  /**
   * Scales the instance's service to `replicas`. A scale-up also forces a new task (ForceUpdate): with
   * RestartPolicy none, Swarm does not fill a slot whose old task it has not reaped yet, and the new
   * template generation tells the new task from the old ones (swarm-instances.ts).
   */
  async function scale(instanceId: string, replicas: number): Promise<SwarmService> {
    const service = await findService(instanceId);
    if (!service?.Spec) throw new LaunchError(`service ${serviceName(instanceId)} does not exist`);
    if ((service.Spec.Mode?.Replicated?.Replicas ?? 1) === replicas) return service;
    const template = (service.Spec as { TaskTemplate?: { ForceUpdate?: number } }).TaskTemplate ?? {};
    const spec = {
      ...service.Spec,
      Mode: { Replicated: { Replicas: replicas } },
      ...(replicas > 0 && { TaskTemplate: { ...template, ForceUpdate: (template.ForceUpdate ?? 0) + 1 } }),
    };
    const updated = await api(
      "POST",
      `/services/${service.ID}/update?version=${service.Version?.Index ?? 0}`,
      spec,
    );
    if (updated.statusCode !== 200) throw new LaunchError(engineMessage(updated));
    previousCpu.delete(instanceId);
    return service;
  }

  async function park(instanceId: string, parkOptions: { graceSeconds?: number } = {}): Promise<void> {
    // A task cannot be frozen with its memory (hibernation): a parked instance has no task, as a
    // stopped EC2 instance runs nothing, and starts afresh (possibly on another node) when resumed.
    const grace = Math.max(0, Math.ceil(parkOptions.graceSeconds ?? graceSeconds));
    const service = await scale(instanceId, 0);
    await stopLocalTasks(service.ID, grace);
    const deadline = Date.now() + (grace + 10) * 1000;
    while (Date.now() < deadline) {
      const tasks = await tasksOf([service.ID]);
      if (!tasks.some((task) => task.Status?.State === "running")) return;
      await poll(100);
    }
  }

  async function resume(instanceId: string): Promise<RunningInstance> {
    await scale(instanceId, 1);
    const instance = await untilSettled(instanceId, Date.now() + launchTimeoutMs);
    if (instance?.state !== "running") {
      throw new LaunchError(instance?.error ?? `service ${serviceName(instanceId)} did not start again`);
    }
    return instance;
  }

  return {
    name: "swarm",
    launch,
    terminate,
    async list(groupName) {
      return describe(await listServices(groupName));
    },
    inspect,
    sample,
    park,
    resume,
    async close() {
      await engine.close();
    },
  };
}
