/**
 * What an instance process inherits from the host's environment: only what running a program needs
 * (finding binaries, a home and a user, locale, time zone, a temp directory). Never scaleout's own
 * settings: the api token, REDIS_URL (with Redis's password), SCALEOUT_* and the data directory stay with
 * scaleout, as an EC2 instance sees nothing of the control plane that launched it.
 */
export const inheritedVariables = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LC_ALL",
  "TZ",
  "TMPDIR",
] as const;

/**
 * How software inside an instance reaches AWS as it would on EC2: its instance-metadata service and
 * scaleout's AWS door as the endpoint of every service.
 */
export interface InstanceAwsAccess {
  /** The loopback port of the instance's own metadata service (the port names the instance). */
  metadataPort: number;
  /** scaleout's api, where the SDKs and the CLI send AWS calls: `http://127.0.0.1:7700`. */
  endpointUrl: string;
  region: string;
  /** What the SDKs sign with (never the api token: docs/aws-differences.md). Absent: none. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * The AWS variables of an instance: AWS_EC2_METADATA_SERVICE_ENDPOINT (the SDKs take its scheme, host
 * and port, never a path, which is why each instance has a port of its own), AWS_ENDPOINT_URL, the
 * region and, when given, credentials.
 */
export function awsInstanceEnvironment(access: InstanceAwsAccess): Record<string, string> {
  return {
    AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${access.metadataPort}/`,
    AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv4",
    AWS_ENDPOINT_URL: access.endpointUrl,
    AWS_REGION: access.region,
    AWS_DEFAULT_REGION: access.region,
    ...(access.credentials && {
      AWS_ACCESS_KEY_ID: access.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: access.credentials.secretAccessKey,
    }),
  };
}

/**
 * The environment of a process-driver instance: the inherited basics, the AWS variables, then the
 * launch template's variables (they win over both), then the instance's identity and `PORT`, which the
 * driver decides.
 */
export function processInstanceEnvironment(
  spec: {
    instanceId: string;
    hostPort: number;
    environment: Record<string, string>;
    aws?: InstanceAwsAccess;
  },
  host: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of inheritedVariables) {
    const value = host[name];
    if (value !== undefined) env[name] = value;
  }
  return {
    ...env,
    ...(spec.aws && awsInstanceEnvironment(spec.aws)),
    ...spec.environment,
    // The driver finds an instance whose record was never written by this variable (/proc/<pid>/environ);
    // it is the instance's own id, as the instance-metadata service will later serve it.
    SCALEOUT_INSTANCE_ID: spec.instanceId,
    PORT: String(spec.hostPort),
  };
}
