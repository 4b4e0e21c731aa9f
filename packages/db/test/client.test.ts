import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { createDb } from "../src/client.ts";
import { runMigrations } from "../src/migrate.ts";

/* The registry holds private keys: its directory and files are the owner's alone, new or inherited. */

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "scaleout-db-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

test("a new data directory is 0700 and the database, -wal and -shm files are 0600", () => {
  const file = join(root, "data", "nested", "scaleout.db");
  const handle = createDb(file);
  runMigrations(handle.db);
  handle.sqlite.exec("CREATE TABLE probe (x); INSERT INTO probe VALUES (1);");
  expect(mode(join(root, "data", "nested"))).toBe(0o700);
  for (const path of [file, `${file}-wal`, `${file}-shm`]) expect(mode(path), path).toBe(0o600);
  handle.close();
});

test("an existing registry left readable by others is tightened when it is opened", () => {
  const directory = join(root, "old");
  mkdirSync(directory, { mode: 0o755 });
  chmodSync(directory, 0o755);
  const file = join(directory, "scaleout.db");
  createDb(file).close();
  chmodSync(file, 0o644);
  writeFileSync(`${file}-wal`, "");
  chmodSync(`${file}-wal`, 0o666);
  const handle = createDb(file);
  expect(mode(directory)).toBe(0o700);
  expect(mode(file)).toBe(0o600);
  expect(mode(`${file}-wal`)).toBe(0o600);
  handle.close();
});

test("a shared sticky directory such as /tmp is left as it is", () => {
  const shared = join(root, "shared");
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  createDb(join(shared, "scaleout.db")).close();
  expect(statSync(shared).mode & 0o7777).toBe(0o1777);
  expect(mode(join(shared, "scaleout.db"))).toBe(0o600);
});
