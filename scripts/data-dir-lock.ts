// One `npm start` per data directory: two would share the SQLite registry, the process driver's records
// and Redis's append-only file, and each would adopt and stop the other's instances.
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface DataDirLock {
  file: string;
  /** Removes the lock file if it still names this process. */
  release(): void;
}

/** Whether a process with this pid exists (EPERM: it does, as another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function holder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes `<dataDir>/scaleout.pid` for `pid`, or throws a one-line error naming the live process that holds
 * it. A lock left by a process that is gone (kill -9, a power cut) is taken over. A reused pid can make a
 * stale lock look held; the message names the pid and file so the user can check and remove it.
 */
export function lockDataDir(dataDir: string, pid = process.pid): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "scaleout.pid");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // "wx": created only if absent, so two starts racing cannot both win.
      writeFileSync(file, `${pid}\n`, { flag: "wx" });
      return {
        file,
        release: () => {
          if (holder(file) === pid) unlinkSync(file);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const other = holder(file);
    if (other !== undefined && other !== pid && alive(other)) {
      throw new Error(
        `data directory ${dataDir} is in use by another scaleout (pid ${other}, ${file}); stop it or set SCALEOUT_DATA_DIR`,
      );
    }
    // Stale (its process is gone) or unreadable: remove it and try again.
    try {
      unlinkSync(file);
    } catch {}
  }
  throw new Error(`could not take the lock ${file}`);
}
