// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub writes its variables as ${Name}
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  CloudFormationClient,
  CreateStackSetCommand,
  GetTemplateSummaryCommand,
  ValidateTemplateCommand,
} from "@aws-sdk/client-cloudformation";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, failure, startAwsApi } from "./helpers.ts";

const examples = join(import.meta.dirname, "..", "..", "..", "..", "examples", "cloudformation");
const yamlTemplate = readFileSync(join(examples, "web-service.yaml"), "utf8");
const jsonTemplate = readFileSync(join(examples, "web-service.json"), "utf8");

let api: AwsTestApi;
let cloudFormation: CloudFormationClient;

beforeAll(async () => {
  api = await startAwsApi({ fast: true });
  cloudFormation = new CloudFormationClient({
    endpoint: api.endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  cloudFormation.destroy();
  await api.close();
});

const validationError = async (promise: Promise<unknown>) => {
  const error = await failure(promise);
  expect(error.name).toBe("ValidationError");
  expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
  return error.message;
};

describe("ValidateTemplate", () => {
  test("the example template, in YAML and in JSON, through the SDK", async () => {
    for (const body of [yamlTemplate, jsonTemplate]) {
      const result = await cloudFormation.send(new ValidateTemplateCommand({ TemplateBody: body }));
      expect(result.Description).toMatch(/^A web service behind an Application Load Balancer/);
      expect(result.Parameters?.map((p) => [p.ParameterKey, p.DefaultValue, p.NoEcho])).toEqual([
        ["Environment", "dev", false],
        ["VpcId", "vpc-local", false],
        ["Subnets", "subnet-local", false],
        ["ListenerPort", "8090", false],
        ["ImageId", "scaleout/example:latest", false],
        ["AppCommand", "node examples/app/server.js", false],
      ]);
      expect(result.Capabilities).toEqual([]);
    }
  });

  test("a template of the CDK's shape: SSM parameter types, Rules, IAM capabilities", async () => {
    const result = await cloudFormation.send(
      new ValidateTemplateCommand({ TemplateBody: readFileSync(join(examples, "cdk-shaped.json"), "utf8") }),
    );
    expect(result.Parameters?.map((p) => p.ParameterKey)).toContain("BootstrapVersion");
    expect(result.Capabilities).toEqual(["CAPABILITY_IAM"]);
    expect(result.CapabilitiesReason).toBe(
      "The following resource(s) require capabilities: [AWS::IAM::Role, AWS::IAM::InstanceProfile]",
    );
  });

  test("IAM resources ask for capabilities", async () => {
    const result = await cloudFormation.send(
      new ValidateTemplateCommand({
        TemplateBody: "Resources:\n  Role: {Type: AWS::IAM::Role, Properties: {RoleName: web}}\n",
      }),
    );
    expect(result.Capabilities).toEqual(["CAPABILITY_NAMED_IAM"]);
    expect(result.CapabilitiesReason).toBe(
      "The following resource(s) require capabilities: [AWS::IAM::Role]",
    );
  });

  test("template errors are ValidationErrors in CloudFormation's words", async () => {
    const validate = (TemplateBody: string) =>
      validationError(cloudFormation.send(new ValidateTemplateCommand({ TemplateBody })));
    expect(await validate("Resources:\n  A: {Type: X}\n  A: {Type: Y}\n")).toBe(
      "Template format error: YAML not well-formed. Duplicate key (line 3, column 3)",
    );
    expect(await validate("Resources:\n  A: {Type: X, Properties: {P: !Ref Nope}}\n")).toBe(
      "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template",
    );
    expect(
      await validate(
        "Resources:\n  A: {Type: X, DependsOn: B}\n  B: {Type: X, Properties: {P: !GetAtt A.Arn}}\n",
      ),
    ).toBe("Circular dependency between resources: [A, B]");
    expect(await validate("Transform: AWS::Serverless-2016-10-31\nResources:\n  A: {Type: X}\n")).toMatch(
      /^Template format error: Transform AWS::Serverless-2016-10-31 is not supported by scaleout/,
    );
    expect(await validate(`a: ${"[".repeat(30_000)}`)).toMatch(/nests deeper than 100 levels/);
    expect(await validate(`Description: ${"x".repeat(51_200)}\n`)).toMatch(
      /failed to satisfy constraint: Member must have length less than or equal to 51200/,
    );
  });

  test("TemplateURL is refused (no S3), and one of the two is required", async () => {
    expect(
      await validationError(
        cloudFormation.send(
          new ValidateTemplateCommand({ TemplateURL: "https://s3.amazonaws.com/b/t.yaml" }),
        ),
      ),
    ).toMatch(/TemplateURL is not supported by scaleout/);
    expect(await validationError(cloudFormation.send(new ValidateTemplateCommand({})))).toBe(
      "Either Template URL or Template Body must be specified.",
    );
  });
});

describe("GetTemplateSummary", () => {
  test("parameters with types and allowed values, resource types, version", async () => {
    const summary = await cloudFormation.send(new GetTemplateSummaryCommand({ TemplateBody: yamlTemplate }));
    expect(summary.Version).toBe("2010-09-09");
    expect(summary.ResourceTypes).toEqual([
      "AWS::ElasticLoadBalancingV2::LoadBalancer",
      "AWS::ElasticLoadBalancingV2::TargetGroup",
      "AWS::ElasticLoadBalancingV2::Listener",
      "AWS::ElasticLoadBalancingV2::ListenerRule",
      "AWS::EC2::LaunchTemplate",
      "AWS::AutoScaling::AutoScalingGroup",
      "AWS::AutoScaling::ScalingPolicy",
      "AWS::CloudWatch::Alarm",
    ]);
    const environment = summary.Parameters?.find((p) => p.ParameterKey === "Environment");
    expect(environment).toMatchObject({
      ParameterType: "String",
      DefaultValue: "dev",
      ParameterConstraints: { AllowedValues: ["dev", "prod"] },
    });
    expect(summary.Parameters?.find((p) => p.ParameterKey === "Subnets")?.ParameterType).toBe(
      "List<AWS::EC2::Subnet::Id>",
    );
  });

  test("TreatUnrecognizedResourceTypesAsWarnings lists the types scaleout cannot deploy", async () => {
    const summary = await cloudFormation.send(
      new GetTemplateSummaryCommand({
        TemplateBody: "Resources:\n  Vpc: {Type: AWS::EC2::VPC}\n  Bucket: {Type: AWS::S3::Bucket}\n",
        TemplateSummaryConfig: { TreatUnrecognizedResourceTypesAsWarnings: true },
      }),
    );
    expect(summary.Warnings?.UnrecognizedResourceTypes).toEqual(["AWS::S3::Bucket"]);
  });

  test("a stack name answers as for a stack that does not exist", async () => {
    expect(
      await validationError(cloudFormation.send(new GetTemplateSummaryCommand({ StackName: "web" }))),
    ).toBe("Stack with id web does not exist");
  });
});

test("operations not yet served answer InvalidAction, never a 5xx", async () => {
  const error = await failure(
    cloudFormation.send(new CreateStackSetCommand({ StackSetName: "web", TemplateBody: yamlTemplate })),
  );
  expect(error.name).toBe("InvalidAction");
  expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
});

const execFileAsync = promisify(execFile);
const awsCli = await execFileAsync("aws", ["--version"]).then(
  () => true,
  () => false,
);

test.skipIf(!awsCli)("aws cloudformation validate-template", async () => {
  const { stdout } = await execFileAsync(
    "aws",
    [
      "--endpoint-url",
      api.endpoint,
      "--output",
      "json",
      "cloudformation",
      "validate-template",
      "--template-body",
      `file://${join(examples, "web-service.yaml")}`,
    ],
    {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "secret",
        AWS_DEFAULT_REGION: "eu-west-1",
        AWS_CONFIG_FILE: join(import.meta.dirname, "no-such-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(import.meta.dirname, "no-such-aws-credentials"),
        AWS_MAX_ATTEMPTS: "1",
      },
      timeout: 30_000,
    },
  );
  const result = JSON.parse(stdout) as { Parameters: Array<{ ParameterKey: string }>; Description: string };
  expect(result.Parameters.map((p) => p.ParameterKey)).toContain("ListenerPort");
  expect(result.Description).toMatch(/^A web service/);
});
