// `aws cloudformation deploy` (the real AWS CLI, when installed) against the whole system: the CLI's
// path is DescribeStacks, CreateChangeSet (CREATE), the change-set-create-complete waiter,
// ExecuteChangeSet and the stack-create-complete waiter; a second deploy of the same template answers
// "No changes to deploy" (a FAILED change set that the CLI deletes).

import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  CloudFormationClient,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from "@aws-sdk/client-cloudformation";
import { freePort } from "@scaleout/queue";
import { eventually } from "@scaleout/testing";
import { expect } from "vitest";
import { exampleApp } from "../../../../tests/e2e/system.ts";
import { sdkTest as test } from "./system-fixture.ts";

const execFileAsync = promisify(execFile);
const awsCli = await execFileAsync("aws", ["--version"]).then(
  () => true,
  () => false,
);
const examples = join(import.meta.dirname, "..", "..", "..", "..", "examples", "cloudformation");

function aws(endpoint: string, args: string[]) {
  return execFileAsync("aws", ["--endpoint-url", endpoint, "--output", "json", ...args], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_DEFAULT_REGION: "eu-west-1",
      AWS_CONFIG_FILE: join(import.meta.dirname, "no-such-aws-config"),
      AWS_SHARED_CREDENTIALS_FILE: join(import.meta.dirname, "no-such-aws-credentials"),
      AWS_MAX_ATTEMPTS: "1",
    },
    // The CLI's deploy waiter looks every 30 s: a stack slower than one look costs a second one.
    timeout: 150_000,
  });
}

test.skipIf(!awsCli)(
  "aws cloudformation deploy creates the example stack, serves, and a repeated deploy has no changes",
  async ({ system, prefix }) => {
    const port = await freePort();
    const name = `cli${prefix.replace(/[^a-zA-Z0-9]/g, "").slice(-8)}`;
    const deploy = () =>
      aws(system.sys.api, [
        "cloudformation",
        "deploy",
        "--stack-name",
        name,
        "--template-file",
        join(examples, "web-service.yaml"),
        "--parameter-overrides",
        `ListenerPort=${port}`,
        "ImageId=",
        `AppCommand=exec ${process.execPath} ${exampleApp}`,
      ]);
    const cfn = new CloudFormationClient({
      endpoint: system.sys.api,
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      maxAttempts: 1,
    });
    const started = Date.now();
    const first = await deploy().catch(async (error: Error) => {
      // Say why: the stack's events carry the cause.
      const { StackEvents } = await cfn.send(new DescribeStackEventsCommand({ StackName: name }));
      const causes = (StackEvents ?? []).map(
        (e) => `${e.LogicalResourceId} ${e.ResourceStatus} ${e.ResourceStatusReason ?? ""}`,
      );
      throw new Error(`${error.message}\n${causes.join("\n")}\n${system.sys.output().slice(-2000)}`);
    });
    console.log(`aws cloudformation deploy (create, CLI waiters included): ${Date.now() - started} ms`);
    expect(first.stdout).toMatch(/Successfully created\/updated stack - /);
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: name }));
    expect(Stacks?.[0]?.StackStatus).toBe("CREATE_COMPLETE");
    await eventually(
      async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) });
          await res.arrayBuffer();
          return res.status === 200 ? true : undefined;
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 30_000, intervalMs: 200, message: "traffic through the listener" },
    );
    const again = await deploy().catch((error: { stdout?: string; stderr?: string }) => error);
    expect(`${again.stdout ?? ""}${again.stderr ?? ""}`).toMatch(/No changes to deploy/);
    await aws(system.sys.api, ["cloudformation", "delete-stack", "--stack-name", name]);
    // The CLI's own waiter sleeps 30 s between looks: the SDK looks more often.
    const stackId = Stacks?.[0]?.StackId ?? name;
    await eventually(
      async () => {
        const { Stacks: after } = await cfn.send(new DescribeStacksCommand({ StackName: stackId }));
        return after?.[0]?.StackStatus === "DELETE_COMPLETE" ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: "DELETE_COMPLETE" },
    );
  },
  // Two deploys whose waiter sleeps 30 s between looks, on a loaded machine.
  240_000,
);
