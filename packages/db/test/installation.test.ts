import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { createDb } from "../src/client.ts";
import { readInstallationId } from "../src/installation.ts";
import { runMigrations } from "../src/migrate.ts";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "scaleout-installation-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

test("an installation id is created once and every process opening the registry reads the same", () => {
  const file = join(root, "scaleout.db");
  const first = createDb(file);
  runMigrations(first.db);
  const second = createDb(file);
  const id = readInstallationId(second.db);
  expect(id).toMatch(/^[0-9a-f]{12}$/);
  expect(readInstallationId(first.db)).toBe(id);
  first.close();
  second.close();
  const reopened = createDb(file);
  expect(readInstallationId(reopened.db)).toBe(id);
  reopened.close();

  const other = createDb(join(root, "other.db"));
  runMigrations(other.db);
  expect(readInstallationId(other.db)).not.toBe(id);
  other.close();
});
