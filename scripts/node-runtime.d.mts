// Types of node-runtime.mjs (plain JavaScript: it runs before anything is installed) for the benches.
export function chooseNode(
  root: string,
  choice: string,
  log: (message: string) => void,
): { node: string; label: string };
export function nodeVersions(node: string, log: (message: string) => void): { node: string; modules: string };
export function nodeEnv(node: string): NodeJS.ProcessEnv;
