import { shapes } from "@scaleout/services";
import { deriveMembers, deriveShape } from "../derive-shape.ts";
import { operation } from "../operation.ts";
import { list, req, str, struct } from "../shapes.ts";

/*
 * Moving a group's instances over the Auto Scaling door: standby, detach and attach, and scale-in
 * protection. The members are the services' declarations (shapes/instance-moves.ts).
 */

const Activity = deriveShape(shapes.Activity);
const group = { autoScalingGroupName: req(str) };
const Activities = struct({ activities: list(Activity) });

export const standbyOperations = {
  AttachInstances: operation({
    input: struct({ ...group, ...deriveMembers(shapes.MoveIntoService) }),
    output: undefined,
    support: "implemented",
    notes:
      "Instances that run outside any group (detached earlier) join it: Pending until the worker takes them InService and registers them in the group's target groups.",
    run: (input, { services }) => {
      services.attachments.attach(input.autoScalingGroupName, input);
      return undefined;
    },
  }),

  DetachInstances: operation({
    input: struct({ ...group, ...deriveMembers(shapes.MoveOutOfService) }),
    output: Activities,
    support: "implemented",
    notes: "Detaching while the instance's targets drain, then Detached: it keeps running outside the group.",
    run: (input, { services }) => ({
      activities: services.attachments.detach(input.autoScalingGroupName, input),
    }),
  }),

  EnterStandby: operation({
    input: struct({ ...group, ...deriveMembers(shapes.MoveOutOfService) }),
    output: Activities,
    support: "implemented",
    notes:
      "EnteringStandby while the instance's targets drain, then Standby (deregistered, not health-checked).",
    run: (input, { services }) => ({ activities: services.standby.enter(input.autoScalingGroupName, input) }),
  }),

  ExitStandby: operation({
    input: struct({ ...group, ...deriveMembers(shapes.MoveIntoService) }),
    output: Activities,
    support: "implemented",
    notes: "Pending until the worker takes the instance InService and registers it again.",
    run: (input, { services }) => ({ activities: services.standby.exit(input.autoScalingGroupName, input) }),
  }),

  SetInstanceProtection: operation({
    input: struct({ ...group, ...deriveMembers(shapes.SetInstanceProtection) }),
    // SetInstanceProtectionAnswer: empty, but its <SetInstanceProtectionResult/> must be there (the AWS CLI
    // fails with KeyError 'SetInstanceProtectionResult' without it).
    output: struct({}),
    support: "implemented",
    run: (input, { services }) => {
      services.protection.set(input.autoScalingGroupName, input);
      return {};
    },
  }),
};
