import { CreateLoadBalancerCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  AssociateWebACLCommand,
  CreateIPSetCommand,
  CreateWebACLCommand,
  DeleteIPSetCommand,
  DeleteWebACLCommand,
  DisassociateWebACLCommand,
  GetIPSetCommand,
  GetWebACLCommand,
  GetWebACLForResourceCommand,
  ListResourcesForWebACLCommand,
  UpdateIPSetCommand,
  UpdateWebACLCommand,
  type WAFV2Client,
} from "@aws-sdk/client-wafv2";
import { readConfigVersion } from "@scaleout/db";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, failure, startAwsApi } from "./helpers.ts";
import { sizeRule, visibility } from "./wafv2-fixtures.ts";

/*
 * AWS WAF's control plane driven only through @aws-sdk/client-wafv2 (awsJson1_1,
 * X-Amz-Target: AWSWAF_20190729.*): web ACLs, IP sets, associations with an ALB, LockToken, WAF's errors.
 * Lists, tags, capacity and the CLI: wafv2-lists.test.ts.
 */

let api: AwsTestApi;
let waf: WAFV2Client;

beforeAll(async () => {
  api = await startAwsApi({ fast: true });
  waf = api.clients().wafv2;
});
afterAll(async () => {
  await api?.close();
});

describe("wafv2 through WAFV2Client", () => {
  test("an IP set, a web ACL referencing it, associated with an ALB", async () => {
    const ipSet = await waf.send(
      new CreateIPSetCommand({
        Name: "blocked",
        Scope: "REGIONAL",
        IPAddressVersion: "IPV4",
        Addresses: ["127.0.0.2/32", "10.0.0.0/8"],
      }),
    );
    const ipSetSummary = ipSet.Summary;
    expect(ipSetSummary?.ARN).toMatch(
      /^arn:aws:wafv2:eu-west-1:\d{12}:regional\/ipset\/blocked\/[0-9a-f-]{36}$/,
    );
    const got = await waf.send(
      new GetIPSetCommand({ Name: "blocked", Scope: "REGIONAL", Id: ipSetSummary?.Id }),
    );
    expect(got.IPSet?.Addresses).toEqual(["127.0.0.2/32", "10.0.0.0/8"]);
    expect(got.LockToken).toBe(ipSetSummary?.LockToken);

    const created = await waf.send(
      new CreateWebACLCommand({
        Name: "front",
        Scope: "REGIONAL",
        DefaultAction: { Allow: {} },
        VisibilityConfig: visibility("front"),
        Rules: [
          {
            Name: "flood",
            Priority: 1,
            Statement: {
              RateBasedStatement: { Limit: 100, EvaluationWindowSec: 60, AggregateKeyType: "IP" },
            },
            Action: { Block: {} },
            VisibilityConfig: visibility("flood"),
          },
          {
            Name: "admin",
            Priority: 0,
            Statement: {
              ByteMatchStatement: {
                SearchString: new TextEncoder().encode("/admin"),
                FieldToMatch: { UriPath: {} },
                TextTransformations: [{ Priority: 0, Type: "URL_DECODE" }],
                PositionalConstraint: "STARTS_WITH",
              },
            },
            Action: { Block: { CustomResponse: { ResponseCode: 429 } } },
            VisibilityConfig: visibility("admin"),
          },
          {
            Name: "blocked-ips",
            Priority: 2,
            Statement: { IPSetReferenceStatement: { ARN: ipSetSummary?.ARN } },
            Action: { Count: {} },
            VisibilityConfig: visibility("blocked-ips"),
          },
        ],
      }),
    );
    const summary = created.Summary;
    expect(summary?.ARN).toMatch(/:regional\/webacl\/front\//);
    const acl = await waf.send(new GetWebACLCommand({ Name: "front", Scope: "REGIONAL", Id: summary?.Id }));
    expect(acl.LockToken).toBe(summary?.LockToken);
    const byArn = await waf.send(new GetWebACLCommand({ ARN: summary?.ARN }));
    expect(byArn.WebACL).toEqual(acl.WebACL);
    expect(acl.WebACL?.Rules?.map((r) => r.Name)).toEqual(["admin", "flood", "blocked-ips"]);
    expect(
      new TextDecoder().decode(acl.WebACL?.Rules?.[0]?.Statement?.ByteMatchStatement?.SearchString),
    ).toBe("/admin");
    // ByteMatch STARTS_WITH 2 + URL_DECODE 10, rate-based 2, IP set 1.
    expect(acl.WebACL?.Capacity).toBe(15);
    expect(acl.WebACL?.LabelNamespace).toMatch(/^awswaf:\d{12}:webacl:front:$/);
    // The contract's row: the SearchString kept base64, as on the wire.
    const row = api.services.webAcls.byArn(summary?.ARN ?? "");
    expect(row?.rules[0]?.Statement.ByteMatchStatement?.SearchString).toBe(
      Buffer.from("/admin").toString("base64"),
    );

    const { elbv2 } = api.clients();
    const lb = await elbv2.send(new CreateLoadBalancerCommand({ Name: "waf-front" }));
    const lbArn = lb.LoadBalancers?.[0]?.LoadBalancerArn;
    await waf.send(new AssociateWebACLCommand({ WebACLArn: summary?.ARN, ResourceArn: lbArn }));
    const forResource = await waf.send(new GetWebACLForResourceCommand({ ResourceArn: lbArn }));
    expect(forResource.WebACL?.ARN).toBe(summary?.ARN);
    await waf.send(new DisassociateWebACLCommand({ ResourceArn: lbArn }));
    expect((await waf.send(new GetWebACLForResourceCommand({ ResourceArn: lbArn }))).WebACL).toBeUndefined();
  });

  test("WAF's errors: a rate-based statement nested in a NOT, with Field, Parameter and Reason", async () => {
    const error = await failure(
      waf.send(
        new CreateWebACLCommand({
          Name: "nested",
          Scope: "REGIONAL",
          DefaultAction: { Allow: {} },
          VisibilityConfig: visibility("nested"),
          Rules: [
            {
              Name: "n",
              Priority: 0,
              Statement: {
                NotStatement: {
                  Statement: { RateBasedStatement: { Limit: 100, AggregateKeyType: "IP" } },
                },
              },
              Action: { Block: {} },
              VisibilityConfig: visibility("n"),
            },
          ],
        }),
      ),
    );
    expect(error.name).toBe("WAFInvalidParameterException");
    expect(error.Field).toBe("NOT_STATEMENT");
    expect(error.Parameter).toBe("RateBasedStatement");
    expect(String(error.Reason)).toMatch(/nested/);
  });

  test("UpdateWebACL: a new LockToken on every change, a stale one refused", async () => {
    const { Summary } = await waf.send(
      new CreateWebACLCommand({
        Name: "locked",
        Scope: "REGIONAL",
        DefaultAction: { Allow: {} },
        VisibilityConfig: visibility("locked"),
      }),
    );
    const key = { Name: "locked", Scope: "REGIONAL" as const, Id: Summary?.Id };
    const before = readConfigVersion(api.handle.db);
    const updated = await waf.send(
      new UpdateWebACLCommand({
        ...key,
        LockToken: Summary?.LockToken,
        DefaultAction: { Block: {} },
        Description: "blocks by default",
        VisibilityConfig: visibility("locked"),
        Rules: [sizeRule("big", 0)],
      }),
    );
    expect(updated.NextLockToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(updated.NextLockToken).not.toBe(Summary?.LockToken);
    // The proxy reloads on the configuration version: every change bumps it.
    expect(readConfigVersion(api.handle.db)).toBeGreaterThan(before);
    const got = await waf.send(new GetWebACLCommand(key));
    expect(got.WebACL?.DefaultAction).toEqual({ Block: {} });
    expect(got.WebACL?.Description).toBe("blocks by default");
    expect(got.WebACL?.Capacity).toBe(1);
    expect(got.LockToken).toBe(updated.NextLockToken);

    const stale = await failure(
      waf.send(
        new UpdateWebACLCommand({
          ...key,
          LockToken: Summary?.LockToken,
          DefaultAction: { Allow: {} },
          VisibilityConfig: visibility("locked"),
        }),
      ),
    );
    expect(stale.name).toBe("WAFOptimisticLockException");
    const staleDelete = await failure(
      waf.send(new DeleteWebACLCommand({ ...key, LockToken: Summary?.LockToken })),
    );
    expect(staleDelete.name).toBe("WAFOptimisticLockException");
    await waf.send(new DeleteWebACLCommand({ ...key, LockToken: updated.NextLockToken }));
    expect((await failure(waf.send(new GetWebACLCommand(key)))).name).toBe("WAFNonexistentItemException");
  });

  test("DeleteWebACL while associated, DeleteIPSet while referenced: WAFAssociatedItemException", async () => {
    const set = await waf.send(
      new CreateIPSetCommand({
        Name: "in-use",
        Scope: "REGIONAL",
        IPAddressVersion: "IPV6",
        Addresses: ["2001:DB8::1/128"],
      }),
    );
    const acl = await waf.send(
      new CreateWebACLCommand({
        Name: "guarding",
        Scope: "REGIONAL",
        DefaultAction: { Allow: {} },
        VisibilityConfig: visibility("guarding"),
        Rules: [
          {
            Name: "v6",
            Priority: 0,
            Statement: { IPSetReferenceStatement: { ARN: set.Summary?.ARN } },
            Action: { Block: {} },
            VisibilityConfig: visibility("v6"),
          },
        ],
      }),
    );
    const { elbv2 } = api.clients();
    const lb = await elbv2.send(new CreateLoadBalancerCommand({ Name: "waf-guarded" }));
    const lbArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? "";
    await waf.send(new AssociateWebACLCommand({ WebACLArn: acl.Summary?.ARN, ResourceArn: lbArn }));
    const listed = await waf.send(
      new ListResourcesForWebACLCommand({
        WebACLArn: acl.Summary?.ARN,
        ResourceType: "APPLICATION_LOAD_BALANCER",
      }),
    );
    expect(listed.ResourceArns).toEqual([lbArn]);

    const aclKey = {
      Name: "guarding",
      Scope: "REGIONAL" as const,
      Id: acl.Summary?.Id,
      LockToken: acl.Summary?.LockToken,
    };
    expect((await failure(waf.send(new DeleteWebACLCommand(aclKey)))).name).toBe(
      "WAFAssociatedItemException",
    );
    const setKey = { Name: "in-use", Scope: "REGIONAL" as const, Id: set.Summary?.Id };
    const got = await waf.send(new GetIPSetCommand(setKey));
    expect(got.IPSet?.Addresses).toEqual(["2001:db8::1/128"]);
    expect(
      (await failure(waf.send(new DeleteIPSetCommand({ ...setKey, LockToken: got.LockToken })))).name,
    ).toBe("WAFAssociatedItemException");

    // An IP set's update replaces its addresses; its stale token is refused.
    const next = await waf.send(
      new UpdateIPSetCommand({ ...setKey, LockToken: got.LockToken, Addresses: ["2001:db8::/32"] }),
    );
    expect(
      (
        await failure(
          waf.send(new UpdateIPSetCommand({ ...setKey, LockToken: got.LockToken, Addresses: [] })),
        )
      ).name,
    ).toBe("WAFOptimisticLockException");

    await waf.send(new DisassociateWebACLCommand({ ResourceArn: lbArn }));
    await waf.send(new DeleteWebACLCommand(aclKey));
    await waf.send(new DeleteIPSetCommand({ ...setKey, LockToken: next.NextLockToken }));
  });

  test("AssociateWebACL: an NLB and a malformed ARN are invalid, an unknown ALB does not exist", async () => {
    const { Summary } = await waf.send(
      new CreateWebACLCommand({
        Name: "assoc",
        Scope: "REGIONAL",
        DefaultAction: { Allow: {} },
        VisibilityConfig: visibility("assoc"),
      }),
    );
    const { elbv2 } = api.clients();
    const network = await elbv2.send(new CreateLoadBalancerCommand({ Name: "waf-nlb", Type: "network" }));
    const nlbArn = network.LoadBalancers?.[0]?.LoadBalancerArn;
    expect(nlbArn).toMatch(/:loadbalancer\/net\//);
    const nlb = await failure(
      waf.send(new AssociateWebACLCommand({ WebACLArn: Summary?.ARN, ResourceArn: nlbArn })),
    );
    expect(nlb.name).toBe("WAFInvalidParameterException");
    expect(nlb.Field).toBe("RESOURCE_ARN");
    const garbage = await failure(
      waf.send(
        new AssociateWebACLCommand({
          WebACLArn: Summary?.ARN,
          ResourceArn: "arn:aws:s3:::a-bucket-of-things",
        }),
      ),
    );
    expect(garbage.name).toBe("WAFInvalidParameterException");
    const unknown = await failure(
      waf.send(
        new AssociateWebACLCommand({
          WebACLArn: Summary?.ARN,
          ResourceArn:
            "arn:aws:elasticloadbalancing:eu-west-1:000000000000:loadbalancer/app/gone/0123456789abcdef",
        }),
      ),
    );
    expect(unknown.name).toBe("WAFNonexistentItemException");
  });
});
