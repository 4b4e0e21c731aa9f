import { AwsError, Errors, type Tag as TagValue } from "@scaleout/core";
import {
  decodeUserData,
  encodeUserData,
  type LaunchTemplateData,
  type Services,
  shapes,
  type LaunchTemplateVersion as VersionView,
} from "@scaleout/services";
import { deriveMembers } from "../derive-shape.ts";
import { type AwsService, operation, pageOfList, pageSize } from "../operation.ts";
import { bool, int, list, opt, req, type Static, str, struct, ts, unsupported } from "../shapes.ts";
import { ec2InstanceOperations } from "./ec2-instances.ts";

// ---- Shapes (botocore ec2 2016-11-15, launch templates only) ---------------------------------------------
// EC2's query protocol names request keys after the model's query names (`LaunchTemplateId.1`, lists
// flattened) and response elements after its lowerCamel location names (`launchTemplateVersionSet`).

const Tag = struct({ key: str, value: str });
const TagSpecification = struct({
  resourceType: str,
  tags: opt(list(Tag), { query: "Tag", xml: "tagSet" }),
});
const Filter = struct({ name: str, values: opt(list(str), { query: "Value" }) });

const RequestLaunchTemplateData = struct({
  imageId: str,
  instanceType: str,
  userData: str,
  keyName: str,
  securityGroupIds: opt(list(str), { query: "SecurityGroupId" }),
  securityGroups: opt(list(str), { query: "SecurityGroup" }),
  tagSpecifications: opt(list(TagSpecification), { query: "TagSpecification" }),
});

const LaunchTemplate = struct({
  ...deriveMembers(shapes.LaunchTemplate),
  tags: opt(list(Tag), { xml: "tagSet" }),
});

const LaunchTemplateVersion = struct({
  launchTemplateId: str,
  launchTemplateName: str,
  versionNumber: int,
  versionDescription: str,
  createTime: ts,
  createdBy: str,
  defaultVersion: bool,
  launchTemplateData: struct({ imageId: str, userData: str }),
});

const templateKey = { launchTemplateId: str, launchTemplateName: str };
const dryRun = { dryRun: bool };

// ---- Helpers ---------------------------------------------------------------------------------------------

function checkDryRun(input: { dryRun?: boolean }): void {
  if (input.dryRun)
    throw new AwsError("DryRunOperation", 412, "Request would have succeeded, but DryRun flag is set.");
}

/** ImageId is the container image; UserData carries the command and the rest (see services/user-data.ts). */
function templateData(data: Static<typeof RequestLaunchTemplateData>): LaunchTemplateData {
  return {
    image: data.imageId,
    ...(data.userData !== undefined && decodeUserData(data.userData)),
  };
}

function templateTags(specifications: Array<Static<typeof TagSpecification>> | undefined): TagValue[] {
  return (specifications ?? []).flatMap((spec) => {
    if (spec.resourceType !== "launch-template") {
      throw new AwsError(
        "InvalidParameterValue",
        400,
        `'${spec.resourceType}' is not a valid taggable resource type for this operation: use launch-template`,
      );
    }
    return (spec.tags ?? []).map((t) => ({ key: t.key ?? "", value: t.value ?? "" }));
  });
}

function templateName(input: { launchTemplateId?: string; launchTemplateName?: string }): string {
  const key = input.launchTemplateId ?? input.launchTemplateName;
  if (key === undefined)
    throw new Errors.MissingParameter(
      "The request must contain the parameter LaunchTemplateName or LaunchTemplateId",
    );
  return key;
}

function versionOut(version: VersionView, accountId: string) {
  const userData = encodeUserData(version);
  return {
    ...version,
    createdBy: `arn:aws:iam::${accountId}:root`,
    launchTemplateData: {
      imageId: version.image,
      userData,
    },
  };
}

/** Template tags are kept under the template id, the one name that does not depend on the region. */
function withTags(services: Services, templates: Array<{ launchTemplateId: string }>) {
  const tags = services.tagging.resources.get(templates.map((t) => t.launchTemplateId));
  // AWS leaves tagSet out of a template without tags.
  return <T extends { launchTemplateId: string }>(template: T) => {
    const list = tags.get(template.launchTemplateId) ?? [];
    return { ...template, ...(list.length > 0 && { tags: list }) };
  };
}

// ---- Operations ------------------------------------------------------------------------------------------

const containerNote =
  "ImageId is the container image; UserData (base64) carries the command: a JSON object {command, environment, containerPort, cpu, memoryMiB, networkMode} or a script run as /bin/sh -c. Other launch template data is accepted and ignored.";

const operations = {
  CreateLaunchTemplate: operation({
    input: struct({
      ...dryRun,
      clientToken: str,
      launchTemplateName: req(str),
      versionDescription: str,
      launchTemplateData: req(RequestLaunchTemplateData),
      tagSpecifications: opt(list(TagSpecification), { query: "TagSpecification" }),
    }),
    output: struct({ launchTemplate: LaunchTemplate }),
    support: "partial",
    notes: containerNote,
    run: (input, { services }) => {
      checkDryRun(input);
      const tags = templateTags(input.tagSpecifications);
      const template = services.launchTemplates.create({
        launchTemplateName: input.launchTemplateName,
        versionDescription: input.versionDescription,
        ...templateData(input.launchTemplateData),
        tags,
      });
      return { launchTemplate: { ...template, ...(tags.length > 0 && { tags }) } };
    },
  }),

  CreateLaunchTemplateVersion: operation({
    input: struct({
      ...dryRun,
      clientToken: str,
      ...templateKey,
      sourceVersion: str,
      versionDescription: str,
      launchTemplateData: req(RequestLaunchTemplateData),
      resolveAlias: bool,
    }),
    output: struct({ launchTemplateVersion: LaunchTemplateVersion }),
    support: "partial",
    notes: `${containerNote} With SourceVersion, members not given are taken from that version.`,
    run: (input, { services, accountId }) => {
      checkDryRun(input);
      const version = services.launchTemplates.createVersion(templateName(input), {
        ...templateData(input.launchTemplateData),
        sourceVersion: input.sourceVersion,
        versionDescription: input.versionDescription,
      });
      return { launchTemplateVersion: versionOut(version, accountId) };
    },
  }),

  DescribeLaunchTemplates: operation({
    input: struct({
      ...dryRun,
      launchTemplateIds: opt(list(str), { query: "LaunchTemplateId" }),
      launchTemplateNames: opt(list(str), { query: "LaunchTemplateName" }),
      filters: opt(list(Filter), { query: "Filter" }),
      nextToken: str,
      maxResults: int,
    }),
    output: struct({ launchTemplates: list(LaunchTemplate), nextToken: str }),
    support: "implemented",
    notes: "Filters: launch-template-name.",
    run: (input, { services }) => {
      checkDryRun(input);
      let names = input.launchTemplateNames;
      for (const filter of input.filters ?? []) {
        if (filter.name !== "launch-template-name")
          throw new AwsError("InvalidParameterValue", 400, `The filter '${filter.name}' is invalid`);
        names = [...(names ?? []), ...(filter.values ?? [])];
      }
      const result = services.launchTemplates.list({
        names,
        ids: input.launchTemplateIds,
        pageSize: pageSize(input.maxResults, "MaxResults", 200, 200),
        nextToken: input.nextToken,
      });
      return {
        launchTemplates: result.items.map(withTags(services, result.items)),
        nextToken: result.nextToken,
      };
    },
  }),

  DescribeLaunchTemplateVersions: operation({
    input: struct({
      ...dryRun,
      ...templateKey,
      versions: opt(list(str), { query: "LaunchTemplateVersion" }),
      minVersion: str,
      maxVersion: str,
      nextToken: str,
      maxResults: int,
      filters: opt(unsupported("Filters are not supported by scaleout's DescribeLaunchTemplateVersions"), {
        query: "Filter",
      }),
      resolveAlias: bool,
    }),
    output: struct({
      launchTemplateVersions: opt(list(LaunchTemplateVersion), { xml: "launchTemplateVersionSet" }),
      nextToken: str,
    }),
    support: "implemented",
    run: (input, { services, accountId }) => {
      checkDryRun(input);
      const aliases = input.versions?.every((v) => v === "$Latest" || v === "$Default") ?? false;
      const names =
        input.launchTemplateId === undefined && input.launchTemplateName === undefined && aliases
          ? services.launchTemplates.list({ pageSize: 400 }).items.map((t) => t.launchTemplateId)
          : [templateName(input)];
      const min = input.minVersion === undefined ? undefined : Number(input.minVersion);
      const max = input.maxVersion === undefined ? undefined : Number(input.maxVersion);
      const all = names
        .flatMap((name) => services.launchTemplates.versions(name, input.versions))
        .filter(
          (v) =>
            (min === undefined || v.versionNumber >= min) && (max === undefined || v.versionNumber <= max),
        );
      const result = pageOfList(
        all,
        (v) => `${v.launchTemplateName}\u0000${String(v.versionNumber).padStart(10, "0")}`,
        {
          pageSize: pageSize(input.maxResults, "MaxResults", 200, 200),
          nextToken: input.nextToken,
        },
      );
      return {
        launchTemplateVersions: result.items.map((v) => versionOut(v, accountId)),
        nextToken: result.nextToken,
      };
    },
  }),

  ModifyLaunchTemplate: operation({
    input: struct({
      ...dryRun,
      clientToken: str,
      ...templateKey,
      defaultVersion: opt(str, { query: "SetDefaultVersion" }),
    }),
    output: struct({ launchTemplate: LaunchTemplate }),
    support: "implemented",
    notes:
      "SetDefaultVersion: a version number or $Latest. Groups on $Default launch from the new default; running instances keep theirs.",
    run: (input, { services }) => {
      checkDryRun(input);
      return {
        launchTemplate: services.launchTemplates.setDefaultVersion(templateName(input), input.defaultVersion),
      };
    },
  }),

  GetLaunchTemplateData: operation({
    input: struct({ ...dryRun, instanceId: req(str) }),
    output: struct({ launchTemplateData: struct({ imageId: str, userData: str }) }),
    support: "implemented",
    notes:
      "For an Auto Scaling instance: the data of the template version it was launched from (ImageId and UserData as in CreateLaunchTemplate).",
    run: (input, { services, accountId }) => {
      checkDryRun(input);
      const { launchTemplateData } = versionOut(
        services.launchTemplates.instanceData(input.instanceId),
        accountId,
      );
      return { launchTemplateData };
    },
  }),

  DeleteLaunchTemplate: operation({
    input: struct({ ...dryRun, ...templateKey }),
    output: struct({ launchTemplate: LaunchTemplate }),
    support: "implemented",
    notes: "Refused (ResourceInUse) while an Auto Scaling group launches from the template.",
    run: (input, { services }) => {
      checkDryRun(input);
      const template = services.launchTemplates.delete(templateName(input));
      return { launchTemplate: template };
    },
  }),
  ...ec2InstanceOperations,
};

export const ec2: AwsService = {
  id: "ec2",
  title: "Amazon EC2",
  version: "2016-11-15",
  xmlns: "http://ec2.amazonaws.com/doc/2016-11-15/",
  signingName: "ec2",
  wire: "ec2",
  operations,
  inputErrors: {
    missing: (path) => new Errors.MissingParameter(`The request must contain the parameter ${path}`),
    invalid: (path, value, expected) =>
      new AwsError(
        "InvalidParameterValue",
        400,
        `Value (${value}) for parameter ${path} is invalid. Expected ${expected}.`,
      ),
    unsupported: (_path, message) => new AwsError("InvalidParameterValue", 400, message),
    // A ValidationError that `translate` words as EC2 does: a malformed template name has its own code.
    violated: (path, value, constraint) =>
      new Errors.ValidationError(`${path}: value (${value}) is invalid. ${constraint}`),
  },
  translate: (error: AwsError) => {
    // EC2 has no ValidationError: a malformed template name has its own code, other bad values are
    // InvalidParameterValue.
    const code =
      error.code === "ValidationError"
        ? error.message.startsWith("LaunchTemplateName")
          ? "InvalidLaunchTemplateName.MalformedException"
          : "InvalidParameterValue"
        : error.code === "InvalidNextToken"
          ? "InvalidPaginationToken"
          : error.code;
    const status = error.statusCode >= 500 || error.code === "DryRunOperation" ? error.statusCode : 400;
    return { code, status, message: error.message };
  },
};
