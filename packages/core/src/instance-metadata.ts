import {
  issueMetadataToken,
  parseTokenTtl,
  tokenHeader,
  tokenTtlHeader,
  verifyMetadataToken,
} from "./instance-metadata-token.ts";
import type { LifecycleState } from "./types.ts";

/*
 * The instance-metadata service's answers (IMDS, as on EC2): which path gives what, the IMDSv2 token
 * flow, and the status codes IMDS answers with. Tokens are required (HttpTokens "required", AWS's
 * default for new instances), so a GET without one is 401 as it is there. The worker serves these on
 * each instance's loopback port; everything here is pure.
 */

/** What the service knows about one instance, read from the registry at each request. */
export interface MetadataIdentity {
  instanceId: string;
  /** The launch template's image (ImageId), or a stable `ami-…` for process instances. */
  imageId: string;
  instanceType: string;
  localIpv4: string;
  region: string;
  availabilityZone: string;
  accountId: string;
  /** Unix milliseconds of the launch (the identity document's pendingTime). */
  launchedAt: number;
  lifecycleState: LifecycleState;
  /** The warm pool state the instance is prepared for (Stopped, Running, Hibernated), or null. */
  warmPoolState: string | null;
  /** The user data as EC2 stores it (decoded from base64), or undefined when the template has none. */
  userData: string | undefined;
}

export interface MetadataRequest {
  method: string;
  /** The request target as received (path and query). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Whether the request announced a body: IMDS requests never carry one. */
  hasBody?: boolean;
}

export interface MetadataAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The state an instance is transitioning to, as `autoscaling/target-lifecycle-state` serves it: one of
 * the steady states InService, Terminated, Detached, Standby and Warmed:{Stopped,Running,Hibernated,
 * Terminated}. It changes when the transition starts, so a launch hook's Pending:Wait already reads
 * InService and a termination hook's Terminating:Wait reads Terminated.
 */
export function targetLifecycleState(state: LifecycleState, warmPoolState: string | null): string {
  switch (state) {
    case "Pending":
    case "Pending:Wait":
    case "Pending:Proceed":
    case "Quarantined":
    case "InService":
      return "InService";
    case "Terminating":
    case "Terminating:Wait":
    case "Terminating:Proceed":
    case "Terminated":
      return "Terminated";
    case "Detaching":
    case "Detached":
      return "Detached";
    case "EnteringStandby":
    case "Standby":
      return "Standby";
    case "Warmed:Pending":
    case "Warmed:Pending:Wait":
    case "Warmed:Pending:Proceed":
      return `Warmed:${warmPoolState ?? "Stopped"}`;
    case "Warmed:Terminating":
    case "Warmed:Terminating:Wait":
    case "Warmed:Terminating:Proceed":
    case "Warmed:Terminated":
      return "Warmed:Terminated";
    case "Warmed:Stopped":
    case "Warmed:Running":
    case "Warmed:Hibernated":
      return state;
  }
}

/** EC2's private DNS name for an address: `ip-10-0-0-1.ec2.internal` in us-east-1, else `<region>.compute.internal`. */
export function privateDnsName(ipv4: string, region: string): string {
  const host = `ip-${ipv4.replaceAll(".", "-")}`;
  return region === "us-east-1" ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

/** The identity document's timestamp form: seconds, `Z`. */
const isoSeconds = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** /latest/dynamic/instance-identity/document, pretty-printed with `" : "` as EC2 writes it. */
function identityDocument(identity: MetadataIdentity): string {
  const document = {
    accountId: identity.accountId,
    architecture: process.arch === "arm64" ? "arm64" : "x86_64",
    availabilityZone: identity.availabilityZone,
    billingProducts: null,
    devpayProductCodes: null,
    marketplaceProductCodes: null,
    imageId: identity.imageId,
    instanceId: identity.instanceId,
    instanceType: identity.instanceType,
    kernelId: null,
    pendingTime: isoSeconds(identity.launchedAt),
    privateIp: identity.localIpv4,
    ramdiskId: null,
    region: identity.region,
    version: "2017-09-30",
  };
  return JSON.stringify(document, null, 2).replaceAll('": ', '" : ');
}

/** A directory maps names to subtrees; a leaf is its text. */
type Tree = string | { [name: string]: Tree };

function treeOf(identity: MetadataIdentity): { [name: string]: Tree } {
  const hostname = privateDnsName(identity.localIpv4, identity.region);
  return {
    "meta-data": {
      "ami-id": identity.imageId,
      autoscaling: {
        "target-lifecycle-state": targetLifecycleState(identity.lifecycleState, identity.warmPoolState),
      },
      hostname,
      "instance-id": identity.instanceId,
      "instance-life-cycle": "on-demand",
      "instance-type": identity.instanceType,
      "local-hostname": hostname,
      "local-ipv4": identity.localIpv4,
      placement: { "availability-zone": identity.availabilityZone, region: identity.region },
    },
    dynamic: { "instance-identity": { document: identityDocument(identity) } },
    ...(identity.userData !== undefined && { "user-data": identity.userData }),
  };
}

const statusText: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  429: "Too Many Requests",
};

/** IMDS answers errors with this XHTML page. */
function errorAnswer(status: number, extra: Record<string, string> = {}): MetadataAnswer {
  const title = `${status} - ${statusText[status] ?? "Error"}`;
  const body = `<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
         "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title>${title}</title>
 </head>
 <body>
  <h1>${title}</h1>
 </body>
</html>
`;
  return { status, headers: { "content-type": "text/html", ...extra }, body };
}

/** The answer to a request over its instance's budget (instance-metadata-throttle.ts). */
export const throttledAnswer = (): MetadataAnswer => errorAnswer(429);

const text = (body: string, extra: Record<string, string> = {}): MetadataAnswer => ({
  status: 200,
  headers: { "content-type": "text/plain", ...extra },
  body,
});

/**
 * The text at `path` under /latest/, or undefined (404). A directory lists its entries one a line, the
 * subdirectories of meta-data/ and dynamic/ with a trailing `/` (the top level lists plain names, as
 * EC2's does). A leaf is served with a trailing `/` too: botocore asks for
 * `placement/availability-zone/`.
 */
export function metadataAt(path: string, identity: MetadataIdentity): string | undefined {
  const segments = path.split("/");
  const isDirectoryPath = path === "" || path.endsWith("/");
  if (isDirectoryPath) segments.pop();
  if (segments.some((s) => s === "")) return undefined;
  let node: Tree = treeOf(identity);
  for (const segment of segments) {
    if (typeof node === "string" || !Object.hasOwn(node, segment)) return undefined;
    const next: Tree | undefined = node[segment];
    if (next === undefined) return undefined;
    node = next;
  }
  if (typeof node === "string") return node;
  const top = segments.length === 0;
  return Object.entries(node)
    .map(([name, child]) => (typeof child === "string" || top ? name : `${name}/`))
    .sort()
    .join("\n");
}

const header = (headers: MetadataRequest["headers"], name: string) => headers[name];

/**
 * One request to an instance's metadata service. `identity` is undefined when the instance is gone;
 * `secret` seals the tokens; `now` is Unix milliseconds.
 */
export function answerMetadataRequest(
  request: MetadataRequest,
  identity: MetadataIdentity | undefined,
  secret: Uint8Array,
  now: number,
): MetadataAnswer {
  const query = request.url.indexOf("?");
  const path = query === -1 ? request.url : request.url.slice(0, query);
  const method = request.method.toUpperCase();
  if (request.hasBody) return errorAnswer(400);

  if (path === "/latest/api/token") {
    if (method !== "PUT") return errorAnswer(405, { allow: "PUT" });
    // A token request that went through a proxy is refused, so a misconfigured proxy on the instance
    // cannot hand tokens out (EC2 does the same).
    if (header(request.headers, "x-forwarded-for") !== undefined) return errorAnswer(403);
    const ttl = parseTokenTtl(header(request.headers, tokenTtlHeader));
    if (ttl === undefined) return errorAnswer(400);
    if (!identity) return errorAnswer(404);
    return text(issueMetadataToken(secret, identity.instanceId, now, ttl), {
      [tokenTtlHeader]: String(ttl),
    });
  }
  if (method !== "GET" && method !== "HEAD") return errorAnswer(405, { allow: "GET, HEAD" });
  // IMDSv2 required: every read carries a live token issued to this very instance.
  if (
    !identity ||
    !verifyMetadataToken(secret, header(request.headers, tokenHeader), identity.instanceId, now)
  )
    return errorAnswer(401);
  if (path === "/") return text("latest");
  if (path !== "/latest" && !path.startsWith("/latest/")) return errorAnswer(404);
  const found = metadataAt(path.slice("/latest/".length), identity);
  return found === undefined ? errorAnswer(404) : text(found);
}
