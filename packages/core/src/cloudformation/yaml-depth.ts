import type { CST } from "yaml";

const collections = new Set(["block-map", "block-seq", "flow-collection"]);

/**
 * How deeply a YAML text nests its collections, read from the parser's concrete syntax tree. The yaml
 * package lexes and parses without recursion, but composes documents recursively: a body such as
 * `a: [[[[…` a few thousand levels deep exhausts the stack inside a regular expression compile, which
 * V8 reports as a fatal out-of-memory (it kills the process; no catch helps). So the depth is measured
 * on the parser's tokens first, with an explicit stack, and a deep body never reaches the composer.
 */
export function yamlDepth(tokens: readonly CST.Token[], stopAbove: number): number {
  let deepest = 0;
  const stack: Array<{ node: unknown; depth: number }> = tokens.map((token) => ({ node: token, depth: 0 }));
  while (stack.length > 0) {
    const entry = stack.pop();
    if (entry === undefined) break;
    const { node } = entry;
    if (typeof node !== "object" || node === null) continue;
    let depth = entry.depth;
    if (Array.isArray(node)) {
      for (const child of node) stack.push({ node: child, depth });
      continue;
    }
    const type = (node as { type?: unknown }).type;
    if (typeof type === "string" && collections.has(type)) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > stopAbove) return deepest;
    }
    for (const [key, child] of Object.entries(node)) {
      // `source` and `offset` are text and numbers; everything else may hold nested tokens.
      if (key !== "source" && typeof child === "object" && child !== null) stack.push({ node: child, depth });
    }
  }
  return deepest;
}
