import fc from "fast-check";
import { expect } from "vitest";
import { apiTest, expectStatus, issueLaunchTemplate, seedGroup, seedWeb } from "./helpers.ts";
import { type OpenApiDocument, restRequests } from "./rest-fuzz-requests.ts";

/*
 * The REST door under fuzzing: random requests over every /v1 route of the OpenAPI document, with path
 * parameters, query strings and bodies shaped by the schemas and then spoiled. Zero 5xx (the fixture
 * fails the test on any) and an intact registry. A fixed seed in CI; FUZZ_SEED and FUZZ_RUNS explore.
 */

const seed = Number(process.env.FUZZ_SEED ?? 20_261_201);
const runs = Number(process.env.FUZZ_RUNS ?? 1_500);

apiTest(
  `${runs} hostile REST requests (seed ${seed}) get no 5xx and leave the registry intact`,
  { timeout: 120_000 },
  async ({ api }) => {
    const web = await seedWeb(api);
    const targetGroupArn = await seedGroup(api, { autoScalingGroupName: "kept" });
    const known = [
      "web",
      "web-tg",
      "app",
      issueLaunchTemplate.launchTemplateName,
      web.listenerId,
      web.listenerArn,
      web.loadBalancerArn,
      targetGroupArn,
      "cpu50",
      "$Latest",
    ];
    const swagger = api.app.swagger() as unknown as OpenApiDocument;
    // GET /v1/events streams for as long as its client stays, from Redis, which this app has none of
    // (it answers 503 then, as documented): events.system.test.ts covers it. GET /v1/proxy/changes streams
    // too: tests/multi-proxy covers it.
    const { "/v1/events": _stream, "/v1/proxy/changes": _changes, ...paths } = swagger.paths;
    const document: OpenApiDocument = { ...swagger, paths };
    const statuses = new Map<number, number>();
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(restRequests(document, known), async (request) => {
        const reply = await api.app.inject({
          method: request.method,
          url: request.url,
          headers: request.headers,
          ...(request.body !== undefined && { payload: request.body }),
        });
        statuses.set(reply.statusCode, (statuses.get(reply.statusCode) ?? 0) + 1);
        if (reply.statusCode >= 500) throw new Error(`${reply.statusCode}: ${reply.body.slice(0, 500)}`);
      }),
      { seed, numRuns: runs },
    );
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `REST fuzz: seed ${seed}, ${runs} requests in ${seconds.toFixed(1)} s, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
    // The fuzz reaches the services, not only the schema checks: some requests succeed.
    const succeeded = [...statuses].filter(([status]) => status < 300).reduce((sum, [, n]) => sum + n, 0);
    expect(succeeded).toBeGreaterThan(runs / 30);
    expect(api.handle.sqlite.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(api.handle.sqlite.pragma("foreign_key_check")).toEqual([]);
    expectStatus(await api.request("GET", "/v1/auto-scaling-groups/kept"), 200);
  },
);
