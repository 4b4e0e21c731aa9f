import { Errors } from "../errors.ts";
import { isListType, type ParameterDeclaration } from "./parameter-declarations.ts";
import type { BoundParameter } from "./parameters.ts";
import { put } from "./value.ts";

/*
 * Parameters of type AWS::SSM::Parameter::Value<...>: the value a stack is given is the name of a
 * parameter in Systems Manager's Parameter Store, and Ref gives that parameter's value, fetched when the
 * stack is created or updated (CloudFormation's parameters-section-structure page). scaleout has no
 * Parameter Store of its own: a name resolves to the value an AWS::SSM::Parameter of a stack here holds
 * (the lookup the caller passes), else to the value scaleout documents for AWS's public parameters (the
 * CDK's bootstrap version, the AMI paths), else the stack is refused with CloudFormation's message.
 */

/**
 * The bootstrap version a `cdk bootstrap` of the aws-cdk CLI writes to /cdk-bootstrap/<qualifier>/version
 * (its template's CdkBootstrapVersion). A synthesized stack's CheckBootstrapVersion rule refuses 1-5.
 */
export const cdkBootstrapVersion = "33";

/**
 * AWS's public machine-image parameters (the latest Amazon Linux, Windows, Ubuntu, Debian, Bottlerocket,
 * ECS- and EKS-optimized AMIs), as the CDK's MachineImage.latestAmazonLinux2023() and the like name them.
 */
const publicImagePaths =
  /^\/aws\/service\/(ami-amazon-linux-latest|ami-windows-latest|canonical|debian|bottlerocket|ecs\/optimized-ami|eks\/optimized-ami|suse|rhel|freebsd)\//;

/**
 * What an AMI parameter resolves to here: no image. A launch template without one runs its user data as
 * a process of this machine (the process driver), the way an instance of the AMI would run it; a
 * container image is named with an SSM parameter of a stack instead (docs/aws-differences.md).
 */
export const publicImageValue = "";

export const isSsmParameterType = (type: string): boolean => /^AWS::SSM::Parameter::Value<.+>$/.test(type);

/** The value scaleout gives a public parameter of AWS's (or the CDK's bootstrap stack), or undefined. */
export function builtInParameterValue(name: string): string | undefined {
  if (/^\/cdk-bootstrap\/[A-Za-z0-9_-]+\/version$/.test(name)) return cdkBootstrapVersion;
  if (publicImagePaths.test(name)) return publicImageValue;
  return undefined;
}

/**
 * The values of the bound SSM-typed parameters, by parameter key: each name through `lookup` (the
 * parameters stacks here created) and then the built-in public ones. Names found nowhere refuse the
 * stack, all of them in one message, as CreateStack and CreateChangeSet do.
 */
export function resolveSsmParameters(
  declarations: Readonly<Record<string, ParameterDeclaration>>,
  bound: Readonly<Record<string, BoundParameter>>,
  lookup: (name: string) => string | undefined,
): Record<string, string> {
  const resolved: Record<string, string> = {};
  const missing: string[] = [];
  for (const [key, declaration] of Object.entries(declarations)) {
    const parameter = Object.hasOwn(bound, key) ? bound[key] : undefined;
    if (parameter === undefined || !isSsmParameterType(declaration.type)) continue;
    const name = parameter.value;
    const value = lookup(name) ?? builtInParameterValue(name);
    if (value === undefined) missing.push(name);
    else put(resolved, key, value);
  }
  if (missing.length > 0)
    throw new Errors.ValidationError(
      `Unable to fetch parameters [${[...new Set(missing)].join(",")}] from parameter store for this account.`,
    );
  return resolved;
}

/** The bound parameters with the SSM-typed ones holding their resolved values (what Ref gives). */
export function withResolvedValues(
  bound: Readonly<Record<string, BoundParameter>>,
  declarations: Readonly<Record<string, ParameterDeclaration>>,
  resolved: Readonly<Record<string, string>>,
): Record<string, BoundParameter> {
  const out: Record<string, BoundParameter> = { ...bound };
  for (const [key, value] of Object.entries(resolved)) {
    const parameter = Object.hasOwn(bound, key) ? bound[key] : undefined;
    const declaration = Object.hasOwn(declarations, key) ? declarations[key] : undefined;
    if (parameter === undefined || declaration === undefined) continue;
    put(out, key, {
      value,
      noEcho: parameter.noEcho,
      ...(isListType(declaration.type) && {
        list: value === "" ? [] : value.split(",").map((member) => member.trim()),
      }),
    });
  }
  return out;
}
