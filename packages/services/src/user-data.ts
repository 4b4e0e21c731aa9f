import { AwsError } from "@scaleout/core";
import type { LaunchTemplateData } from "./launch-templates.ts";

/*
 * How an EC2 launch template's UserData becomes what scaleout launches (docs/aws-compatibility.md):
 * - decoded from base64, a JSON object whose members are the REST launch template's:
 *   `{"command": [...], "environment": {...}, "containerPort": 8080, "cpu": 0.5, "memoryMiB": 256,
 *   "networkMode": "host"}` (a `command` given as a string runs as `/bin/sh -c <string>`);
 * - anything else is a script: the instance runs `/bin/sh -c <user data>`, as cloud-init would run it.
 * ImageId names the container image; a template without one runs its command with the process driver.
 */

export type ContainerSettings = Omit<LaunchTemplateData, "image">;

const jsonKeys = ["command", "environment", "containerPort", "cpu", "memoryMiB", "networkMode"] as const;
const shell = (script: string): string[] => ["/bin/sh", "-c", script];
/** AWS's limit on UserData, before base64. */
const maxUserDataBytes = 16 * 1024;

const malformed = (message: string) => new AwsError("InvalidUserData.Malformed", 400, message);

export function decodeUserData(base64: string): ContainerSettings {
  const compact = base64.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1)
    throw malformed("Invalid BASE64 encoding of user data.");
  const bytes = Buffer.from(compact, "base64");
  if (bytes.length > maxUserDataBytes)
    throw new AwsError("InvalidParameterValue", 400, `User data is limited to ${maxUserDataBytes} bytes.`);
  const text = bytes.toString("utf8");
  if (text.trim() === "") return {};
  if (!text.trimStart().startsWith("{")) return { command: shell(text) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw malformed(`User data that starts with '{' must be a JSON object: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw malformed("User data that starts with '{' must be a JSON object");
  const object = parsed as Record<string, unknown>;
  const unknown = Object.keys(object).filter((k) => !(jsonKeys as readonly string[]).includes(k));
  if (unknown.length)
    throw malformed(`User data members ${unknown.join(", ")} are not known: use ${jsonKeys.join(", ")}`);
  const { command, ...rest } = object;
  // The services check each member's type and range, as the REST door's do.
  return {
    ...(rest as ContainerSettings),
    ...(command !== undefined && {
      command: typeof command === "string" ? shell(command) : (command as string[]),
    }),
  };
}

/** The UserData that describes a stored version: its script when it is one, else the JSON form. */
export function encodeUserData(version: ContainerSettings): string | undefined {
  const { command, environment, containerPort, cpu, memoryMiB, networkMode } = version;
  const plain =
    (environment === undefined || Object.keys(environment).length === 0) &&
    containerPort === undefined &&
    cpu === undefined &&
    memoryMiB === undefined &&
    (networkMode === undefined || networkMode === "host");
  if (plain && command === undefined) return undefined;
  if (
    plain &&
    command?.length === 3 &&
    command[0] === "/bin/sh" &&
    command[1] === "-c" &&
    command[2] !== undefined
  )
    return Buffer.from(command[2], "utf8").toString("base64");
  const json = {
    ...(command !== undefined && { command }),
    ...(environment !== undefined && Object.keys(environment).length > 0 && { environment }),
    ...(containerPort !== undefined && { containerPort }),
    ...(cpu !== undefined && { cpu }),
    ...(memoryMiB !== undefined && { memoryMiB }),
    ...(networkMode !== undefined && networkMode !== "host" && { networkMode }),
  };
  return Buffer.from(JSON.stringify(json), "utf8").toString("base64");
}
