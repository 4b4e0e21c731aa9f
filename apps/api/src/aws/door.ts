import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { isAwsError, jsonTooDeep, maxJsonDepth } from "@scaleout/core";
import { createServices, type Services } from "@scaleout/services";
import { decodeFormInput, decodeJsonInput, escapeXml, formTree, jsonValue, xmlContent } from "./codec.ts";
import { checkConstraints, constraintsOf } from "./constraints.ts";
import { echo } from "./echo.ts";
import { type AwsService, type Call, type QueryService, speaksQuery, type WireError } from "./operation.ts";
import { awsServices, knownOperation } from "./registry.ts";
import type { StructureShape } from "./shapes.ts";
import { credentialOf, isRegion } from "./sigv4.ts";

/*
 * The AWS API door: `POST /` in the query protocol (form parameters, XML answers), EC2's variant of it, and
 * the JSON protocols, awsJson1_0 (CloudWatch) and awsJson1_1 (ACM); the version is the service's. It decodes a request by the operation's shape, runs the operation against the
 * same services the REST door uses, and answers in the protocol's shape, errors included.
 */

export interface AwsRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** The URL's query string, without `?`. */
  query: string;
}

export interface AwsResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

type Protocol = "query" | "ec2" | "json";

/** The services that speak the query protocols; ACM speaks JSON alone and is not found by Version. */
const queryServices: readonly QueryService[] = awsServices.filter(speaksQuery);

/** The service an X-Amz-Target names (`<prefix>.<Operation>`), with the operation. */
function jsonTargetOf(headers: IncomingHttpHeaders): { service: AwsService | undefined; action: string } {
  const target = String(headers["x-amz-target"] ?? "");
  const dot = target.lastIndexOf(".");
  if (dot === -1) return { service: undefined, action: target };
  const prefix = target.slice(0, dot);
  return {
    service: awsServices.find((s) => s.json !== undefined && s.json.targetPrefix === prefix),
    action: target.slice(dot + 1),
  };
}

const jsonContentType = (service: AwsService | undefined) =>
  `application/x-amz-json-${service?.json?.version ?? "1.0"}`;

const internalError = (service: AwsService | undefined): WireError => ({
  code: service?.id === "cloudwatch" ? "InternalServiceError" : "InternalFailure",
  status: 500,
  message: "The request processing has failed because of an unknown error, exception or failure.",
});

export function errorResponse(
  service: AwsService | undefined,
  protocol: Protocol,
  error: WireError,
  requestId: string,
): AwsResponse {
  const type = error.status >= 500 ? "Receiver" : "Sender";
  if (protocol === "json") {
    const shape = service?.json?.errorTypes?.[error.code];
    return {
      status: error.status,
      headers: {
        "content-type": jsonContentType(service),
        "x-amzn-requestid": requestId,
        // Only awsQueryCompatible services say the query code; an unknown target may be any of them.
        ...((service?.json?.queryCompatible ?? true) && { "x-amzn-query-error": `${error.code};${type}` }),
      },
      body: JSON.stringify({
        ...error.fields,
        __type: shape ?? error.code,
        message: error.message,
      }),
    };
  }
  const body =
    protocol === "ec2"
      ? `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
      : `<ErrorResponse${service?.xmlns !== undefined ? ` xmlns="${service.xmlns}"` : ""}><Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return {
    status: error.status,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
    body,
  };
}

function invalidAction(service: AwsService, action: string): WireError {
  return {
    code: "InvalidAction",
    status: 400,
    message: knownOperation(service, action)
      ? `The action ${action} is not implemented by scaleout (docs/aws-compatibility.md lists what is).`
      : `The action ${action} is not valid for this web service.`,
  };
}

/** Which protocol and service a request speaks, as far as its headers tell. */
function protocolOf(headers: IncomingHttpHeaders, credentialService: string | undefined): Protocol {
  const type = String(headers["content-type"] ?? "").toLowerCase();
  if (headers["x-amz-target"] !== undefined || type.startsWith("application/x-amz-json")) return "json";
  return credentialService === "ec2" ? "ec2" : "query";
}

function success(
  service: AwsService,
  protocol: Protocol,
  action: string,
  output: StructureShape | undefined,
  result: unknown,
  requestId: string,
): AwsResponse {
  if (protocol === "json") {
    return {
      status: 200,
      headers: { "content-type": jsonContentType(service), "x-amzn-requestid": requestId },
      body: JSON.stringify(output ? jsonValue(output, result) : {}),
    };
  }
  const xmlns = service.xmlns !== undefined ? ` xmlns="${service.xmlns}"` : "";
  // EC2 answers its members directly under the response element with a lowerCamel requestId; the query
  // protocol wraps them in <ActionResult> and closes with ResponseMetadata.
  const body =
    protocol === "ec2"
      ? `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response${xmlns}><requestId>${requestId}</requestId>${output ? xmlContent(output, result, "ec2") : ""}</${action}Response>`
      : `<${action}Response${xmlns}>${output ? `<${action}Result>${xmlContent(output, result, "query")}</${action}Result>` : ""}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: { "content-type": "text/xml", "x-amzn-requestid": requestId }, body };
}

export interface AwsDoor {
  handle(request: AwsRequest): Promise<AwsResponse>;
  /** Refuses a request before it is read (a wrong access key, a body too large) in its protocol's shape. */
  reject(request: Omit<AwsRequest, "body">, error: WireError): AwsResponse;
}

export function createAwsDoor(base: Services, log: (error: unknown) => void): AwsDoor {
  // One services object per region, so ARNs of what a request creates carry the request's region. The
  // registry is shared: every region sees every resource (docs/aws-differences.md).
  const byRegion = new Map<string, Services>();
  const servicesFor = (region: string): Services => {
    if (region === base.ctx.partition.region) return base;
    let services = byRegion.get(region);
    if (!services) {
      services = createServices({ ...base.ctx, partition: { ...base.ctx.partition, region } });
      byRegion.set(region, services);
    }
    return services;
  };

  async function run(
    service: AwsService,
    protocol: Protocol,
    action: string,
    decode: (input: StructureShape) => Record<string, unknown>,
    call: Call,
  ): Promise<AwsResponse> {
    // Own keys only: `Action=constructor` must not find Object's.
    const operation = Object.hasOwn(service.operations, action) ? service.operations[action] : undefined;
    if (!operation) return errorResponse(service, protocol, invalidAction(service, action), call.requestId);
    try {
      const input = decode(operation.input);
      checkConstraints(operation.input, input, constraintsOf(service.id, action), "", service.inputErrors);
      const result = await operation.run(input, call);
      return success(service, protocol, action, operation.output, result ?? {}, call.requestId);
    } catch (error) {
      if (isAwsError(error))
        return errorResponse(service, protocol, service.translate(error), call.requestId);
      log(error);
      return errorResponse(service, protocol, internalError(service), call.requestId);
    }
  }

  return {
    async handle(request) {
      const requestId = randomUUID();
      const query = new URLSearchParams(request.query);
      const credential = credentialOf(request.headers, query);
      const region = isRegion(credential?.region) ? credential.region : base.ctx.partition.region;
      const call: Call = {
        services: servicesFor(region),
        region,
        accountId: base.ctx.partition.accountId,
        requestId,
      };
      const protocol = protocolOf(request.headers, credential?.service);

      if (protocol === "json") {
        const { service, action } = jsonTargetOf(request.headers);
        if (!service) {
          const target = String(request.headers["x-amz-target"] ?? "");
          return errorResponse(
            undefined,
            "json",
            {
              code: "UnknownOperationException",
              status: 400,
              message: `Unknown X-Amz-Target '${echo(target)}'`,
            },
            requestId,
          );
        }
        if (jsonTooDeep(request.body)) {
          return errorResponse(
            service,
            "json",
            {
              code: "SerializationException",
              status: 400,
              message: `The request body nests deeper than ${maxJsonDepth} levels`,
            },
            requestId,
          );
        }
        let body: unknown;
        try {
          body = request.body.trim() === "" ? {} : JSON.parse(request.body);
        } catch {
          return errorResponse(
            service,
            "json",
            { code: "SerializationException", status: 400, message: "The request body is not valid JSON" },
            requestId,
          );
        }
        return run(
          service,
          "json",
          action,
          (shape) => decodeJsonInput(shape, body, service.inputErrors),
          call,
        );
      }

      // Form parameters: the body's, and any in the URL (a presigned or GET-style request).
      const params = new URLSearchParams(request.query);
      for (const [key, value] of new URLSearchParams(request.body)) params.set(key, value);
      const version = params.get("Version");
      const service =
        version !== null
          ? queryServices.find((s) => s.version === version)
          : queryServices.find((s) => s.signingName === credential?.service);
      if (!service) {
        const error: WireError =
          version !== null
            ? {
                code: "NoSuchVersion",
                status: 400,
                message: `The requested version (${version}) of service is not known to scaleout.`,
              }
            : {
                code: "MissingParameter",
                status: 400,
                message: "The request must contain the parameter Version",
              };
        return errorResponse(undefined, protocol, error, requestId);
      }
      const wire = service.wire;
      const action = params.get("Action");
      if (action === null || action === "") {
        return errorResponse(
          service,
          wire,
          { code: "MissingAction", status: 400, message: "The request must contain the parameter Action" },
          requestId,
        );
      }
      const tree = formTree(params);
      tree.children.delete("Action");
      tree.children.delete("Version");
      return run(
        service,
        wire,
        action,
        (shape) => decodeFormInput(shape, tree, wire, service.inputErrors),
        call,
      );
    },

    reject(request, error) {
      const requestId = randomUUID();
      const credential = credentialOf(request.headers, new URLSearchParams(request.query));
      const protocol = protocolOf(request.headers, credential?.service);
      const service =
        protocol === "json"
          ? (jsonTargetOf(request.headers).service ?? awsServices.find((s) => s.json !== undefined))
          : queryServices.find((s) => s.signingName === credential?.service);
      return errorResponse(service, protocol, error, requestId);
    },
  };
}
