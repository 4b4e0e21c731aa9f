import type { ChangeEvents } from "@scaleout/services";
import type { Logger } from "./log.ts";

/**
 * The worker's ChangeEvents, with one log line for each scaling activity that starts (announced by
 * `mutate` after its transaction committed) and one for each that ends: the services publish
 * an EventBridge event (`EC2 Instance Launch Successful`, `... Terminate Unsuccessful`, ...) exactly once
 * per ended activity, after its transaction commits, so logging here cannot repeat or log a rollback.
 * A failed activity is a warning with its StatusMessage (the sentence DescribeScalingActivities shows).
 */
export function loggingActivityEnds(events: ChangeEvents, log: Logger): ChangeEvents {
  return {
    configChanged: (version) => events.configChanged(version),
    groupChanged: (name, reason) => events.groupChanged(name, reason),
    policyInvoked: (invocation) => events.policyInvoked(invocation),
    activityStarted(activity) {
      log.info(`activity started: ${activity.description}`, {
        group: activity.groupName,
        activity: activity.activityId,
      });
      events.activityStarted?.(activity);
    },
    published(event) {
      if (event.source === "aws.autoscaling" && event["detail-type"].startsWith("EC2 Instance ")) {
        const detail = event.detail;
        const failed = event["detail-type"].endsWith("Unsuccessful");
        const message = typeof detail.StatusMessage === "string" ? detail.StatusMessage : "";
        log[failed ? "warn" : "info"](
          `activity ended: ${String(detail.Description)}: ${String(detail.StatusCode)}`,
          {
            group: detail.AutoScalingGroupName,
            activity: detail.ActivityId,
            ...(message !== "" && { statusMessage: message }),
          },
        );
      }
      events.published(event);
    },
  };
}
