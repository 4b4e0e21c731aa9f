import { createHmac, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";

/*
 * How a browser authenticates to the console when SCALEOUT_API_TOKEN is set (docs/security.md):
 * `/console?token=<token>` is exchanged for an HttpOnly, SameSite=Strict cookie holding an HMAC of the token
 * (never the token itself), and the page is reloaded without the token in its address. The cookie then
 * authenticates
 * - GET requests under /console (the page, its bundle, its event stream), which change nothing, and
 * - any other request only together with the `x-scaleout-console: 1` header, which the console's own
 *   fetch calls add. Another site's form can neither add a header nor send JSON, a cross-site script
 *   would need a CORS preflight the api never grants, and a SameSite=Strict cookie is not sent with a
 *   cross-site request at all: a page elsewhere cannot act through a logged-in console.
 */

export const sessionCookie = "scaleout_console";
export const consoleHeader = "x-scaleout-console";

export function sessionValue(token: string): string {
  return createHmac("sha256", token).update("scaleout console session").digest("base64url");
}

const same = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at !== -1 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

const isConsoleRead = (request: FastifyRequest) =>
  (request.method === "GET" || request.method === "HEAD") &&
  (request.url === "/console" || request.url.startsWith("/console/") || request.url.startsWith("/console?"));

/** The token given as `?token=` to `GET /console`, when it is the right one (the exchange). */
export function offersToken(request: FastifyRequest, token: string): boolean {
  if (request.method !== "GET" || request.routeOptions.url !== "/console") return false;
  const offered = new URL(request.url, "http://console.invalid").searchParams.get("token");
  return offered !== null && same(offered, token);
}

/** Whether the console's cookie authenticates this request (see above). */
export function sessionAccepts(request: FastifyRequest, token: string): boolean {
  const cookie = cookieOf(request.headers.cookie, sessionCookie);
  if (cookie === undefined || !same(cookie, sessionValue(token))) return false;
  return isConsoleRead(request) || request.headers[consoleHeader] === "1";
}

export function sessionCookieHeader(token: string): string {
  return `${sessionCookie}=${sessionValue(token)}; Path=/; HttpOnly; SameSite=Strict`;
}
