/**
 * An AllowedPattern compiled for matching the whole value, or undefined when JavaScript cannot run it
 * safely. CloudFormation's patterns are Java regular expressions; one this runtime cannot compile (POSIX
 * classes, possessive quantifiers) is let through rather than failing the stack over dialect. So is one
 * that nests unbounded quantifiers (`(a+)+`): its backtracking can hold the event loop for minutes on a
 * 4 KB value, and the api serves every other client on that loop (refusing it instead would refuse
 * common, harmless patterns such as `([a-z]+\.)+com`).
 */
export function compileAllowedPattern(pattern: string): RegExp | undefined {
  if (nestsUnboundedQuantifiers(pattern)) return undefined;
  try {
    return new RegExp(`^(?:${pattern})$`, "u");
  } catch {
    return undefined;
  }
}

const unboundedAfter = (pattern: string, at: number): boolean => {
  const next = pattern[at];
  if (next === "+" || next === "*") return true;
  return next === "{" && /^\{\d*,\}/.test(pattern.slice(at));
};

/** Whether a group that repeats without bound holds a quantifier that also does (star height 2). */
export function nestsUnboundedQuantifiers(pattern: string): boolean {
  // For each open group: whether something inside it repeats without bound.
  const open: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
      if (unboundedAfter(pattern, i + 1) && open.length > 0) open[open.length - 1] = true;
      continue;
    }
    if (inClass) {
      if (c === "]") {
        inClass = false;
        if (unboundedAfter(pattern, i + 1) && open.length > 0) open[open.length - 1] = true;
      }
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "(") open.push(false);
    else if (c === ")") {
      const innerRepeats = open.pop() ?? false;
      const repeats = unboundedAfter(pattern, i + 1);
      if (innerRepeats && repeats) return true;
      if ((innerRepeats || repeats) && open.length > 0) open[open.length - 1] = true;
    } else if (unboundedAfter(pattern, i + 1) && open.length > 0) open[open.length - 1] = true;
  }
  return false;
}
