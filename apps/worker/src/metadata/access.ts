import { isIP } from "node:net";
import type { InstanceAwsAccess } from "@scaleout/compute";
import type { Settings } from "@scaleout/config";

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
 * With SCALEOUT_API_TOKEN set, the api takes SigV4 only when the access key id is the token, and the
 * token never reaches an instance (it would be the key to everything): such instances get no
 * credentials, and their AWS calls fail with the SDKs' "Unable to locate credentials" until the user
 * hands credentials in through the launch template (docs/aws-differences.md).
 */
export function instanceAwsAccess(settings: Settings, metadataPort: number): InstanceAwsAccess {
  return {
    metadataPort,
    endpointUrl: apiEndpointUrl(settings.api),
    region: settings.partition.region,
    ...(settings.api.token === undefined && { credentials: instanceCredentials }),
  };
}
