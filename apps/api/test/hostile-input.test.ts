import { expect } from "vitest";
import { apiTest, expectError, expectStatus, issueTargetGroup } from "./helpers.ts";

/* The REST door's share of issue 9's hostile inputs: each a 400 in `{ code, message }`, never a 500. */

apiTest("a body nested deeper than 64 levels is a ValidationError; 64 levels are parsed", async ({ api }) => {
  const deep = (n: number) => `{"name":"x","tags":${"[".repeat(n)}${"]".repeat(n)}}`;
  const headers = { "content-type": "application/json" };
  expectError(
    await api.request("POST", "/v1/load-balancers", deep(100_000), headers),
    400,
    "ValidationError",
    /nests deeper than 64/,
  );
  const within = await api.request("POST", "/v1/load-balancers", deep(63), headers);
  expect(within.status).toBe(400);
  expect(within.body.message).not.toMatch(/nests deeper/);
});

apiTest("fastify's prototype-poisoning refusal still applies to JSON bodies", async ({ api }) => {
  const reply = await api.request("POST", "/v1/load-balancers", '{"name":"p","__proto__":{"x":1}}', {
    "content-type": "application/json",
  });
  expectError(reply, 400, "ValidationError");
});

apiTest(
  "names, tags and attribute keys past AWS's lengths, and an attribute key __proto__",
  async ({ api }) => {
    expectError(
      await api.request("GET", `/v1/auto-scaling-groups/${"a".repeat(256)}`),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("POST", "/v1/load-balancers", {
        name: "web",
        tags: [{ key: "k".repeat(129), value: "v" }],
      }),
      400,
      "ValidationError",
    );
    expectStatus(await api.request("POST", "/v1/target-groups", issueTargetGroup), 201);
    expectError(
      await api.request("PATCH", "/v1/target-groups/web-tg/attributes", {
        attributes: [{ key: "__proto__", value: "1" }],
      }),
      400,
      "ValidationError",
      /not recognized/,
    );
  },
);

apiTest("an all-hex listener or rule id past 64 digits is not found", async ({ api }) => {
  expectError(await api.request("GET", `/v1/listeners/${"f".repeat(2_000)}`), 404, "ListenerNotFound");
  expectError(await api.request("GET", `/v1/rules/${"f".repeat(2_000)}`), 404, "RuleNotFound");
});

apiTest("metric statistics for a time past year 9999 are InvalidParameterValue", async ({ api }) => {
  const reply = await api.request(
    "GET",
    "/v1/metrics/statistics?namespace=N&metricName=M&period=60&statistics=Average&startTime=%2B275760-09-13T00:00:00.000Z&endTime=2026-01-01T00:00:00Z",
  );
  expectError(reply, 400, "InvalidParameterValue");
});
