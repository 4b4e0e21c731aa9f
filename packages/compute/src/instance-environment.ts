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
 * The environment of a process-driver instance: the inherited basics, then the launch template's
 * variables (they win), then the instance's identity and `PORT`, which the driver decides.
 */
export function processInstanceEnvironment(
  spec: { instanceId: string; hostPort: number; environment: Record<string, string> },
  host: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of inheritedVariables) {
    const value = host[name];
    if (value !== undefined) env[name] = value;
  }
  return {
    ...env,
    ...spec.environment,
    // The driver finds an instance whose record was never written by this variable (/proc/<pid>/environ);
    // it is the instance's own id, as the instance-metadata service will later serve it.
    SCALEOUT_INSTANCE_ID: spec.instanceId,
    PORT: String(spec.hostPort),
  };
}
