import { describe, expect, it } from "vitest";
import {
  instanceAccessDenied,
  instanceAccessKeyId,
  instanceMayCall,
  instanceOfAccessKey,
} from "./instance-credentials.ts";

const token = "the api token";
const id = "i-0123456789abcdef0";
const form = (params: Record<string, string>) =>
  new URLSearchParams({ Version: "2011-01-01", ...params }).toString();

describe("instance access keys", () => {
  it("name their instance, sealed with the token", () => {
    const key = instanceAccessKeyId(token, id);
    expect(key).toMatch(/^SCALEOUT-i-0123456789abcdef0-[0-9a-f]{24}$/);
    expect(key).not.toContain(token);
    expect(instanceOfAccessKey(token, key)).toBe(id);
    expect(instanceOfAccessKey("another token", key)).toBeUndefined();
    // Another instance's id with this instance's seal is not a key.
    expect(instanceOfAccessKey(token, key.replace(id, "i-0fffffffffffffff0"))).toBeUndefined();
    for (const bad of ["", token, "SCALEOUT-", `${key}0`, key.toUpperCase(), "AKIDEXAMPLE"]) {
      expect(instanceOfAccessKey(token, bad)).toBeUndefined();
    }
  });
});

describe("what an instance may call", () => {
  it("its own lifecycle action and a look at itself", () => {
    for (const action of ["CompleteLifecycleAction", "RecordLifecycleActionHeartbeat"]) {
      expect(instanceMayCall(id, "", form({ Action: action, InstanceId: id }))).toEqual({ allowed: true });
      expect(instanceMayCall(id, "", form({ Action: action, InstanceId: "i-0fffffffffffffff0" }))).toEqual({
        allowed: false,
        action,
      });
      // By token only: which instance it is for is not in the request.
      expect(instanceMayCall(id, "", form({ Action: action, LifecycleActionToken: "t" })).allowed).toBe(
        false,
      );
    }
    expect(
      instanceMayCall(id, "", form({ Action: "DescribeAutoScalingInstances", "InstanceIds.member.1": id })),
    ).toEqual({ allowed: true });
    expect(
      instanceMayCall(
        id,
        "",
        form({
          Action: "DescribeAutoScalingInstances",
          "InstanceIds.member.1": id,
          "InstanceIds.member.2": "i-1",
        }),
      ).allowed,
    ).toBe(false);
    expect(instanceMayCall(id, "", form({ Action: "DescribeAutoScalingInstances" })).allowed).toBe(false);
  });

  it("nothing else, and nothing ambiguous", () => {
    expect(
      instanceMayCall(id, "", form({ Action: "SetDesiredCapacity", AutoScalingGroupName: "web" })),
    ).toEqual({
      allowed: false,
      action: "SetDesiredCapacity",
    });
    const complete = form({ Action: "CompleteLifecycleAction", InstanceId: id });
    expect(instanceMayCall(id, "Action=DeleteAutoScalingGroup", complete).allowed).toBe(false);
    expect(instanceMayCall(id, "", `${complete}&Action=DeleteAutoScalingGroup`).allowed).toBe(false);
    expect(instanceMayCall(id, "", `${complete}&InstanceId=${id}`).allowed).toBe(false);
    expect(instanceMayCall(id, "", "Action=constructor").allowed).toBe(false);
    expect(instanceMayCall(id, "", "").allowed).toBe(false);
  });

  it("is refused with AWS's AccessDenied wording", () => {
    expect(instanceAccessDenied("000000000000", id, "SetDesiredCapacity")).toBe(
      "User: arn:aws:sts::000000000000:assumed-role/scaleout-instance/i-0123456789abcdef0 is not authorized to perform: autoscaling:SetDesiredCapacity because no identity-based policy allows the autoscaling:SetDesiredCapacity action",
    );
  });
});
