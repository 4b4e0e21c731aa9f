import { describe, expect, it } from "vitest";
import { FlowCounters, packetsOf } from "../src/l4/flow-counters.ts";

const key = {
  loadBalancer: "net/nlb/1",
  targetGroup: "targetgroup/tg/2",
  target: "i-1:80",
  protocol: "TCP" as const,
};

describe("flow counters", () => {
  it("counts a flow's life, exports the second's counts and keeps the active gauge", () => {
    const counters = new FlowCounters();
    const flow = counters.count(key);
    expect(counters.count(key)).toBe(flow);
    flow.open();
    flow.fromClient(3000);
    flow.fromTarget(10);
    const [first] = counters.export();
    expect(first).toEqual([...Object.values(key), 1, 1, 0, 3000, 10, 3, 1, 0, 0, 0, 0, 0]);
    flow.close();
    flow.elbResets++;
    expect(counters.export()[0]?.slice(4, 7)).toEqual([0, 0, 1]);
    // Nothing open, nothing new: forgotten.
    expect(counters.export()).toEqual([]);
    expect(counters.export()).toEqual([]);
  });

  it("the owner's active gauge moves by what opened and closed in each report", () => {
    const worker = new FlowCounters();
    const owner = new FlowCounters();
    const a = worker.count(key);
    a.open();
    a.open();
    owner.absorb(worker.export());
    // A second report in the same second carries the gauge again, but nothing new opened.
    owner.absorb(worker.export());
    a.close();
    owner.absorb(worker.export());
    const [record] = owner.export();
    expect(record?.[4]).toBe(1);
    expect(record?.[5]).toBe(2);
    expect(record?.[6]).toBe(1);
  });

  it("estimates segments of an Ethernet MSS", () => {
    expect(packetsOf(0)).toBe(0);
    expect(packetsOf(1)).toBe(1);
    expect(packetsOf(1460)).toBe(1);
    expect(packetsOf(65536)).toBe(45);
  });
});
