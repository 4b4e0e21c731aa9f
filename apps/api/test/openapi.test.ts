import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { repoRoot } from "./helpers.ts";
import { renderOpenApi } from "./openapi-document.ts";

test("openapi.yaml is the document the route schemas generate", async () => {
  const committed = readFileSync(join(repoRoot, "openapi.yaml"), "utf8");
  const generated = await renderOpenApi();
  if (committed === generated) return;
  const a = committed.split("\n");
  const b = generated.split("\n");
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? b.length : line;
  expect.fail(
    `openapi.yaml has drifted from the route schemas (first difference at line ${at + 1}: committed ${JSON.stringify(a[at])}, generated ${JSON.stringify(b[at])}). Run \`pnpm openapi\` and commit openapi.yaml.`,
  );
});
