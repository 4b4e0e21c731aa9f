import { type ParameterDeclaration, readParameters } from "./parameter-declarations.ts";
import {
  alphanumeric,
  formatError,
  isObject,
  own,
  put,
  type TemplateObject,
  type TemplateValue,
} from "./value.ts";

export interface ResourceDeclaration {
  type: string;
  properties: TemplateObject;
  /** Logical ids named by DependsOn (a string or a list in the template). */
  dependsOn: string[];
  condition?: string;
  deletionPolicy?: string;
  updateReplacePolicy?: string;
  creationPolicy?: TemplateValue;
  updatePolicy?: TemplateValue;
  metadata?: TemplateValue;
}

export interface OutputDeclaration {
  value: TemplateValue;
  description?: string;
  condition?: string;
  /** The export's name, still to be resolved (it may call functions). */
  exportName?: TemplateValue;
}

/** A template whose sections have the shapes CloudFormation requires; values still hold functions. */
export interface Template {
  formatVersion?: string;
  description?: string;
  metadata?: TemplateValue;
  parameters: Record<string, ParameterDeclaration>;
  mappings: Record<string, Record<string, TemplateObject>>;
  conditions: Record<string, TemplateValue>;
  resources: Record<string, ResourceDeclaration>;
  outputs: Record<string, OutputDeclaration>;
  /** The body as read, for GetTemplate and for diffs. */
  body: TemplateObject;
}

const sections = [
  "AWSTemplateFormatVersion",
  "Description",
  "Metadata",
  "Parameters",
  "Rules",
  "Mappings",
  "Conditions",
  "Transform",
  "Resources",
  "Outputs",
] as const;

const resourceAttributes = [
  "Type",
  "Properties",
  "DependsOn",
  "Condition",
  "DeletionPolicy",
  "UpdateReplacePolicy",
  "CreationPolicy",
  "UpdatePolicy",
  "Metadata",
  "Version",
] as const;

const deletionPolicies = ["Delete", "Retain", "RetainExceptOnCreate", "Snapshot"];
const outputAttributes = ["Value", "Description", "Condition", "Export"];

/** CloudFormation's limits (AWS CloudFormation quotas). */
export const templateLimits = {
  resources: 500,
  parameters: 200,
  outputs: 200,
  mappings: 200,
  mappingAttributes: 200,
  logicalIdLength: 255,
  descriptionLength: 1024,
} as const;

function objectSection(body: TemplateObject, name: string): TemplateObject | undefined {
  const section = own(body, name);
  if (section === undefined) return undefined;
  if (!isObject(section))
    throw formatError(`The ${name} section must be an object (a map of names to declarations)`);
  return section;
}

function checkName(kind: string, name: string): void {
  if (!alphanumeric.test(name)) throw formatError(`${kind} name ${name} is non alphanumeric.`);
  if (name.length > templateLimits.logicalIdLength)
    throw formatError(
      `${kind} name ${name.slice(0, 32)}... exceeds ${templateLimits.logicalIdLength} characters.`,
    );
}

function optionalString(value: TemplateValue | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw formatError(`${what} must be a string`);
  return value;
}

function readResource(name: string, value: TemplateValue): ResourceDeclaration {
  checkName("Resource", name);
  if (!isObject(value)) throw formatError(`[/Resources/${name}] Every Resources object must be an object.`);
  const unknown = Object.keys(value).filter(
    (key) => !(resourceAttributes as readonly string[]).includes(key),
  );
  if (unknown.length > 0)
    throw formatError(`Unrecognized resource attributes [${unknown.join(", ")}] in resource ${name}`);
  const type = own(value, "Type");
  if (type === undefined)
    throw formatError(`[/Resources/${name}] Every Resources object must contain a Type member.`);
  if (typeof type !== "string" || type.length === 0)
    throw formatError(`[/Resources/${name}/Type] Every Type member must be a string.`);
  const properties = own(value, "Properties") ?? {};
  if (!isObject(properties))
    throw formatError(`[/Resources/${name}/Properties] Properties must be an object.`);
  const dependsOnValue = own(value, "DependsOn");
  const dependsOn =
    dependsOnValue === undefined ? [] : Array.isArray(dependsOnValue) ? dependsOnValue : [dependsOnValue];
  for (const dependency of dependsOn) {
    if (typeof dependency !== "string")
      throw formatError(`[/Resources/${name}/DependsOn] DependsOn must be a string or a list of strings.`);
  }
  const declaration: ResourceDeclaration = {
    type,
    properties,
    dependsOn: dependsOn as string[],
  };
  const condition = optionalString(own(value, "Condition"), `[/Resources/${name}/Condition] Condition`);
  if (condition !== undefined) declaration.condition = condition;
  for (const [attribute, key] of [
    ["DeletionPolicy", "deletionPolicy"],
    ["UpdateReplacePolicy", "updateReplacePolicy"],
  ] as const) {
    const policy = optionalString(own(value, attribute), `[/Resources/${name}/${attribute}] ${attribute}`);
    if (policy === undefined) continue;
    if (!deletionPolicies.includes(policy))
      throw formatError(`Unrecognized ${attribute} ${policy} for resource ${name}`);
    declaration[key] = policy;
  }
  const creationPolicy = own(value, "CreationPolicy");
  if (creationPolicy !== undefined) declaration.creationPolicy = creationPolicy;
  const updatePolicy = own(value, "UpdatePolicy");
  if (updatePolicy !== undefined) declaration.updatePolicy = updatePolicy;
  const metadata = own(value, "Metadata");
  if (metadata !== undefined) declaration.metadata = metadata;
  return declaration;
}

function readOutput(name: string, value: TemplateValue): OutputDeclaration {
  checkName("Output", name);
  if (!isObject(value)) throw formatError(`Every Outputs member must be an object`);
  const unknown = Object.keys(value).filter((key) => !outputAttributes.includes(key));
  if (unknown.length > 0) throw formatError(`Invalid outputs property : [${unknown.join(", ")}]`);
  const outputValue = own(value, "Value");
  if (outputValue === undefined) throw formatError(`Every Outputs member must contain a Value object`);
  const output: OutputDeclaration = { value: outputValue };
  const description = optionalString(own(value, "Description"), `Output ${name} Description`);
  if (description !== undefined) output.description = description;
  const condition = optionalString(own(value, "Condition"), `Output ${name} Condition`);
  if (condition !== undefined) output.condition = condition;
  const exported = own(value, "Export");
  if (exported !== undefined) {
    const exportName = isObject(exported) ? own(exported, "Name") : undefined;
    if (!isObject(exported) || exportName === undefined || Object.keys(exported).length !== 1)
      throw formatError(
        `Output ${name} is malformed. The Export member must contain exactly one Name member`,
      );
    output.exportName = exportName;
  }
  return output;
}

function readMappings(section: TemplateObject | undefined): Template["mappings"] {
  const mappings: Template["mappings"] = {};
  if (section === undefined) return mappings;
  if (Object.keys(section).length > templateLimits.mappings)
    throw formatError(`Mappings section exceeds the limit of ${templateLimits.mappings} mappings`);
  for (const [name, mapping] of Object.entries(section)) {
    checkName("Mapping", name);
    if (!isObject(mapping) || Object.keys(mapping).length === 0)
      throw formatError(`Mappings attribute name '${name}' must contain at least one key`);
    const keys: Record<string, TemplateObject> = {};
    for (const [key, attributes] of Object.entries(mapping)) {
      if (!isObject(attributes))
        throw formatError(`Mappings attribute name '${name}' key '${key}' must be an object of attributes`);
      put(keys, key, attributes);
    }
    mappings[name] = keys;
  }
  return mappings;
}

/**
 * The sections of a template body, checked for the shape CloudFormation requires before anything is
 * evaluated: known sections, a supported format version, declarations of the right form, alphanumeric
 * logical ids, at least one resource. A Transform (AWS::Serverless, AWS::LanguageExtensions, macros) is
 * refused: it needs CloudFormation's macro processing, which scaleout does not have.
 */
export function readTemplate(body: TemplateObject): Template {
  const unknown = Object.keys(body).filter((key) => !(sections as readonly string[]).includes(key));
  if (unknown.length > 0)
    throw formatError(`Invalid template property or properties [${unknown.join(", ")}]`);
  const version = own(body, "AWSTemplateFormatVersion");
  // YAML reads an unquoted 2010-09-09 as a string (the core schema has no dates), JSON writes it quoted.
  if (version !== undefined && version !== "2010-09-09")
    throw formatError(`Unsupported template format version ${String(version)}: use 2010-09-09`);
  const transform = own(body, "Transform");
  if (transform !== undefined) {
    const names = (Array.isArray(transform) ? transform : [transform]).map((t) =>
      typeof t === "string" ? t : isObject(t) ? String(own(t, "Name") ?? "?") : "?",
    );
    throw formatError(
      `Transform ${names.join(", ")} is not supported by scaleout: expand the template before deploying it (for AWS::Serverless, \`sam package\`/\`sam build\` output still carries the transform; deploy the processed template from the AWS console's "View processed template" or write the resources it generates)`,
    );
  }
  const description = own(body, "Description");
  if (description !== undefined && typeof description !== "string")
    throw formatError("The Description section must be a string");
  if (typeof description === "string" && description.length > templateLimits.descriptionLength)
    throw formatError(`Template Description exceeds ${templateLimits.descriptionLength} characters`);

  const resourcesSection = objectSection(body, "Resources");
  if (resourcesSection === undefined || Object.keys(resourcesSection).length === 0)
    throw formatError("At least one Resources member must be defined.");
  if (Object.keys(resourcesSection).length > templateLimits.resources)
    throw formatError(
      `Number of resources, ${Object.keys(resourcesSection).length}, is greater than maximum allowed, ${templateLimits.resources}`,
    );
  const resources: Record<string, ResourceDeclaration> = {};
  for (const [name, value] of Object.entries(resourcesSection)) resources[name] = readResource(name, value);

  const outputsSection = objectSection(body, "Outputs") ?? {};
  if (Object.keys(outputsSection).length > templateLimits.outputs)
    throw formatError(`Number of outputs exceeds the limit of ${templateLimits.outputs}`);
  const outputs: Record<string, OutputDeclaration> = {};
  for (const [name, value] of Object.entries(outputsSection)) outputs[name] = readOutput(name, value);

  const conditionsSection = objectSection(body, "Conditions") ?? {};
  for (const name of Object.keys(conditionsSection)) checkName("Condition", name);

  const template: Template = {
    parameters: readParameters(objectSection(body, "Parameters")),
    mappings: readMappings(objectSection(body, "Mappings")),
    conditions: { ...conditionsSection },
    resources,
    outputs,
    body,
  };
  if (version !== undefined) template.formatVersion = version;
  if (typeof description === "string") template.description = description;
  const metadata = own(body, "Metadata");
  if (metadata !== undefined) template.metadata = metadata;
  return template;
}
