import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/*
 * The console's bundle (console.js, console.css and their source maps), built by scripts/build-console.mjs
 * into dist/console. The api serves it from files: no CDN, so the console works offline. The bundled api
 * (dist/api.mjs) finds it beside itself; the api run from its sources (tests, `pnpm --filter api start`)
 * finds it under the repository's dist/.
 */

export const assetTypes: Record<string, string> = {
  "console.js": "text/javascript; charset=utf-8",
  "console.css": "text/css; charset=utf-8",
  "console.js.map": "application/json",
  "console.css.map": "application/json",
};

export function findAssetDir(override?: string): string | undefined {
  const candidates = [
    ...(override ? [override] : []),
    join(import.meta.dirname, "console"),
    join(import.meta.dirname, "..", "..", "..", "..", "dist", "console"),
  ];
  return candidates.find((dir) => existsSync(join(dir, "console.js")));
}

export async function readAsset(dir: string, name: string): Promise<Buffer | undefined> {
  if (!(name in assetTypes)) return undefined;
  try {
    return await readFile(join(dir, name));
  } catch {
    return undefined;
  }
}

export const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scaleout console</title>
<link rel="stylesheet" href="/console/assets/console.css">
</head>
<body>
<div id="app">Loading…</div>
<script type="module" src="/console/assets/console.js"></script>
</body>
</html>
`;
