// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub writes its variables as ${Name}
// Cross-stack exports and CloudFormation's listings through @aws-sdk/client-cloudformation against an
// in-process api; the test plays the worker (runStackOperation, as the cfn-stacks job calls it). An export
// another stack imports keeps its stack from being deleted and an update from removing or changing it,
// in CloudFormation's words; ListImports names the importers; a missing import is refused; every
// listing pages by 100 with a NextToken that the SDK's paginators walk and that is checked.

import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListImportsCommand,
  ListStacksCommand,
  paginateDescribeStackEvents,
  paginateDescribeStacks,
  paginateListChangeSets,
  paginateListExports,
  paginateListStackResources,
  paginateListStacks,
  UpdateStackCommand,
} from "@aws-sdk/client-cloudformation";
import { runStackOperation } from "@scaleout/services";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, failure, startAwsApi } from "./helpers.ts";

let api: AwsTestApi;
let cfn: CloudFormationClient;

beforeAll(async () => {
  api = await startAwsApi({ fast: true });
  cfn = new CloudFormationClient({
    endpoint: api.endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  cfn.destroy();
  await api.close();
});

const validationError = async (promise: Promise<unknown>) => {
  const error = await failure(promise);
  expect(error.name).toBe("ValidationError");
  return error.message;
};

/** Runs the stack's operation to its end, as the worker's cfn-stacks job does. */
const run = async (stackId: string | undefined) => runStackOperation(api.services, stackId ?? "");

async function stackOf(name: string) {
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: name }));
  return Stacks?.[0];
}

const producer = (exportValue = "!Ref Vpc", exported = true) => `
Resources:
  Vpc: { Type: AWS::EC2::VPC, Properties: { CidrBlock: 10.0.0.0/16 } }
Outputs:
  VpcId:
    Value: ${exportValue}
    ${exported ? "Export: { Name: !Sub '${AWS::StackName}-vpc' }" : ""}
  Cidr:
    Value: !GetAtt Vpc.CidrBlock
    Export: { Name: shared-cidr }
`;

const consumer = (exportName: string) => `
Parameters:
  Source: { Type: String, Default: ${exportName.split("-vpc")[0]} }
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties: { Type: String, Value: { "Fn::ImportValue": { "Fn::Sub": "\${Source}-vpc" } } }
`;

describe("exports in use", () => {
  test("protect their stack from deletion and from updates that remove or change them", async () => {
    const created = await cfn.send(new CreateStackCommand({ StackName: "net", TemplateBody: producer() }));
    expect(await run(created.StackId)).toBe("CREATE_COMPLETE");
    const vpcId = (await stackOf("net"))?.Outputs?.find((o) => o.OutputKey === "VpcId")?.OutputValue;
    expect(vpcId).toMatch(/^vpc-/);

    expect(
      await validationError(
        cfn.send(new CreateStackCommand({ StackName: "lost", TemplateBody: consumer("nowhere-vpc") })),
      ),
    ).toBe("No export named nowhere-vpc found.");
    const app = await cfn.send(
      new CreateStackCommand({ StackName: "app", TemplateBody: consumer("net-vpc") }),
    );
    expect(await run(app.StackId)).toBe("CREATE_COMPLETE");
    const app2 = await cfn.send(
      new CreateStackCommand({ StackName: "app2", TemplateBody: consumer("net-vpc") }),
    );
    expect(await run(app2.StackId)).toBe("CREATE_COMPLETE");
    expect((await cfn.send(new ListImportsCommand({ ExportName: "net-vpc" }))).Imports).toEqual([
      "app",
      "app2",
    ]);
    expect(await validationError(cfn.send(new ListImportsCommand({ ExportName: "shared-cidr" })))).toBe(
      "Export 'shared-cidr' is not imported by any stack.",
    );

    // DeleteStack is accepted; the stack goes back to its status, the reason naming the importers.
    await cfn.send(new DeleteStackCommand({ StackName: "net" }));
    const kept = await stackOf("net");
    expect(kept?.StackStatus).toBe("CREATE_COMPLETE");
    expect(kept?.StackStatusReason).toBe("Export net-vpc cannot be deleted as it is in use by app and app2");
    const { StackEvents } = await cfn.send(new DescribeStackEventsCommand({ StackName: "net" }));
    expect(StackEvents?.slice(0, 2).map((e) => [e.ResourceStatus, e.ResourceStatusReason])).toEqual([
      ["CREATE_COMPLETE", "Export net-vpc cannot be deleted as it is in use by app and app2"],
      ["DELETE_IN_PROGRESS", "User Initiated"],
    ]);

    // An update that removes the export, or changes its value, rolls back.
    const reasons: string[] = [];
    for (const body of [producer("!Ref Vpc", false), producer("!Sub '${Vpc}-changed'")]) {
      const updated = await cfn.send(new UpdateStackCommand({ StackName: "net", TemplateBody: body }));
      expect(await run(updated.StackId)).toBe("UPDATE_ROLLBACK_COMPLETE");
      const events = (await cfn.send(new DescribeStackEventsCommand({ StackName: "net" }))).StackEvents ?? [];
      reasons.push(
        events.find((e) => e.ResourceStatus === "UPDATE_ROLLBACK_IN_PROGRESS")?.ResourceStatusReason ?? "",
      );
    }
    expect(reasons).toEqual([
      "Cannot delete export net-vpc as it is in use by app and app2.",
      "Cannot update export net-vpc as it is in use by app and app2.",
    ]);
    const restored = await stackOf("net");
    expect(restored?.Outputs?.find((o) => o.OutputKey === "VpcId")?.OutputValue).toBe(vpcId);

    // An export nobody imports may change; once the importers are gone the stack deletes.
    const free = await cfn.send(
      new UpdateStackCommand({
        StackName: "net",
        TemplateBody: producer().replace("10.0.0.0/16", "10.1.0.0/16"),
      }),
    );
    expect(await run(free.StackId)).toBe("UPDATE_COMPLETE");
    for (const name of ["app", "app2"]) {
      await cfn.send(new DeleteStackCommand({ StackName: name }));
      expect(await run((await stackOf(name))?.StackId)).toBe("DELETE_COMPLETE");
    }
    await cfn.send(new DeleteStackCommand({ StackName: "net" }));
    expect(await run(created.StackId)).toBe("DELETE_COMPLETE");
  });
});

describe("listings page by 100", () => {
  const many = (count: number, kind: "resources" | "outputs") => {
    const lines = ["Resources:"];
    const resources = kind === "resources" ? count : 1;
    for (let i = 0; i < resources; i++) lines.push(`  Vpc${i}: { Type: AWS::EC2::VPC }`);
    if (kind === "outputs") {
      lines.push("Outputs:");
      for (let i = 0; i < count; i++)
        lines.push(`  Out${i}: { Value: !Ref Vpc0, Export: { Name: paged-${String(i).padStart(3, "0")} } }`);
    }
    return `${lines.join("\n")}\n`;
  };

  test("the SDK's paginators walk every listing; a bad NextToken is a ValidationError", async () => {
    const big = await cfn.send(
      new CreateStackCommand({ StackName: "big", TemplateBody: many(120, "resources") }),
    );
    expect(await run(big.StackId)).toBe("CREATE_COMPLETE");
    const exporting = await cfn.send(
      new CreateStackCommand({ StackName: "exporting", TemplateBody: many(130, "outputs") }),
    );
    expect(await run(exporting.StackId)).toBe("CREATE_COMPLETE");
    for (let i = 0; i < 105; i++)
      api.services.cfnStacks.create({
        stackName: `s${i}`,
        templateBody: "Resources:\n  V: {Type: AWS::EC2::VPC}\n",
      });
    for (let i = 0; i < 104; i++)
      api.services.cfnChangeSets.create({
        stackName: "pending",
        changeSetName: `c${i}`,
        changeSetType: "CREATE",
        templateBody: many(2, "resources"),
      });

    const walk = async <P, T>(pages: AsyncIterable<P>, items: (page: P) => T[] | undefined) => {
      const sizes: number[] = [];
      const all: T[] = [];
      for await (const page of pages) {
        sizes.push(items(page)?.length ?? 0);
        all.push(...(items(page) ?? []));
      }
      return { sizes, all };
    };
    const config = { client: cfn };
    const stacks = await walk(paginateDescribeStacks(config, {}), (p) => p.Stacks);
    expect(stacks.sizes).toEqual([100, 7]);
    expect(new Set(stacks.all.map((s) => s.StackName)).size).toBe(107);
    const summaries = await walk(paginateListStacks(config, {}), (p) => p.StackSummaries);
    // ListStacks lists deleted stacks too (the first test's three), and the one in review.
    expect(summaries.sizes).toEqual([100, 11]);
    const events = await walk(
      paginateDescribeStackEvents(config, { StackName: "big" }),
      (p) => p.StackEvents,
    );
    expect(events.all.length).toBeGreaterThan(300);
    expect(events.sizes.slice(0, -1).every((size) => size === 100)).toBe(true);
    expect(events.all[0]?.ResourceStatus).toBe("CREATE_COMPLETE");
    expect(events.all.at(-1)?.ResourceStatus).toBe("CREATE_IN_PROGRESS");
    const resources = await walk(
      paginateListStackResources(config, { StackName: "big" }),
      (p) => p.StackResourceSummaries,
    );
    expect(resources.sizes).toEqual([100, 20]);
    const exports = await walk(paginateListExports(config, {}), (p) => p.Exports);
    expect(exports.sizes).toEqual([100, 30]);
    expect(exports.all.map((e) => e.Name)).toEqual([...exports.all.map((e) => e.Name)].sort());
    const changeSets = await walk(
      paginateListChangeSets(config, { StackName: "pending" }),
      (p) => p.Summaries,
    );
    expect(changeSets.sizes).toEqual([100, 4]);

    expect(await validationError(cfn.send(new DescribeStacksCommand({ NextToken: "bogus" })))).toBe(
      "bogus is not a valid NextToken",
    );
    const { NextToken } = await cfn.send(new ListStacksCommand({}));
    expect(await validationError(cfn.send(new DescribeStacksCommand({ NextToken })))).toBe(
      `${NextToken} is not a valid NextToken`,
    );
    // A token walks the listing it came from: another status filter is another listing.
    expect(
      await validationError(
        cfn.send(new ListStacksCommand({ NextToken, StackStatusFilter: ["CREATE_COMPLETE"] })),
      ),
    ).toMatch(/is not a valid NextToken$/);
  });
});
