import { spawn } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  type ComputeDriver,
  LaunchError,
  type LaunchSpec,
  type RunningInstance,
  type UsageSample,
} from "./driver.ts";
import { processInstanceEnvironment } from "./instance-environment.ts";
import { createPortAllocator, type PortAllocator } from "./port-allocator.ts";
import {
  groupAlive,
  groupUsage,
  leaderAlive,
  readStat,
  signalGroup,
  unrecordedLeader,
  validInstanceId,
} from "./process-group.ts";

export interface ProcessDriverOptions {
  /** Where each instance's record (`<instanceId>.json`) and output (`<instanceId>.log`) live. */
  stateDir: string;
  /** Seconds between SIGTERM and SIGKILL when `terminate` is not given its own; default 2. */
  graceSeconds?: number;
  /** How long a new process must stay up for `launch` to resolve; default 150 ms. */
  startupWindowMs?: number;
  /**
   * The installation id written in each record; `list` skips records of another installation (two
   * scaleouts given the same state directory). Records without one predate installation ids and count
   * as this installation's.
   */
  installationId?: string;
  /** Where ports for launches without a `hostPort` come from; default: free loopback ports. */
  ports?: PortAllocator;
}

/** What the process driver keeps on disk per instance, so a restarted worker can adopt it. */
interface InstanceRecord {
  instanceId: string;
  groupName: string;
  launchTemplateId: string;
  launchTemplateVersion: number;
  pid: number;
  /** /proc/<pid>/stat field 22: with the pid, identifies the process even after the pid is reused. */
  startTicks: number;
  port: number;
  startedAt: number;
  command: string[];
  cpu?: number;
  /** Written by the driver that spawned the process when it sees the exit. */
  exit?: ExitStatus & { at: number };
  installationId?: string;
}

interface CpuReading {
  ticks: number;
  at: number;
  startTicks: number;
}

// USER_HZ: the unit of /proc/<pid>/stat times. 100 on every Linux architecture Node.js supports.
const ticksPerSecond = 100;
const osReasons: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  ENOEXEC: "exec format error",
  ENOTDIR: "not a directory",
  E2BIG: "argument list too long",
};

/**
 * The process driver: one detached OS process (its own process group) per instance, for machines without
 * Docker. Instances outlive the driver, so a worker killed with SIGKILL leaves them running and its
 * successor adopts them from the records in `stateDir`.
 */
/** The one sentence a launch of an image gets here (the activity's StatusMessage and the worker's log). */
export function imageNeedsDocker(image: string): string {
  return `The image ${image} needs a Docker engine; this scaleout runs the process driver (start Docker and restart scaleout, or give the launch template a command and no image)`;
}

export function createProcessDriver(options: ProcessDriverOptions): ComputeDriver {
  const { stateDir } = options;
  const defaultGrace = options.graceSeconds ?? 2;
  const startupWindowMs = options.startupWindowMs ?? 150;
  const ports = options.ports ?? createPortAllocator();
  const ours = (record: InstanceRecord) =>
    options.installationId === undefined ||
    record.installationId === undefined ||
    record.installationId === options.installationId;
  const previousCpu = new Map<string, CpuReading>();
  // The exits of processes this driver spawned: the kernel reports a death before Node.js delivers the
  // exit status, and in that gap the status is known to be coming.
  const ownExits = new Map<string, { pid: number; exit: Promise<ExitStatus> }>();
  // Instances being stopped: their exit must not write the record terminate() is about to delete.
  const terminating = new Set<string>();
  let closed = false;

  const recordPath = (instanceId: string) => join(stateDir, `${instanceId}.json`);
  const logPath = (instanceId: string) => join(stateDir, `${instanceId}.log`);

  function writeRecord(record: InstanceRecord): void {
    // Rename is atomic: a reader (another worker adopting) never sees half a record.
    const temporary = join(stateDir, `.${record.instanceId}.json.${process.pid}.tmp`);
    writeFileSync(temporary, `${JSON.stringify(record)}\n`);
    renameSync(temporary, recordPath(record.instanceId));
  }

  /** The record of an instance, whichever installation wrote it. */
  function readAnyRecord(instanceId: string): InstanceRecord | undefined {
    if (!validInstanceId.test(instanceId)) return undefined;
    try {
      return parseRecord(readFileSync(recordPath(instanceId), "utf8"));
    } catch {
      return undefined;
    }
  }

  function readRecord(instanceId: string): InstanceRecord | undefined {
    const record = readAnyRecord(instanceId);
    return record && ours(record) ? record : undefined;
  }

  function removeFiles(instanceId: string): void {
    rmSync(recordPath(instanceId), { force: true });
    rmSync(logPath(instanceId), { force: true });
  }

  async function toRunningInstance(record: InstanceRecord): Promise<RunningInstance> {
    const instance: RunningInstance = {
      instanceId: record.instanceId,
      groupName: record.groupName,
      launchTemplateId: record.launchTemplateId,
      launchTemplateVersion: record.launchTemplateVersion,
      ref: String(record.pid),
      state: "running",
      address: "127.0.0.1",
      port: record.port,
      startedAt: record.startedAt,
    };
    if (!record.exit && leaderAlive(record)) {
      // T: stopped by a signal (park's SIGSTOP). The state lives in the kernel, so an adopting worker
      // sees a parked instance as parked without a record of its own.
      if (readStat(record.pid)?.state === "T") instance.state = "stopped";
      return instance;
    }
    let exit: ExitStatus | undefined = record.exit;
    const own = ownExits.get(record.instanceId);
    if (!exit && own?.pid === record.pid) {
      exit = await Promise.race([own.exit, delay(1_000).then(() => undefined)]);
    }
    instance.state = "exited";
    if (exit) {
      instance.exitCode = exit.code;
      if (exit.signal) instance.error = `killed by ${exit.signal}`;
    } else {
      // The process was not this driver's child (an earlier worker started it), so nobody saw its status.
      instance.error = "process is gone; its exit status is unknown (it was started by an earlier worker)";
    }
    return instance;
  }

  async function launch(spec: LaunchSpec): Promise<RunningInstance> {
    // An image is never run as a local command, even beside one: the command is meant for inside it.
    if (spec.image !== undefined) throw new LaunchError(imageNeedsDocker(spec.image));
    const [file, ...args] = spec.command ?? [];
    if (!file) {
      throw new LaunchError(
        "launch template has no command: the process driver runs `command` directly (images need the docker driver)",
      );
    }
    if (!validInstanceId.test(spec.instanceId)) {
      throw new LaunchError(`invalid instance id ${spec.instanceId}`);
    }
    mkdirSync(stateDir, { recursive: true });
    const existing = readRecord(spec.instanceId);
    if (existing && (await toRunningInstance(existing)).state === "running") {
      throw new LaunchError(`instance ${spec.instanceId} is already running (pid ${existing.pid})`);
    }
    removeFiles(spec.instanceId);
    previousCpu.delete(spec.instanceId);
    ownExits.delete(spec.instanceId);

    // A process cannot have a network namespace of its own, so bridge mode runs as host mode: the
    // instance listens on hostPort directly and containerPort is ignored.
    // A clean environment: the launch template's variables and PORT, never scaleout's own settings.
    const hostPort = spec.hostPort ?? (await ports.allocate());
    const env = processInstanceEnvironment({ ...spec, hostPort });
    const output = openSync(logPath(spec.instanceId), "a");
    let child: ReturnType<typeof spawn>;
    try {
      // detached: a process group of its own, so terminate() reaches the app's children too and the
      // instance survives the worker.
      child = spawn(file, args, { detached: true, env, stdio: ["ignore", output, output] });
    } catch (error) {
      removeFiles(spec.instanceId);
      throw new LaunchError(spawnFailure(file, error));
    } finally {
      // The child has its own copy of the descriptor once spawn() returns.
      closeSync(output);
    }

    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once("spawn", () => resolve(undefined));
      child.once("error", (error) => resolve(error));
    });
    if (spawned) {
      removeFiles(spec.instanceId);
      throw new LaunchError(spawnFailure(file, spawned));
    }
    const pid = child.pid;
    const stat = pid === undefined ? undefined : readStat(pid);
    if (pid === undefined || !stat) {
      const exit = await exitOf(child);
      const reason = `${describeExit(file, exit.code, exit.signal)} immediately`;
      const tail = tailOf(logPath(spec.instanceId));
      removeFiles(spec.instanceId);
      throw new LaunchError(tail ? `${reason}:\n${tail}` : reason);
    }
    const record: InstanceRecord = {
      instanceId: spec.instanceId,
      groupName: spec.groupName,
      launchTemplateId: spec.launchTemplateId,
      launchTemplateVersion: spec.launchTemplateVersion,
      pid,
      startTicks: stat.startTicks,
      port: hostPort,
      startedAt: Date.now(),
      command: [file, ...args],
      ...(spec.cpu !== undefined ? { cpu: spec.cpu } : {}),
      ...(options.installationId !== undefined ? { installationId: options.installationId } : {}),
    };
    // Recorded before the startup window: a worker dying inside it must not orphan the process.
    writeRecord(record);
    const exited = exitOf(child);
    ownExits.set(spec.instanceId, { pid, exit: exited });
    child.unref();
    exited.then(({ code, signal }) => {
      if (closed || terminating.has(spec.instanceId)) return;
      const current = readRecord(spec.instanceId);
      if (!current || current.pid !== pid || current.startTicks !== record.startTicks) return;
      writeRecord({ ...current, exit: { code, ...(signal ? { signal } : {}), at: Date.now() } });
    });

    const early = await Promise.race([
      exited,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), startupWindowMs)),
    ]);
    if (early) {
      const tail = tailOf(logPath(spec.instanceId));
      removeFiles(spec.instanceId);
      ownExits.delete(spec.instanceId);
      const reason = `${describeExit(file, early.code, early.signal)} within ${startupWindowMs} ms of starting`;
      throw new LaunchError(tail ? `${reason}:\n${tail}` : reason);
    }
    return await toRunningInstance(record);
  }

  async function terminate(
    instanceId: string,
    terminateOptions: { graceSeconds?: number } = {},
  ): Promise<void> {
    // Without a record, the worker that spawned it may have died before writing one: find it by the
    // instance id in its environment, so it is not left running unseen.
    previousCpu.delete(instanceId);
    const any = readAnyRecord(instanceId);
    // Another installation's instance: not this driver's to stop.
    if (any && !ours(any)) return;
    const record = any ?? unrecordedLeader(instanceId);
    if (!record) return;
    const graceMs = Math.max(0, (terminateOptions.graceSeconds ?? defaultGrace) * 1000);
    terminating.add(instanceId);
    try {
      if (groupAlive(record)) {
        signalGroup(record, "SIGTERM");
        // A parked (SIGSTOPped) group only acts on SIGTERM once it runs again.
        signalGroup(record, "SIGCONT");
        await waitFor(() => !groupAlive(record), graceMs);
        if (groupAlive(record)) {
          signalGroup(record, "SIGKILL");
          await waitFor(() => !groupAlive(record), 5_000);
        }
      }
      removeFiles(instanceId);
    } finally {
      terminating.delete(instanceId);
      ownExits.delete(instanceId);
    }
  }

  async function list(groupName?: string): Promise<RunningInstance[]> {
    let names: string[];
    try {
      names = readdirSync(stateDir);
    } catch {
      return [];
    }
    const instances: RunningInstance[] = [];
    for (const name of names) {
      if (!name.endsWith(".json") || name.startsWith(".")) continue;
      const record = readRecord(name.slice(0, -".json".length));
      if (!record || (groupName !== undefined && record.groupName !== groupName)) continue;
      instances.push(await toRunningInstance(record));
    }
    return instances;
  }

  async function inspect(instanceId: string): Promise<RunningInstance | undefined> {
    const record = readRecord(instanceId);
    return record && (await toRunningInstance(record));
  }

  async function sample(instanceId: string): Promise<UsageSample | undefined> {
    const record = readRecord(instanceId);
    if (!record || record.exit || !leaderAlive(record)) {
      previousCpu.delete(instanceId);
      return undefined;
    }
    const usage = groupUsage(record);
    const now = performance.now();
    const previous = previousCpu.get(instanceId);
    previousCpu.set(instanceId, { ticks: usage.ticks, at: now, startTicks: record.startTicks });
    let cpuPercent = 0;
    if (previous && previous.startTicks === record.startTicks && now > previous.at) {
      const cpuSeconds = Math.max(0, usage.ticks - previous.ticks) / ticksPerSecond;
      cpuPercent = (cpuSeconds / ((now - previous.at) / 1000)) * 100;
    }
    if (record.cpu !== undefined && record.cpu > 0) {
      // Nothing enforces the limit on a process; utilisation of an allowance still tops out at 100.
      cpuPercent = Math.min(100, cpuPercent / record.cpu);
    }
    return { cpuPercent, memoryBytes: usage.rssBytes, at: Date.now() };
  }

  /** The record of a running (or parked) instance, or a LaunchError saying why there is none. */
  function liveRecord(instanceId: string): InstanceRecord {
    const record = readRecord(instanceId);
    if (!record) throw new LaunchError(`instance ${instanceId} has no process`);
    if (record.exit || !leaderAlive(record)) throw new LaunchError(`instance ${instanceId} has exited`);
    return record;
  }

  async function park(instanceId: string): Promise<void> {
    const record = liveRecord(instanceId);
    // The whole group: an app's workers must stop with it. SIGSTOP cannot be caught or ignored.
    signalGroup(record, "SIGSTOP");
    await waitFor(() => readStat(record.pid)?.state === "T", 2_000);
    previousCpu.delete(instanceId);
  }

  async function resume(instanceId: string): Promise<RunningInstance> {
    const record = liveRecord(instanceId);
    signalGroup(record, "SIGCONT");
    await waitFor(() => readStat(record.pid)?.state !== "T", 2_000);
    return await toRunningInstance(record);
  }

  return {
    name: "process",
    launch,
    terminate,
    list,
    inspect,
    sample,
    park,
    resume,
    async close() {
      // Instances keep running: the next worker adopts them.
      closed = true;
    },
  };
}

function parseRecord(text: string): InstanceRecord | undefined {
  const value: unknown = JSON.parse(text);
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Partial<InstanceRecord>;
  if (
    typeof record.instanceId !== "string" ||
    typeof record.groupName !== "string" ||
    typeof record.launchTemplateId !== "string" ||
    typeof record.launchTemplateVersion !== "number" ||
    typeof record.pid !== "number" ||
    typeof record.startTicks !== "number" ||
    typeof record.port !== "number" ||
    typeof record.startedAt !== "number" ||
    !Array.isArray(record.command)
  ) {
    return undefined;
  }
  return record as InstanceRecord;
}

/** A process as the driver identifies it: the pid, and its start time so a reused pid is not mistaken for it. */

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) {
    await delay(25);
  }
}

interface ExitStatus {
  code: number;
  signal?: string;
}

function exitOf(child: ReturnType<typeof spawn>): Promise<ExitStatus> {
  return new Promise((resolve) => {
    const settle = (code: number | null, signal: NodeJS.Signals | null) => {
      if (signal) resolve({ code: 128 + (constants.signals[signal] ?? 0), signal });
      else resolve({ code: code ?? 0 });
    };
    if (child.exitCode !== null || child.signalCode !== null) settle(child.exitCode, child.signalCode);
    else child.once("exit", settle);
  });
}

function describeExit(file: string, code: number, signal: string | undefined): string {
  return signal ? `"${file}" was killed by ${signal}` : `"${file}" exited with code ${code}`;
}

function spawnFailure(file: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code ? osReasons[code] : undefined;
  if (code && reason) return `cannot run "${file}": ${code} (${reason})`;
  return `cannot run "${file}": ${error instanceof Error ? error.message : String(error)}`;
}

/** The last lines the process wrote, for a launch error. */
function tailOf(path: string, lines = 10): string {
  try {
    const size = statSync(path).size;
    const length = Math.min(size, 4096);
    const buffer = Buffer.alloc(length);
    const fd = openSync(path, "r");
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    return buffer.toString("utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
