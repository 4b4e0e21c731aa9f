// npm run stop-instances: the CLI as a user runs it, against instances the process driver really started
// in a private data directory.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createProcessDriver, type LaunchSpec } from "@scaleout/compute";
import { newInstanceId, newLaunchTemplateId } from "@scaleout/core";
import { integrationTest as test } from "@scaleout/testing";
import { expect } from "vitest";

const root = join(import.meta.dirname, "..", "..");

function spec(): LaunchSpec {
  return {
    instanceId: newInstanceId(),
    groupName: "web",
    launchTemplateId: newLaunchTemplateId(),
    launchTemplateVersion: 1,
    command: [process.execPath, "-e", "setInterval(() => {}, 1000)"],
    environment: {},
    networkMode: "host",
    hostPort: 1,
  };
}

function runCli(dataDir: string) {
  return spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts", "stop-instances.ts")], {
    cwd: root,
    encoding: "utf8",
    // No engine address: a machine with docker still stops only what this registry knows (nothing here).
    env: { ...process.env, SCALEOUT_DATA_DIR: dataDir },
    timeout: 60_000,
  });
}

test("terminates every instance the process driver runs for the data directory and says which", async ({
  dataDir,
}) => {
  const driver = createProcessDriver({ stateDir: join(dataDir, "instances") });
  const a = await driver.launch(spec());
  const b = await driver.launch(spec());
  expect((await driver.list()).filter((i) => i.state === "running")).toHaveLength(2);

  const result = runCli(dataDir);
  expect(result.status, result.stderr).toBe(0);
  expect(result.stdout).toContain(`process driver: terminated`);
  expect(result.stdout).toContain(a.instanceId);
  expect(result.stdout).toContain(b.instanceId);
  expect(result.stdout).toMatch(/stopped 2 instance\(s\)/);
  expect(await driver.list()).toEqual([]);

  const again = runCli(dataDir);
  expect(again.status).toBe(0);
  expect(again.stdout).toContain("no instances running");
  await driver.close();
});

test("refuses while npm start holds the data directory: its worker would replace them", async ({
  dataDir,
}) => {
  writeFileSync(join(dataDir, "scaleout.pid"), `${process.pid}\n`);
  const result = runCli(dataDir);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(`npm start (pid ${process.pid}) is running on ${dataDir}`);
});
