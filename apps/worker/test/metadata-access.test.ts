// What an instance is told about AWS, from the worker's settings: never the api token.

import { readSettings } from "@scaleout/config";
import { instanceOfAccessKey } from "@scaleout/core";
import { describe, expect, it } from "vitest";
import { apiEndpointUrl, instanceAwsAccess, instanceCredentials } from "../src/metadata/access.ts";

const id = "i-0123456789abcdef0";

describe("an instance's AWS access", () => {
  it("points at the api on loopback, in scaleout's region, with dummy keys when there is no token", () => {
    const settings = readSettings({ SCALEOUT_API_PORT: "7801", SCALEOUT_REGION: "eu-west-1" });
    expect(instanceAwsAccess(settings, id, 41000)).toEqual({
      metadataPort: 41000,
      endpointUrl: "http://127.0.0.1:7801",
      region: "eu-west-1",
      credentials: instanceCredentials,
    });
  });

  it("with a token, gets a key of its own that the api maps back to it, and never the token", () => {
    const settings = readSettings({ SCALEOUT_API_TOKEN: "s3cret-token" });
    const access = instanceAwsAccess(settings, id, 41000);
    expect(JSON.stringify(access)).not.toContain("s3cret-token");
    expect(instanceOfAccessKey("s3cret-token", access.credentials?.accessKeyId ?? "")).toBe(id);
  });

  it("reaches a wildcard-bound api on loopback", () => {
    const api = readSettings({}).api;
    expect(apiEndpointUrl({ ...api, host: "0.0.0.0", port: 7700 })).toBe("http://127.0.0.1:7700");
    expect(apiEndpointUrl({ ...api, host: "::", port: 7700 })).toBe("http://[::1]:7700");
    expect(apiEndpointUrl({ ...api, host: "::1", port: 7700 })).toBe("http://[::1]:7700");
  });
});
