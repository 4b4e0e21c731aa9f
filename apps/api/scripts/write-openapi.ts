// Writes openapi.yaml from the route schemas (`pnpm openapi`). A test fails when the file drifts.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderOpenApi } from "../test/openapi-document.ts";

const target = join(import.meta.dirname, "..", "..", "..", "openapi.yaml");
writeFileSync(target, await renderOpenApi());
console.log(`wrote ${target}`);
