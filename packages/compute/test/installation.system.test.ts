// Installation ids (issue 17): two scaleouts sharing one Docker engine (or one state directory) each see,
// adopt and reap only what they launched. Before them, a second installation's reconciler listed the
// first one's containers of a same-named group, found no rows for them and terminated them as orphans.
import { join } from "node:path";
import { newInstanceId, newLaunchTemplateId } from "@scaleout/core";
import { integrationTest as test } from "@scaleout/testing";
import { describe, expect } from "vitest";
import {
  type ComputeDriver,
  createDockerDriver,
  createProcessDriver,
  detectDocker,
  ensureExampleImage,
  exampleAppPath,
  exampleImage,
  type LaunchSpec,
} from "../src/index.ts";
import { waitUntilAnswering } from "./helpers.ts";

const engineAnswers = await detectDocker();
const required = process.env.CI === "true";

function spec(group: string, runtime: Pick<LaunchSpec, "image" | "command">): LaunchSpec {
  return {
    instanceId: newInstanceId(),
    groupName: group,
    launchTemplateId: newLaunchTemplateId(),
    launchTemplateVersion: 1,
    ...runtime,
    environment: {},
    networkMode: "host",
  };
}

/** `mine` launches in `group`; `theirs` (same group name, same engine) must neither see nor stop it. */
async function neitherSeesNorReaps(mine: ComputeDriver, theirs: ComputeDriver, launch: LaunchSpec) {
  const started = Date.now();
  const instance = await mine.launch(launch);
  // The driver allocated the port (none was asked for) and says where the instance answers.
  expect(instance.port).toBeGreaterThan(0);
  await waitUntilAnswering(instance.port, started);
  try {
    expect(await theirs.list(launch.groupName)).toEqual([]);
    expect(await theirs.list()).not.toContainEqual(
      expect.objectContaining({ instanceId: launch.instanceId }),
    );
    expect(await theirs.inspect(launch.instanceId)).toBeUndefined();
    await theirs.terminate(launch.instanceId, { graceSeconds: 0 });
    expect((await mine.inspect(launch.instanceId))?.state).toBe("running");
    expect((await mine.list(launch.groupName)).map((i) => i.instanceId)).toEqual([launch.instanceId]);
  } finally {
    await mine.terminate(launch.instanceId, { graceSeconds: 0 });
  }
}

describe("installation ids", () => {
  test("process driver: two installations given one state directory", async ({ dataDir, prefix }) => {
    const stateDir = join(dataDir, "instances");
    const mine = createProcessDriver({ stateDir, installationId: "aaaaaaaaaaaa" });
    const theirs = createProcessDriver({ stateDir, installationId: "bbbbbbbbbbbb" });
    await neitherSeesNorReaps(
      mine,
      theirs,
      spec(`web-${prefix}`, { command: [process.execPath, exampleAppPath] }),
    );
    await Promise.all([mine.close(), theirs.close()]);
  });

  test.runIf(engineAnswers || required)(
    "docker driver: two installations sharing one engine",
    async ({ prefix }) => {
      if (!engineAnswers) throw new Error("CI=true but no Docker engine answers on DOCKER_HOST");
      await ensureExampleImage();
      const mine = createDockerDriver({ installationId: "aaaaaaaaaaaa" });
      const theirs = createDockerDriver({ installationId: "bbbbbbbbbbbb" });
      try {
        await neitherSeesNorReaps(mine, theirs, spec(`web-${prefix}`, { image: exampleImage }));
      } finally {
        await Promise.all([mine.close(), theirs.close()]);
      }
    },
  );
});
