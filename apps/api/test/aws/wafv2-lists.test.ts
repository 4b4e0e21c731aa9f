import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  CheckCapacityCommand,
  CreateIPSetCommand,
  CreateWebACLCommand,
  GetWebACLCommand,
  ListIPSetsCommand,
  ListTagsForResourceCommand,
  ListWebACLsCommand,
  type Rule,
  TagResourceCommand,
  UntagResourceCommand,
  type WAFV2Client,
} from "@aws-sdk/client-wafv2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, failure, startAwsApi } from "./helpers.ts";
import { sizeRule, visibility } from "./wafv2-fixtures.ts";

/*
 * AWS WAF through @aws-sdk/client-wafv2: tags, pagination (Limit, NextMarker), CheckCapacity and the
 * 1,500 WCU limit, scope and reference errors; and one round trip with the AWS CLI when it is installed.
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

describe("wafv2 lists, tags and capacity through WAFV2Client", () => {
  test("tags on web ACLs and IP sets", async () => {
    const set = await waf.send(
      new CreateIPSetCommand({
        Name: "tagged",
        Scope: "REGIONAL",
        IPAddressVersion: "IPV4",
        Addresses: [],
        Tags: [{ Key: "team", Value: "edge" }],
      }),
    );
    const arn = set.Summary?.ARN;
    await waf.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: "env", Value: "ci" }] }));
    const tags = await waf.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    expect(tags.TagInfoForResource?.ResourceARN).toBe(arn);
    expect(tags.TagInfoForResource?.TagList).toEqual([
      { Key: "env", Value: "ci" },
      { Key: "team", Value: "edge" },
    ]);
    await waf.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ["team"] }));
    expect(
      (await waf.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).TagInfoForResource?.TagList,
    ).toEqual([{ Key: "env", Value: "ci" }]);
    const missing = await failure(
      waf.send(
        new ListTagsForResourceCommand({
          ResourceARN:
            "arn:aws:wafv2:eu-west-1:000000000000:regional/webacl/none/00000000-0000-0000-0000-000000000000",
        }),
      ),
    );
    expect(missing.name).toBe("WAFNonexistentItemException");
  });

  test("ListWebACLs and ListIPSets page with Limit and NextMarker", async () => {
    for (const n of [1, 2, 3, 4, 5])
      await waf.send(
        new CreateWebACLCommand({
          Name: `paged-${n}`,
          Scope: "REGIONAL",
          DefaultAction: { Allow: {} },
          VisibilityConfig: visibility(`p${n}`),
        }),
      );
    const names: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page: { WebACLs?: Array<{ Name?: string }>; NextMarker?: string } = await waf.send(
        new ListWebACLsCommand({
          Scope: "REGIONAL",
          Limit: 2,
          ...(marker !== undefined && { NextMarker: marker }),
        }),
      );
      pages++;
      names.push(...(page.WebACLs ?? []).map((w) => w.Name ?? ""));
      marker = page.NextMarker;
    } while (marker !== undefined && pages < 20);
    expect(names.filter((n) => n.startsWith("paged-"))).toEqual([
      "paged-1",
      "paged-2",
      "paged-3",
      "paged-4",
      "paged-5",
    ]);
    expect(pages).toBe(Math.ceil(names.length / 2));
    const sets = await waf.send(new ListIPSetsCommand({ Scope: "REGIONAL", Limit: 100 }));
    expect(sets.IPSets?.map((s) => s.Name)).toContain("tagged");
    expect((await failure(waf.send(new ListWebACLsCommand({ Scope: "REGIONAL", Limit: 101 })))).name).toBe(
      "ValidationException",
    );
    expect(
      (await failure(waf.send(new ListWebACLsCommand({ Scope: "REGIONAL", NextMarker: "garbage" })))).name,
    ).toBe("WAFInvalidParameterException");
  });

  test("CheckCapacity answers WCUs; over 1500 a web ACL is WAFLimitsExceededException", async () => {
    const heavy = (n: number): Rule => ({
      Name: `heavy-${n}`,
      Priority: n,
      Statement: {
        RateBasedStatement: {
          Limit: 100,
          AggregateKeyType: "CUSTOM_KEYS",
          CustomKeys: [
            { IP: {} },
            { HTTPMethod: {} },
            { UriPath: { TextTransformations: [{ Priority: 0, Type: "NONE" }] } },
            { QueryString: { TextTransformations: [{ Priority: 0, Type: "NONE" }] } },
            { Header: { Name: "x-key", TextTransformations: [{ Priority: 0, Type: "NONE" }] } },
          ],
        },
      },
      Action: { Block: {} },
      VisibilityConfig: visibility(`heavy-${n}`),
    });
    const rules = Array.from({ length: 10 }, (_, n) => heavy(n));
    expect((await waf.send(new CheckCapacityCommand({ Scope: "REGIONAL", Rules: rules }))).Capacity).toBe(
      1520,
    );
    expect(
      (await waf.send(new CheckCapacityCommand({ Scope: "REGIONAL", Rules: [sizeRule("s", 0)] }))).Capacity,
    ).toBe(1);
    const over = await failure(
      waf.send(
        new CreateWebACLCommand({
          Name: "heavy",
          Scope: "REGIONAL",
          DefaultAction: { Allow: {} },
          VisibilityConfig: visibility("heavy"),
          Rules: rules,
        }),
      ),
    );
    expect(over.name).toBe("WAFLimitsExceededException");
  });

  test("scope CLOUDFRONT, an unknown IP set, a duplicate name", async () => {
    const cloudfront = await failure(waf.send(new ListWebACLsCommand({ Scope: "CLOUDFRONT" })));
    expect(cloudfront.name).toBe("WAFInvalidParameterException");
    expect(cloudfront.Field).toBe("SCOPE_VALUE");
    const unknownSet = await failure(
      waf.send(
        new CreateWebACLCommand({
          Name: "dangling",
          Scope: "REGIONAL",
          DefaultAction: { Allow: {} },
          VisibilityConfig: visibility("dangling"),
          Rules: [
            {
              Name: "r",
              Priority: 0,
              Statement: {
                IPSetReferenceStatement: {
                  ARN: "arn:aws:wafv2:eu-west-1:000000000000:regional/ipset/none/00000000-0000-0000-0000-000000000000",
                },
              },
              Action: { Block: {} },
              VisibilityConfig: visibility("r"),
            },
          ],
        }),
      ),
    );
    expect(unknownSet.name).toBe("WAFNonexistentItemException");
    const input = {
      Name: "twice",
      Scope: "REGIONAL" as const,
      DefaultAction: { Allow: {} },
      VisibilityConfig: visibility("twice"),
    };
    await waf.send(new CreateWebACLCommand(input));
    expect((await failure(waf.send(new CreateWebACLCommand(input)))).name).toBe("WAFDuplicateItemException");
    const badName = await failure(waf.send(new CreateWebACLCommand({ ...input, Name: "no spaces" })));
    expect(badName.name).toBe("ValidationException");
  });
});

const execFileAsync = promisify(execFile);
const awsCli = await execFileAsync("aws", ["--version"]).then(
  () => true,
  () => false,
);

describe("the AWS CLI", () => {
  test.skipIf(!awsCli)(
    "aws wafv2 create-ip-set and create-web-acl (the README's shorthand) against the door",
    async () => {
      const env = {
        ...process.env,
        AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "secret",
        AWS_DEFAULT_REGION: "eu-west-1",
        AWS_CONFIG_FILE: join(import.meta.dirname, "no-such-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(import.meta.dirname, "no-such-aws-credentials"),
        AWS_MAX_ATTEMPTS: "1",
      };
      const cli = (...args: string[]) =>
        execFileAsync("aws", ["--endpoint-url", api.endpoint, "--output", "json", "wafv2", ...args], {
          env,
          timeout: 30_000,
        });
      const created = await cli(
        "create-ip-set",
        "--name",
        "from-cli",
        "--scope",
        "REGIONAL",
        "--ip-address-version",
        "IPV4",
        "--addresses",
        "127.0.0.2/32",
      );
      expect(JSON.parse(created.stdout).Summary.ARN).toMatch(/:eu-west-1:.*regional\/ipset\/from-cli\//);
      // The README's create-web-acl: shorthand for the default action and visibility, rules as JSON.
      const rules = JSON.stringify([sizeRule("cli-size", 0)]);
      const acl = await cli(
        "create-web-acl",
        "--name",
        "from-cli",
        "--scope",
        "REGIONAL",
        "--default-action",
        "Allow={}",
        "--visibility-config",
        "SampledRequestsEnabled=true,CloudWatchMetricsEnabled=true,MetricName=from-cli",
        "--rules",
        rules,
      );
      const id = JSON.parse(acl.stdout).Summary.Id;
      // Each CLI call starts Python (seconds on a loaded machine): what it made is read with the SDK.
      const got = await waf.send(new GetWebACLCommand({ Name: "from-cli", Scope: "REGIONAL", Id: id }));
      expect(got.WebACL).toMatchObject({ Capacity: 1, DefaultAction: { Allow: {} } });
    },
  );
});
