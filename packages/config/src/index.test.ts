import { availableParallelism } from "node:os";
import { describe, expect, test } from "vitest";
import { readSettings, runtimeHasReusePort } from "./index.ts";

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

describe("proxy workers", () => {
  test("defaults to one worker a core and checks what is given", () => {
    expect(readSettings({}).proxy.workers).toBe(availableParallelism());
    expect(readSettings({ SCALEOUT_PROXY_WORKERS: "auto" }).proxy.workers).toBe(availableParallelism());
    expect(readSettings({ SCALEOUT_PROXY_WORKERS: "1" }).proxy.workers).toBe(1);
    for (const bad of ["0", "-1", "1.5", "many"])
      expect(() => readSettings({ SCALEOUT_PROXY_WORKERS: bad })).toThrow(/SCALEOUT_PROXY_WORKERS/);
  });

  test("shares ports with reusePort where the runtime has it", () => {
    expect(runtimeHasReusePort("20.20.2")).toBe(false);
    expect(runtimeHasReusePort("22.11.0")).toBe(false);
    expect(runtimeHasReusePort("22.12.0")).toBe(true);
    expect(runtimeHasReusePort("23.0.0")).toBe(false);
    expect(runtimeHasReusePort("24.0.0")).toBe(true);
    expect(readSettings({ SCALEOUT_PROXY_SHARING: "cluster" }).proxy.sharing).toBe("cluster");
    expect(readSettings({}).proxy.sharing).toBe(runtimeHasReusePort() ? "reuseport" : "cluster");
    expect(() => readSettings({ SCALEOUT_PROXY_SHARING: "kernel" })).toThrow(/SCALEOUT_PROXY_SHARING/);
  });
});
