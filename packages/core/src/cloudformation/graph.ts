import { Errors } from "../errors.ts";
import { collectReferences, emptyReferences } from "./references.ts";
import type { ResourceDeclaration } from "./template.ts";
import { formatError, type TemplateValue } from "./value.ts";

/** The order a stack's resources are created and deleted in. */
export interface ResourceGraph {
  /** Each resource's dependencies (the resources it must follow), in template order. */
  dependencies: Record<string, string[]>;
  /** Waves of resources: every resource of a wave depends only on earlier waves, so a wave runs in parallel. */
  creation: string[][];
  /** The creation waves reversed: a resource goes only after everything that depends on it. */
  deletion: string[][];
}

/** Every logical id a resource declaration names: Ref, Fn::GetAtt, Fn::Sub and DependsOn. */
export function resourceDependencies(
  declaration: ResourceDeclaration,
  branch?: (condition: string) => boolean | undefined,
): Set<string> {
  const references = emptyReferences();
  const attributes: TemplateValue[] = [declaration.properties];
  for (const extra of [declaration.metadata, declaration.creationPolicy, declaration.updatePolicy]) {
    if (extra !== undefined) attributes.push(extra);
  }
  for (const value of attributes) collectReferences(value, references, branch);
  return new Set([...references.refs, ...references.getAtts.map(([id]) => id), ...declaration.dependsOn]);
}

/**
 * The dependency graph of the resources a stack creates. `resources` are the ones whose condition
 * holds; `parameters` are the other names a Ref may give (parameters and pseudo parameters). A
 * dependency on a missing (or conditioned-out) resource, or a cycle, is CloudFormation's error.
 */
export function resourceGraph(
  resources: Readonly<Record<string, ResourceDeclaration>>,
  isParameter: (name: string) => boolean,
  branch?: (condition: string) => boolean | undefined,
): ResourceGraph {
  const ids = Object.keys(resources);
  const dependencies: Record<string, string[]> = {};
  const unresolved = new Set<string>();
  for (const id of ids) {
    const declaration = resources[id];
    if (declaration === undefined) continue;
    const named = [...resourceDependencies(declaration, branch)].filter(
      (name) => !(isParameter(name) && !declaration.dependsOn.includes(name)),
    );
    for (const name of named) if (!Object.hasOwn(resources, name)) unresolved.add(name);
    dependencies[id] = ids.filter((other) => named.includes(other));
  }
  if (unresolved.size > 0)
    throw formatError(
      `Unresolved resource dependencies [${[...unresolved].join(", ")}] in the Resources block of the template`,
    );
  const creation: string[][] = [];
  const placed = new Set<string>();
  let remaining = ids;
  while (remaining.length > 0) {
    const wave = remaining.filter((id) =>
      (dependencies[id] ?? []).every((dependency) => placed.has(dependency)),
    );
    if (wave.length === 0)
      throw new Errors.ValidationError(`Circular dependency between resources: [${remaining.join(", ")}]`);
    for (const id of wave) placed.add(id);
    creation.push(wave);
    remaining = remaining.filter((id) => !placed.has(id));
  }
  return { dependencies, creation, deletion: [...creation].reverse() };
}
