import { describe, expect, test } from "vitest";
import { readSettings } from "./index.ts";

describe("the api's trust settings", () => {
  test("default to no extra hosts and no CORS origins", () => {
    expect(readSettings({}).api).toMatchObject({ allowedHosts: [], allowedOrigins: [] });
  });

  test("hosts are lower-cased names without ports; IPv6 takes brackets", () => {
    const { api } = readSettings({
      SCALEOUT_API_ALLOWED_HOSTS: " Dev.Example , 10.0.0.5,[fd00::1],fd00::2,",
    });
    expect(api.allowedHosts).toEqual(["dev.example", "10.0.0.5", "[fd00::1]", "[fd00::2]"]);
  });

  test.each(["dev.example:7700", "http://dev.example", "dev.example/x", "[fd00::1", "a b"])(
    "host '%s' is refused at start",
    (host) => {
      expect(() => readSettings({ SCALEOUT_API_ALLOWED_HOSTS: host })).toThrow(/SCALEOUT_API_ALLOWED_HOSTS/);
    },
  );

  test("origins are normalised as browsers send them", () => {
    const { api } = readSettings({
      SCALEOUT_API_ALLOWED_ORIGINS: "https://App.Example:443/, http://localhost:3000",
    });
    expect(api.allowedOrigins).toEqual(["https://app.example", "http://localhost:3000"]);
  });

  test.each(["*", "null", "app.example", "https://app.example/path", "ftp://app.example"])(
    "origin '%s' is refused at start",
    (origin) => {
      expect(() => readSettings({ SCALEOUT_API_ALLOWED_ORIGINS: origin })).toThrow(
        /SCALEOUT_API_ALLOWED_ORIGINS/,
      );
    },
  );
});
