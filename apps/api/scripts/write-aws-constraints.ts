// Writes src/aws/operations/constraints.json: the length, range, pattern and enum constraints of every
// input member of the operations the door serves, from botocore's service models (the same models the SDKs
// are generated from). Usage: tsx apps/api/scripts/write-aws-constraints.ts <botocore>/data
// The door validates every request against this file before an input reaches the services (and SQL).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Constraint } from "../src/aws/constraints.ts";
import { awsServices } from "../src/aws/registry.ts";

interface BotocoreShape {
  type: string;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  members?: Record<string, { shape: string }>;
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
}

interface BotocoreModel {
  metadata: { apiVersion: string };
  operations: Record<string, { input?: { shape: string } }>;
  shapes: Record<string, BotocoreShape>;
}

const folders: Record<string, string> = {
  elbv2: "elbv2",
  autoscaling: "autoscaling",
  ec2: "ec2",
  cloudwatch: "cloudwatch",
  acm: "acm",
};

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: write-aws-constraints.ts <botocore data directory>");

/**
 * EC2 is not a Smithy-validated service: it does not refuse a value outside a model enum the way the
 * others do, and scaleout has instance types of its own (`local.process`) that the InstanceType enum lacks.
 */
const enumsEnforced = (serviceId: string) => serviceId !== "ec2";

function constraintOf(
  model: BotocoreModel,
  name: string,
  seen: ReadonlySet<string>,
  enums: boolean,
): Constraint | undefined {
  const shape = model.shapes[name];
  // Recursive shapes (none in the served inputs today) stop at their second visit.
  if (!shape || seen.has(name)) return undefined;
  const inner = new Set(seen).add(name);
  const node: Constraint = {};
  if (shape.min !== undefined && shape.min > 0) node.min = shape.min;
  if (shape.max !== undefined) node.max = shape.max;
  if (shape.pattern !== undefined) node.pattern = shape.pattern;
  if (enums && shape.enum !== undefined) node.enum = shape.enum;
  if (shape.members) {
    const members: Record<string, Constraint> = {};
    for (const [key, member] of Object.entries(shape.members)) {
      const child = constraintOf(model, member.shape, inner, enums);
      if (child) members[key] = child;
    }
    if (Object.keys(members).length > 0) node.members = members;
  }
  for (const part of ["member", "key", "value"] as const) {
    const ref = shape[part];
    const child = ref && constraintOf(model, ref.shape, inner, enums);
    if (child) node[part] = child;
  }
  return Object.keys(node).length > 0 ? node : undefined;
}

const out: Record<string, { source: string; operations: Record<string, Constraint> }> = {};
for (const service of awsServices) {
  const path = join(dataDir, folders[service.id] ?? service.id, service.version, "service-2.json.gz");
  const model = JSON.parse(gunzipSync(readFileSync(path)).toString("utf8")) as BotocoreModel;
  const operations: Record<string, Constraint> = {};
  for (const action of Object.keys(service.operations).sort()) {
    const input = model.operations[action]?.input?.shape;
    const node =
      input === undefined ? undefined : constraintOf(model, input, new Set(), enumsEnforced(service.id));
    if (node) operations[action] = node;
  }
  out[service.id] = {
    source: `botocore data/${folders[service.id]}/${model.metadata.apiVersion}/service-2.json`,
    operations,
  };
}
const target = join(import.meta.dirname, "..", "src", "aws", "operations", "constraints.json");
writeFileSync(target, `${JSON.stringify(out, null, 1)}\n`);
console.log(`wrote ${target}`);
