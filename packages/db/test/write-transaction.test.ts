import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, expect, test } from "vitest";
import { createDb } from "../src/client.ts";

/*
 * Several processes (api, worker, proxy) write one SQLite file. A transaction that reads and then writes
 * must start immediate: a deferred one fails with SQLITE_BUSY at its first write when another connection
 * committed after its read, however long busy_timeout is (once, under load, an execute-policy job).
 */

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "scaleout-tx-"));
  file = join(dir, "registry.db");
  const handle = createDb(file);
  handle.sqlite.exec("CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0);");
  handle.close();
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("a deferred read-then-write transaction gets SQLITE_BUSY at once when another connection wrote after its read", () => {
  const a = createDb(file);
  const b = createDb(file);
  try {
    const started = Date.now();
    const upgrade = () =>
      a.db.transaction(
        (tx) => {
          tx.get(sql`SELECT n FROM counter`);
          b.db.run(sql`UPDATE counter SET n = n + 1`);
          tx.run(sql`UPDATE counter SET n = n + 10`);
        },
        { behavior: "deferred" },
      );
    // drizzle wraps better-sqlite3's error: "database is locked", code SQLITE_BUSY_SNAPSHOT.
    expect(upgrade).toThrow(
      expect.objectContaining({
        cause: expect.objectContaining({ message: "database is locked", code: "SQLITE_BUSY_SNAPSHOT" }),
      }),
    );
    // busy_timeout is 10 s: it was not waited on.
    expect(Date.now() - started).toBeLessThan(5_000);
  } finally {
    a.close();
    b.close();
  }
});

interface WriterReport {
  done: number;
  busy: number;
  other: string;
}

/** Two processes taking `turns` read-then-write turns each on the counter, started together. */
async function twoWriters(mode: "immediate" | "deferred", turns: number): Promise<WriterReport[]> {
  const barrier = mkdtempSync(join(dir, "barrier-"));
  const fixture = join(import.meta.dirname, "fixtures", "concurrent-writer.ts");
  const children = [0, 1].map(() =>
    spawn(process.execPath, ["--import", "tsx", fixture, file, mode, String(turns), barrier], {
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  const reports = children.map(
    (child) =>
      new Promise<WriterReport>((resolve, reject) => {
        let out = "";
        let err = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
        });
        child.stderr.on("data", (chunk: Buffer) => {
          err += chunk.toString();
        });
        child.on("exit", (code) => {
          if (code === 0) resolve(JSON.parse(out) as WriterReport);
          else reject(new Error(`writer exited ${code}: ${err}`));
        });
      }),
  );
  const deadline = Date.now() + 30_000;
  while (readdirSync(barrier).length < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  writeFileSync(join(barrier, "go"), "");
  return Promise.all(reports);
}

function counter(): number {
  const handle = createDb(file);
  try {
    return handle.db.get<{ n: number }>(sql`SELECT n FROM counter`)?.n ?? -1;
  } finally {
    handle.close();
  }
}

test("two processes writing at once through writeTransaction: no SQLITE_BUSY, no lost update", async () => {
  const reports = await twoWriters("immediate", 150);
  expect(reports).toEqual([
    { done: 150, busy: 0, other: "" },
    { done: 150, busy: 0, other: "" },
  ]);
  expect(counter()).toBe(300);
}, 60_000);

test("the same two processes with deferred transactions do meet SQLITE_BUSY (what the test above rules out)", async () => {
  const reports = await twoWriters("deferred", 150);
  expect(reports.every((r) => r.other === "")).toBe(true);
  expect(reports.reduce((sum, r) => sum + r.busy, 0)).toBeGreaterThan(0);
  expect(counter()).toBe(reports.reduce((sum, r) => sum + r.done, 0));
}, 60_000);

test("no source opens a transaction but through writeTransaction or readTransaction", () => {
  const root = join(import.meta.dirname, "..", "..", "..");
  const offenders: string[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(path);
      } else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) {
        if (path.endsWith(join("packages", "db", "src", "client.ts"))) continue;
        if (/\.transaction\(/.test(readFileSync(path, "utf8"))) offenders.push(path.slice(root.length + 1));
      }
    }
  };
  for (const top of ["apps", "packages"]) {
    for (const workspace of readdirSync(join(root, top))) {
      const src = join(root, top, workspace, "src");
      if (existsSync(src)) walk(src);
    }
  }
  expect(offenders).toEqual([]);
});
