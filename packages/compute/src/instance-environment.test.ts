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
