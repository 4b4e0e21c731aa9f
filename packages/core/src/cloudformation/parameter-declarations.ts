import {
  alphanumeric,
  formatError,
  isObject,
  own,
  type TemplateObject,
  type TemplateValue,
} from "./value.ts";

export interface ParameterDeclaration {
  type: string;
  default?: string;
  description?: string;
  allowedValues?: string[];
  allowedPattern?: string;
  minLength?: number;
  maxLength?: number;
  minValue?: number;
  maxValue?: number;
  noEcho: boolean;
  constraintDescription?: string;
}

/** The AWS-specific parameter types (CloudFormation's parameters-section-structure page). */
export const awsParameterTypes = [
  "AWS::EC2::AvailabilityZone::Name",
  "AWS::EC2::Image::Id",
  "AWS::EC2::Instance::Id",
  "AWS::EC2::KeyPair::KeyName",
  "AWS::EC2::SecurityGroup::GroupName",
  "AWS::EC2::SecurityGroup::Id",
  "AWS::EC2::Subnet::Id",
  "AWS::EC2::Volume::Id",
  "AWS::EC2::VPC::Id",
  "AWS::Route53::HostedZone::Id",
] as const;

const plainTypes = ["String", "Number", "List<Number>", "CommaDelimitedList"];

/** Whether `type` is one CloudFormation accepts for a parameter. */
export function knownParameterType(type: string): boolean {
  if (plainTypes.includes(type)) return true;
  const aws = (name: string) => (awsParameterTypes as readonly string[]).includes(name);
  if (aws(type)) return true;
  const list = /^List<(.+)>$/.exec(type);
  if (list?.[1] !== undefined && aws(list[1])) return true;
  if (type === "AWS::SSM::Parameter::Name") return true;
  const ssm = /^AWS::SSM::Parameter::Value<(.+)>$/.exec(type)?.[1];
  if (ssm === undefined) return false;
  const inner = /^List<(.+)>$/.exec(ssm)?.[1] ?? ssm;
  return inner === "String" || ssm === "CommaDelimitedList" || aws(inner);
}

/** Whether a parameter of this type holds a list (its Ref is a list of strings). */
export function isListType(type: string): boolean {
  const inner = /^AWS::SSM::Parameter::Value<(.+)>$/.exec(type)?.[1] ?? type;
  return inner === "CommaDelimitedList" || inner.startsWith("List<");
}

const attributes = [
  "Type",
  "Default",
  "Description",
  "AllowedValues",
  "AllowedPattern",
  "MinLength",
  "MaxLength",
  "MinValue",
  "MaxValue",
  "NoEcho",
  "ConstraintDescription",
];

/** A scalar as CloudFormation reads it in a declaration: numbers and booleans as their text. */
function text(value: TemplateValue | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw formatError(`${what} must be a string`);
}

function numberOf(value: TemplateValue | undefined, what: string): number | undefined {
  const written = text(value, what);
  if (written === undefined) return undefined;
  const number = Number(written);
  if (written.trim() === "" || !Number.isFinite(number)) throw formatError(`${what} must be a number`);
  return number;
}

function readParameter(name: string, value: TemplateValue): ParameterDeclaration {
  if (!alphanumeric.test(name)) throw formatError(`Parameter name ${name} is non alphanumeric.`);
  if (!isObject(value)) throw formatError(`Every Parameters object must be an object`);
  for (const key of Object.keys(value)) {
    if (!attributes.includes(key)) throw formatError(`Invalid template parameter property '${key}'`);
  }
  const type = own(value, "Type");
  if (type === undefined) throw formatError("Every Parameters object must contain a Type member.");
  if (typeof type !== "string" || !knownParameterType(type))
    throw formatError(`Unrecognized parameter type: ${String(type)}`);
  const noEcho = text(own(value, "NoEcho"), `Parameter ${name} NoEcho`);
  const declaration: ParameterDeclaration = { type, noEcho: noEcho?.toLowerCase() === "true" };
  const allowed = own(value, "AllowedValues");
  if (allowed !== undefined) {
    if (!Array.isArray(allowed)) throw formatError(`Parameter ${name} AllowedValues must be a list`);
    declaration.allowedValues = allowed.map((v) => text(v, `Parameter ${name} AllowedValues`) ?? "");
  }
  const strings = [
    ["Default", "default"],
    ["Description", "description"],
    ["AllowedPattern", "allowedPattern"],
    ["ConstraintDescription", "constraintDescription"],
  ] as const;
  for (const [attribute, key] of strings) {
    const written = text(own(value, attribute), `Parameter ${name} ${attribute}`);
    if (written !== undefined) declaration[key] = written;
  }
  // A list default may be written as a YAML list; CloudFormation reads it as the comma-joined text.
  const listDefault = own(value, "Default");
  if (Array.isArray(listDefault))
    declaration.default = listDefault.map((v) => text(v, `Parameter ${name} Default`)).join(",");
  const numbers = [
    ["MinLength", "minLength"],
    ["MaxLength", "maxLength"],
    ["MinValue", "minValue"],
    ["MaxValue", "maxValue"],
  ] as const;
  for (const [attribute, key] of numbers) {
    const number = numberOf(own(value, attribute), `Parameter ${name} ${attribute}`);
    if (number !== undefined) declaration[key] = number;
  }
  return declaration;
}

/** The Parameters section, each declaration checked as ValidateTemplate checks it. */
export function readParameters(section: TemplateObject | undefined): Record<string, ParameterDeclaration> {
  const parameters: Record<string, ParameterDeclaration> = {};
  if (section === undefined) return parameters;
  if (Object.keys(section).length > 200)
    throw formatError("Parameters section exceeds the limit of 200 parameters");
  for (const [name, value] of Object.entries(section)) parameters[name] = readParameter(name, value);
  return parameters;
}
