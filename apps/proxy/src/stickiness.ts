import type { Action } from "@scaleout/core";
import type { ClientResponse } from "./client-messages.ts";
import type { TargetGroupRuntime, TargetState } from "./targets.ts";

/**
 * ALB's stickiness cookies: AWSALBTG binds a client to a target group of a weighted forward, AWSALB
 * (duration-based) and AWSALBAPP-0 (application-based) to a target. Values are base64url so any ARN or
 * target key survives a cookie.
 */
const stickyCookie = "AWSALB";
const appStickyCookie = "AWSALBAPP-0";
const groupStickyCookie = "AWSALBTG";

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const encodeCookie = (value: string) => Buffer.from(value, "utf8").toString("base64url");
const decodeCookie = (value: string | undefined) =>
  value === undefined ? undefined : Buffer.from(value, "base64url").toString("utf8");

function cookieHeader(name: string, value: string, durationSeconds: number, now: number): string {
  return `${name}=${value}; Expires=${new Date(now + durationSeconds * 1000).toUTCString()}; Path=/`;
}

type ForwardTuples = NonNullable<Action["forwardConfig"]>["targetGroups"];

/** The group a client's AWSALBTG names, when group stickiness is on and the group still takes traffic. */
export function stickyGroupArn(
  action: Action,
  tuples: ForwardTuples,
  cookies: string | undefined,
): string | undefined {
  if (!action.forwardConfig?.targetGroupStickinessConfig?.enabled) return undefined;
  const sticky = decodeCookie(readCookie(cookies, groupStickyCookie));
  if (sticky === undefined) return undefined;
  for (const t of tuples) if (t.targetGroupArn === sticky && (t.weight ?? 1) > 0) return sticky;
  return undefined;
}

/** The AWSALBTG cookie binding a client to `groupArn`, when the action has group stickiness. */
export function groupCookie(action: Action, groupArn: string, now: number): string | undefined {
  const config = action.forwardConfig?.targetGroupStickinessConfig;
  if (!config?.enabled) return undefined;
  return cookieHeader(groupStickyCookie, encodeCookie(groupArn), config.durationSeconds ?? 3600, now);
}

/** The target a client's stickiness cookie names, when it can still take requests. */
export function stickyTarget(
  group: TargetGroupRuntime,
  cookies: string | undefined,
  now: number,
): TargetState | undefined {
  const stickiness = group.config.stickiness;
  if (stickiness.type === "lb_cookie") {
    const key = decodeCookie(readCookie(cookies, stickyCookie));
    return key ? group.stickyTarget(key, now) : undefined;
  }
  if (stickiness.type === "app_cookie") {
    const key = decodeCookie(readCookie(cookies, appStickyCookie));
    if (key && readCookie(cookies, stickiness.cookieName) !== undefined) return group.stickyTarget(key, now);
  }
  return undefined;
}

/** The AWSALB cookie for duration-based stickiness: every response binds the client to its target. */
export function targetCookie(
  group: TargetGroupRuntime,
  target: TargetState,
  now: number,
): string | undefined {
  const stickiness = group.config.stickiness;
  if (stickiness.type !== "lb_cookie") return undefined;
  return cookieHeader(stickyCookie, encodeCookie(target.key), stickiness.durationSeconds, now);
}

/**
 * The AWSALBAPP-0 cookie binding a client to `target`, when the group has application-based stickiness
 * and the target's answer sets the application's cookie.
 */
export function applicationCookie(
  group: TargetGroupRuntime,
  target: TargetState,
  setCookies: readonly string[],
  now: number,
): string | undefined {
  const stickiness = group.config.stickiness;
  if (stickiness.type !== "app_cookie") return undefined;
  const name = `${stickiness.cookieName}=`;
  if (!setCookies.some((c) => c.startsWith(name))) return undefined;
  return cookieHeader(appStickyCookie, encodeCookie(target.key), stickiness.durationSeconds, now);
}

/**
 * Application-based stickiness: when the target sets the application's cookie, AWSALBAPP-0 binds the
 * client to it. Wraps `res.writeHead` once per request; a retry must not wrap it again, or a second
 * cookie would name the target that refused. `served.target` is the target that finally answered.
 */
export function bindApplicationCookie(
  res: ClientResponse,
  group: TargetGroupRuntime,
  served: { readonly target: TargetState | undefined },
  now: () => number,
): void {
  const stickiness = group.config.stickiness;
  if (stickiness.type !== "app_cookie") return;
  const original = res.writeHead;
  const name = `${stickiness.cookieName}=`;
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    const target = served.target;
    const given = rest.find((r) => typeof r === "object" && r !== null);
    const cookie = () =>
      target
        ? cookieHeader(appStickyCookie, encodeCookie(target.key), stickiness.durationSeconds, now())
        : undefined;
    if (Array.isArray(given)) {
      // A relayed response's flat [name, value, ...] list (lower-cased names, from the upstream parser).
      const list = given as string[];
      for (let i = 0; i < list.length; i += 2) {
        if (list[i] !== "set-cookie" || !list[i + 1]?.startsWith(name)) continue;
        const value = cookie();
        if (value !== undefined) list.push("set-cookie", value);
        break;
      }
    } else {
      const record = given as Record<string, string | string[]> | undefined;
      const fromTarget = [record?.["set-cookie"] ?? res.getHeader("set-cookie")]
        .flat()
        .filter((c): c is string => typeof c === "string");
      const value = record && fromTarget.some((c) => c.startsWith(name)) ? cookie() : undefined;
      if (record && value !== undefined) record["set-cookie"] = [...fromTarget, value];
    }
    return original.call(res, status, ...(rest as []));
  }) as typeof res.writeHead;
}
