import { type RegistryData, registryDataTables } from "@scaleout/db";

/*
 * A snapshot received from the api is outside input: its shape is checked before it is compiled, so a
 * broken (or impostor) api makes the proxy keep its last configuration, never crash it or bind port
 * "abc". JSON documents inside rows (conditions, actions, health check settings, WAF rules) are what
 * the api validated when they were written; the compile step's own failures keep the last snapshot too.
 */

type Kind = "string" | "string?" | "int" | "int?" | "object" | "object?" | "array" | "array?" | "bool";

const rowSpecs: Record<(typeof registryDataTables)[number], Record<string, Kind>> = {
  loadBalancers: {
    arn: "string",
    name: "string",
    type: "string",
    state: "string",
    stateReason: "string?",
    attributes: "object",
  },
  listeners: {
    arn: "string",
    loadBalancerArn: "string",
    protocol: "string",
    port: "int",
    sslPolicy: "string?",
    certificates: "array?",
    alpnPolicy: "string?",
    attributes: "object",
  },
  rules: { arn: "string", listenerArn: "string", priority: "int?", conditions: "array", actions: "array" },
  targetGroups: {
    arn: "string",
    name: "string",
    protocol: "string",
    port: "int",
    healthCheck: "object",
    attributes: "object",
  },
  actionTargetGroups: { targetGroupArn: "string", loadBalancerArn: "string" },
  targets: {
    targetGroupArn: "string",
    targetId: "string",
    port: "int",
    state: "string",
    reason: "string?",
    description: "string?",
    registeredAt: "int",
    drainDeadline: "int?",
  },
  instances: { id: "string", address: "string?" },
  listenerCertificates: { listenerArn: "string", certificateArn: "string", isDefault: "bool" },
  certificates: {
    arn: "string",
    domainName: "string",
    subjectAlternativeNames: "array",
    keyAlgorithm: "string",
    notAfter: "int",
    certificatePem: "string",
    chainPem: "string?",
    privateKeyPem: "string",
  },
  webAclAssociations: { resourceArn: "string", webAclArn: "string" },
  ipSets: { arn: "string", id: "string", name: "string", ipAddressVersion: "string", addresses: "array" },
  webAcls: {
    arn: "string",
    id: "string",
    name: "string",
    defaultAction: "object",
    rules: "array",
    visibilityConfig: "object",
    capacity: "int",
    customResponseBodies: "object?",
  },
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function fits(value: unknown, kind: Kind): boolean {
  if (kind.endsWith("?") && value === null) return true;
  switch (kind.replace("?", "")) {
    case "string":
      return typeof value === "string";
    case "int":
      return Number.isSafeInteger(value);
    case "object":
      return isObject(value);
    case "array":
      return Array.isArray(value);
    case "bool":
      return typeof value === "boolean";
    default:
      return false;
  }
}

/** The registry rows in `value`, or a sentence saying what is wrong with them. */
export function checkRegistryData(value: unknown): RegistryData | string {
  if (!isObject(value)) return "the snapshot is not a JSON object";
  if (!Number.isSafeInteger(value.version) || (value.version as number) < 0)
    return "the snapshot has no configuration version";
  for (const table of registryDataTables) {
    const rows = value[table];
    if (!Array.isArray(rows)) return `the snapshot's ${table} is not a list`;
    const spec = rowSpecs[table];
    for (const [index, row] of rows.entries()) {
      if (!isObject(row)) return `${table}[${index}] is not an object`;
      for (const [field, kind] of Object.entries(spec))
        if (!fits(row[field], kind))
          return `${table}[${index}].${field} is not ${kind.replace("?", " or null")}`;
    }
  }
  for (const [index, row] of (value.listeners as Array<{ port: number }>).entries())
    if (row.port < 1 || row.port > 65535) return `listeners[${index}].port is out of range`;
  // Every field the compile step reads was checked above.
  return value as unknown as RegistryData;
}
