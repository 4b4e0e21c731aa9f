import { expect, test } from "vitest";
import { runStackOperation } from "../src/index.ts";
import { servicesPerTest } from "./services-per-test.ts";

/*
 * SSM-typed parameters over a real SQLite file: a name resolves to the value an AWS::SSM::Parameter of a
 * live stack holds (and to nothing once that stack is deleted), Ref gives the value while DescribeStacks'
 * record keeps the name, an update resolves again, and Rules and unknown names refuse the operation
 * before anything is stored. The CDK's Lambda and custom resource placeholders deploy and delete.
 */

const fresh = servicesPerTest();

const holder = (value: string) => `
Resources:
  Image:
    Type: AWS::SSM::Parameter
    Properties: { Name: /scaleout/image, Type: String, Value: "${value}" }
`;

const consumer = `
Parameters:
  Image: { Type: "AWS::SSM::Parameter::Value<String>", Default: /scaleout/image }
  Version: { Type: "AWS::SSM::Parameter::Value<String>", Default: /cdk-bootstrap/hnb659fds/version }
Rules:
  Latest:
    Assertions:
      - Assert: { "Fn::Not": [{ "Fn::Contains": [["1", "2"], { Ref: Version }] }] }
        AssertDescription: bootstrap too old
Resources:
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        ImageId: !Ref Image
        UserData: !Base64 "exec sleep 60"
  Handler:
    Type: AWS::Lambda::Function
    Properties:
      Code: { S3Bucket: !Sub "cdk-hnb659fds-assets-\${AWS::AccountId}-\${AWS::Region}", S3Key: a.zip }
      Role: arn:aws:iam::123456789012:role/handler
      Handler: index.handler
      Runtime: nodejs22.x
  Cleanup:
    Type: Custom::VpcRestrictDefaultSG
    Properties:
      ServiceToken: !GetAtt Handler.Arn
      DefaultSecurityGroupId: sg-0123
Outputs:
  Image: { Value: !Ref Image }
  Handler: { Value: !GetAtt Handler.Arn }
`;

async function run(name: string, expected: string) {
  expect(await runStackOperation(fresh.services, fresh.services.cfnStacks.get(name).stackId)).toBe(expected);
}

test("a parameter a stack holds resolves for another stack; gone with its stack", async () => {
  expect(() => fresh.services.cfnStacks.create({ stackName: "app", templateBody: consumer })).toThrow(
    "Unable to fetch parameters [/scaleout/image] from parameter store for this account.",
  );
  fresh.services.cfnStacks.create({ stackName: "params", templateBody: holder("scaleout/example:latest") });
  await run("params", "CREATE_COMPLETE");

  fresh.services.cfnStacks.create({ stackName: "app", templateBody: consumer });
  await run("app", "CREATE_COMPLETE");
  const stack = fresh.services.cfnStacks.get("app");
  expect(stack.parameters).toEqual([
    { ParameterKey: "Image", ParameterValue: "/scaleout/image", ResolvedValue: "scaleout/example:latest" },
    { ParameterKey: "Version", ParameterValue: "/cdk-bootstrap/hnb659fds/version", ResolvedValue: "33" },
  ]);
  expect(stack.outputs).toContainEqual({ OutputKey: "Image", OutputValue: "scaleout/example:latest" });
  expect(stack.outputs).toContainEqual({
    OutputKey: "Handler",
    OutputValue: expect.stringMatching(
      /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:app-Handler-[A-Z0-9]{12}$/,
    ),
  });
  const launchTemplate = fresh.services.cfnStacks
    .resources("app")
    .resources.find((r) => r.logicalId === "Template")?.physicalId;
  expect(fresh.services.launchTemplates.get(launchTemplate ?? "").image).toBe("scaleout/example:latest");

  // An update resolves again: the holder's new value reaches the launch template.
  fresh.services.cfnStacks.update({ stackName: "params", templateBody: holder("scaleout/example:v2") });
  await run("params", "UPDATE_COMPLETE");
  fresh.services.cfnStacks.update({
    stackName: "app",
    templateBody: consumer.replace("exec sleep 60", "exec sleep 61"),
    parameters: [{ parameterKey: "Image", usePreviousValue: true }],
  });
  await run("app", "UPDATE_COMPLETE");
  expect(fresh.services.launchTemplates.get(launchTemplate ?? "").image).toBe("scaleout/example:v2");

  fresh.services.cfnStacks.delete("app");
  await run("app", "DELETE_COMPLETE");
  fresh.services.cfnStacks.delete("params");
  await run("params", "DELETE_COMPLETE");
  expect(() => fresh.services.cfnStacks.create({ stackName: "again", templateBody: consumer })).toThrow(
    "Unable to fetch parameters [/scaleout/image] from parameter store for this account.",
  );
});

test("a failed rule refuses CreateStack and CreateChangeSet with its AssertDescription", async () => {
  fresh.services.cfnStacks.create({ stackName: "params", templateBody: holder("x") });
  await run("params", "CREATE_COMPLETE");
  fresh.services.cfnStacks.create({
    stackName: "old",
    templateBody: `${holder("x").replace("/scaleout/image", "/old/version").replace('"x"', '"2"').replace("Image:", "Old:")}`,
  });
  await run("old", "CREATE_COMPLETE");
  const parameters = [{ parameterKey: "Version", parameterValue: "/old/version" }];
  expect(() =>
    fresh.services.cfnStacks.create({ stackName: "app", templateBody: consumer, parameters }),
  ).toThrow("bootstrap too old");
  expect(() =>
    fresh.services.cfnChangeSets.create({
      stackName: "app",
      changeSetName: "c",
      changeSetType: "CREATE",
      templateBody: consumer,
      parameters,
    }),
  ).toThrow("bootstrap too old");
});

test("a custom resource answers no data: a GetAtt of it fails the stack, which rolls back", async () => {
  fresh.services.cfnStacks.create({
    stackName: "custom",
    templateBody: `
Resources:
  Thing:
    Type: AWS::CloudFormation::CustomResource
    Properties: { ServiceToken: arn:aws:lambda:eu-west-1:123456789012:function:f }
  Param:
    Type: AWS::SSM::Parameter
    Properties: { Type: String, Value: !GetAtt Thing.Result }
`,
  });
  await run("custom", "ROLLBACK_COMPLETE");
  const failed = fresh.services.cfnStacks.events("custom").find((e) => e.status === "CREATE_FAILED");
  expect(failed?.logicalId).toBe("Param");
  expect(failed?.statusReason).toMatch(/Thing/);
});
