import { CreateAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { CreateLaunchTemplateCommand } from "@aws-sdk/client-ec2";
import {
  CreateTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, failure, startAwsApi } from "./helpers.ts";

/*
 * The door's wire format, read raw: what every client (CLI, boto3, SDKs in other languages) parses.
 */

let api: AwsTestApi;
beforeAll(async () => {
  api = await startAwsApi();
});
afterAll(async () => {
  await api?.close();
});

const xml = new XMLParser({ ignoreAttributes: false, parseTagValue: false });
const signed = (region: string, service: string) =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd`;

/**
 * Without a token the door takes only requests with a SigV4 Authorization header (no browser form can
 * send one). This one's credential scope is incomplete, so the door reads the service from the action and
 * takes the configured region, as it would for an unsigned request.
 */
const unscoped = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101, SignedHeaders=host, Signature=0123abcd";

async function post(
  body: string | Buffer,
  headers: Record<string, string> = {},
  endpoint = api.endpoint,
): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(`${endpoint}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      authorization: unscoped,
      ...headers,
    },
    body,
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe("the query protocol on the wire", () => {
  test("a response has the service namespace, the Result wrapper, member lists and the request id", async () => {
    await api
      .clients({ region: "eu-west-1" })
      .elbv2.send(
        new CreateTargetGroupCommand({ Name: "wire", Protocol: "HTTP", Port: 80, TargetType: "ip" }),
      );
    const response = await post("Action=DescribeTargetGroups&Version=2015-12-01&Names.member.1=wire", {
      authorization: signed("eu-west-1", "elasticloadbalancing"),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/xml/);
    const parsed = xml.parse(response.text);
    const root = parsed.DescribeTargetGroupsResponse;
    expect(root["@_xmlns"]).toBe("http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/");
    expect(root.DescribeTargetGroupsResult.TargetGroups.member).toMatchObject({
      TargetGroupName: "wire",
      Port: "80",
      HealthCheckEnabled: "true",
      Matcher: { HttpCode: "200" },
    });
    expect(root.ResponseMetadata.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get("x-amzn-requestid")).toBe(root.ResponseMetadata.RequestId);
  });

  test("an operation without a result answers ResponseMetadata only", async () => {
    const response = await post(
      "Action=PutMetricAlarm&Version=2010-08-01&AlarmName=wire&Namespace=Wire&MetricName=m&Statistic=Sum&Period=60&EvaluationPeriods=1&Threshold=1&ComparisonOperator=GreaterThanThreshold",
    );
    expect(response.status).toBe(200);
    const root = xml.parse(response.text).PutMetricAlarmResponse;
    expect(root["@_xmlns"]).toBe("http://monitoring.amazonaws.com/doc/2010-08-01/");
    expect(Object.keys(root).filter((k) => !k.startsWith("@_"))).toEqual(["ResponseMetadata"]);
  });

  test("an empty answer AWS wraps keeps its Result element (botocore looks it up: the CLI's KeyError)", async () => {
    // Its own api: the EC2 test below expects no launch templates.
    const own = await startAwsApi();
    try {
      await protectOne(own);
    } finally {
      await own.close();
    }
  });

  async function protectOne(own: AwsTestApi): Promise<void> {
    const { ec2, autoScaling } = own.clients();
    await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "wire-protect",
        LaunchTemplateData: { ImageId: "example/app:1" },
      }),
    );
    await autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: "wire-protect",
        LaunchTemplate: { LaunchTemplateName: "wire-protect" },
        MinSize: 0,
        MaxSize: 1,
        DesiredCapacity: 1,
      }),
    );
    const [instanceId] = own.launch("wire-protect", 1);
    const response = await post(
      `Action=SetInstanceProtection&Version=2011-01-01&AutoScalingGroupName=wire-protect&InstanceIds.member.1=${instanceId}&ProtectedFromScaleIn=true`,
      { authorization: signed("us-east-1", "autoscaling") },
      own.endpoint,
    );
    expect(response.status).toBe(200);
    const root = xml.parse(response.text).SetInstanceProtectionResponse;
    expect(Object.keys(root).filter((k) => !k.startsWith("@_"))).toEqual([
      "SetInstanceProtectionResult",
      "ResponseMetadata",
    ]);
  }

  test("errors are ErrorResponse with Type, Code, Message and RequestId, at AWS's statuses", async () => {
    const unknown = await post("Action=DescribeEverything&Version=2015-12-01");
    expect(unknown.status).toBe(400);
    const error = xml.parse(unknown.text).ErrorResponse;
    expect(error["@_xmlns"]).toBe("http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/");
    expect(error.Error).toEqual({
      Type: "Sender",
      Code: "InvalidAction",
      Message: "The action DescribeEverything is not valid for this web service.",
    });
    expect(error.RequestId).toMatch(/^[0-9a-f-]{36}$/);

    const notImplemented = xml.parse((await post("Action=DescribeTrustStores&Version=2015-12-01")).text);
    expect(notImplemented.ErrorResponse.Error.Code).toBe("InvalidAction");
    expect(notImplemented.ErrorResponse.Error.Message).toMatch(/not implemented by scaleout/);

    const noAction = xml.parse((await post("Version=2011-01-01")).text);
    expect(noAction.ErrorResponse.Error.Code).toBe("MissingAction");
    const noVersion = await post("Action=DescribeTargetGroups&Version=1999-01-01");
    expect(noVersion.status).toBe(400);
    expect(xml.parse(noVersion.text).ErrorResponse.Error.Code).toBe("NoSuchVersion");

    // Not found is 400 in ELB (the REST API answers 404) and 404 in CloudWatch, as AWS answers them.
    const lb = await post("Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.1=nope");
    expect(lb.status).toBe(400);
    expect(xml.parse(lb.text).ErrorResponse.Error.Code).toBe("LoadBalancerNotFound");
    const alarm = await post(
      "Action=SetAlarmState&Version=2010-08-01&AlarmName=nope&StateValue=OK&StateReason=x",
    );
    expect(alarm.status).toBe(404);
    expect(xml.parse(alarm.text).ErrorResponse.Error.Code).toBe("ResourceNotFound");

    const malformed = await post("Action=CreateTargetGroup&Version=2015-12-01&Name=x&Port=eighty");
    expect(malformed.status).toBe(400);
    expect(xml.parse(malformed.text).ErrorResponse.Error).toMatchObject({
      Code: "ValidationError",
      Message: expect.stringContaining("'Port'"),
    });
  });

  test("EC2 answers without a Result wrapper and errors as Response/Errors/Error", async () => {
    const ok = await post("Action=DescribeLaunchTemplates&Version=2016-11-15", {
      authorization: signed("eu-west-1", "ec2"),
    });
    expect(ok.status).toBe(200);
    const root = xml.parse(ok.text).DescribeLaunchTemplatesResponse;
    expect(root["@_xmlns"]).toBe("http://ec2.amazonaws.com/doc/2016-11-15/");
    expect(root.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(root.launchTemplates).toBe("");

    const missing = await post("Action=DeleteLaunchTemplate&Version=2016-11-15&LaunchTemplateName=nope");
    expect(missing.status).toBe(400);
    const error = xml.parse(missing.text).Response;
    expect(error.Errors.Error).toEqual({
      Code: "InvalidLaunchTemplateName.NotFoundException",
      Message: expect.stringContaining("nope"),
    });
    expect(error.RequestID).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("JSON 1.0: an unknown target, a body that is not JSON, and errors with x-amzn-query-error", async () => {
    const json = { "content-type": "application/x-amz-json-1.0" };
    const unknown = await post("{}", { ...json, "x-amz-target": "GraniteServiceVersion20100801.Nope" });
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text)).toMatchObject({ __type: "InvalidAction" });
    const service = await post("{}", { ...json, "x-amz-target": "Nope_20100801.DescribeAlarms" });
    expect(JSON.parse(service.text)).toMatchObject({ __type: "UnknownOperationException" });
    const broken = await post("{", {
      ...json,
      "x-amz-target": "GraniteServiceVersion20100801.DescribeAlarms",
    });
    expect(broken.status).toBe(400);
    const notFound = await post(JSON.stringify({ AlarmNames: ["nope"] }), {
      ...json,
      "x-amz-target": "GraniteServiceVersion20100801.DeleteAlarms",
    });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get("x-amzn-query-error")).toBe("ResourceNotFound;Sender");
    expect(JSON.parse(notFound.text)).toEqual({
      __type: "com.amazonaws.cloudwatch#ResourceNotFound",
      message: expect.stringContaining("nope"),
    });
    const described = await post(JSON.stringify({ AlarmNames: ["wire"] }), {
      ...json,
      "x-amz-target": "GraniteServiceVersion20100801.DescribeAlarms",
    });
    const alarm = JSON.parse(described.text).MetricAlarms[0];
    expect(alarm).toMatchObject({ AlarmName: "wire", Threshold: 1, OKActions: [] });
    expect(typeof alarm.StateUpdatedTimestamp).toBe("number");
  });

  test("a gzip body is read; a body that does not inflate is refused", async () => {
    const { gzipSync } = await import("node:zlib");
    const ok = await post(gzipSync("Action=DescribeAlarms&Version=2010-08-01"), {
      "content-encoding": "gzip",
    });
    expect(ok.status).toBe(200);
    const broken = await post(Buffer.from("not gzip"), { "content-encoding": "gzip" });
    expect(broken.status).toBe(400);
    expect(xml.parse(broken.text).ErrorResponse.Error.Code).toBe("MalformedInput");
  });
});

describe("one registry behind both doors", () => {
  test("a load balancer created over REST is described over the AWS API, and the other way round", async () => {
    const created = await api.app.inject({
      method: "POST",
      url: "/v1/load-balancers",
      payload: { name: "from-rest" },
    });
    expect(created.statusCode).toBe(201);
    const { elbv2 } = api.clients({ region: "eu-west-1" });
    const described = await elbv2.send(new DescribeLoadBalancersCommand({ Names: ["from-rest"] }));
    expect(described.LoadBalancers?.[0]).toMatchObject({
      LoadBalancerArn: created.json().loadBalancerArn,
      DNSName: created.json().dnsName,
    });
    // The REST door names ARNs in the configured region; the AWS door in the request's.
    expect(described.LoadBalancers?.[0]?.LoadBalancerArn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:/);

    const { elbv2: oregon } = api.clients({ region: "us-west-2" });
    const group = await oregon.send(
      new CreateTargetGroupCommand({ Name: "from-aws", Protocol: "HTTP", Port: 8080, TargetType: "ip" }),
    );
    const arn = group.TargetGroups?.[0]?.TargetGroupArn ?? "";
    expect(arn).toMatch(/^arn:aws:elasticloadbalancing:us-west-2:000000000000:targetgroup\/from-aws\//);
    const rest = await api.app.inject({ method: "GET", url: "/v1/target-groups/from-aws" });
    expect(rest.json()).toMatchObject({ targetGroupArn: arn, port: 8080, targetType: "ip" });
    // Regions label ARNs; every region sees the one registry.
    const fromIreland = await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }));
    expect(fromIreland.TargetGroups?.[0]?.TargetGroupName).toBe("from-aws");
  });

  test("a request whose credential scope names no region uses the configured region", async () => {
    const response = await post(
      "Action=CreateTargetGroup&Version=2015-12-01&Name=unsigned&Protocol=HTTP&Port=80&TargetType=ip",
    );
    expect(response.status).toBe(200);
    expect(response.text).toContain(
      "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/unsigned/",
    );
  });
});

describe("with SCALEOUT_API_TOKEN set", () => {
  let guarded: AwsTestApi;
  beforeAll(async () => {
    guarded = await startAwsApi({ apiToken: "s3cret-token" });
  });
  afterAll(async () => {
    await guarded?.close();
  });

  test("the access key id must be the token; REST still takes the bearer token", async () => {
    const right = guarded.clients({ accessKeyId: "s3cret-token" });
    const created = await right.elbv2.send(
      new CreateTargetGroupCommand({ Name: "guarded", Protocol: "HTTP", Port: 80, TargetType: "ip" }),
    );
    expect(created.TargetGroups?.[0]?.TargetGroupArn).toMatch(/:eu-west-1:/);
    expect((await right.cloudWatch.send(new DescribeAlarmsCommand({}))).MetricAlarms).toEqual([]);

    const wrong = guarded.clients({ accessKeyId: "AKIDEXAMPLE" });
    const refused = await failure(wrong.elbv2.send(new DescribeTargetGroupsCommand({})));
    expect(refused.name).toBe("InvalidClientTokenId");
    expect(refused.$metadata).toMatchObject({ httpStatusCode: 403 });
    const refusedJson = await failure(wrong.cloudWatch.send(new DescribeAlarmsCommand({})));
    expect(refusedJson.name).toBe("InvalidClientTokenId");
    expect(refusedJson.$metadata).toMatchObject({ httpStatusCode: 403 });

    const unsigned = await post(
      "Action=DescribeTargetGroups&Version=2015-12-01",
      { authorization: "" },
      guarded.endpoint,
    );
    expect(unsigned.status).toBe(401);
    const rest = await guarded.app.inject({ method: "GET", url: "/v1/target-groups" });
    expect(rest.statusCode).toBe(401);
    const bearer = await guarded.app.inject({
      method: "GET",
      url: "/v1/target-groups",
      headers: { authorization: "Bearer s3cret-token" },
    });
    expect(bearer.json().targetGroups.map((g: { targetGroupName: string }) => g.targetGroupName)).toEqual([
      "guarded",
    ]);
  });
});
