import { CreateLoadBalancerCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  AssociateWebACLCommand,
  CreateIPSetCommand,
  CreateWebACLCommand,
  DisassociateWebACLCommand,
  GetIPSetCommand,
  GetWebACLCommand,
  GetWebACLForResourceCommand,
  type WAFV2Client,
} from "@aws-sdk/client-wafv2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, failure, startAwsApi } from "./helpers.ts";

/*
 * AWS WAF's control plane driven only through @aws-sdk/client-wafv2 (awsJson1_1,
 * X-Amz-Target: AWSWAF_20190729.*): web ACLs, IP sets, associations with an ALB, WAF's errors.
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

const visibility = (MetricName: string) => ({
  SampledRequestsEnabled: true,
  CloudWatchMetricsEnabled: true,
  MetricName,
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
});
