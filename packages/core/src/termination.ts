/*
 * Which instances a scale-in terminates: EC2 Auto Scaling's termination policies ("Configure termination
 * policies for Amazon EC2 Auto Scaling"). scaleout has one Availability Zone, no launch configurations
 * and no Spot instances, so zone balancing, OldestLaunchConfiguration and AllocationStrategy never
 * narrow the choice.
 */

/** What the policies look at: one instance of the group. */
export interface TerminationCandidate {
  instanceId: string;
  /** Unix milliseconds. */
  launchedAt: number;
  launchTemplateId: string;
  launchTemplateVersion: number;
  protectedFromScaleIn: boolean;
}

export interface TerminationContext {
  /** The group's TerminationPolicies, applied in order. Empty means ["Default"]. */
  policies: readonly string[];
  /** The group's current launch template and the version its version specifier resolves to now. */
  launchTemplate: { id: string; version: number };
  /** Unix milliseconds, for ClosestToNextInstanceHour. */
  now: number;
  /** Breaks the final tie, as AWS does at random; injectable for tests. Defaults to Math.random. */
  random?: () => number;
}

type Narrowing = (candidates: TerminationCandidate[], context: TerminationContext) => TerminationCandidate[];

const hourMs = 3_600_000;

function keepExtreme(
  candidates: TerminationCandidate[],
  score: (c: TerminationCandidate) => number,
  pick: "min" | "max",
): TerminationCandidate[] {
  const scores = candidates.map(score);
  const best = pick === "min" ? Math.min(...scores) : Math.max(...scores);
  return candidates.filter((_, i) => scores[i] === best);
}

/**
 * Instances not on the current launch template first; among instances on it, those on its oldest
 * version. When every candidate runs the same template version nothing is narrowed.
 */
const oldestLaunchTemplate: Narrowing = (candidates, { launchTemplate }) => {
  const otherTemplate = candidates.filter((c) => c.launchTemplateId !== launchTemplate.id);
  if (otherTemplate.length > 0) return otherTemplate;
  return keepExtreme(candidates, (c) => c.launchTemplateVersion, "min");
};

/** Closest to the next instance hour, counted from each instance's launch. */
const closestToNextInstanceHour: Narrowing = (candidates, { now }) =>
  keepExtreme(candidates, (c) => hourMs - ((((now - c.launchedAt) % hourMs) + hourMs) % hourMs), "min");

const narrowings: Record<string, Narrowing> = {
  OldestInstance: (candidates) => keepExtreme(candidates, (c) => c.launchedAt, "min"),
  NewestInstance: (candidates) => keepExtreme(candidates, (c) => c.launchedAt, "max"),
  OldestLaunchTemplate: oldestLaunchTemplate,
  ClosestToNextInstanceHour: closestToNextInstanceHour,
  // The default policy: outdated configuration first, then closest to the next instance hour (ties are
  // broken at random below).
  Default: (candidates, context) =>
    closestToNextInstanceHour(oldestLaunchTemplate(candidates, context), context),
  // No launch configurations and no Spot instances here: these never narrow.
  OldestLaunchConfiguration: (candidates) => candidates,
  AllocationStrategy: (candidates) => candidates,
};

/**
 * The one instance a scale-in terminates next, or undefined when every candidate is protected from
 * scale-in. Each policy narrows the unprotected candidates in the order the group lists them; what is
 * still tied afterwards goes through the default policy, and a remaining tie is broken at random, as AWS
 * documents for its default policy.
 */
export function chooseInstanceToTerminate(
  candidates: readonly TerminationCandidate[],
  context: TerminationContext,
): TerminationCandidate | undefined {
  let remaining = candidates.filter((c) => !c.protectedFromScaleIn);
  if (remaining.length === 0) return undefined;
  const policies = context.policies.length > 0 ? context.policies : ["Default"];
  for (const policy of [...policies, "Default"]) {
    if (remaining.length <= 1) break;
    const narrow = narrowings[policy];
    if (!narrow) throw new RangeError(`Unknown termination policy ${policy}`);
    const narrowed = narrow(remaining, context);
    if (narrowed.length > 0) remaining = narrowed;
  }
  const random = context.random ?? Math.random;
  const index = Math.min(remaining.length - 1, Math.floor(random() * remaining.length));
  return remaining[index];
}

/**
 * The `count` instances a scale-in terminates, chosen one after another (each choice sees the group
 * without the ones already chosen, as successive single terminations would). Fewer come back when not
 * enough instances are unprotected.
 */
export function chooseInstancesToTerminate(
  candidates: readonly TerminationCandidate[],
  count: number,
  context: TerminationContext,
): TerminationCandidate[] {
  const chosen: TerminationCandidate[] = [];
  let remaining = [...candidates];
  while (chosen.length < count) {
    const next = chooseInstanceToTerminate(remaining, context);
    if (!next) break;
    chosen.push(next);
    remaining = remaining.filter((c) => c !== next);
  }
  return chosen;
}
