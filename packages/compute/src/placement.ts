/*
 * Where a launch template asks Swarm to place its instances. Launch template versions have no column for
 * it (a migration is the coordinator's; docs/notes/swarm.md), so it rides in the template's environment under
 * one reserved name, as the docs say (docs/aws-differences.md): the variable is taken out of what the
 * instance sees and becomes the service's placement constraints.
 */

/** `node.labels.zone==a; node.role!=manager`: constraints separated by `;` or newlines. */
export const placementVariable = "SCALEOUT_PLACEMENT_CONSTRAINTS";

// Swarm's own grammar: a key, == or !=, a value (docker/swarmkit manager/constraint/constraint.go).
const constraintPattern = /^[A-Za-z0-9_.-]+\s*(==|!=)\s*[^=!]+$/;

/** The template's environment without the placement variable, and the constraints it held. */
export function placementFromEnvironment(environment: Record<string, string>): {
  environment: Record<string, string>;
  constraints: string[];
} {
  const { [placementVariable]: raw, ...rest } = environment;
  if (raw === undefined) return { environment, constraints: [] };
  const constraints = raw
    .split(/[;\n]/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  return { environment: rest, constraints };
}

/** The constraints Swarm would refuse, so a launch fails with this sentence instead of the engine's. */
export function invalidConstraints(constraints: string[]): string | undefined {
  const bad = constraints.filter((constraint) => !constraintPattern.test(constraint));
  if (bad.length === 0) return undefined;
  return `${placementVariable}: ${bad.map((c) => `"${c}"`).join(", ")} ${bad.length === 1 ? "is" : "are"} not a placement constraint (key==value or key!=value, separated by ;)`;
}
