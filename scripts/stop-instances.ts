// `npm run stop-instances`: terminates the instances scaleout left running for this data directory.
// Ctrl-C on `npm start` leaves them running on purpose (the next start adopts them); this is the way to
// stop them instead. The process driver's records live in <dataDir>/instances; docker containers carry
// scaleout's labels but not the data directory, so only those whose instance id this data directory's
// registry knows are stopped, never another scaleout's.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type ComputeDriver,
  createDockerDriver,
  createProcessDriver,
  createSwarmDriver,
  detectEngine,
} from "@scaleout/compute";
import { readSettings } from "@scaleout/config";
import Database from "better-sqlite3";

export interface StopInstancesOptions {
  /** The drivers to ask; each instance they list (and `keep` accepts) is terminated. */
  drivers: { driver: ComputeDriver; keep?: (instanceId: string) => boolean }[];
  graceSeconds?: number;
}

/** Terminates every instance the drivers list; answers the ids it terminated, per driver. */
export async function stopInstances(
  options: StopInstancesOptions,
): Promise<{ driver: string; ids: string[] }[]> {
  const results: { driver: string; ids: string[] }[] = [];
  for (const { driver, keep } of options.drivers) {
    const listed = (await driver.list()).filter((instance) => keep?.(instance.instanceId) ?? true);
    await Promise.all(
      listed.map((instance) =>
        driver.terminate(
          instance.instanceId,
          options.graceSeconds === undefined ? undefined : { graceSeconds: options.graceSeconds },
        ),
      ),
    );
    results.push({ driver: driver.name, ids: listed.map((instance) => instance.instanceId) });
  }
  return results;
}

/** The instance ids this data directory's registry has ever recorded (empty without a registry). */
export function registryInstanceIds(databaseFile: string): Set<string> {
  if (!existsSync(databaseFile)) return new Set();
  const db = new Database(databaseFile, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("SELECT id FROM instances").all() as { id: string }[];
    return new Set(rows.map((row) => row.id));
  } finally {
    db.close();
  }
}

/** A live pid in <dataDir>/scaleout.pid: npm start is running and its worker would replace them. */
function runningStart(dataDir: string): number | undefined {
  const file = join(dataDir, "scaleout.pid");
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM" ? pid : undefined;
  }
}

async function main(): Promise<void> {
  const settings = readSettings();
  const running = runningStart(settings.dataDir);
  if (running !== undefined) {
    process.stderr.write(
      `npm start (pid ${running}) is running on ${settings.dataDir}: its worker would replace the instances. Stop it (Ctrl-C) first, or set each group's desired capacity to 0.\n`,
    );
    process.exit(1);
  }
  const drivers: StopInstancesOptions["drivers"] = [
    { driver: await createProcessDriver({ stateDir: join(settings.dataDir, "instances") }) },
  ];
  const engine = await detectEngine({});
  if (engine !== "none") {
    const known = registryInstanceIds(settings.databaseFile);
    drivers.push({ driver: createDockerDriver({}), keep: (id) => known.has(id) });
    // A swarm manager's services too (SCALEOUT_COMPUTE=swarm, or auto on a manager).
    if (engine === "swarm-manager")
      drivers.push({ driver: createSwarmDriver({}), keep: (id) => known.has(id) });
  }
  const results = await stopInstances({ drivers });
  for (const { driver } of drivers) await driver.close();
  const total = results.reduce((sum, result) => sum + result.ids.length, 0);
  for (const result of results)
    if (result.ids.length > 0)
      process.stdout.write(`${result.driver} driver: terminated ${result.ids.join(" ")}\n`);
  process.stdout.write(
    total === 0
      ? `no instances running for ${settings.dataDir}\n`
      : `stopped ${total} instance(s) of ${settings.dataDir}; the next npm start launches replacements up to each group's desired capacity\n`,
  );
}

if (process.argv[1]?.endsWith("stop-instances.ts")) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `stop-instances failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
