import { createHmac, timingSafeEqual } from "node:crypto";

/*
 * Instance credentials for an api that requires SCALEOUT_API_TOKEN. The token opens everything and must
 * never reach an instance, so an instance gets an access key of its own instead: its id sealed with an
 * HMAC of the token, which the api checks without storing anything. Such a key may only do what an
 * instance needs for its own lifecycle, and only for itself (as an instance profile allowing
 * autoscaling:CompleteLifecycleAction on its own group would): complete or heartbeat its lifecycle
 * action, describe itself, and signal a CloudFormation resource as itself (cfn-signal's UniqueId).
 */

const prefix = "SCALEOUT-";
const macHex = 24;

function mac(token: string, instanceId: string): string {
  return createHmac("sha256", token).update(`instance:${instanceId}`, "utf8").digest("hex").slice(0, macHex);
}

/** `SCALEOUT-<instance id>-<mac>`: no `/`, so it fits a SigV4 credential scope. */
export function instanceAccessKeyId(token: string, instanceId: string): string {
  return `${prefix}${instanceId}-${mac(token, instanceId)}`;
}

/** The instance an access key was made for with this token, or undefined when it is not one. */
export function instanceOfAccessKey(token: string, accessKeyId: string): string | undefined {
  const match = /^SCALEOUT-(i-[0-9a-f]{8,17})-([0-9a-f]{24})$/.exec(accessKeyId);
  if (!match?.[1] || !match[2]) return undefined;
  const expected = Buffer.from(mac(token, match[1]), "utf8");
  return timingSafeEqual(expected, Buffer.from(match[2], "utf8")) ? match[1] : undefined;
}

/** What an instance's key may call: its own lifecycle action, and a look at itself. */
const allowed: Record<string, (params: URLSearchParams, instanceId: string) => boolean> = {
  CompleteLifecycleAction: (p, id) => p.get("InstanceId") === id,
  RecordLifecycleActionHeartbeat: (p, id) => p.get("InstanceId") === id,
  // cfn-signal from the instance for its own CreationPolicy count: its instance id is the UniqueId.
  SignalResource: (p, id) => p.get("UniqueId") === id,
  DescribeAutoScalingInstances: (p, id) =>
    p.get("InstanceIds.member.1") === id &&
    [...p.keys()].every((key) => !key.startsWith("InstanceIds.member.") || key === "InstanceIds.member.1"),
};

export type InstanceCallVerdict = { allowed: true } | { allowed: false; action: string };

/**
 * Whether an instance's key may make this Auto Scaling query-protocol call. `body` is the form-encoded
 * request; a parameter given twice, or any parameter in the URL's query, is refused outright, so the
 * call checked here is the call the door runs.
 */
export function instanceMayCall(instanceId: string, query: string, body: string): InstanceCallVerdict {
  const params = new URLSearchParams(body);
  const action = params.get("Action") ?? "";
  const keys = [...params.keys()];
  if (query !== "" || new Set(keys).size !== keys.length) return { allowed: false, action };
  const rule = Object.hasOwn(allowed, action) ? allowed[action] : undefined;
  return rule?.(params, instanceId) ? { allowed: true } : { allowed: false, action };
}

/** AWS's AccessDenied message for a call the instance's role does not allow. */
export function instanceAccessDenied(accountId: string, instanceId: string, action: string): string {
  const service = action === "SignalResource" ? "cloudformation" : "autoscaling";
  const permission = `${service}:${action || "Unknown"}`;
  return `User: arn:aws:sts::${accountId}:assumed-role/scaleout-instance/${instanceId} is not authorized to perform: ${permission} because no identity-based policy allows the ${permission} action`;
}
