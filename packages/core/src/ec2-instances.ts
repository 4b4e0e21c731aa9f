/*
 * EC2's view of an Auto Scaling instance (DescribeInstances, DescribeInstanceStatus): its instance state
 * from its lifecycle state, and EC2's filters and instance id rules. Pure: the service reads the rows.
 */

export type Ec2StateName = "pending" | "running" | "shutting-down" | "terminated" | "stopping" | "stopped";

/** EC2's InstanceState: the code's low byte is the state (botocore ec2 InstanceState). */
export const ec2StateCodes: Record<Ec2StateName, number> = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/**
 * The EC2 state of an instance in a lifecycle state. Standby, detaching and detached instances keep
 * running (only the group stops counting them); a Pending one has not been started yet; a terminating
 * one is draining or stopping, which EC2 calls shutting-down once terminate has been asked for.
 */
export function ec2StateOf(lifecycleState: string): Ec2StateName {
  if (lifecycleState === "Pending" || lifecycleState.startsWith("Warmed:Pending")) return "pending";
  if (lifecycleState === "Terminated" || lifecycleState === "Warmed:Terminated") return "terminated";
  if (lifecycleState.startsWith("Terminating") || lifecycleState.startsWith("Warmed:Terminating"))
    return "shutting-down";
  if (lifecycleState === "Warmed:Stopped" || lifecycleState === "Warmed:Hibernated") return "stopped";
  return "running";
}

/** EC2 instance ids: `i-` and 8 or 17 hex digits. */
export function isInstanceId(value: string): boolean {
  return /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(value);
}

/** What an EC2 filter can look at. */
export interface Ec2FilterSubject {
  instanceId: string;
  imageId: string;
  stateName: Ec2StateName;
  stateCode: number;
  availabilityZone: string;
  privateIpAddress: string;
  tags: ReadonlyArray<{ key: string; value: string }>;
  /** DescribeInstanceStatus: the instance and system status (`ok`, `initializing`, ...). */
  instanceStatus?: string;
  systemStatus?: string;
}

export interface Ec2Filter {
  name: string;
  values: readonly string[];
}

/** Filters DescribeInstances accepts here; another is refused with InvalidParameterValue, as EC2 does. */
export const describeInstancesFilters = [
  "instance-id",
  "instance-state-name",
  "instance-state-code",
  "image-id",
  "availability-zone",
  "private-ip-address",
  "tag-key",
] as const;

export const describeInstanceStatusFilters = [
  "instance-state-name",
  "instance-state-code",
  "availability-zone",
  "instance-status.status",
  "system-status.status",
] as const;

/** EC2 filter values: `*` matches any run of characters, `?` one; case-sensitive. */
function matchesValue(pattern: string, value: string): boolean {
  if (!pattern.includes("*") && !pattern.includes("?")) return pattern === value;
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`, "s").test(value);
}

function candidates(subject: Ec2FilterSubject, name: string): string[] | undefined {
  if (name.startsWith("tag:")) {
    const key = name.slice(4);
    return subject.tags.filter((t) => t.key === key).map((t) => t.value);
  }
  switch (name) {
    case "instance-id":
      return [subject.instanceId];
    case "instance-state-name":
      return [subject.stateName];
    case "instance-state-code":
      return [String(subject.stateCode)];
    case "image-id":
      return [subject.imageId];
    case "availability-zone":
      return [subject.availabilityZone];
    case "private-ip-address":
      return [subject.privateIpAddress];
    case "tag-key":
      return subject.tags.map((t) => t.key);
    case "instance-status.status":
      return subject.instanceStatus === undefined ? [] : [subject.instanceStatus];
    case "system-status.status":
      return subject.systemStatus === undefined ? [] : [subject.systemStatus];
    default:
      return undefined;
  }
}

/**
 * The filter names among `filters` that `allowed` does not know (`tag:<key>` is always allowed), for the
 * caller's InvalidParameterValue.
 */
export function unknownFilters(filters: readonly Ec2Filter[], allowed: readonly string[]): string[] {
  return filters
    .map((f) => f.name)
    .filter((name) => !(name.startsWith("tag:") && name.length > 4) && !allowed.includes(name));
}

/** EC2's semantics: every filter must match (AND), any of a filter's values may (OR). */
export function matchesFilters(subject: Ec2FilterSubject, filters: readonly Ec2Filter[]): boolean {
  return filters.every((filter) => {
    const values = candidates(subject, filter.name) ?? [];
    return filter.values.some((pattern) => values.some((value) => matchesValue(pattern, value)));
  });
}
