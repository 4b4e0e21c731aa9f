import { join } from "node:path";
import { createDb, type DbHandle, runMigrations } from "@scaleout/db";
import { tempDir } from "@scaleout/testing";
import { afterEach, beforeEach, expect, test } from "vitest";
import { putResource } from "../src/cfn-store.ts";
import { createContext, createServices, runStackOperation, type Services } from "../src/index.ts";

/*
 * Signals over a real SQLite file with the executor in process: a stack create that the worker stopped
 * while a resource waited on its CreationPolicy resumes, and counts the signal that came meanwhile.
 */

let temp: ReturnType<typeof tempDir>;
let handle: DbHandle;
let services: Services;

beforeEach(() => {
  temp = tempDir();
  handle = createDb(join(temp.dir, "scaleout.db"));
  runMigrations(handle.db);
  services = createServices(createContext(handle.db));
});

afterEach(() => {
  handle.close();
  temp.remove();
});

const template = `
Resources:
  Waiting:
    Type: AWS::SSM::Parameter
    CreationPolicy: { ResourceSignal: { Count: 1, Timeout: PT60S } }
    Properties: { Type: String, Value: waiting }
`;

test("a create resumed after the worker stopped keeps the signals that came meanwhile", async () => {
  const stackId = services.cfnStacks.create({ stackName: "resumed", templateBody: template });
  // The stopped worker had begun the resource (the first event of its create); then a signal came.
  putResource(
    handle.db,
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
  services.cfnStacks.signal({
    stackName: "resumed",
    logicalResourceId: "Waiting",
    uniqueId: "i-0ddddddddddddddd1",
    status: "SUCCESS",
  });
  expect(await runStackOperation(services, stackId)).toBe("CREATE_COMPLETE");
  const reasons = services.cfnStacks
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
