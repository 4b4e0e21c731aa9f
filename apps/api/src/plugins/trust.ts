import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { AwsRequest, AwsResponse } from "../aws/door.ts";
import type { WireError } from "../aws/operation.ts";

/*
 * Who may drive the api (docs/security.md). The api runs shell scripts (launch template UserData) as the
 * user, so a web page the user happens to visit must not reach it:
 * - a foreign `Host` is a DNS-rebinding page that resolved its own name to loopback: refused without a
 *   token (with a token, the page cannot know it);
 * - a foreign `Origin` or `Sec-Fetch-Site: cross-site` is another site's page: refused always, unless the
 *   origin is configured (then it also gets CORS answers);
 * - a browser form can send only urlencoded, multipart and text/plain bodies and cannot add headers, so
 *   REST takes JSON bodies only and, without a token, the AWS door takes only requests carrying a SigV4
 *   Authorization header, which every SDK and the CLI send and no form can.
 */

export interface TrustOptions {
  /** The api's bound address (SCALEOUT_API_HOST): a Host naming it is ours. */
  bindHost: string;
  /** SCALEOUT_API_ALLOWED_HOSTS, lower-case names without ports, IPv6 in brackets. */
  allowedHosts: readonly string[];
  /** SCALEOUT_API_ALLOWED_ORIGINS, as `URL.origin` spells them. */
  allowedOrigins: readonly string[];
  token?: string;
  /** Answers a refused AWS-door request in its protocol's error shape. */
  rejectDoor(request: Omit<AwsRequest, "body">, error: WireError): AwsResponse;
}

const loopbackNames = ["localhost", "127.0.0.1", "[::1]"];

/** The host name of a Host header (`[::1]:7700` → `[::1]`, `Example.test.` stays unmatched), lower case. */
export function hostNameOf(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith("[")) {
    const end = value.indexOf("]");
    return end === -1 ? value : value.slice(0, end + 1);
  }
  const colon = value.indexOf(":");
  return colon === -1 ? value : value.slice(0, colon);
}

/** `host[:port]` of a Host header with the default port of `scheme` dropped, as URL.host spells it. */
function authorityOf(host: string, scheme: string): string | undefined {
  try {
    return new URL(`${scheme}://${host.trim()}`).host;
  } catch {
    return undefined;
  }
}

const doorContentTypes = new Set([
  "application/x-www-form-urlencoded",
  "application/x-amz-json-1.0",
  "application/x-amz-json-1.1",
]);

const mediaType = (header: string | undefined): string =>
  (header ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";

const isDoor = (request: FastifyRequest) => request.method === "POST" && request.routeOptions.url === "/";

const queryOf = (url: string) => {
  const at = url.indexOf("?");
  return at === -1 ? "" : url.slice(at + 1);
};

export const trustPlugin = fp(
  async (app: FastifyInstance, options: TrustOptions) => {
    const bound = options.bindHost.includes(":") ? `[${options.bindHost}]` : options.bindHost.toLowerCase();
    const hosts = new Set([...loopbackNames, bound, ...options.allowedHosts]);
    const origins = new Set(options.allowedOrigins);

    // A browser may send a CORS-safelisted text/plain body without a preflight: REST reads JSON only.
    app.removeContentTypeParser("text/plain");

    const refuse = (
      request: FastifyRequest,
      reply: FastifyReply,
      status: number,
      code: string,
      message: string,
    ) => {
      request.log.warn(
        { host: request.headers.host, origin: request.headers.origin, url: request.url },
        `refused: ${message}`,
      );
      if (isDoor(request)) {
        const response = options.rejectDoor(
          { headers: request.headers, query: queryOf(request.url) },
          { code, status, message },
        );
        return reply.code(response.status).headers(response.headers).send(response.body);
      }
      return reply.code(status).send({ code, message });
    };

    app.addHook("onRequest", async (request, reply) => {
      const host = request.headers.host;
      if (options.token === undefined && (host === undefined || !hosts.has(hostNameOf(host)))) {
        return refuse(
          request,
          reply,
          403,
          "AccessDenied",
          `Host '${host ?? ""}' is not this api's: call it as localhost, 127.0.0.1 or [::1], or add the name to SCALEOUT_API_ALLOWED_HOSTS`,
        );
      }

      const origin = request.headers.origin;
      const listed = origin !== undefined && origins.has(origin.toLowerCase());
      if (origin !== undefined && !listed) {
        // The api's own pages (a console it may serve) send its own origin: scheme and Host alike.
        const own = host !== undefined && origin.toLowerCase() === `http://${authorityOf(host, "http")}`;
        if (!own) {
          return refuse(
            request,
            reply,
            403,
            "AccessDenied",
            `Origin '${origin}' may not call this api: add it to SCALEOUT_API_ALLOWED_ORIGINS to allow it`,
          );
        }
      }
      if (request.headers["sec-fetch-site"] === "cross-site" && !listed) {
        return refuse(
          request,
          reply,
          403,
          "AccessDenied",
          "A cross-site browser request may not call this api: add its origin to SCALEOUT_API_ALLOWED_ORIGINS to allow it",
        );
      }

      if (listed && request.method === "OPTIONS" && request.headers["access-control-request-method"]) {
        return reply
          .code(204)
          .headers({
            "access-control-allow-origin": origin,
            "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE",
            "access-control-allow-headers": request.headers["access-control-request-headers"] ?? "",
            "access-control-max-age": "600",
            vary: "Origin",
          })
          .send();
      }
      if (listed) void reply.headers({ "access-control-allow-origin": origin, vary: "Origin" });

      if (!isDoor(request)) return;
      const type = mediaType(request.headers["content-type"]);
      if (!doorContentTypes.has(type)) {
        return refuse(
          request,
          reply,
          415,
          "UnsupportedMediaType",
          `Content-Type '${type}' is not one the AWS SDKs send: use application/x-www-form-urlencoded (query protocol) or application/x-amz-json-1.0/1.1`,
        );
      }
      const authorization = request.headers.authorization;
      if (options.token === undefined && !authorization?.startsWith("AWS4-HMAC-SHA256 ")) {
        return refuse(
          request,
          reply,
          403,
          "MissingAuthenticationToken",
          "Request is missing Authentication Token: the AWS API takes Signature Version 4 requests (any credentials) as the AWS CLI and SDKs send them",
        );
      }
    });
  },
  { name: "scaleout-trust" },
);
