import { gunzipSync } from "node:zlib";
import { instanceAccessDenied, instanceMayCall, instanceOfAccessKey } from "@scaleout/core";
import type { Services } from "@scaleout/services";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { type AwsDoor, type AwsResponse, createAwsDoor } from "./door.ts";
import { credentialOf, isSigV4 } from "./sigv4.ts";

export interface AwsPluginOptions {
  services: Services;
  apiToken?: string;
}

const queryOf = (url: string) => {
  const at = url.indexOf("?");
  return at === -1 ? "" : url.slice(at + 1);
};

const isDoor = (request: FastifyRequest) => request.method === "POST" && request.routeOptions.url === "/";

function send(reply: FastifyReply, response: AwsResponse): FastifyReply {
  return reply.code(response.status).headers(response.headers).send(response.body);
}

/** The SDKs gzip large requests (CloudWatch's PutMetricData, above 10 KB). */
function decodeBody(encoding: string | string[] | undefined, body: Buffer): string {
  const name = String(encoding ?? "")
    .trim()
    .toLowerCase();
  if (name === "" || name === "identity") return body.toString("utf8");
  if (name !== "gzip") throw new Error(`Content-Encoding '${name}' is not supported: use gzip or none`);
  return gunzipSync(body, { maxOutputLength: maxInflatedBytes }).toString("utf8");
}

/** The most a compressed request may inflate to (AWS takes 1 MB per PutMetricData). */
const maxInflatedBytes = 16 * 1024 * 1024;

/** The SigV4 Authorization header of a request whose access key was the api token (see below). */
const signed = new WeakMap<FastifyRequest["raw"], string>();
/** Requests signed with an instance's own access key: the instance they came from. */
const fromInstance = new WeakMap<FastifyRequest["raw"], string>();

/** `POST /`: the door, in its own context so that its body parser (any body, inflated to text) stays its own. */
async function doorRoutes(
  app: FastifyInstance,
  { door, accountId }: { door: AwsDoor; accountId: string },
): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (request, body, done) => {
    try {
      done(null, decodeBody(request.headers["content-encoding"], body as Buffer));
    } catch (error) {
      done(Object.assign(error as Error, { statusCode: 400 }), undefined);
    }
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, "AWS API request failed");
    return send(
      reply,
      door.reject(
        { headers: request.headers, query: queryOf(request.url) },
        {
          code:
            status === 413 ? "RequestEntityTooLarge" : status >= 500 ? "InternalFailure" : "MalformedInput",
          status,
          message:
            status >= 500 ? "The request processing has failed because of an unknown error." : error.message,
        },
      ),
    );
  });
  app.post("/", { schema: { hide: true } }, async (request, reply) => {
    const authorization = signed.get(request.raw);
    const headers = authorization === undefined ? request.headers : { ...request.headers, authorization };
    const body = typeof request.body === "string" ? request.body : "";
    const query = queryOf(request.url);
    const instanceId = fromInstance.get(request.raw);
    if (instanceId !== undefined) {
      // An instance's key: its own lifecycle calls only, checked on the very body the door will read.
      const verdict = instanceMayCall(instanceId, query, body);
      if (!verdict.allowed) {
        return send(
          reply,
          door.reject(
            { headers, query },
            {
              code: "AccessDenied",
              status: 403,
              message: instanceAccessDenied(accountId, instanceId, verdict.action),
            },
          ),
        );
      }
    }
    return send(reply, await door.handle({ headers, body, query }));
  });
}

/**
 * The AWS API door (docs/aws-compatibility.md): the query and JSON protocols of Elastic Load Balancing v2,
 * EC2 Auto Scaling, EC2 launch templates and CloudWatch on `POST /`, over the same services as the REST API.
 * Registered before the bearer-token check: SigV4 clients cannot send a bearer token, so with
 * SCALEOUT_API_TOKEN set a SigV4 request passes when its access key id is the token, or an instance's own
 * key (core's instance-credentials: its own lifecycle calls only), and is refused with AWS's
 * InvalidClientTokenId otherwise.
 */
export const awsPlugin = fp(
  async (app: FastifyInstance, options: AwsPluginOptions) => {
    const door = createAwsDoor(options.services, (error) =>
      app.log.error({ err: error }, "AWS API request failed"),
    );
    const token = options.apiToken;
    if (token) {
      app.addHook("onRequest", async (request, reply) => {
        if (!isDoor(request)) return;
        const query = new URLSearchParams(queryOf(request.url));
        if (!isSigV4(request.headers, query)) return;
        const accessKeyId = credentialOf(request.headers, query)?.accessKeyId ?? "";
        const instanceId = accessKeyId === token ? undefined : instanceOfAccessKey(token, accessKeyId);
        if (accessKeyId === token || instanceId !== undefined) {
          if (instanceId !== undefined) fromInstance.set(request.raw, instanceId);
          // The bearer check that runs next sees the token; the door still reads the SigV4 scope.
          signed.set(request.raw, String(request.headers.authorization ?? ""));
          request.headers.authorization = `Bearer ${token}`;
          return;
        }
        return send(
          reply,
          door.reject(
            { headers: request.headers, query: queryOf(request.url) },
            {
              code: "InvalidClientTokenId",
              status: 403,
              message:
                "The security token included in the request is invalid: with SCALEOUT_API_TOKEN set, the access key id must be the token.",
            },
          ),
        );
      });
    }
    await app.register(doorRoutes, { door, accountId: options.services.ctx.partition.accountId });
  },
  { name: "scaleout-aws-api" },
);
