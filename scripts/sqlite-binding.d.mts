// Types of sqlite-binding.mjs (plain JavaScript: it runs before anything is installed) for its tests.
export function addonAbi(file: string): string | undefined;
export function abortsWithObjectWrap(version: string): boolean;
export function ensureSqliteBinding(
  root: string,
  node: string,
  abi: string,
  log: (message: string) => void,
  version?: string,
): void;
