import { createHash } from "node:crypto";
import type { LifecycleState, MetadataIdentity } from "@scaleout/core";
import { schema } from "@scaleout/db";
import { and, eq, isNotNull, ne } from "drizzle-orm";
import type { ServiceContext } from "./context.ts";
import { instanceAddress } from "./instance-targets.ts";
import { toLaunchTemplateVersion } from "./launch-templates.ts";
import { encodeUserData } from "./user-data.ts";

/*
 * The registry's side of the instance-metadata service: which loopback port serves which instance, and
 * what an instance's metadata says, read afresh at each request so that target-lifecycle-state follows
 * the instance as it moves.
 */

const { instances, launchTemplates, launchTemplateVersions } = schema;

/**
 * The ami-id of an instance whose template names no image (the process driver runs a command): a stable
 * `ami-` id derived from the command, so instances of the same command share it and a new command reads
 * as a new image, as a new AMI would.
 */
export function processImageId(command: readonly string[] | null): string {
  const digest = createHash("sha256")
    .update(JSON.stringify(command ?? []))
    .digest("hex");
  return `ami-${digest.slice(0, 17)}`;
}

export function instanceMetadataSource(ctx: ServiceContext) {
  return {
    /** Instances that have a metadata port and are not Terminated: the ports the service keeps open. */
    metadataPorts(): Map<string, number> {
      const rows = ctx.db
        .select({ id: instances.id, port: instances.metadataPort })
        .from(instances)
        .where(and(ne(instances.lifecycleState, "Terminated"), isNotNull(instances.metadataPort)))
        .all();
      return new Map(rows.flatMap((r) => (r.port === null ? [] : [[r.id, r.port] as const])));
    },

    /** What the metadata service tells `instanceId`, or undefined once its row is gone or Terminated. */
    identity(instanceId: string): MetadataIdentity | undefined {
      const row = ctx.db
        .select({ instance: instances, template: launchTemplates, version: launchTemplateVersions })
        .from(instances)
        .leftJoin(launchTemplates, eq(launchTemplates.id, instances.launchTemplateId))
        .leftJoin(
          launchTemplateVersions,
          and(
            eq(launchTemplateVersions.templateId, instances.launchTemplateId),
            eq(launchTemplateVersions.version, instances.launchTemplateVersion),
          ),
        )
        .where(eq(instances.id, instanceId))
        .get();
      if (!row || row.instance.lifecycleState === "Terminated") return undefined;
      const { instance, template, version } = row;
      const encoded =
        template && version ? encodeUserData(toLaunchTemplateVersion(template, version)) : undefined;
      return {
        instanceId: instance.id,
        imageId: version?.image ?? processImageId(version?.command ?? null),
        instanceType: instance.driver === "process" ? "local.process" : "local.container",
        localIpv4: instance.address ?? instanceAddress,
        region: ctx.partition.region,
        availabilityZone: instance.availabilityZone,
        accountId: ctx.partition.accountId,
        launchedAt: instance.launchedAt,
        lifecycleState: instance.lifecycleState as LifecycleState,
        warmPoolState: instance.warmPoolState,
        // EC2 stores UserData base64-encoded and IMDS serves it decoded.
        userData: encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8"),
      };
    },
  };
}

export type InstanceMetadataSource = ReturnType<typeof instanceMetadataSource>;
