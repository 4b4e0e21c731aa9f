import {
  AwsError,
  check,
  checkLength,
  checkOneOf,
  checkPageSize,
  checkPort,
  decodeToken,
  Errors,
  newLaunchTemplateId,
  type Page,
  pageOf,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, asc, eq, gt, inArray } from "drizzle-orm";
import { onConstraint } from "./constraints.ts";
import { iso, mutate, type ServiceContext } from "./context.ts";
import type { Wire } from "./shapes/common.ts";
import type { CreateLaunchTemplate, LaunchTemplate, LaunchTemplateView } from "./shapes/launch-templates.ts";
import { checkNoDuplicateKeys, checkTags, removeTags, writeTags } from "./tags.ts";

const { launchTemplates, launchTemplateVersions, autoScalingGroups, instances } = schema;
type TemplateRow = typeof launchTemplates.$inferSelect;
type VersionRow = typeof launchTemplateVersions.$inferSelect;

export interface LaunchTemplateData {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  containerPort?: number;
  cpu?: number;
  memoryMiB?: number;
  networkMode?: string;
}

/** What either door gives CreateLaunchTemplate; the service checks every member. */
export type CreateLaunchTemplateInput = Wire<Partial<CreateLaunchTemplate>>;

export interface LaunchTemplateVersion
  extends Required<Pick<LaunchTemplateData, "environment" | "networkMode">> {
  launchTemplateId: string;
  launchTemplateName: string;
  versionNumber: number;
  versionDescription?: string;
  defaultVersion: boolean;
  createTime: string;
  image?: string;
  command?: string[];
  containerPort?: number;
  cpu?: number;
  memoryMiB?: number;
}

/** A resolved version: what the reconciler launches. */
export interface ResolvedLaunchTemplate {
  template: TemplateRow;
  version: VersionRow;
}

const imagePattern =
  /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export function checkLaunchTemplateData(
  data: LaunchTemplateData,
): Omit<VersionRow, "templateId" | "version" | "createdAt" | "description"> {
  check(
    data.image !== undefined || data.command !== undefined,
    "A launch template needs an image, a command, or both",
  );
  if (data.image !== undefined) {
    checkLength("Image", data.image, 1, 255);
    check(imagePattern.test(data.image), `Image '${data.image}' is not a valid image reference`);
  }
  if (data.command !== undefined) {
    check(
      Array.isArray(data.command) &&
        data.command.length > 0 &&
        data.command.every((a) => typeof a === "string"),
      "Command must be a non-empty list of strings",
    );
    check(data.command[0] !== "", "The first element of Command must name the program to run");
  }
  const environment = data.environment ?? {};
  check(
    typeof environment === "object" && !Array.isArray(environment),
    "Environment must be an object of strings",
  );
  for (const [key, value] of Object.entries(environment)) {
    check(/^[A-Za-z_][A-Za-z0-9_]*$/.test(key), `Environment variable name '${key}' is not valid`);
    check(typeof value === "string", `Environment variable '${key}' must be a string`);
  }
  if (data.containerPort !== undefined) checkPort("ContainerPort", data.containerPort);
  if (data.cpu !== undefined)
    check(
      typeof data.cpu === "number" && data.cpu >= 0.01 && data.cpu <= 64,
      "Cpu must be between 0.01 and 64 cores",
    );
  if (data.memoryMiB !== undefined) {
    check(
      Number.isInteger(data.memoryMiB) && data.memoryMiB >= 6 && data.memoryMiB <= 1048576,
      "MemoryMiB must be an integer between 6 and 1048576",
    );
  }
  const networkMode = checkOneOf("NetworkMode", data.networkMode ?? "host", ["host", "bridge"] as const);
  if (networkMode === "bridge")
    check(data.image !== undefined, "Bridge networking needs an image: it applies to containers only");
  return {
    image: data.image ?? null,
    command: data.command ?? null,
    environment,
    containerPort: data.containerPort ?? null,
    cpu: data.cpu ?? null,
    memoryMiB: data.memoryMiB ?? null,
    networkMode,
  };
}

function checkTemplateName(name: string | undefined): asserts name is string {
  check(name !== undefined, "LaunchTemplateName is required");
  checkLength("LaunchTemplateName", name, 3, 128);
  check(
    /^[a-zA-Z0-9().\-/_]+$/.test(name),
    `LaunchTemplateName '${name}' may contain only letters, digits and ( ) . - / _`,
  );
}

export function findLaunchTemplate(db: Db | Tx, nameOrId: string): TemplateRow {
  const row = /^lt-[0-9a-f]{17}$/.test(nameOrId)
    ? db.select().from(launchTemplates).where(eq(launchTemplates.id, nameOrId)).get()
    : db.select().from(launchTemplates).where(eq(launchTemplates.name, nameOrId)).get();
  if (!row) {
    throw new Errors.LaunchTemplateNotFound(
      `The specified launch template, with template name ${nameOrId}, does not exist.`,
    );
  }
  return row;
}

/** "$Latest", "$Default" or a number, to the version row. */
export function resolveLaunchTemplateVersion(
  db: Db | Tx,
  template: TemplateRow,
  version: string | undefined,
): VersionRow {
  const wanted =
    version === undefined || version === "$Default"
      ? template.defaultVersion
      : version === "$Latest"
        ? template.latestVersion
        : Number(version);
  check(
    Number.isInteger(wanted) && wanted >= 1,
    `Launch template version '${version}' is not valid: use a number, $Latest or $Default`,
  );
  const row = db
    .select()
    .from(launchTemplateVersions)
    .where(
      and(eq(launchTemplateVersions.templateId, template.id), eq(launchTemplateVersions.version, wanted)),
    )
    .get();
  if (!row) throw new Errors.ValidationError(`Launch template ${template.name} has no version ${version}`);
  return row;
}

export function toLaunchTemplate(row: TemplateRow, accountId: string): LaunchTemplate {
  return {
    launchTemplateId: row.id,
    launchTemplateName: row.name,
    createTime: iso(row.createdAt),
    createdBy: `arn:aws:iam::${accountId}:root`,
    defaultVersionNumber: row.defaultVersion,
    latestVersionNumber: row.latestVersion,
  };
}

export function toLaunchTemplateVersion(template: TemplateRow, row: VersionRow): LaunchTemplateVersion {
  return {
    launchTemplateId: template.id,
    launchTemplateName: template.name,
    versionNumber: row.version,
    ...(row.description !== null && { versionDescription: row.description }),
    defaultVersion: row.version === template.defaultVersion,
    createTime: iso(row.createdAt),
    ...(row.image !== null && { image: row.image }),
    ...(row.command !== null && { command: row.command }),
    environment: row.environment,
    ...(row.containerPort !== null && { containerPort: row.containerPort }),
    ...(row.cpu !== null && { cpu: row.cpu }),
    ...(row.memoryMiB !== null && { memoryMiB: row.memoryMiB }),
    networkMode: row.networkMode,
  };
}

export function launchTemplateService(ctx: ServiceContext) {
  const view = (db: Db | Tx, template: TemplateRow): LaunchTemplateView => {
    const {
      versionNumber: _v,
      defaultVersion: _d,
      ...data
    } = toLaunchTemplateVersion(template, resolveLaunchTemplateVersion(db, template, "$Default"));
    return { ...data, ...toLaunchTemplate(template, ctx.partition.accountId) };
  };

  return {
    create(input: CreateLaunchTemplateInput): LaunchTemplateView {
      checkTemplateName(input.launchTemplateName);
      const name = input.launchTemplateName;
      const data = checkLaunchTemplateData(input);
      if (input.versionDescription !== undefined)
        checkLength("VersionDescription", input.versionDescription, 0, 255);
      const tags = checkTags(input.tags);
      checkNoDuplicateKeys(tags);
      const exists = () =>
        new Errors.LaunchTemplateAlreadyExists(
          `Launch template name already in use: a launch template named '${name}' already exists.`,
        );
      const now = ctx.now();
      const template: TemplateRow = {
        id: newLaunchTemplateId(),
        name,
        defaultVersion: 1,
        latestVersion: 1,
        createdAt: now,
      };
      return mutate(ctx, (tx) =>
        onConstraint(
          () => {
            tx.insert(launchTemplates).values(template).run();
            tx.insert(launchTemplateVersions)
              .values({
                templateId: template.id,
                version: 1,
                description: input.versionDescription ?? null,
                ...data,
                createdAt: now,
              })
              .run();
            // Kept under the template id, the one name that does not depend on the region.
            writeTags(tx, template.id, tags);
            return view(tx, template);
          },
          { unique: exists },
        ),
      );
    },

    /** CreateLaunchTemplateVersion: a new version, optionally based on another's data. */
    createVersion(
      nameOrId: string,
      input: LaunchTemplateData & { sourceVersion?: string; versionDescription?: string },
    ): LaunchTemplateVersion {
      return mutate(ctx, (tx) => {
        const template = findLaunchTemplate(tx, nameOrId);
        const base =
          input.sourceVersion === undefined
            ? undefined
            : resolveLaunchTemplateVersion(tx, template, input.sourceVersion);
        const merged: LaunchTemplateData = {
          image: input.image ?? base?.image ?? undefined,
          command: input.command ?? base?.command ?? undefined,
          environment: input.environment ?? base?.environment,
          containerPort: input.containerPort ?? base?.containerPort ?? undefined,
          cpu: input.cpu ?? base?.cpu ?? undefined,
          memoryMiB: input.memoryMiB ?? base?.memoryMiB ?? undefined,
          networkMode: input.networkMode ?? base?.networkMode,
        };
        const data = checkLaunchTemplateData(merged);
        const version = template.latestVersion + 1;
        const row: VersionRow = {
          templateId: template.id,
          version,
          description: input.versionDescription ?? null,
          ...data,
          createdAt: ctx.now(),
        };
        tx.insert(launchTemplateVersions).values(row).run();
        tx.update(launchTemplates)
          .set({ latestVersion: version })
          .where(eq(launchTemplates.id, template.id))
          .run();
        return toLaunchTemplateVersion({ ...template, latestVersion: version }, row);
      });
    },

    get(nameOrId: string): LaunchTemplateView {
      return view(ctx.db, findLaunchTemplate(ctx.db, nameOrId));
    },

    list(
      options: { names?: string[]; ids?: string[]; pageSize?: number; nextToken?: string } = {},
    ): Page<LaunchTemplateView> {
      const pageSize = checkPageSize(options.pageSize);
      if (options.names?.length || options.ids?.length) {
        const rows = options.names?.length
          ? ctx.db.select().from(launchTemplates).where(inArray(launchTemplates.name, options.names)).all()
          : ctx.db
              .select()
              .from(launchTemplates)
              .where(inArray(launchTemplates.id, options.ids ?? []))
              .all();
        const keys = options.names?.length ? options.names : (options.ids ?? []);
        const missing = keys.filter((k) => !rows.some((r) => r.name === k || r.id === k));
        if (missing.length) {
          throw new Errors.LaunchTemplateNotFound(
            `The specified launch templates, ${missing.join(", ")}, do not exist.`,
          );
        }
        return { items: rows.map((r) => view(ctx.db, r)) };
      }
      const after = decodeToken(options.nextToken);
      const rows = ctx.db
        .select()
        .from(launchTemplates)
        .where(after === undefined ? undefined : gt(launchTemplates.name, after))
        .orderBy(asc(launchTemplates.name))
        .limit(pageSize + 1)
        .all();
      const page = pageOf(rows, pageSize, (r) => r.name);
      return {
        items: page.items.map((r) => view(ctx.db, r)),
        ...(page.nextToken && { nextToken: page.nextToken }),
      };
    },

    versions(nameOrId: string, versions?: string[]): LaunchTemplateVersion[] {
      const template = findLaunchTemplate(ctx.db, nameOrId);
      if (versions?.length)
        return versions.map((v) =>
          toLaunchTemplateVersion(template, resolveLaunchTemplateVersion(ctx.db, template, v)),
        );
      return ctx.db
        .select()
        .from(launchTemplateVersions)
        .where(eq(launchTemplateVersions.templateId, template.id))
        .orderBy(asc(launchTemplateVersions.version))
        .all()
        .map((row) => toLaunchTemplateVersion(template, row));
    },

    /**
     * ModifyLaunchTemplate: which version `$Default` names. Groups that launch from `$Default` use the
     * new default from their next launch on; running instances keep the version they were launched from.
     */
    setDefaultVersion(nameOrId: string, version: string | undefined): LaunchTemplate {
      return mutate(ctx, (tx, announce) => {
        const template = findLaunchTemplate(tx, nameOrId);
        if (version === undefined) return toLaunchTemplate(template, ctx.partition.accountId);
        const wanted = version === "$Latest" ? template.latestVersion : Number(version);
        if (!/^(\$Latest|[0-9]+)$/.test(version) || !Number.isInteger(wanted) || wanted < 1) {
          throw new Errors.InvalidParameterValue(
            `The version number '${version}' is not valid: specify a version number or $Latest.`,
          );
        }
        const row = tx
          .select({ version: launchTemplateVersions.version })
          .from(launchTemplateVersions)
          .where(
            and(
              eq(launchTemplateVersions.templateId, template.id),
              eq(launchTemplateVersions.version, wanted),
            ),
          )
          .get();
        if (!row) {
          throw new Errors.LaunchTemplateVersionNotFound(
            `Could not find launch template version ${version} for launch template ${template.id}.`,
          );
        }
        tx.update(launchTemplates)
          .set({ defaultVersion: wanted })
          .where(eq(launchTemplates.id, template.id))
          .run();
        // Groups on $Default launch from the new default: their passes pick it up.
        for (const group of tx
          .select({ name: autoScalingGroups.name })
          .from(autoScalingGroups)
          .where(
            and(
              eq(autoScalingGroups.launchTemplateId, template.id),
              eq(autoScalingGroups.launchTemplateVersion, "$Default"),
            ),
          )
          .all())
          announce.groups.push({ name: group.name, reason: "launch template default version changed" });
        return toLaunchTemplate({ ...template, defaultVersion: wanted }, ctx.partition.accountId);
      });
    },

    /**
     * GetLaunchTemplateData: the launch template data an instance runs, read from the template version
     * it was launched from (an Auto Scaling instance records it).
     */
    instanceData(instanceId: string): LaunchTemplateVersion {
      if (!/^i-[0-9a-f]{8,17}$/.test(instanceId)) {
        throw new AwsError("InvalidInstanceID.Malformed", 400, `Invalid id: "${instanceId}"`);
      }
      const instance = ctx.db.select().from(instances).where(eq(instances.id, instanceId)).get();
      if (!instance || instance.lifecycleState === "Terminated") {
        throw new Errors.InvalidInstanceIdNotFound(`The instance ID '${instanceId}' does not exist`);
      }
      const template = findLaunchTemplate(ctx.db, instance.launchTemplateId);
      return toLaunchTemplateVersion(
        template,
        resolveLaunchTemplateVersion(ctx.db, template, String(instance.launchTemplateVersion)),
      );
    },

    /** DeleteLaunchTemplate: refused while an auto scaling group launches from it (EC2 would allow it). */
    delete(nameOrId: string): LaunchTemplate {
      const template = findLaunchTemplate(ctx.db, nameOrId);
      return mutate(ctx, (tx) => {
        const user = tx
          .select({ name: autoScalingGroups.name })
          .from(autoScalingGroups)
          .where(eq(autoScalingGroups.launchTemplateId, template.id))
          .get();
        if (user) {
          throw new Errors.ResourceInUse(
            `Launch template '${template.name}' is used by auto scaling group '${user.name}'`,
          );
        }
        tx.delete(launchTemplates).where(eq(launchTemplates.id, template.id)).run();
        removeTags(tx, template.id);
        return toLaunchTemplate(template, ctx.partition.accountId);
      });
    },
  };
}

export type LaunchTemplateService = ReturnType<typeof launchTemplateService>;
