import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { renderCompatibility } from "../../src/aws/compatibility.ts";
import { awsServices, serviceModels } from "../../src/aws/registry.ts";

const repoRoot = join(import.meta.dirname, "..", "..", "..", "..");

test("docs/aws-compatibility.md is the table the dispatch table generates", () => {
  const committed = readFileSync(join(repoRoot, "docs", "aws-compatibility.md"), "utf8");
  const generated = renderCompatibility();
  if (committed === generated) return;
  const a = committed.split("\n");
  const b = generated.split("\n");
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? b.length : line;
  expect.fail(
    `docs/aws-compatibility.md has drifted from the dispatch table (first difference at line ${at + 1}: committed ${JSON.stringify(a[at])}, generated ${JSON.stringify(b[at])}). Run \`npx tsx apps/api/scripts/write-compatibility.ts\`.`,
  );
});

test("every operation the door implements is an operation of the AWS model", () => {
  for (const service of awsServices) {
    const unknown = Object.keys(service.operations).filter(
      (name) => !serviceModels[service.id].operations.includes(name),
    );
    expect(unknown, service.id).toEqual([]);
  }
});
