import type { LaunchSpec } from "./driver.ts";
import { awsInstanceEnvironment } from "./instance-environment.ts";
import { instanceLabels } from "./instance-labels.ts";

/*
 * The Swarm service that is one instance: its labels and the spec the engine is asked to create, from a
 * LaunchSpec. Pure; the swarm driver sends it.
 */

/** Service labels: the docker driver's names (instance-labels.ts). */
export const swarmLabels = instanceLabels;

/**
 * On the task's container: which instance it serves, but not `scaleout.managed`, so a docker driver on
 * the same engine never takes a task's container for one of its own.
 */
export const swarmContainerLabel = "scaleout.swarm-instance-id";

export const serviceName = (instanceId: string) => `scaleout-${instanceId}`;

export interface ServiceSpecInput {
  spec: LaunchSpec;
  port: number;
  installationId: string | undefined;
  graceSeconds: number;
  constraints: string[];
}

/**
 * One replica, never restarted by Swarm (an instance whose task ends is replaced by the reconciler with a
 * new instance id, as AWS replaces an instance), on the host network with its port also declared as a
 * host-mode published port: the app binds it on its node directly, and Swarm's scheduler keeps two
 * tasks publishing the same port off one node. CPU and memory are limits and, as an EC2 instance type's
 * resources are its own, reservations too, so Swarm places instances where they fit.
 */
export function serviceSpec(input: ServiceSpecInput): Record<string, unknown> {
  const { spec, port } = input;
  const env: Record<string, string> = {
    ...(spec.aws && awsInstanceEnvironment(spec.aws)),
    ...spec.environment,
    SCALEOUT_INSTANCE_ID: spec.instanceId,
    PORT: String(port),
  };
  const resources = {
    ...(spec.cpu !== undefined && { NanoCPUs: Math.round(spec.cpu * 1e9) }),
    ...(spec.memoryMiB !== undefined && { MemoryBytes: Math.round(spec.memoryMiB * 1024 * 1024) }),
  };
  return {
    Name: serviceName(spec.instanceId),
    Labels: {
      [swarmLabels.managed]: "true",
      [swarmLabels.group]: spec.groupName,
      [swarmLabels.instanceId]: spec.instanceId,
      [swarmLabels.launchTemplateId]: spec.launchTemplateId,
      [swarmLabels.launchTemplateVersion]: String(spec.launchTemplateVersion),
      [swarmLabels.hostPort]: String(port),
      ...(input.installationId !== undefined && { [swarmLabels.installation]: input.installationId }),
    },
    TaskTemplate: {
      ContainerSpec: {
        Image: spec.image,
        // Args, like the docker driver's Cmd: replaces the image's command, keeps its entrypoint.
        ...(spec.command && spec.command.length > 0 && { Args: spec.command }),
        Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
        Labels: { [swarmContainerLabel]: spec.instanceId },
        StopGracePeriod: Math.round(input.graceSeconds * 1e9),
      },
      Resources: { Limits: resources, Reservations: resources },
      RestartPolicy: { Condition: "none", MaxAttempts: 0 },
      Placement: { Constraints: input.constraints },
      Networks: [{ Target: "host" }],
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: {
      Ports: [{ Protocol: "tcp", TargetPort: port, PublishedPort: port, PublishMode: "host" }],
    },
  };
}
