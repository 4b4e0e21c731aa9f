import { describe, expect, it } from "vitest";
import {
  describeInstancesFilters,
  type Ec2FilterSubject,
  ec2StateOf,
  isInstanceId,
  matchesFilters,
  unknownFilters,
} from "./ec2-instances.ts";

const subject: Ec2FilterSubject = {
  instanceId: "i-0123456789abcdef0",
  imageId: "local/app",
  stateName: "running",
  stateCode: 16,
  availabilityZone: "eu-west-1a",
  privateIpAddress: "127.0.0.1",
  tags: [
    { key: "aws:autoscaling:groupName", value: "web" },
    { key: "team", value: "blue" },
  ],
};

describe("ec2StateOf", () => {
  it("maps lifecycle states to EC2's instance states", () => {
    expect(ec2StateOf("Pending")).toBe("pending");
    expect(ec2StateOf("Pending:Wait")).toBe("running");
    expect(ec2StateOf("InService")).toBe("running");
    expect(ec2StateOf("Standby")).toBe("running");
    expect(ec2StateOf("Detached")).toBe("running");
    expect(ec2StateOf("Terminating:Wait")).toBe("shutting-down");
    expect(ec2StateOf("Terminated")).toBe("terminated");
    expect(ec2StateOf("Warmed:Stopped")).toBe("stopped");
  });
});

describe("isInstanceId", () => {
  it("accepts the short and long forms only", () => {
    expect(isInstanceId("i-0123456789abcdef0")).toBe(true);
    expect(isInstanceId("i-1234abcd")).toBe(true);
    expect(isInstanceId("i-123")).toBe(false);
    expect(isInstanceId("web-1")).toBe(false);
    expect(isInstanceId("i-0123456789ABCDEF0")).toBe(false);
  });
});

describe("matchesFilters", () => {
  it("ANDs filters and ORs values", () => {
    expect(matchesFilters(subject, [])).toBe(true);
    expect(
      matchesFilters(subject, [
        { name: "instance-state-name", values: ["pending", "running"] },
        { name: "tag:aws:autoscaling:groupName", values: ["web"] },
      ]),
    ).toBe(true);
    expect(
      matchesFilters(subject, [
        { name: "instance-state-name", values: ["running"] },
        { name: "tag:team", values: ["red"] },
      ]),
    ).toBe(false);
  });

  it("matches EC2's wildcards", () => {
    expect(matchesFilters(subject, [{ name: "tag:team", values: ["bl*"] }])).toBe(true);
    expect(matchesFilters(subject, [{ name: "tag:team", values: ["b?ue"] }])).toBe(true);
    expect(matchesFilters(subject, [{ name: "tag:team", values: ["b.ue"] }])).toBe(false);
    expect(matchesFilters(subject, [{ name: "tag-key", values: ["aws:*"] }])).toBe(true);
    expect(matchesFilters(subject, [{ name: "instance-state-code", values: ["16"] }])).toBe(true);
  });

  it("names the filters it does not know", () => {
    expect(
      unknownFilters(
        [
          { name: "tag:team", values: [] },
          { name: "vpc-id", values: [] },
          { name: "tag:", values: [] },
        ],
        describeInstancesFilters,
      ),
    ).toEqual(["vpc-id", "tag:"]);
  });
});
