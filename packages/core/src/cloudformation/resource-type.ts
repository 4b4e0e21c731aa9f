/**
 * What the engine knows of a resource type, as data (from CloudFormation's resource schemas: required,
 * createOnlyProperties, readOnlyProperties, primaryIdentifier): the executor of a stack reads it to check
 * properties, to answer Ref and Fn::GetAtt, and to decide how an update is made.
 */
export interface ResourceTypeSpec {
  /** Properties a template must give (CloudFormation fails the resource without them). */
  required: readonly string[];
  /** At least one of these (the schemas' requiredXor: Subnets or SubnetMappings...). */
  oneOf?: readonly string[];
  /** What `Ref` gives: the ARN, the name or the id the service assigns (see `RefValue`). */
  ref: RefValue;
  /** The attributes Fn::GetAtt may read. */
  attributes: readonly string[];
  /** Properties whose change replaces the resource (createOnlyProperties). */
  replacing: readonly string[];
  /**
   * Properties whose change replaces the resource only under an update policy that says so
   * (conditionalCreateOnlyProperties: a group's launch template under AutoScalingReplacingUpdate);
   * otherwise the update policy decides (a rolling update).
   */
  conditionallyReplacing?: readonly string[];
  /**
   * Types that have no meaning on one machine (VPCs, IAM roles, log groups): accepted, given a generated
   * physical id and plausible attributes, nothing provisioned.
   */
  placeholder?: PlaceholderSpec;
}

export type RefValue = "arn" | "name" | "id";

/**
 * How a placeholder's values are made up (resource-placeholder.ts interprets it): an id with AWS's prefix
 * for the type, or a name, and its attributes.
 */
export interface PlaceholderSpec {
  /** Prefix of the generated physical id (`vpc-`), or `name` for types whose physical id is a name. */
  idPrefix: string;
  /** The property that names a `name` resource (RoleName); without it (or its value) a name is generated. */
  nameProperty?: string;
  /** The longest generated name (64 unless said). */
  nameMax?: number;
  /** A physical id made of the name (an ARN, for types whose Ref is one): `{name}` stands for the name. */
  idTemplate?: string;
  /** Each attribute: a property of the resource, the physical id, the name, a generated id, or a constant. */
  attributes: Readonly<Record<string, PlaceholderAttribute>>;
}

export type PlaceholderAttribute =
  | { property: string; fallback?: string | string[] }
  | { physicalId: true }
  | { name: true }
  | { generated: string }
  | { arn: string }
  | { constant: string | string[] };

/** How an update to a resource's property is made, from its type's spec. */
export type UpdateBehaviour = "replacement" | "conditional" | "in-place";

export function updateBehaviour(spec: ResourceTypeSpec, property: string): UpdateBehaviour {
  if (spec.replacing.includes(property)) return "replacement";
  if (spec.conditionallyReplacing?.includes(property)) return "conditional";
  return "in-place";
}

/** The properties a resource lacks, as CloudFormation names them in the resource's failure. */
export function missingProperties(
  spec: ResourceTypeSpec,
  properties: Readonly<Record<string, unknown>>,
): string[] {
  const missing = spec.required.filter((name) => !Object.hasOwn(properties, name));
  if (spec.oneOf !== undefined && !spec.oneOf.some((name) => Object.hasOwn(properties, name)))
    missing.push(spec.oneOf.join(" | "));
  return missing;
}
