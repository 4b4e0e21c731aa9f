import type { LaunchTemplateData } from "../launch-templates.ts";
import { decodeUserData } from "../user-data.ts";
import type { ProviderRequest, ResourceProvider } from "./types.ts";
import { found, generatedName, stringProp } from "./types.ts";

/** LaunchTemplateData as the EC2 door reads it: ImageId is the image, UserData what an instance runs. */
function dataOf(properties: ProviderRequest["properties"]): LaunchTemplateData {
  const raw = Object.hasOwn(properties, "LaunchTemplateData") ? properties.LaunchTemplateData : undefined;
  const data = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? raw : {};
  const image = stringProp(data, "ImageId");
  const userData = stringProp(data, "UserData");
  return {
    ...(image !== undefined && image !== "" && { image }),
    ...(userData !== undefined && decodeUserData(userData)),
  };
}

const attributesOf = (view: {
  launchTemplateId: string;
  defaultVersionNumber: number;
  latestVersionNumber: number;
}) => ({
  LaunchTemplateId: view.launchTemplateId,
  // CloudFormation gives version numbers as strings.
  DefaultVersionNumber: String(view.defaultVersionNumber),
  LatestVersionNumber: String(view.latestVersionNumber),
});

const nameOf = ({ stackName, logicalId, properties, token }: ProviderRequest) =>
  stringProp(properties, "LaunchTemplateName") ?? generatedName(stackName, logicalId, 125, token);

/** AWS::EC2::LaunchTemplate. Ref: the launch template id (lt-...). */
export const launchTemplateProvider: ResourceProvider = {
  replaces: ["LaunchTemplateName"],
  namedBy: "LaunchTemplateName",
  create(request) {
    const { services, properties } = request;
    const view = services.launchTemplates.create({
      launchTemplateName: nameOf(request),
      versionDescription: stringProp(properties, "VersionDescription"),
      ...dataOf(properties),
    });
    return { physicalId: view.launchTemplateId, attributes: attributesOf(view) };
  },
  adopt(request) {
    const view = found(() => request.services.launchTemplates.get(nameOf(request)));
    return view === undefined
      ? undefined
      : { physicalId: view.launchTemplateId, attributes: attributesOf(view) };
  },
  /** A change of LaunchTemplateData makes a new version, the default one, as CloudFormation does. */
  update({ services, physicalId, properties }) {
    const version = services.launchTemplates.createVersion(physicalId, {
      ...dataOf(properties),
      versionDescription: stringProp(properties, "VersionDescription"),
    });
    services.launchTemplates.setDefaultVersion(physicalId, String(version.versionNumber));
    return { physicalId, attributes: attributesOf(services.launchTemplates.get(physicalId)) };
  },
  delete({ services, physicalId }) {
    services.launchTemplates.delete(physicalId);
  },
};
