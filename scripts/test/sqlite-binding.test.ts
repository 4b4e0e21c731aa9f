import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { abortsWithObjectWrap } from "../sqlite-binding.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const packaged = join(
  root,
  "packages",
  "node-runtime",
  "node_modules",
  `node-${process.platform}-${process.arch}`,
  "bin",
  "node",
);

describe("better-sqlite3 on Node 24", () => {
  it("names the Node 24 releases whose ObjectWrap aborts better-sqlite3 12", () => {
    expect(["v24.18.1", "v24.19.0", "v24.21.0", "v24.22.0", "v20.20.2"].map(abortsWithObjectWrap)).toEqual([
      false,
      true,
      true,
      false,
      false,
    ]);
  });

  it("the packaged Node 24 exits cleanly with statements still alive (24.19-24.21 abort here)", (context) => {
    const abi = existsSync(packaged)
      ? spawnSync(packaged, ["-p", "process.versions.modules"], { encoding: "utf8" }).stdout.trim()
      : "";
    const module = realpathSync(join(root, "node_modules", "better-sqlite3"));
    const binding = join(module, "lib", "binding", `node-v${abi}-${process.platform}-${process.arch}`);
    // Built by npm test's bootstrap when it runs on the packaged node (SCALEOUT_NODE=24, the default).
    if (!abi || !existsSync(binding)) context.skip();
    const script = join(mkdtempSync(join(tmpdir(), "scaleout-sqlite-")), "exit.cjs");
    writeFileSync(
      script,
      `const Database = require(${JSON.stringify(module)});
const db = new Database(":memory:");
globalThis.kept = [];
for (let i = 0; i < 2000; i++) kept.push(db.prepare("select " + i));
process.exit(0);
`,
    );
    const run = spawnSync(packaged, [script], { encoding: "utf8" });
    expect(run.stderr).not.toContain("Assertion failed");
    expect(run.status).toBe(0);
  });
});
