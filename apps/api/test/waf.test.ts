import { describe, expect } from "vitest";
import { expectError, expectStatus, apiTest as test } from "./helpers.ts";

/*
 * REST /v1/web-acls and /v1/ip-sets (+ /v1/load-balancers/{name}/web-acl): the same services as the AWS
 * door's wafv2, in WAF's member names, with the REST statuses (404 for what is not there, 409 for a
 * stale LockToken or a resource in use).
 */

const visibility = (MetricName: string) => ({
  SampledRequestsEnabled: true,
  CloudWatchMetricsEnabled: true,
  MetricName,
});

describe("REST WAF", () => {
  test("IP set, web ACL, association, LockToken, tags, delete", async ({ api }) => {
    const set = await api.request("POST", "/v1/ip-sets", {
      Name: "flooders",
      IPAddressVersion: "IPV4",
      Addresses: ["127.0.0.2/32"],
    });
    expectStatus(set, 201);
    expect(set.body.IPSet).toMatchObject({ Name: "flooders", Addresses: ["127.0.0.2/32"] });

    const acl = await api.request("POST", "/v1/web-acls", {
      Name: "front",
      DefaultAction: { Allow: {} },
      VisibilityConfig: visibility("front"),
      CustomResponseBodies: { slow: { ContentType: "TEXT_PLAIN", Content: "slow down" } },
      Rules: [
        {
          Name: "flood",
          Priority: 0,
          Statement: {
            RateBasedStatement: {
              Limit: 10,
              EvaluationWindowSec: 60,
              AggregateKeyType: "IP",
              ScopeDownStatement: {
                NotStatement: { Statement: { IPSetReferenceStatement: { ARN: set.body.IPSet.ARN } } },
              },
            },
          },
          Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: "slow" } } },
          RuleLabels: [{ Name: "flood:ip" }],
          VisibilityConfig: visibility("flood"),
        },
      ],
      Tags: [{ Key: "team", Value: "edge" }],
    });
    expectStatus(acl, 201);
    const id: string = acl.body.WebACL.Id;
    expect(acl.body.WebACL).toMatchObject({ Name: "front", Capacity: 3 });
    expect(acl.body.WebACL.Rules[0].Statement.RateBasedStatement.ScopeDownStatement).toBeDefined();

    expect(
      (await api.request("GET", "/v1/web-acls")).body.WebACLs.map((w: { Name: string }) => w.Name),
    ).toEqual(["front"]);
    expectStatus(await api.request("GET", `/v1/web-acls/${id}`), 200);

    const capacity = await api.request("POST", "/v1/web-acls/check-capacity", {
      Rules: acl.body.WebACL.Rules,
    });
    expect(capacity.body).toEqual({ Capacity: 3 });

    const lb = await api.request("POST", "/v1/load-balancers", { name: "web" });
    expectStatus(lb, 201);
    expectStatus(
      await api.request("PUT", "/v1/load-balancers/web/web-acl", { WebACLArn: acl.body.WebACL.ARN }),
      204,
    );
    expect((await api.request("GET", "/v1/load-balancers/web/web-acl")).body.WebACL.Id).toBe(id);
    expect((await api.request("GET", `/v1/web-acls/${id}/resources`)).body.ResourceArns).toEqual([
      lb.body.loadBalancerArn,
    ]);

    const update = await api.request("PUT", `/v1/web-acls/${id}`, {
      LockToken: acl.body.LockToken,
      DefaultAction: { Block: {} },
      VisibilityConfig: visibility("front"),
    });
    expectStatus(update, 200);
    const stale = await api.request("PUT", `/v1/web-acls/${id}`, {
      LockToken: acl.body.LockToken,
      DefaultAction: { Allow: {} },
      VisibilityConfig: visibility("front"),
    });
    expectError(stale, 409, "WAFOptimisticLockException");
    const invalid = await api.request("PUT", `/v1/web-acls/${id}`, {
      LockToken: update.body.NextLockToken,
      DefaultAction: { Allow: {} },
      VisibilityConfig: visibility("front"),
      Rules: [
        {
          Name: "geo",
          Priority: 0,
          Statement: { GeoMatchStatement: { CountryCodes: ["FR"] } },
          Action: { Block: {} },
          VisibilityConfig: visibility("geo"),
        },
      ],
    });
    expectError(invalid, 400, "WAFInvalidParameterException", /GeoMatchStatement/);

    expectError(
      await api.request("DELETE", `/v1/web-acls/${id}?lockToken=${update.body.NextLockToken}`),
      409,
      "WAFAssociatedItemException",
    );
    expectStatus(
      await api.request("POST", `/v1/web-acls/${id}/tags`, { Tags: [{ Key: "env", Value: "ci" }] }),
      204,
    );
    expect((await api.request("GET", `/v1/web-acls/${id}/tags`)).body.TagList).toEqual([
      { Key: "env", Value: "ci" },
      { Key: "team", Value: "edge" },
    ]);
    expectStatus(await api.request("DELETE", `/v1/web-acls/${id}/tags?tagKeys=team`), 204);

    expectStatus(await api.request("DELETE", "/v1/load-balancers/web/web-acl"), 204);
    expect((await api.request("GET", "/v1/load-balancers/web/web-acl")).body).toEqual({});
    expectStatus(
      await api.request("DELETE", `/v1/web-acls/${id}?lockToken=${update.body.NextLockToken}`),
      204,
    );
    expectError(await api.request("GET", `/v1/web-acls/${id}`), 404, "WAFNonexistentItemException");

    const setId: string = set.body.IPSet.Id;
    const setUpdate = await api.request("PUT", `/v1/ip-sets/${setId}`, {
      LockToken: set.body.LockToken,
      Addresses: ["10.0.0.0/8", "bad"],
    });
    expectError(setUpdate, 400, "WAFInvalidParameterException", /IP_ADDRESS/);
    expectStatus(await api.request("DELETE", `/v1/ip-sets/${setId}?lockToken=${set.body.LockToken}`), 204);
  });
});
