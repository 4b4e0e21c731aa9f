/**
 * The labels every engine-backed instance carries (docker containers, swarm services): a restarted worker
 * finds its instances by them, and the installation label keeps another scaleout on the same engine or
 * swarm from adopting or reaping them.
 */
export const instanceLabels = {
  managed: "scaleout.managed",
  group: "scaleout.group",
  instanceId: "scaleout.instance-id",
  launchTemplateId: "scaleout.launch-template-id",
  launchTemplateVersion: "scaleout.launch-template-version",
  hostPort: "scaleout.host-port",
  /** The scaleout installation (its registry) that launched it: another one sharing the engine leaves it be. */
  installation: "scaleout.installation",
} as const;
