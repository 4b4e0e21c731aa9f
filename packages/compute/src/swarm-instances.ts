import type { RunningInstance } from "./driver.ts";
import { swarmLabels } from "./swarm-service.ts";

/*
 * What a Swarm service, its tasks and the swarm's nodes say about one instance. Pure: the swarm driver
 * fetches them, this decides.
 *
 * The instance is its service; the task that runs it is the first one created from the service's current
 * task template: a resume bumps the template's ForceUpdate, and each task carries the template it was
 * made from (the service's UpdatedAt cannot tell: Swarm's allocator updates a service after its first
 * task exists). Services run with RestartPolicy none, so
 * Swarm never starts a second task by itself; should one appear all the same (a node left and Swarm
 * rescheduled, someone changed the policy), the instance counts as ended: AWS replaces an instance that
 * fails with a new instance id, and so does the reconciler, never the same id on another machine.
 */

export interface SwarmService {
  ID: string;
  Version?: { Index?: number };
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: {
    Name?: string;
    Labels?: Record<string, string> | null;
    Mode?: { Replicated?: { Replicas?: number } };
    TaskTemplate?: { ForceUpdate?: number; Resources?: { Limits?: { NanoCPUs?: number } } };
  };
}

export interface SwarmTask {
  ID: string;
  ServiceID?: string;
  NodeID?: string;
  CreatedAt?: string;
  DesiredState?: string;
  Spec?: { ForceUpdate?: number };
  Status?: {
    Timestamp?: string;
    State?: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
  };
}

export interface SwarmNode {
  ID: string;
  Description?: { Hostname?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Addr?: string };
}

const startingStates = new Set([
  "new",
  "allocated",
  "pending",
  "assigned",
  "accepted",
  "preparing",
  "ready",
  "starting",
]);

const time = (value: string | undefined): number => {
  const ms = value ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) ? ms : 0;
};

/** The tasks of the service's current task template, oldest first: the first is the instance's. */
export function currentTasks(service: SwarmService, tasks: SwarmTask[]): SwarmTask[] {
  const generation = service.Spec?.TaskTemplate?.ForceUpdate ?? 0;
  return tasks
    .filter((task) => task.ServiceID === service.ID && (task.Spec?.ForceUpdate ?? 0) === generation)
    .sort((a, b) => time(a.CreatedAt) - time(b.CreatedAt));
}

/**
 * Where a node's tasks answer: its address as the swarm knows it. A manager may report 0.0.0.0 there
 * (it listens on every interface); its manager address is then the one others reach it at.
 */
export function nodeAddress(node: SwarmNode | undefined): string {
  const addr = node?.Status?.Addr;
  if (addr && addr !== "0.0.0.0") return addr;
  const manager = node?.ManagerStatus?.Addr;
  if (manager) return manager.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
  return "";
}

/** The instance a labelled service is, or undefined when its labels are not scaleout's. */
export function swarmInstance(
  service: SwarmService,
  tasks: SwarmTask[],
  nodes: ReadonlyMap<string, SwarmNode>,
): RunningInstance | undefined {
  const labels = service.Spec?.Labels ?? {};
  const instanceId = labels[swarmLabels.instanceId];
  const groupName = labels[swarmLabels.group];
  const launchTemplateId = labels[swarmLabels.launchTemplateId];
  if (!instanceId || groupName === undefined || launchTemplateId === undefined) return undefined;
  const own = currentTasks(service, tasks);
  const task = own[0];
  const node = task?.NodeID ? nodes.get(task.NodeID) : undefined;
  const instance: RunningInstance = {
    instanceId,
    groupName,
    launchTemplateId,
    launchTemplateVersion: Number(labels[swarmLabels.launchTemplateVersion] ?? 0),
    ref: service.ID,
    state: "starting",
    address: nodeAddress(node),
    port: Number(labels[swarmLabels.hostPort] ?? 0),
  };
  const replicas = service.Spec?.Mode?.Replicated?.Replicas ?? 1;
  if (replicas === 0) {
    // Parked: scaled to no task, as a stopped instance runs nothing.
    instance.state = "stopped";
    return instance;
  }
  if (!task) return instance;
  const state = task.Status?.State ?? "new";
  const ended = (error: string | undefined, exitCode?: number): RunningInstance => {
    instance.state = "exited";
    if (exitCode !== undefined) instance.exitCode = exitCode;
    if (error) instance.error = error;
    return instance;
  };
  if (own.length > 1) {
    return ended(
      `Swarm replaced its task ${task.ID} (${state}${task.Status?.Err ? `: ${task.Status.Err}` : ""}): a new instance takes its place`,
    );
  }
  const live = state === "running" || startingStates.has(state);
  if (live && task.NodeID && node?.Status?.State !== "ready") {
    const name = node?.Description?.Hostname ?? task.NodeID;
    return ended(`its node ${name} left the swarm (${node?.Status?.State ?? "removed"})`);
  }
  if (state === "running") {
    instance.state = "running";
    const started = time(task.Status?.Timestamp);
    if (started > 0) instance.startedAt = started;
    return instance;
  }
  if (startingStates.has(state)) return instance;
  // complete, shutdown, failed, rejected, orphaned, remove.
  return ended(task.Status?.Err || task.Status?.Message || state, task.Status?.ContainerStatus?.ExitCode);
}
