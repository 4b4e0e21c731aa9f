import { execFile } from "node:child_process";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { DescribeLaunchTemplatesCommand } from "@aws-sdk/client-ec2";
import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, startAwsApi } from "./aws/helpers.ts";

/*
 * Item 8 of issue 9: a web page the user visits cannot drive the api, while curl, the AWS CLI and the
 * SDK v3 clients keep working. Requests go over a real socket with the exact headers a browser sends.
 */

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One HTTP/1.1 request with exactly these headers (fetch would not let a test set Host). */
function raw(
  endpoint: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body = "",
): Promise<Answer> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        timeout: 5_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

const sigv4 =
  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd";

/** What `<form method=post action=http://127.0.0.1:7700/>` on evil.example sends: it cannot add headers. */
const userData = Buffer.from("#!/bin/sh\ntouch /tmp/owned\n").toString("base64");
const formBody = new URLSearchParams({
  Action: "CreateLaunchTemplate",
  Version: "2016-11-15",
  LaunchTemplateName: "owned",
  "LaunchTemplateData.ImageId": "scaleout/example:latest",
  "LaunchTemplateData.UserData": userData,
}).toString();
const browserForm = (host: string) => ({
  host,
  origin: "http://evil.example",
  "sec-fetch-site": "cross-site",
  "sec-fetch-mode": "navigate",
  "content-type": "application/x-www-form-urlencoded",
});

let api: AwsTestApi;
let host: string;
beforeAll(async () => {
  api = await startAwsApi();
  host = new URL(api.endpoint).host;
});
afterAll(async () => {
  await api?.close();
});

async function launchTemplateNames(): Promise<string[]> {
  const { ec2 } = api.clients();
  const described = await ec2.send(new DescribeLaunchTemplatesCommand({}));
  return (described.LaunchTemplates ?? []).map((t) => t.LaunchTemplateName ?? "");
}

describe("a cross-site page cannot drive the api", () => {
  test("a cross-site form post creating a launch template is refused and creates nothing", async () => {
    const refused = await raw(api.endpoint, "POST", "/", browserForm(host), formBody);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("<Code>AccessDenied</Code>");
    expect(refused.text).toContain("evil.example");

    // A browser that sends neither Origin nor Sec-Fetch-* (old, or a privacy extension) is still a form:
    // it cannot send a SigV4 Authorization header.
    const bare = await raw(
      api.endpoint,
      "POST",
      "/",
      { host, "content-type": "application/x-www-form-urlencoded" },
      formBody,
    );
    expect(bare.status).toBe(403);
    expect(bare.text).toContain("<Code>MissingAuthenticationToken</Code>");

    // Even a request that somehow carried SigV4 is refused from a foreign origin.
    const signedButForeign = await raw(
      api.endpoint,
      "POST",
      "/",
      { ...browserForm(host), authorization: sigv4 },
      formBody,
    );
    expect(signedButForeign.status).toBe(403);
    expect(await launchTemplateNames()).toEqual([]);

    // The same body as the CLI sends it (SigV4, no Origin) is the door working as before.
    const cli = await raw(
      api.endpoint,
      "POST",
      "/",
      { host, "content-type": "application/x-www-form-urlencoded; charset=utf-8", authorization: sigv4 },
      formBody,
    );
    expect(cli.status, cli.text).toBe(200);
    expect(await launchTemplateNames()).toEqual(["owned"]);
  });

  test("a foreign Host (DNS rebinding) is refused on REST and on the AWS door", async () => {
    const rest = await raw(api.endpoint, "GET", "/v1/load-balancers", { host: "evil.example:7700" });
    expect(rest.status).toBe(403);
    expect(JSON.parse(rest.text)).toEqual({ code: "AccessDenied", message: expect.stringContaining("Host") });

    const created = await raw(
      api.endpoint,
      "POST",
      "/v1/load-balancers",
      { host: "evil.example", "content-type": "application/json" },
      JSON.stringify({ name: "rebound" }),
    );
    expect(created.status).toBe(403);
    const door = await raw(
      api.endpoint,
      "POST",
      "/",
      {
        host: "rebound.evil.example",
        "content-type": "application/x-www-form-urlencoded",
        authorization: sigv4,
      },
      "Action=DescribeLaunchTemplates&Version=2016-11-15",
    );
    expect(door.status).toBe(403);
    expect(door.text).toContain("<Code>AccessDenied</Code>");
    // No Host at all (HTTP/1.0) names nothing of ours either; nor does a look-alike.
    for (const foreign of ["localhost.evil.example", "127.0.0.1.nip.io:7700", "localhost."]) {
      expect((await raw(api.endpoint, "GET", "/healthz", { host: foreign })).status, foreign).toBe(403);
    }
    const { elbv2 } = api.clients();
    const names = (await elbv2.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
    expect(names).toEqual([]);
  });

  test("the loopback names answer in any port form", async () => {
    const port = new URL(api.endpoint).port;
    for (const name of [
      host,
      `localhost:${port}`,
      "localhost",
      `LOCALHOST:${port}`,
      `[::1]:${port}`,
      "127.0.0.1",
    ]) {
      expect((await raw(api.endpoint, "GET", "/v1/load-balancers", { host: name })).status, name).toBe(200);
    }
  });

  test("text/plain bodies are refused on REST and on the door, and create nothing", async () => {
    const rest = await raw(
      api.endpoint,
      "POST",
      "/v1/load-balancers",
      { host, "content-type": "text/plain" },
      JSON.stringify({ name: "plain" }),
    );
    expect(rest.status).toBe(415);
    expect(JSON.parse(rest.text)).toMatchObject({ code: "UnsupportedMediaType" });
    const door = await raw(
      api.endpoint,
      "POST",
      "/",
      { host, "content-type": "text/plain", authorization: sigv4 },
      formBody,
    );
    expect(door.status).toBe(415);
    expect(door.text).toContain("<Code>UnsupportedMediaType</Code>");
    const multipart = await raw(
      api.endpoint,
      "POST",
      "/",
      { host, "content-type": "multipart/form-data; boundary=x", authorization: sigv4 },
      "--x--",
    );
    expect(multipart.status).toBe(415);
    const listed = await raw(api.endpoint, "GET", "/v1/load-balancers", { host });
    expect(JSON.parse(listed.text).loadBalancers).toEqual([]);
  });

  test("the api's own origin is accepted; another port on localhost is another origin", async () => {
    const own = await raw(api.endpoint, "GET", "/v1/load-balancers", {
      host,
      origin: `http://${host}`,
      "sec-fetch-site": "same-origin",
    });
    expect(own.status).toBe(200);
    expect(own.headers["access-control-allow-origin"]).toBeUndefined();
    const sibling = await raw(api.endpoint, "GET", "/v1/load-balancers", {
      host,
      origin: "http://localhost:3000",
      "sec-fetch-site": "same-site",
    });
    expect(sibling.status).toBe(403);
    const opaque = await raw(api.endpoint, "GET", "/v1/load-balancers", { host, origin: "null" });
    expect(opaque.status).toBe(403);
    const preflight = await raw(api.endpoint, "OPTIONS", "/v1/load-balancers", {
      host,
      origin: "http://evil.example",
      "access-control-request-method": "POST",
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("configured hosts and origins", () => {
  let open: AwsTestApi;
  beforeAll(async () => {
    open = await startAwsApi({
      trust: {
        bindHost: "127.0.0.1",
        allowedHosts: ["dev.example"],
        allowedOrigins: ["http://localhost:3000"],
      },
    });
  });
  afterAll(async () => {
    await open?.close();
  });

  test("an allowed host is answered; an allowed origin gets CORS answers", async () => {
    expect((await raw(open.endpoint, "GET", "/healthz", { host: "dev.example:7700" })).status).toBe(200);
    expect((await raw(open.endpoint, "GET", "/healthz", { host: "other.example" })).status).toBe(403);

    const preflight = await raw(open.endpoint, "OPTIONS", "/v1/load-balancers", {
      host: "127.0.0.1",
      origin: "http://localhost:3000",
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type",
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      "access-control-allow-origin": "http://localhost:3000",
      "access-control-allow-headers": "content-type",
    });
    const created = await raw(
      open.endpoint,
      "POST",
      "/v1/load-balancers",
      {
        host: "127.0.0.1",
        origin: "http://localhost:3000",
        "sec-fetch-site": "same-site",
        "content-type": "application/json",
      },
      JSON.stringify({ name: "from-console" }),
    );
    expect(created.status, created.text).toBe(201);
    expect(created.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
    const other = await raw(open.endpoint, "GET", "/v1/load-balancers", {
      host: "127.0.0.1",
      origin: "http://localhost:3001",
    });
    expect(other.status).toBe(403);
  });
});

describe("with a token", () => {
  let guarded: AwsTestApi;
  beforeAll(async () => {
    guarded = await startAwsApi({ apiToken: "s3cret" });
  });
  afterAll(async () => {
    await guarded?.close();
  });

  test("any Host may carry the token (the page cannot know it); a foreign Origin is refused still", async () => {
    const bearer = { authorization: "Bearer s3cret" };
    expect(
      (await raw(guarded.endpoint, "GET", "/v1/load-balancers", { host: "scaleout.lan", ...bearer })).status,
    ).toBe(200);
    expect((await raw(guarded.endpoint, "GET", "/v1/load-balancers", { host: "scaleout.lan" })).status).toBe(
      401,
    );
    const foreign = await raw(guarded.endpoint, "GET", "/v1/load-balancers", {
      host: "scaleout.lan",
      origin: "http://evil.example",
      ...bearer,
    });
    expect(foreign.status).toBe(403);
  });
});

const execFileAsync = promisify(execFile);
const awsCli = await execFileAsync("aws", ["--version"]).then(
  () => true,
  () => false,
);

describe("curl and the AWS CLI keep working", () => {
  test("curl with its default headers", async () => {
    const curl = await execFileAsync("curl", [
      "-sS",
      "-w",
      "\\n%{http_code}",
      `${api.endpoint}/v1/load-balancers`,
    ]).catch(() => undefined);
    if (curl === undefined) return; // no curl here: the raw requests above send what it sends
    expect(curl.stdout.trim().split("\n").pop()).toBe("200");
  });

  test.skipIf(!awsCli)("the AWS CLI (ELBv2, EC2, CloudWatch, Auto Scaling) against the door", async () => {
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_DEFAULT_REGION: "eu-west-1",
      AWS_CONFIG_FILE: join(import.meta.dirname, "no-such-aws-config"),
      AWS_SHARED_CREDENTIALS_FILE: join(import.meta.dirname, "no-such-aws-credentials"),
      AWS_MAX_ATTEMPTS: "1",
    };
    const cli = (...args: string[]) =>
      execFileAsync("aws", ["--endpoint-url", api.endpoint, "--output", "json", ...args], {
        env,
        timeout: 30_000,
      });
    const created = await cli(
      "elbv2",
      "create-target-group",
      "--name",
      "from-cli",
      "--protocol",
      "HTTP",
      "--port",
      "80",
      "--target-type",
      "ip",
    );
    expect(JSON.parse(created.stdout).TargetGroups[0].TargetGroupArn).toMatch(
      /:eu-west-1:.*targetgroup\/from-cli\//,
    );
    const templates = await cli("ec2", "describe-launch-templates");
    expect(
      JSON.parse(templates.stdout).LaunchTemplates.map(
        (t: { LaunchTemplateName: string }) => t.LaunchTemplateName,
      ),
    ).toContain("owned");
    const alarms = await cli("cloudwatch", "describe-alarms");
    expect(JSON.parse(alarms.stdout).MetricAlarms).toEqual([]);
    const groups = await cli("autoscaling", "describe-auto-scaling-groups");
    expect(JSON.parse(groups.stdout).AutoScalingGroups).toEqual([]);
  });
});
