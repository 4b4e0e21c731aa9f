// Instances on Docker Swarm (issue 17): the real api, worker and proxy as child processes with
// SCALEOUT_COMPUTE=swarm, on a single-node swarm of a Docker engine of the test's own (private-docker-engine.ts:
// the shared engine of the other test files never becomes a swarm manager while they run beside it; where
// no dockerd can be started, the engine in DOCKER_HOST, made a manager here when it is not one and left
// again afterwards), with the example image from `docker import` on the host network. A group scales 0 → 3 → 1 with every instance a Swarm service, traffic reaches them through a
// listener, a killed task's instance is replaced by a new one, and a restarted worker adopts what runs
// without launching duplicates. Beside it, two installations sharing the swarm leave each other's
// services alone.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  createDockerDriver,
  createSwarmDriver,
  detectEngine,
  ensureExampleImage,
  exampleImage,
  type RunningInstance,
  serviceName,
} from "@scaleout/compute";
import { newInstanceId, newLaunchTemplateId } from "@scaleout/core";
import { eventually, integrationTest as test } from "@scaleout/testing";
import { afterAll, afterEach, beforeAll, describe, expect } from "vitest";
import { canStartPrivateEngine, type PrivateEngine, startPrivateEngine } from "./private-docker-engine.ts";
import { ensureSingleNodeSwarm, type SingleNodeSwarm } from "./single-node-swarm.ts";
import { addLoadBalancedGroup, type RunningSystem, startSystem } from "./system.ts";

// The test's own engine where it can start one (root, dockerd on PATH); else the shared one, when it answers.
const ownEngine = canStartPrivateEngine();
const engine = ownEngine ? "engine" : await detectEngine({ timeoutMs: 10_000 });
// CI starts a Docker engine, so there a missing one is a failure, not a reason to skip.
const required = process.env.CI === "true";
/** The engine's address (DOCKER_HOST), set in beforeAll: undefined means the shared engine's. */
let host: string | undefined;
const onEngine = () => (host !== undefined ? { host } : {});
const docker = (args: string[]) =>
  promisify(execFile)("docker", args, {
    env: host !== undefined ? { ...process.env, DOCKER_HOST: host } : process.env,
  });

interface Instance {
  instanceId: string;
  lifecycleState: string;
}

let system: RunningSystem | undefined;
let cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  system?.kill();
  system = undefined;
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  cleanup = [];
});

const skipped = engine === "none" && !required;
// The reason shows in the report beside the skipped tests.
const because = skipped ? " (skipped: no Docker engine answers on DOCKER_HOST or /var/run/docker.sock)" : "";
if (skipped) console.warn(`swarm driver tests${because}`);

describe.skipIf(skipped)(`swarm driver on a single-node swarm${because}`, () => {
  let swarm: SingleNodeSwarm | undefined;
  let privateEngine: PrivateEngine | undefined;
  beforeAll(async () => {
    if (ownEngine) {
      privateEngine = await startPrivateEngine();
      host = privateEngine.host;
      console.info(`swarm: own engine answering in ${privateEngine.startMs} ms`);
    } else if (engine === "none") throw new Error("CI=true but no Docker engine answers on DOCKER_HOST");
    await ensureExampleImage(host);
    swarm = await ensureSingleNodeSwarm(host);
    console.info(
      `swarm: ${swarm.created ? `initialised in ${swarm.initMs} ms` : "the engine already was a manager"}`,
    );
  }, 60_000);
  afterAll(async () => {
    // The own engine goes as a whole, swarm and all; the shared one leaves the swarm it was made part of.
    if (privateEngine) await privateEngine.stop();
    else await swarm?.restore();
  }, 45_000);

  test("two installations sharing the swarm neither list nor reap each other's services", async ({
    prefix,
  }) => {
    const group = `shared-${prefix}`;
    const mine = createSwarmDriver({ installationId: "aaaaaaaaaaaa", graceSeconds: 0, ...onEngine() });
    const theirs = createSwarmDriver({ installationId: "bbbbbbbbbbbb", graceSeconds: 0, ...onEngine() });
    const plainDocker = createDockerDriver({ installationId: "bbbbbbbbbbbb", ...onEngine() });
    cleanup.push(async () => {
      for (const instance of await mine.list(group)) await mine.terminate(instance.instanceId);
      await Promise.all([mine.close(), theirs.close(), plainDocker.close()]);
    });
    const started = Date.now();
    const instance = await mine.launch({
      instanceId: newInstanceId(),
      groupName: group,
      launchTemplateId: newLaunchTemplateId(),
      launchTemplateVersion: 1,
      image: exampleImage,
      environment: {},
      networkMode: "host",
      cpu: 0.5,
      memoryMiB: 128,
    });
    console.info(`swarm driver: launch to running ${Date.now() - started} ms`);
    expect(instance).toMatchObject({ groupName: group, state: "running", address: "127.0.0.1" });
    expect(instance.port).toBeGreaterThan(0);
    // Running is the task's state; the app inside binds its port a moment later.
    const answered = await eventually(
      async () => {
        const answer = await fetch(`http://${instance.address}:${instance.port}/`);
        return ((await answer.json()) as { instanceId: string }).instanceId;
      },
      { timeoutMs: 10_000, intervalMs: 20, message: "the instance to answer on its port" },
    );
    console.info(`swarm driver: launch to answering ${Date.now() - started} ms`);
    expect(answered).toBe(instance.instanceId);

    // The other installation (a second scaleout on the same swarm, with a group of the same name) sees
    // nothing to adopt or reap, and its terminate of the id is a no-op; nor does a docker driver take the
    // task's container for one of its own.
    expect(await theirs.list(group)).toEqual([]);
    expect(await theirs.inspect(instance.instanceId)).toBeUndefined();
    await theirs.terminate(instance.instanceId);
    expect(await plainDocker.list(group)).toEqual([]);
    expect((await mine.inspect(instance.instanceId))?.state).toBe("running");
    expect((await mine.list(group)).map((i) => i.instanceId)).toEqual([instance.instanceId]);

    // CPU from the engine's stats of the task's container (this node's): the second reading has a delta.
    expect(await mine.sample(instance.instanceId)).toMatchObject({ cpuPercent: 0 });
    const second = await mine.sample(instance.instanceId);
    expect(second?.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(second?.memoryBytes).toBeGreaterThan(0);

    // Limits and reservations went to Swarm: its scheduler places by them.
    const { stdout } = await docker([
      "service",
      "inspect",
      serviceName(instance.instanceId),
      "--format",
      "{{json .Spec.TaskTemplate.Resources}}",
    ]);
    expect(JSON.parse(stdout)).toEqual({
      Limits: { NanoCPUs: 500_000_000, MemoryBytes: 128 * 1024 * 1024 },
      Reservations: { NanoCPUs: 500_000_000, MemoryBytes: 128 * 1024 * 1024 },
    });
    const terminating = Date.now();
    await mine.terminate(instance.instanceId);
    console.info(`swarm driver: terminate ${Date.now() - terminating} ms`);
    expect(await mine.inspect(instance.instanceId)).toBeUndefined();
  }, 60_000);

  test("a group scales 0 → 3 → 1 as Swarm services behind a listener, a killed task's instance is replaced, a restarted worker adopts", async ({
    redisUrl,
    prefix,
    dataDir,
  }) => {
    const name = `swarm-${prefix}`;
    const started = Date.now();
    const marks: string[] = [];
    const mark = (what: string) => marks.push(`${what} +${((Date.now() - started) / 1000).toFixed(1)}s`);
    // The test's own view: no installation id, so it sees every scaleout service (of this group only).
    const driver = createSwarmDriver({ graceSeconds: 0, ...onEngine() });
    cleanup.push(async () => {
      for (const instance of await driver.list(name)) await driver.terminate(instance.instanceId);
      await driver.close();
    });
    const sys = await startSystem({
      redisUrl,
      prefix,
      dataDir,
      compute: "swarm",
      ...(host !== undefined && { env: { DOCKER_HOST: host } }),
    });
    system = sys;
    const fail = (message: string) => (error: unknown) => {
      throw new Error(
        `${message}: ${error instanceof Error ? error.message : String(error)}\n${sys.output()}`,
      );
    };
    mark("system up");

    const { targetGroupArn, targetGroup, port } = await addLoadBalancedGroup(sys, name, {
      deregistrationDelaySeconds: 1,
    });
    await sys.ok("POST", "/v1/launch-templates", {
      launchTemplateName: name,
      image: exampleImage,
      networkMode: "host",
    });
    await sys.ok("POST", "/v1/auto-scaling-groups", {
      autoScalingGroupName: name,
      launchTemplate: { launchTemplateName: name },
      minSize: 0,
      maxSize: 3,
      desiredCapacity: 0,
      targetGroupARNs: [targetGroupArn],
    });
    const setDesired = (desiredCapacity: number) =>
      sys.ok("PUT", `/v1/auto-scaling-groups/${name}/desired-capacity`, { desiredCapacity });
    const inService = async () =>
      (await sys.ok<{ instances: Instance[] }>("GET", `/v1/auto-scaling-groups/${name}/instances`)).instances
        .filter((i) => i.lifecycleState === "InService")
        .map((i) => i.instanceId)
        .sort();
    const healthy = async () =>
      (
        await sys.ok<{ targetHealthDescriptions: Array<{ targetHealth: { state: string } }> }>(
          "GET",
          `/v1/target-groups/${targetGroup}/health`,
        )
      ).targetHealthDescriptions.filter((t) => t.targetHealth.state === "healthy").length;
    const services = async () => (await driver.list(name)).filter((i) => i.state !== "exited");
    /** The instance ids answering through the listener, over `requests` fresh connections. */
    const servedBy = async (requests: number) => {
      const ids = new Set<string>();
      for (let i = 0; i < requests; i++) {
        const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) });
        if (response.status === 200) ids.add(((await response.json()) as { instanceId: string }).instanceId);
        else await response.arrayBuffer();
      }
      return ids;
    };
    const settledOn = (count: number, message: string) =>
      eventually(
        async () => {
          const ids = await inService();
          const running = await services();
          return ids.length === count && running.length === count && (await healthy()) === count
            ? ids
            : undefined;
        },
        { timeoutMs: 45_000, intervalMs: 200, message },
      ).catch(fail(message));

    // ---- 0 → 3: three services, each answering through the listener ------------------------------
    await setDesired(3);
    const three = await settledOn(3, "three instances in service and healthy");
    mark("3 healthy");
    const listed: RunningInstance[] = await driver.list(name);
    expect(listed.map((i) => i.instanceId).sort()).toEqual(three);
    for (const instance of listed) expect(instance).toMatchObject({ state: "running", address: "127.0.0.1" });
    const served = await eventually(async () => ((await servedBy(30)).size === 3 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 100,
      message: "all three instances to serve through the listener",
    }).catch(fail("traffic"));
    expect(served).toBe(true);
    mark("traffic on 3");

    // ---- 3 → 1 ----------------------------------------------------------------------------------
    await setDesired(1);
    const [survivor] = await settledOn(1, "one instance left");
    mark("scaled in to 1");
    expect(three).toContain(survivor);

    // ---- Kill the survivor's task: its instance ends and a new instance (a new id) replaces it ------
    const { stdout } = await docker([
      "ps",
      "-q",
      "--filter",
      `label=com.docker.swarm.service.name=${serviceName(survivor ?? "")}`,
    ]);
    const container = stdout.trim();
    expect(container).not.toBe("");
    await docker(["kill", container]);
    mark("task killed");
    const [replacement] = await eventually(
      async () => {
        const ids = await inService();
        return ids.length === 1 && ids[0] !== survivor && (await healthy()) === 1 ? ids : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 200, message: "a new instance to replace the killed one" },
    ).catch(fail("replacement"));
    mark("replaced");
    expect(await inspectAbsent(driver, survivor ?? "")).toBe(true);
    expect((await servedBy(5)).has(replacement ?? "")).toBe(true);

    // ---- Restart the worker: it adopts the running service, launches nothing ------------------------
    await sys.stopOne("worker");
    sys.startOne("worker");
    await eventually(async () => (sys.output().match(/worker started/g)?.length ?? 0) >= 2 || undefined, {
      timeoutMs: 30_000,
      message: "the worker to start again",
    }).catch(fail("restart"));
    // A negative outcome ("nothing launched") has no event to wait for: two resyncs (2 s apart in fast
    // mode) after the restart are enough for a duplicate to have appeared.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    expect(await inService()).toEqual([replacement]);
    expect((await services()).map((i) => i.instanceId)).toEqual([replacement]);
    mark("adopted after restart");
    console.info(`swarm e2e: ${marks.join(", ")}`);

    expect((await sys.call("DELETE", `/v1/auto-scaling-groups/${name}?forceDelete=true`)).status).toBe(204);
    await eventually(async () => ((await driver.list(name)).length === 0 ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 200,
      message: "the group's services to be removed",
    }).catch(fail("delete"));
  }, 180_000);
});

async function inspectAbsent(driver: ReturnType<typeof createSwarmDriver>, instanceId: string) {
  return (await driver.inspect(instanceId)) === undefined;
}
