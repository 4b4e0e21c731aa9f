import { expect, test } from "vitest";
import { putResource } from "../src/cfn-store.ts";
import { runStackOperation } from "../src/index.ts";
import { servicesPerTest } from "./services-per-test.ts";

/*
 * Signals over a real SQLite file with the executor in process: a stack create that the worker stopped
 * while a resource waited on its CreationPolicy resumes, and counts the signal that came meanwhile.
 */

const fresh = servicesPerTest();

const template = `
Resources:
  Waiting:
    Type: AWS::SSM::Parameter
    CreationPolicy: { ResourceSignal: { Count: 1, Timeout: PT60S } }
    Properties: { Type: String, Value: waiting }
`;

test("a create resumed after the worker stopped keeps the signals that came meanwhile", async () => {
  const stackId = fresh.services.cfnStacks.create({ stackName: "resumed", templateBody: template });
  // The stopped worker had begun the resource (the first event of its create); then a signal came.
  putResource(
    fresh.db,
    stackId,
    {
      logicalId: "Waiting",
      type: "AWS::SSM::Parameter",
      physicalId: null,
      status: "CREATE_IN_PROGRESS",
      properties: {},
      attributes: {},
    },
    Date.now(),
  );
  fresh.services.cfnStacks.signal({
    stackName: "resumed",
    logicalResourceId: "Waiting",
    uniqueId: "i-0ddddddddddddddd1",
    status: "SUCCESS",
  });
  expect(await runStackOperation(fresh.services, stackId)).toBe("CREATE_COMPLETE");
  const reasons = fresh.services.cfnStacks
    .events("resumed")
    .filter((e) => e.logicalId === "Waiting")
    .map((e) => e.statusReason)
    .reverse();
  expect(reasons).toEqual([
    null,
    "Received SUCCESS signal with UniqueId i-0ddddddddddddddd1",
    "Resumed: the worker running the create stopped",
    "Resource creation Initiated",
    null,
  ]);
});
