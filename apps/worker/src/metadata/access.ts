import { isIP } from "node:net";
import type { InstanceAwsAccess } from "@scaleout/compute";
import type { Settings } from "@scaleout/config";
import { instanceAccessKeyId } from "@scaleout/core";

/*
 * What an instance is told about AWS: its metadata port, scaleout's api as the endpoint of every
 * service, the region, and credentials to sign with.
 */

/**
 * The credentials instances sign with when the api takes any: SigV4 is not verified by scaleout, so they
 * only have to look like AWS's to the SDKs (an access key id of 20 characters).
 */
export const instanceCredentials = {
  accessKeyId: "AKIASCALEOUTINSTANCE",
  secretAccessKey: "scaleout-instance-secret-key-not-checked",
};

/** The api as an instance reaches it: a wildcard bind is reached on loopback. */
export function apiEndpointUrl(api: Settings["api"]): string {
  const host =
    api.host === "0.0.0.0" || api.host === ""
      ? "127.0.0.1"
      : api.host === "::"
        ? "[::1]"
        : isIP(api.host) === 6
          ? `[${api.host}]`
          : api.host;
  return `http://${host}:${api.port}`;
}

/**
 * With SCALEOUT_API_TOKEN set the token never reaches an instance (it opens everything): the instance
 * gets a key of its own instead, its id sealed with the token, which the api accepts only for the
 * instance's own lifecycle calls (core's instance-credentials; docs/aws-differences.md).
 */
export function instanceAwsAccess(
  settings: Settings,
  instanceId: string,
  metadataPort: number,
): InstanceAwsAccess {
  const { token } = settings.api;
  return {
    metadataPort,
    endpointUrl: apiEndpointUrl(settings.api),
    region: settings.partition.region,
    credentials:
      token === undefined
        ? instanceCredentials
        : {
            accessKeyId: instanceAccessKeyId(token, instanceId),
            secretAccessKey: instanceCredentials.secretAccessKey,
          },
  };
}
