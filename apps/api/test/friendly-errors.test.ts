import { expect } from "vitest";
import { apiTest, expectError } from "./helpers.ts";

/* The REST door's errors say what to fix: the field by its path, the content type to send. */

apiTest("an unknown or missing body field is named by its path", async ({ api }) => {
  expectError(
    await api.request("POST", "/v1/target-groups", { name: "probe", port: 80, healthCheckPth: "/x" }),
    400,
    "ValidationError",
    /^body\/healthCheckPth is not allowed$/,
  );
  expectError(
    await api.request("POST", "/v1/target-groups", { port: 80 }),
    400,
    "ValidationError",
    /^body\/name is required$/,
  );
  // Nested: the path goes down to the member.
  const nested = await api.request("POST", "/v1/load-balancers", {
    name: "web",
    tags: [{ key: "k", valu: "v" }],
  });
  expectError(nested, 400, "ValidationError", /^body\/tags\/0\/valu is not allowed$/);
  // Other failures keep ajv's wording, which already names the field.
  expectError(
    await api.request("POST", "/v1/target-groups", { name: "p", port: "x" }),
    400,
    "ValidationError",
    "body/port must be integer",
  );
});

apiTest("a body sent without a JSON content type is told which to send", async ({ api }) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{}, "no content-type"],
    [{ "content-type": "text/plain" }, "content-type text/plain"],
    [
      { "content-type": "application/x-www-form-urlencoded" },
      "content-type application/x-www-form-urlencoded",
    ],
  ];
  for (const [headers, got] of cases) {
    const reply = await api.request("POST", "/v1/target-groups", '{"name":"p"}', headers);
    expectError(reply, 415, "UnsupportedMediaType");
    expect(reply.body.message).toBe(
      `This API takes JSON bodies: send the header content-type: application/json (got ${got})`,
    );
  }
});
