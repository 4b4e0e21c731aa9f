import { describe, expect } from "vitest";
import { buildTestApp, expectError, expectStatus, apiTest as test } from "./helpers.ts";

describe("system", () => {
  test("GET /healthz answers ok", async ({ api }) => {
    const health = await api.request("GET", "/healthz");
    expectStatus(health, 200);
    expect(health.body).toEqual({ status: "ok", dependencies: {} });
  });

  test("/docs serves Swagger UI and /docs/json the OpenAPI document", async ({ api }) => {
    let docs = await api.request("GET", "/docs");
    if (docs.status >= 300 && docs.status < 400) {
      const location = String(docs.raw.headers.location);
      docs = await api.request(
        "GET",
        location.startsWith("/") ? location : `/docs/${location.replace(/^\.\//, "")}`,
      );
    }
    expectStatus(docs, 200);
    expect(String(docs.raw.headers["content-type"])).toContain("text/html");
    expect(docs.raw.body).toMatch(/swagger-ui/i);
    const json = await api.request("GET", "/docs/json");
    expectStatus(json, 200);
    expect(json.body.openapi).toBe("3.0.3");
    expect(Object.keys(json.body.paths)).toEqual(
      expect.arrayContaining([
        "/v1/load-balancers",
        "/v1/listeners/{id}/rules",
        "/v1/target-groups/{name}/health",
        "/v1/auto-scaling-groups/{name}/policies/{policyName}/execute",
        "/v1/alarms/{name}/state",
        "/v1/metrics/statistics",
      ]),
    );
  });

  test("with a token, requests need `Authorization: Bearer <token>`; /healthz does not", async ({
    dataDir,
  }) => {
    const api = await buildTestApp({ dataDir, apiToken: "s3cret" });
    try {
      expectError(await api.request("GET", "/v1/load-balancers"), 401, "Unauthorized");
      expectError(
        await api.request("GET", "/v1/load-balancers", undefined, { authorization: "Bearer wrong" }),
        401,
        "Unauthorized",
      );
      expectError(
        await api.request("POST", "/v1/load-balancers", { name: "web" }, { authorization: "s3cret" }),
        401,
        "Unauthorized",
      );
      expect(api.events.versions).toEqual([]);
      const ok = await api.request("GET", "/v1/load-balancers", undefined, {
        authorization: "Bearer s3cret",
      });
      expectStatus(ok, 200);
      const created = await api.request(
        "POST",
        "/v1/load-balancers",
        { name: "web" },
        { authorization: "Bearer s3cret" },
      );
      expectStatus(created, 201);
      expectStatus(await api.request("GET", "/healthz"), 200);
      expectError(await api.request("GET", "/docs/json"), 401, "Unauthorized");
      expectError(await api.request("GET", "/v1/nothing-here"), 401, "Unauthorized");
    } finally {
      await api.close();
    }
  });

  test("an unknown route is a JSON 404", async ({ api }) => {
    const reply = await api.request("GET", "/v1/nothing-here");
    expectError(reply, 404, "NotFound", "/v1/nothing-here");
    expect(String(reply.raw.headers["content-type"])).toContain("application/json");
    expectError(await api.request("DELETE", "/v1/load-balancers"), 404, "NotFound");
    expectError(await api.request("POST", "/v1/metrics/statistics", {}), 404, "NotFound");
  });

  test("malformed bodies and paths are 4xx with a code, never 500", async ({ api }) => {
    const json = { "content-type": "application/json" };
    expectError(await api.request("POST", "/v1/load-balancers", "{bad", json), 400, "ValidationError");
    expectError(await api.request("POST", "/v1/load-balancers", "", json), 400, "ValidationError");
    expectError(await api.request("POST", "/v1/load-balancers", "[]", json), 400, "ValidationError");
    expectError(await api.request("POST", "/v1/load-balancers", "null", json), 400, "ValidationError");
    expectError(await api.request("PUT", "/v1/alarms/x", '"text"', json), 400, "ValidationError");
    expectError(
      await api.request("POST", "/v1/load-balancers", "name=web", {
        "content-type": "application/x-www-form-urlencoded",
      }),
      415,
      "UnsupportedMediaType",
    );
    expectError(await api.request("POST", "/v1/load-balancers"), 400, "ValidationError");
    expectError(await api.request("GET", "/v1/load-balancers/%E0%A4%A"), 400, "ValidationError");
    expectError(await api.request("GET", `/v1/listeners/${"a".repeat(3000)}`), 414, "ValidationError");
  });

  test("an unknown body field is ValidationError, on every kind of body", async ({ api }) => {
    expectError(
      await api.request("POST", "/v1/load-balancers", { name: "web", colour: "red" }),
      400,
      "ValidationError",
      /colour|additional/,
    );
    expectError(
      await api.request("POST", "/v1/target-groups", {
        name: "tg",
        protocol: "HTTP",
        port: 80,
        healthcheckpath: "/",
      }),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("POST", "/v1/launch-templates", {
        launchTemplateName: "app",
        command: ["x"],
        ImageId: "ami",
      }),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("PUT", "/v1/alarms/a", { namespace: "App", metricName: "X", Period: 60 }),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("POST", "/v1/metrics", {
        namespace: "App",
        metricData: [{ metricName: "X", value: 1, v: 2 }],
      }),
      400,
      "ValidationError",
    );
    expect(api.events.versions).toEqual([]);
  });
});
