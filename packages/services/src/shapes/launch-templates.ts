import { type Static, Type } from "@sinclair/typebox";
import { StringEnum, Tags, Timestamp } from "./common.ts";

/* A launch template's shapes, declared once for the REST routes, the EC2 door and the service. */

/** Which template (and version) a group launches from. */
export const LaunchTemplateSpec = Type.Object(
  {
    launchTemplateId: Type.Optional(Type.String()),
    launchTemplateName: Type.Optional(Type.String()),
    version: Type.Optional(
      Type.String({ description: 'A version number, "$Latest" or "$Default" (default)' }),
    ),
  },
  { additionalProperties: false },
);
export type LaunchTemplateSpec = Static<typeof LaunchTemplateSpec>;

/** A resolved specification, as groups and instances answer it. */
export const LaunchTemplateRef = Type.Object({
  launchTemplateId: Type.String(),
  launchTemplateName: Type.String(),
  version: Type.String(),
});

/** What an instance runs: scaleout's counterpart of the launch template data. */
export const LaunchTemplateFields = {
  image: Type.Optional(
    Type.String({
      description: "Container image (docker driver); without it the process driver runs the command",
    }),
  ),
  command: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
  environment: Type.Optional(Type.Record(Type.String(), Type.String())),
  containerPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  cpu: Type.Optional(Type.Number({ description: "CPU limit in cores" })),
  memoryMiB: Type.Optional(Type.Integer()),
  networkMode: Type.Optional(StringEnum(["host", "bridge"])),
};

export const CreateLaunchTemplate = Type.Object(
  {
    launchTemplateName: Type.String(),
    versionDescription: Type.Optional(Type.String()),
    ...LaunchTemplateFields,
    tags: Tags,
  },
  { additionalProperties: false },
);
export type CreateLaunchTemplate = Static<typeof CreateLaunchTemplate>;

/** A template as EC2 describes it (its versions hold the data). */
export const LaunchTemplate = Type.Object({
  launchTemplateId: Type.String(),
  launchTemplateName: Type.String(),
  createTime: Timestamp(),
  createdBy: Type.String(),
  defaultVersionNumber: Type.Integer(),
  latestVersionNumber: Type.Integer(),
});
export type LaunchTemplate = Static<typeof LaunchTemplate>;

/** A template with its default version's data, as the REST door answers it. */
export const LaunchTemplateView = Type.Object(
  {
    launchTemplateId: Type.String(),
    launchTemplateName: Type.String(),
    createTime: Timestamp(),
    createdBy: Type.String(),
    defaultVersionNumber: Type.Integer(),
    latestVersionNumber: Type.Integer(),
    versionDescription: Type.Optional(Type.String()),
    image: Type.Optional(Type.String()),
    command: Type.Optional(Type.Array(Type.String())),
    environment: Type.Record(Type.String(), Type.String()),
    containerPort: Type.Optional(Type.Integer()),
    cpu: Type.Optional(Type.Number()),
    memoryMiB: Type.Optional(Type.Integer()),
    networkMode: Type.String(),
  },
  { $id: "LaunchTemplate" },
);
export type LaunchTemplateView = Static<typeof LaunchTemplateView>;

/** CreateLaunchTemplateVersion: members not given come from SourceVersion's data, when given. */
export const CreateLaunchTemplateVersion = Type.Object(
  {
    sourceVersion: Type.Optional(Type.String({ description: 'A version number, "$Latest" or "$Default"' })),
    versionDescription: Type.Optional(Type.String({ maxLength: 255 })),
    ...LaunchTemplateFields,
  },
  { additionalProperties: false },
);
export type CreateLaunchTemplateVersion = Static<typeof CreateLaunchTemplateVersion>;

/** ModifyLaunchTemplate: the version `$Default` names from now on. */
export const ModifyLaunchTemplate = Type.Object(
  { defaultVersion: Type.String({ description: 'A version number or "$Latest"' }) },
  { additionalProperties: false },
);

/** One version of a template with its data, as the REST door answers it. */
export const LaunchTemplateVersionView = Type.Object({
  launchTemplateId: Type.String(),
  launchTemplateName: Type.String(),
  versionNumber: Type.Integer(),
  versionDescription: Type.Optional(Type.String()),
  defaultVersion: Type.Boolean(),
  createTime: Timestamp(),
  image: Type.Optional(Type.String()),
  command: Type.Optional(Type.Array(Type.String())),
  environment: Type.Record(Type.String(), Type.String()),
  containerPort: Type.Optional(Type.Integer()),
  cpu: Type.Optional(Type.Number()),
  memoryMiB: Type.Optional(Type.Integer()),
  networkMode: Type.String(),
});
