import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, startAwsApi } from "./helpers.ts";

/*
 * The inputs issue 9 found answered with 500, each now a 400 in its protocol's words: a value past its
 * model's length, a timestamp past Date's range, JSON nested thousands deep, an action named after an
 * Object member, an attribute key `__proto__`, and an all-hex ARN too long for a LIKE pattern.
 */

let api: AwsTestApi;
beforeAll(async () => {
  api = await startAwsApi();
});
afterAll(async () => {
  await api?.close();
});

/** A SigV4 header as the SDKs send it: the door reads its scope, and refuses unsigned requests. */
const signed = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/${service}/aws4_request, SignedHeaders=host, Signature=00`;

async function query(body: string): Promise<{ status: number; code: string; message: string }> {
  const response = await fetch(`${api.endpoint}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      authorization: signed("elasticloadbalancing"),
    },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? "",
    message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? "",
  };
}

async function json(action: string, body: string): Promise<{ status: number; type: string; header: string }> {
  const response = await fetch(`${api.endpoint}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      authorization: signed("monitoring"),
      "x-amz-target": `GraniteServiceVersion20100801.${action}`,
    },
    body,
  });
  const parsed = (await response.json()) as { __type?: string };
  return {
    status: response.status,
    type: parsed.__type ?? "",
    header: response.headers.get("x-amzn-query-error") ?? "",
  };
}

const elb = (params: string) => `Version=2015-12-01&${params}`;

describe("model constraints", () => {
  test("a name past its maximum length is ValidationError with Smithy's sentence, quoting at most 256 characters", async () => {
    const reply = await query(
      `Version=2011-01-01&Action=DescribeAutoScalingGroups&AutoScalingGroupNames.member.1=${"a".repeat(100_000)}`,
    );
    expect(reply).toMatchObject({ status: 400, code: "ValidationError" });
    expect(reply.message).toMatch(
      /^1 validation error detected: Value 'a{256}\.\.\. \(100000 characters\)' at 'AutoScalingGroupNames\.1' failed to satisfy constraint: Member must have length less than or equal to 255$/,
    );
  });

  test("ELBv2's model bounds no name or ARN: a long one is simply not found", async () => {
    const reply = await query(elb(`Action=DescribeLoadBalancers&Names.member.1=${"a".repeat(100_000)}`));
    expect(reply).toMatchObject({ status: 400, code: "LoadBalancerNotFound" });
  });

  test("range, enum and pattern constraints, and the list length", async () => {
    const interval = await query(
      elb("Action=CreateTargetGroup&Name=t&Protocol=HTTP&Port=80&HealthCheckIntervalSeconds=301"),
    );
    expect(interval).toMatchObject({ status: 400, code: "ValidationError" });
    expect(interval.message).toMatch(/Member must have value less than or equal to 300/);
    const protocol = await query(elb("Action=CreateTargetGroup&Name=t&Protocol=GOPHER&Port=80"));
    expect(protocol.message).toMatch(/Member must satisfy enum value set: \[HTTP, HTTPS,/);
    const key = await query(
      elb(
        "Action=ModifyLoadBalancerAttributes&LoadBalancerArn=arn:x&Attributes.member.1.Key=a%20b&Attributes.member.1.Value=1",
      ),
    );
    expect(key.message).toMatch(/Member must satisfy regular expression pattern/);
    const many = Array.from({ length: 101 }, (_, i) => `AlarmNames.member.${i + 1}=n${i}`).join("&");
    expect((await query(`Version=2010-08-01&Action=DescribeAlarms&${many}`)).message).toMatch(
      /at 'AlarmNames' failed to satisfy constraint: Member must have length less than or equal to 100/,
    );
  });

  test("an integer past 32 bits is a bad value, not a float in SQLite", async () => {
    const reply = await query(elb("Action=CreateTargetGroup&Name=t&Protocol=HTTP&Port=99999999999999999999"));
    expect(reply).toMatchObject({ status: 400, code: "ValidationError" });
  });

  test("EC2 words a malformed template name as its own error", async () => {
    const reply = await query(
      `Version=2016-11-15&Action=CreateLaunchTemplate&LaunchTemplateName=${"x".repeat(129)}&LaunchTemplateData.ImageId=nginx`,
    );
    expect(reply).toMatchObject({ status: 400, code: "InvalidLaunchTemplateName.MalformedException" });
  });

  test("CloudWatch over JSON answers a constraint as ValidationError, as awsQueryCompatible reads it", async () => {
    const reply = await json("DescribeAlarms", JSON.stringify({ AlarmNames: ["a".repeat(256)] }));
    expect(reply).toMatchObject({ status: 400, header: "ValidationError;Sender" });
  });
});

describe("timestamps", () => {
  const statistics = (start: string) =>
    `Version=2010-08-01&Action=GetMetricStatistics&Namespace=N&MetricName=M&Period=60&Statistics.member.1=Average&StartTime=${start}&EndTime=2026-01-01T00:00:00Z`;

  test("out of range or invalid in either protocol is a 400, never RangeError", async () => {
    for (const start of [
      "8640000000001",
      "%2B275760-09-13T00%3A00%3A00.000Z",
      "10000-01-01T00%3A00%3A00Z",
      "-1",
      "nope",
    ]) {
      const reply = await query(statistics(start));
      expect(reply.status, start).toBe(400);
      expect(reply.code, start).toBe("InvalidParameterValue");
    }
    const body = { Namespace: "N", MetricName: "M", Period: 60, Statistics: ["Average"], EndTime: 1 };
    for (const start of [8.64e12 + 1, 1e308, "+275760-09-13T00:00:00.000Z"]) {
      const reply = await json("GetMetricStatistics", JSON.stringify({ ...body, StartTime: start }));
      expect(reply.status, String(start)).toBe(400);
    }
  });
});

describe("bodies and names that reached JavaScript's or SQLite's limits", () => {
  test("JSON nested deeper than 64 levels is a SerializationException; 64 levels are read", async () => {
    const deep = (n: number) => `{"AlarmNames":${"[".repeat(n)}${"]".repeat(n)}}`;
    expect(await json("DescribeAlarms", deep(100_000))).toMatchObject({
      status: 400,
      type: "SerializationException",
    });
    // 63 arrays inside the body's object: within the bound, refused for its shape instead.
    expect((await json("DescribeAlarms", deep(63))).status).toBe(400);
    expect((await json("DescribeAlarms", deep(63))).type).not.toBe("SerializationException");
  });

  test("an action named after an Object member is InvalidAction", async () => {
    for (const action of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      expect(await query(elb(`Action=${action}`))).toMatchObject({ status: 400, code: "InvalidAction" });
    }
  });

  test("an attribute key __proto__ is an unknown key", async () => {
    const created = await query(elb("Action=CreateLoadBalancer&Name=proto"));
    expect(created.status).toBe(200);
    const lbs = await fetch(`${api.endpoint}/`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: signed("elasticloadbalancing"),
      },
      body: elb("Action=DescribeLoadBalancers&Names.member.1=proto"),
    }).then((r) => r.text());
    const arn = /<LoadBalancerArn>([^<]*)</.exec(lbs)?.[1] ?? "";
    const reply = await query(
      elb(
        `Action=ModifyLoadBalancerAttributes&LoadBalancerArn=${encodeURIComponent(arn)}&Attributes.member.1.Key=__proto__&Attributes.member.1.Value=1`,
      ),
    );
    expect(reply).toMatchObject({ status: 400, code: "ValidationError" });
    expect(reply.message).toMatch(/attribute key '__proto__' is not recognized/);
  });

  test("an all-hex rule or listener ARN of 60,000 characters is not found, not a LIKE error", async () => {
    const hex = "f".repeat(60_000);
    expect(await query(elb(`Action=DeleteRule&RuleArn=${hex}`))).toMatchObject({
      status: 400,
      code: "RuleNotFound",
    });
    expect(await query(elb(`Action=DescribeRules&ListenerArn=${hex}`))).toMatchObject({
      status: 400,
      code: "ListenerNotFound",
    });
  });
});
