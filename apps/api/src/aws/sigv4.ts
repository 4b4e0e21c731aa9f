import type { IncomingHttpHeaders } from "node:http";

/**
 * The credential scope of a Signature Version 4 request: `AKID/20240101/eu-west-1/elasticloadbalancing/aws4_request`,
 * from the Authorization header or a presigned URL's X-Amz-Credential. scaleout parses it and never
 * verifies the signature: the region names the ARNs of what the request creates, the access key id is
 * compared with SCALEOUT_API_TOKEN when one is set.
 */
export interface SigV4Credential {
  accessKeyId: string;
  region?: string;
  service?: string;
}

export function isSigV4(headers: IncomingHttpHeaders, query: URLSearchParams): boolean {
  const auth = headers.authorization;
  return (typeof auth === "string" && auth.startsWith("AWS4-")) || query.has("X-Amz-Credential");
}

export function credentialOf(
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
): SigV4Credential | undefined {
  const auth = headers.authorization;
  const scope =
    typeof auth === "string" && auth.startsWith("AWS4-")
      ? /Credential=([^,\s]+)/.exec(auth)?.[1]
      : (query.get("X-Amz-Credential") ?? undefined);
  if (scope === undefined) return undefined;
  const [accessKeyId = "", , region, service, terminator] = scope.split("/");
  const complete = terminator === "aws4_request";
  return {
    accessKeyId,
    ...(complete && region && { region }),
    ...(complete && service && { service }),
  };
}

/** Region names as AWS spells them (us-east-1, eu-west-1, us-gov-west-1); anything else is not one. */
export function isRegion(region: string | undefined): region is string {
  return region !== undefined && /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region);
}
