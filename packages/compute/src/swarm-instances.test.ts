import { describe, expect, it } from "vitest";
import {
  nodeAddress,
  type SwarmNode,
  type SwarmService,
  type SwarmTask,
  swarmInstance,
} from "./swarm-instances.ts";
import { swarmLabels } from "./swarm-service.ts";

const service = (overrides: { replicas?: number; forceUpdate?: number } = {}): SwarmService => ({
  ID: "svc1",
  Spec: {
    Labels: {
      [swarmLabels.managed]: "true",
      [swarmLabels.group]: "web",
      [swarmLabels.instanceId]: "i-0123456789abcdef0",
      [swarmLabels.launchTemplateId]: "lt-1",
      [swarmLabels.launchTemplateVersion]: "3",
      [swarmLabels.hostPort]: "41000",
    },
    Mode: { Replicated: { Replicas: overrides.replicas ?? 1 } },
    TaskTemplate: { ForceUpdate: overrides.forceUpdate ?? 0 },
  },
});

const task = (id: string, state: string, extra: Partial<SwarmTask> = {}): SwarmTask => ({
  ID: id,
  ServiceID: "svc1",
  NodeID: "n1",
  CreatedAt: "2026-12-01T10:00:00.000Z",
  Status: { State: state, Timestamp: "2026-12-01T10:00:01.000Z" },
  ...extra,
});

const nodes = (state = "ready"): Map<string, SwarmNode> =>
  new Map([
    ["n1", { ID: "n1", Description: { Hostname: "node-1" }, Status: { State: state, Addr: "10.0.0.5" } }],
  ]);

describe("swarmInstance", () => {
  it("a running task: running at its node's address and the labelled port", () => {
    expect(swarmInstance(service(), [task("t1", "running")], nodes())).toMatchObject({
      instanceId: "i-0123456789abcdef0",
      groupName: "web",
      launchTemplateVersion: 3,
      ref: "svc1",
      state: "running",
      address: "10.0.0.5",
      port: 41000,
    });
  });

  it("no task yet, or one being scheduled: starting", () => {
    expect(swarmInstance(service(), [], nodes())?.state).toBe("starting");
    expect(swarmInstance(service(), [task("t1", "pending")], nodes())?.state).toBe("starting");
  });

  it("a task that ended: exited with Swarm's reason and the exit code", () => {
    const failed = task("t1", "failed", {
      Status: { State: "failed", Err: "task: non-zero exit (137)", ContainerStatus: { ExitCode: 137 } },
    });
    expect(swarmInstance(service(), [failed], nodes())).toMatchObject({
      state: "exited",
      exitCode: 137,
      error: "task: non-zero exit (137)",
    });
  });

  it("a node that left the swarm ends the instances it ran", () => {
    const instance = swarmInstance(service(), [task("t1", "running")], nodes("down"));
    expect(instance).toMatchObject({ state: "exited", error: "its node node-1 left the swarm (down)" });
    expect(swarmInstance(service(), [task("t1", "running")], new Map())?.state).toBe("exited");
  });

  it("a second task of the same template (Swarm replaced the first): the instance has ended", () => {
    const second = task("t2", "running", { CreatedAt: "2026-12-01T10:00:05.000Z" });
    const instance = swarmInstance(service(), [second, task("t1", "failed")], nodes());
    expect(instance?.state).toBe("exited");
    expect(instance?.error).toContain("Swarm replaced its task t1");
  });

  it("parked (no replica) is stopped; a resumed one is judged by the new template's task only", () => {
    expect(swarmInstance(service({ replicas: 0 }), [task("t1", "shutdown")], nodes())?.state).toBe("stopped");
    const resumed = task("t2", "running", { Spec: { ForceUpdate: 1 } });
    expect(
      swarmInstance(service({ forceUpdate: 1 }), [task("t1", "shutdown"), resumed], nodes())?.state,
    ).toBe("running");
  });

  it("a service without scaleout's labels is no instance", () => {
    expect(swarmInstance({ ID: "x", Spec: { Labels: {} } }, [], nodes())).toBeUndefined();
  });
});

describe("nodeAddress", () => {
  it("falls back to the manager address when a manager reports 0.0.0.0", () => {
    expect(
      nodeAddress({ ID: "m", Status: { Addr: "0.0.0.0" }, ManagerStatus: { Addr: "192.168.1.2:2377" } }),
    ).toBe("192.168.1.2");
    expect(
      nodeAddress({ ID: "m", Status: { Addr: "0.0.0.0" }, ManagerStatus: { Addr: "[fd00::1]:2377" } }),
    ).toBe("fd00::1");
    expect(nodeAddress(undefined)).toBe("");
  });
});
