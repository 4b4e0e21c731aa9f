import { readdirSync, readFileSync } from "node:fs";

/*
 * An instance's process group as /proc shows it: whether its leader (or any member) still lives, what it
 * uses, and signals to it. A recorded pid is trusted only together with its start time, so a reused pid
 * is never taken for an instance.
 */

/** The pid and /proc start time (field 22) that identify a process even after its pid is reused. */
export interface ProcessIdentity {
  pid: number;
  startTicks: number;
}

export interface ProcStat {
  state: string;
  pgrp: number;
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  startTicks: number;
}

export const validInstanceId = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * The process group leader whose environment names the instance: a process spawned by a worker that died
 * before writing its record (the pid is only known after spawn). Only this driver sets the variable, and
 * instance ids are random, so the match is the instance itself.
 */
export function unrecordedLeader(instanceId: string): ProcessIdentity | undefined {
  if (!validInstanceId.test(instanceId)) return undefined;
  const needle = `SCALEOUT_INSTANCE_ID=${instanceId}`;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let environment: string;
    try {
      environment = readFileSync(`/proc/${pid}/environ`, "utf8");
    } catch {
      continue;
    }
    if (!environment.split("\0").includes(needle)) continue;
    const stat = readStat(pid);
    if (stat && stat.pgrp === pid && !isDead(stat)) return { pid, startTicks: stat.startTicks };
  }
  return undefined;
}

/** /proc/<pid>/stat, or undefined when there is no such process. */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses; the fields after its last ")" do not.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const field = (n: number) => Number(fields[n - 3]);
  return {
    state: fields[0] ?? "?",
    pgrp: field(5),
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
    startTicks: field(22),
  };
}

export function readRssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match?.[1] ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const isDead = (stat: ProcStat) => stat.state === "Z" || stat.state === "X";

/** The recorded process itself is alive: same pid and same start time, so not a reused pid. */
export function leaderAlive(record: ProcessIdentity): boolean {
  const stat = readStat(record.pid);
  return stat !== undefined && stat.startTicks === record.startTicks && !isDead(stat);
}

/**
 * Live members of the instance's process group. A group id stays allocated while any member lives, so
 * once the leader is gone the remaining members with that group id are still ours; but a leader pid
 * with another start time is a reused pid, and then nothing is ours.
 */
export function groupMembers(record: ProcessIdentity): { pid: number; stat: ProcStat }[] {
  const leader = readStat(record.pid);
  if (leader && leader.startTicks !== record.startTicks) return [];
  const members: { pid: number; stat: ProcStat }[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return members;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const stat = readStat(pid);
    if (stat && stat.pgrp === record.pid && !isDead(stat)) members.push({ pid, stat });
  }
  return members;
}

export function groupAlive(record: ProcessIdentity): boolean {
  return groupMembers(record).length > 0;
}

export function groupUsage(record: ProcessIdentity): { ticks: number; rssBytes: number } {
  let ticks = 0;
  let rssBytes = 0;
  for (const { pid, stat } of groupMembers(record)) {
    ticks += stat.utime + stat.stime;
    // Children the leader has reaped keep counting, so the total never drops when one exits.
    if (pid === record.pid) ticks += stat.cutime + stat.cstime;
    rssBytes += readRssBytes(pid);
  }
  return { ticks, rssBytes };
}

/** Signals the instance's process group; only ever a group this driver recorded and verified. */
export function signalGroup(record: ProcessIdentity, signal: NodeJS.Signals): void {
  if (groupMembers(record).length === 0) return;
  try {
    process.kill(-record.pid, signal);
  } catch (error) {
    // ESRCH: it went away between the check and the signal.
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}
