/**
 * How the worker runs instances. Three real drivers implement it: `docker` (Docker Engine API on the local
 * socket), `swarm` (one Swarm service per instance, through the same engine, on any node of the swarm) and
 * `process` (local child processes). Every instance carries labels (group, instance id, launch template
 * version, installation id) so a restarted worker can find what is running and adopt it, and leaves alone
 * what another scaleout sharing the engine runs. The driver decides where an instance answers (address
 * and port): the reconciler only asks for launches and terminations.
 */

import type { InstanceAwsAccess } from "./instance-environment.ts";

export interface LaunchSpec {
  instanceId: string;
  groupName: string;
  launchTemplateId: string;
  launchTemplateVersion: number;
  /** Container image (docker). For the process driver, absent: `command` runs directly. */
  image?: string;
  /** Argv. Docker: overrides the image's command. Process: required. */
  command?: string[];
  environment: Record<string, string>;
  /** The instance's metadata service and AWS endpoint, given to it as AWS_* variables (under the template's). */
  aws?: InstanceAwsAccess;
  /** host: the instance listens on its port, given in PORT. bridge: `containerPort` published on 127.0.0.1. */
  networkMode: "host" | "bridge";
  /**
   * The port the instance must answer on (PORT for host mode; the published port for bridge). Absent:
   * the driver allocates one and reports it in the launched instance's `port`.
   */
  hostPort?: number;
  /** The port inside the container for bridge mode (PORT is set to it). */
  containerPort?: number;
  /** CPU limit in cores (0.5 = half a core). Swarm also reserves it on the node it places the instance on. */
  cpu?: number;
  /** Memory limit; swarm also reserves it. */
  memoryMiB?: number;
  /** Swarm placement constraints (`node.labels.zone==a`); other drivers run on this machine and ignore them. */
  placementConstraints?: string[];
}

export interface InstanceLabels {
  instanceId: string;
  groupName: string;
  launchTemplateId: string;
  launchTemplateVersion: number;
}

/**
 * `stopped`: parked by `park` (the process driver's SIGSTOPped process group, a paused container); it
 * serves nothing until `resume`. A docker container parked by a stop lists as `exited`: the engine keeps
 * no mark of why a container stopped, so only the registry (a Warmed:Stopped row) tells parked from crashed.
 */
export type RuntimeState = "running" | "starting" | "stopped" | "exited" | "missing";

export interface RunningInstance extends InstanceLabels {
  /** Container id or process id. */
  ref: string;
  state: RuntimeState;
  /**
   * Where the instance answers, as the driver reports it: loopback for the process and docker drivers,
   * the address of the swarm node that runs it for the swarm driver.
   */
  address: string;
  port: number;
  startedAt?: number;
  /** For exited instances: the exit code and the engine's or OS's reason. */
  exitCode?: number;
  error?: string;
}

export interface UsageSample {
  /** CPU utilisation in percent of the instance's CPU allowance (0-100; `docker stats` semantics). */
  cpuPercent: number;
  memoryBytes: number;
  /** Unix milliseconds of the reading. */
  at: number;
}

export interface ComputeDriver {
  readonly name: "docker" | "process" | "swarm";
  /**
   * Starts an instance. Resolves once the runtime has started it (not when the app is ready: health
   * checks decide that). Rejects with `LaunchError` carrying the engine's or OS's reason when it cannot
   * start (missing image, bad command).
   */
  launch(spec: LaunchSpec): Promise<RunningInstance>;
  /**
   * Stops and removes an instance; resolves when it is gone. Unknown ids (and another installation's
   * instances) resolve quietly.
   */
  terminate(instanceId: string, options?: { graceSeconds?: number }): Promise<void>;
  /**
   * Everything this driver runs for this scaleout installation, optionally for one group, including exited
   * ones; never another installation's instances (they are neither adopted nor reaped).
   */
  list(groupName?: string): Promise<RunningInstance[]>;
  inspect(instanceId: string): Promise<RunningInstance | undefined>;
  /**
   * A CPU and memory reading. CPU is computed from the difference to the previous reading of the same
   * instance, so the first call may answer 0.
   */
  sample(instanceId: string): Promise<UsageSample | undefined>;
  /**
   * Parks a launched instance for a warm pool, as EC2 stops (or hibernates) an instance. Docker stops the
   * container (the engine keeps it and its filesystem, as EC2 keeps a stopped instance's volume; `resume`
   * starts it, so the app starts afresh, as it does on a stopped instance), or with `keepMemory` (the
   * Hibernated pool state) pauses it: its processes freeze with their memory, as hibernation keeps RAM.
   * The process driver sends SIGSTOP to the instance's process group either way, as close to a stop as a
   * process allows: it keeps its memory and its listening socket (connections queue in the kernel's
   * backlog, unanswered) but runs no code and takes no CPU. Resolves once parked; unknown ids reject.
   */
  park(instanceId: string, options?: { graceSeconds?: number; keepMemory?: boolean }): Promise<void>;
  /**
   * Wakes a parked instance (docker: starts or unpauses the container; process: SIGCONT) and resolves
   * with it running; an instance that is already running resolves as it is. Rejects with `LaunchError`
   * when the instance is gone or the runtime cannot start it.
   */
  resume(instanceId: string): Promise<RunningInstance>;
  close(): Promise<void>;
}

/** A launch the runtime refused; `message` is the engine's or OS's own reason. */
export class LaunchError extends Error {
  override name = "LaunchError";
}
