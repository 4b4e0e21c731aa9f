import { operation } from "../operation.ts";
import { req, str, struct } from "../shapes.ts";

/*
 * SignalResource: what cfn-signal and `aws cloudformation signal-resource` send from an instance to a
 * resource waiting on its CreationPolicy (services cfn-signals.ts). Instances reach it as every AWS call:
 * AWS_ENDPOINT_URL names scaleout's api, and with SCALEOUT_API_TOKEN set an instance's own key may
 * signal with its own instance id as UniqueId (core instance-credentials.ts).
 */

export const signalOperations = {
  SignalResource: operation({
    input: struct({
      stackName: req(str),
      logicalResourceId: req(str),
      uniqueId: req(str),
      status: req(str),
    }),
    output: undefined,
    support: "implemented",
    notes:
      "CreationPolicy signals (Count, Timeout, an Auto Scaling group's MinSuccessfulInstancesPercent); UpdatePolicy WaitOnResourceSignals is not waited on",
    run: (input, { services }) => {
      services.cfnStacks.signal(input);
      return undefined;
    },
  }),
};
