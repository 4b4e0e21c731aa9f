/*
 * RE2 is not available here, and JavaScript's backtracking engine can take exponential time on a
 * pattern such as (a+)+$ against a hostile input. The choice: refuse what causes it, and bound what is
 * left. WAF's own regex language (PCRE without backreferences, lookarounds or possessive quantifiers)
 * refuses backreferences and lookarounds too; on top of that, a quantified group whose body has an
 * unbounded quantifier (nested quantifiers, the classic catastrophic shape) is refused. What remains can
 * still be polynomial (\s*\s*$), so a regex reads at most `regexInputLimit` bytes of a field (WAF inspects
 * no more than 8 KB of a body either).
 */

export const regexInputLimit = 8 * 1024;

/** Why WAF (and scaleout) refuses a RegexString, or undefined when it is accepted. */
export function regexRefusal(pattern: string): string | undefined {
  if (pattern.length === 0 || pattern.length > 512) return "RegexString must be 1 to 512 characters";
  try {
    new RegExp(pattern);
  } catch {
    return "RegexString is not a valid regular expression";
  }
  // Per open group: whether its body so far has an unbounded quantifier or an alternation.
  const groups: boolean[] = [];
  let unboundedSinceGroupEnd = false;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const next = pattern[i + 1] ?? "";
      if (!inClass && (/[1-9]/.test(next) || next === "k")) return "backreferences are not supported";
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      continue;
    }
    if (c === "(") {
      if (
        pattern.startsWith("(?=", i) ||
        pattern.startsWith("(?!", i) ||
        pattern.startsWith("(?<=", i) ||
        pattern.startsWith("(?<!", i)
      )
        return "lookaround assertions are not supported";
      groups.push(false);
      continue;
    }
    if (c === ")") {
      unboundedSinceGroupEnd = groups.pop() ?? false;
      const quantifier = quantifierAt(pattern, i + 1);
      if (quantifier?.unbounded && unboundedSinceGroupEnd)
        return "nested quantifiers (a group containing +, * or | repeated by + or *) are not supported";
      if (quantifier?.unbounded) markUnbounded(groups);
      else if (unboundedSinceGroupEnd) markUnbounded(groups);
      continue;
    }
    // An alternation repeated without bound ((a|aa)+) backtracks like nested quantifiers.
    if (c === "|") {
      markUnbounded(groups);
      continue;
    }
    const quantifier = quantifierAt(pattern, i);
    if (quantifier?.unbounded) markUnbounded(groups);
  }
  return undefined;
}

function markUnbounded(groups: boolean[]): void {
  if (groups.length > 0) groups[groups.length - 1] = true;
}

/** A quantifier starting at `i`: `*`, `+`, `{n,}` are unbounded; `?`, `{n}`, `{n,m}` bounded. */
function quantifierAt(pattern: string, i: number): { unbounded: boolean } | undefined {
  const c = pattern[i];
  if (c === "*" || c === "+") return { unbounded: true };
  if (c === "?") return { unbounded: false };
  if (c === "{") {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i, i + 16));
    if (!match) return undefined;
    return { unbounded: match[2] !== undefined && match[3] === "" };
  }
  return undefined;
}

/** The compiled pattern, or undefined when refused (then the statement never matches). */
export function compileRegex(pattern: string): RegExp | undefined {
  if (regexRefusal(pattern) !== undefined) return undefined;
  return new RegExp(pattern);
}
