// Writes docs/aws-compatibility.md from the AWS door's dispatch table. A test fails when the file drifts.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderCompatibility } from "../src/aws/compatibility.ts";

const target = join(import.meta.dirname, "..", "..", "..", "docs", "aws-compatibility.md");
writeFileSync(target, renderCompatibility());
console.log(`wrote ${target}`);
