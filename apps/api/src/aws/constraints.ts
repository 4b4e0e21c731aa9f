import type { InputErrors } from "./codec.ts";
import { echo } from "./echo.ts";
import constraintsFile from "./operations/constraints.json" with { type: "json" };
import { awsName, memberShape, type Shape } from "./shapes.ts";

/*
 * AWS validates every input member against its model's constraints (Smithy's length, range, pattern and
 * enum traits) before an operation runs; so does the door, from the botocore models
 * (operations/constraints.json, written by scripts/write-aws-constraints.ts). This is what keeps a
 * 100,000-character ARN or name from reaching SQL: every string the door hands the services has AWS's
 * maximum length, and every number its range.
 */

/** One member's constraints and those of its parts, keyed by AWS member name. */
export interface Constraint {
  /** Length of a string or list, value of a number. */
  min?: number;
  max?: number;
  /** A Java regular expression the whole string must match. */
  pattern?: string;
  enum?: string[];
  members?: Record<string, Constraint>;
  member?: Constraint;
  key?: Constraint;
  value?: Constraint;
}

type ConstraintsFile = Record<string, { source: string; operations: Record<string, Constraint> }>;

const file: ConstraintsFile = constraintsFile;

/** The constraints of an operation's input, or undefined when its model has none. */
export function constraintsOf(serviceId: string, action: string): Constraint | undefined {
  const operations = file[serviceId]?.operations;
  return operations && Object.hasOwn(operations, action) ? operations[action] : undefined;
}

const compiled = new Map<string, RegExp>();

/**
 * A model's pattern as a whole-string JavaScript expression. The `u` flag reads the surrogate pairs
 * botocore writes for supplementary characters (`\uD800\uDC00-\uDBFF\uDFFF`) as code points, as Java does.
 */
function regex(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, "u");
    compiled.set(pattern, re);
  }
  return re;
}

/**
 * Length in code points, as Smithy counts it, counted exactly only where the decision needs it: a string
 * of more than twice `bound` UTF-16 units has more than `bound` code points either way.
 */
function codePoints(text: string, bound: number): number {
  if (text.length > 2 * bound) return text.length;
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function checkString(value: string, rule: Constraint, path: string, errors: InputErrors): void {
  const fail = (constraint: string) => errors.violated(path, echo(value), constraint);
  if (rule.max !== undefined && codePoints(value, rule.max) > rule.max)
    throw fail(`Member must have length less than or equal to ${rule.max}`);
  if (rule.min !== undefined && codePoints(value, rule.min) < rule.min)
    throw fail(`Member must have length greater than or equal to ${rule.min}`);
  if (rule.enum !== undefined && !rule.enum.includes(value))
    throw fail(`Member must satisfy enum value set: [${rule.enum.join(", ")}]`);
  if (rule.pattern !== undefined && !regex(rule.pattern).test(value))
    throw fail(`Member must satisfy regular expression pattern: ${rule.pattern}`);
}

function checkNumber(value: number, rule: Constraint, path: string, errors: InputErrors): void {
  if (rule.max !== undefined && value > rule.max)
    throw errors.violated(path, String(value), `Member must have value less than or equal to ${rule.max}`);
  if (rule.min !== undefined && value < rule.min)
    throw errors.violated(path, String(value), `Member must have value greater than or equal to ${rule.min}`);
}

/**
 * Checks a decoded input (camelCase members, as the codec hands it to an operation) against its
 * constraints. It follows scaleout's shape and looks each member's constraint up by AWS name, so a member
 * the model constrains and scaleout reads differently is simply not checked.
 */
export function checkConstraints(
  shape: Shape,
  value: unknown,
  rule: Constraint | undefined,
  path: string,
  errors: InputErrors,
): void {
  if (rule === undefined || value === undefined || value === null) return;
  switch (shape.kind) {
    case "structure": {
      if (typeof value !== "object" || rule.members === undefined) return;
      const source = value as Record<string, unknown>;
      for (const [key, member] of Object.entries(shape.members)) {
        const name = awsName(key, member);
        const child = rule.members[name];
        if (child)
          checkConstraints(memberShape(member), source[key], child, path ? `${path}.${name}` : name, errors);
      }
      return;
    }
    case "list": {
      if (!Array.isArray(value)) return;
      const count = value.length;
      if (rule.max !== undefined && count > rule.max)
        throw errors.violated(
          path,
          `[${count} items]`,
          `Member must have length less than or equal to ${rule.max}`,
        );
      if (rule.min !== undefined && count < rule.min)
        throw errors.violated(
          path,
          `[${count} items]`,
          `Member must have length greater than or equal to ${rule.min}`,
        );
      value.forEach((item, i) => {
        checkConstraints(shape.member, item, rule.member, `${path}.${i + 1}`, errors);
      });
      return;
    }
    case "map": {
      if (typeof value !== "object") return;
      const entries = Object.entries(value as Record<string, unknown>);
      if (rule.max !== undefined && entries.length > rule.max)
        throw errors.violated(
          path,
          `{${entries.length} entries}`,
          `Member must have length less than or equal to ${rule.max}`,
        );
      for (const [key, item] of entries) {
        if (rule.key) checkString(key, rule.key, `${path}.key`, errors);
        checkConstraints(shape.value, item, rule.value, `${path}.${key}`, errors);
      }
      return;
    }
    case "string":
      if (typeof value === "string") checkString(value, rule, path, errors);
      return;
    case "integer":
    case "double":
      if (typeof value === "number") checkNumber(value, rule, path, errors);
      return;
    case "blob":
      // A blob's length is in bytes.
      if (typeof value === "string" && rule.max !== undefined && Buffer.byteLength(value, "utf8") > rule.max)
        throw errors.violated(
          path,
          `[${Buffer.byteLength(value, "utf8")} bytes]`,
          `Member must have length less than or equal to ${rule.max}`,
        );
      if (typeof value === "string" && rule.min !== undefined && Buffer.byteLength(value, "utf8") < rule.min)
        throw errors.violated(
          path,
          "[0 bytes]",
          `Member must have length greater than or equal to ${rule.min}`,
        );
      return;
    default:
      return;
  }
}
