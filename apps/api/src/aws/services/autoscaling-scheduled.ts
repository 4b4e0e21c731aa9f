import { shapes } from "@scaleout/services";
import { deriveMembers, deriveShape } from "../derive-shape.ts";
import { operation, pageSize } from "../operation.ts";
import { list, req, str, struct, ts } from "../shapes.ts";
import { page } from "./autoscaling-common.ts";

/* Scheduled actions over the Auto Scaling door: their members come from the services' declarations. */

const ScheduledUpdateGroupAction = deriveShape(shapes.ScheduledAction);
const ScheduledUpdateGroupActionRequest = deriveShape(shapes.ScheduledActionRequest);
const FailedScheduledUpdateGroupActionRequest = deriveShape(shapes.FailedScheduledAction);

export const scheduledActionOperations = {
  PutScheduledUpdateGroupAction: operation({
    input: struct({
      autoScalingGroupName: req(str),
      scheduledActionName: req(str),
      // Deprecated: the same as StartTime.
      time: ts,
      ...deriveMembers(shapes.ScheduledActionSettings),
    }),
    output: undefined,
    support: "implemented",
    notes:
      "One-time (StartTime) and recurring (five-field cron Recurrence in TimeZone, EndTime) actions; the worker applies them within a second of their time.",
    run: (input, { services }) => {
      const { autoScalingGroupName, ...action } = input;
      services.scheduledActions.put(autoScalingGroupName, action);
      return undefined;
    },
  }),

  BatchPutScheduledUpdateGroupAction: operation({
    input: struct({
      autoScalingGroupName: req(str),
      scheduledUpdateGroupActions: req(list(ScheduledUpdateGroupActionRequest)),
    }),
    output: struct({ failedScheduledUpdateGroupActions: list(FailedScheduledUpdateGroupActionRequest) }),
    support: "implemented",
    run: (input, { services }) => ({
      failedScheduledUpdateGroupActions: services.scheduledActions.batchPut(
        input.autoScalingGroupName,
        input.scheduledUpdateGroupActions,
      ),
    }),
  }),

  DescribeScheduledActions: operation({
    input: struct({
      autoScalingGroupName: str,
      scheduledActionNames: list(str),
      startTime: ts,
      endTime: ts,
      ...page,
    }),
    output: struct({ scheduledUpdateGroupActions: list(ScheduledUpdateGroupAction), nextToken: str }),
    support: "implemented",
    notes: "StartTime (and the deprecated Time) is the action's next run.",
    run: (input, { services }) => {
      const result = services.scheduledActions.list({
        groupName: input.autoScalingGroupName,
        names: input.scheduledActionNames,
        startTime: input.startTime,
        endTime: input.endTime,
        pageSize: pageSize(input.maxRecords, "MaxRecords", 100, 50),
        nextToken: input.nextToken,
      });
      return { scheduledUpdateGroupActions: result.items, nextToken: result.nextToken };
    },
  }),

  DeleteScheduledAction: operation({
    input: struct({ autoScalingGroupName: req(str), scheduledActionName: req(str) }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.scheduledActions.delete(input.autoScalingGroupName, input.scheduledActionName);
      return undefined;
    },
  }),

  BatchDeleteScheduledAction: operation({
    input: struct({ autoScalingGroupName: req(str), scheduledActionNames: req(list(str)) }),
    output: struct({ failedScheduledActions: list(FailedScheduledUpdateGroupActionRequest) }),
    support: "implemented",
    run: (input, { services }) => ({
      failedScheduledActions: services.scheduledActions.batchDelete(
        input.autoScalingGroupName,
        input.scheduledActionNames,
      ),
    }),
  }),
};
