import { describe, expect, it } from "vitest";
import { processInstanceEnvironment } from "./instance-environment.ts";

describe("processInstanceEnvironment", () => {
  const host = {
    PATH: "/usr/bin:/bin",
    HOME: "/home/me",
    LANG: "C.UTF-8",
    SCALEOUT_API_TOKEN: "secret",
    SCALEOUT_DATA_DIR: "/data",
    REDIS_URL: "redis://:pw@127.0.0.1:6379",
    NODE_OPTIONS: "--inspect",
    AWS_SECRET_ACCESS_KEY: "x",
  };

  it("keeps only the basics of the host, never scaleout's settings", () => {
    const env = processInstanceEnvironment(
      { instanceId: "i-0123456789abcdef0", hostPort: 4100, environment: { GREETING: "hi" } },
      host,
    );
    expect(env).toEqual({
      PATH: "/usr/bin:/bin",
      HOME: "/home/me",
      LANG: "C.UTF-8",
      GREETING: "hi",
      SCALEOUT_INSTANCE_ID: "i-0123456789abcdef0",
      PORT: "4100",
    });
  });

  it("lets the launch template override the basics but not PORT or the instance id", () => {
    const env = processInstanceEnvironment(
      {
        instanceId: "i-0123456789abcdef0",
        hostPort: 4100,
        environment: { PATH: "/opt/app/bin", PORT: "1", SCALEOUT_INSTANCE_ID: "i-ffffffffffffffff0" },
      },
      host,
    );
    expect(env.PATH).toBe("/opt/app/bin");
    expect(env.PORT).toBe("4100");
    expect(env.SCALEOUT_INSTANCE_ID).toBe("i-0123456789abcdef0");
  });
});

describe("awsInstanceEnvironment", () => {
  const aws = {
    metadataPort: 41000,
    endpointUrl: "http://127.0.0.1:7700",
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIASCALEOUTINSTANCE", secretAccessKey: "scaleout" },
  };

  it("points the SDKs at the instance's metadata service and at scaleout", () => {
    const env = processInstanceEnvironment(
      { instanceId: "i-0123456789abcdef0", hostPort: 4100, environment: {}, aws },
      {},
    );
    expect(env).toEqual({
      AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://127.0.0.1:41000/",
      AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv4",
      AWS_ENDPOINT_URL: "http://127.0.0.1:7700",
      AWS_REGION: "eu-west-1",
      AWS_DEFAULT_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "AKIASCALEOUTINSTANCE",
      AWS_SECRET_ACCESS_KEY: "scaleout",
      SCALEOUT_INSTANCE_ID: "i-0123456789abcdef0",
      PORT: "4100",
    });
  });

  it("gives no credentials when there are none to give, and the template's variables win", () => {
    const { credentials: _, ...withoutCredentials } = aws;
    const env = processInstanceEnvironment(
      {
        instanceId: "i-0123456789abcdef0",
        hostPort: 4100,
        environment: { AWS_REGION: "us-west-2" },
        aws: withoutCredentials,
      },
      { AWS_ACCESS_KEY_ID: "the host's own" },
    );
    expect(env.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
    expect(env.AWS_REGION).toBe("us-west-2");
    expect(env.AWS_DEFAULT_REGION).toBe("eu-west-1");
  });
});
