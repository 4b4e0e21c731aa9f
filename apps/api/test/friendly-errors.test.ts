import { expect } from "vitest";
import { apiTest } from "./helpers.ts";

apiTest("probe", async ({ api }) => {
  const tg = await api.request("POST", "/v1/target-groups", { name: "probe", port: 80, healthCheckPth: "/x" });
  console.log("unknown field", tg.status, JSON.stringify(tg.body));
  const noType = await api.request("POST", "/v1/target-groups", '{"name":"p"}', {});
  console.log("no type", noType.status, JSON.stringify(noType.body));
  const wrongType = await api.request("POST", "/v1/target-groups", '{"name":"p"}', { "content-type": "text/plain" });
  console.log("wrong type", wrongType.status, JSON.stringify(wrongType.body));
  const form = await api.request("POST", "/v1/target-groups", 'name=p', { "content-type": "application/x-www-form-urlencoded" });
  console.log("form", form.status, JSON.stringify(form.body));
  const missing = await api.request("POST", "/v1/target-groups", { port: 80 });
  console.log("missing", missing.status, JSON.stringify(missing.body));
  const badType = await api.request("POST", "/v1/target-groups", { name: "p", port: "x" });
  console.log("badType", badType.status, JSON.stringify(badType.body));
  expect(1).toBe(1);
});
