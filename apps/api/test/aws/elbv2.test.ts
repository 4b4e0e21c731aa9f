import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
  ModifyLoadBalancerAttributesCommand,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  paginateDescribeAccountLimits,
  paginateDescribeListeners,
  paginateDescribeLoadBalancers,
  paginateDescribeRules,
  paginateDescribeTargetGroups,
  RegisterTargetsCommand,
  RemoveTagsCommand,
  SetRulePrioritiesCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, collect, failure, startAwsApi } from "./helpers.ts";

let api: AwsTestApi;
beforeAll(async () => {
  api = await startAwsApi();
});
afterAll(async () => {
  await api?.close();
});

const arnInRegion = (region: string) =>
  expect.stringMatching(new RegExp(`^arn:aws:elasticloadbalancing:${region}:000000000000:`));

describe("Elastic Load Balancing v2 through the SDK", () => {
  test("a load balancer with a listener, weighted forward, redirect and fixed-response rules, targets and tags", async () => {
    const { elbv2 } = api.clients({ region: "eu-west-1" });

    const blue = await elbv2.send(
      new CreateTargetGroupCommand({
        Name: "web-blue",
        Protocol: "HTTP",
        Port: 80,
        TargetType: "ip",
        HealthCheckPath: "/health",
        HealthCheckIntervalSeconds: 5,
        Matcher: { HttpCode: "200-299" },
        Tags: [{ Key: "team", Value: "web" }],
      }),
    );
    const blueGroup = blue.TargetGroups?.[0];
    expect(blueGroup).toMatchObject({
      TargetGroupArn: arnInRegion("eu-west-1"),
      TargetGroupName: "web-blue",
      Protocol: "HTTP",
      Port: 80,
      TargetType: "ip",
      HealthCheckPath: "/health",
      HealthCheckIntervalSeconds: 5,
      HealthCheckTimeoutSeconds: 4,
      Matcher: { HttpCode: "200-299" },
      LoadBalancerArns: [],
    });
    const blueArn = blueGroup?.TargetGroupArn ?? "";
    // Creating it again with the same settings is idempotent, as in AWS.
    const again = await elbv2.send(
      new CreateTargetGroupCommand({
        Name: "web-blue",
        Protocol: "HTTP",
        Port: 80,
        TargetType: "ip",
        HealthCheckPath: "/health",
        HealthCheckIntervalSeconds: 5,
        Matcher: { HttpCode: "200-299" },
      }),
    );
    expect(again.TargetGroups?.[0]?.TargetGroupArn).toBe(blueArn);
    const green = await elbv2.send(
      new CreateTargetGroupCommand({ Name: "web-green", Protocol: "HTTP", Port: 80, TargetType: "ip" }),
    );
    const greenArn = green.TargetGroups?.[0]?.TargetGroupArn ?? "";

    const created = await elbv2.send(
      new CreateLoadBalancerCommand({ Name: "web", Subnets: ["subnet-1", "subnet-2"] }),
    );
    const lb = created.LoadBalancers?.[0];
    expect(lb).toMatchObject({
      LoadBalancerArn: arnInRegion("eu-west-1"),
      LoadBalancerName: "web",
      DNSName: expect.stringMatching(/^web-\d+\.elb\.localhost$/),
      Scheme: "internet-facing",
      Type: "application",
      IpAddressType: "ipv4",
      AvailabilityZones: [{ ZoneName: "eu-west-1a", SubnetId: "subnet-local" }],
      SecurityGroups: [],
    });
    expect(lb?.CreatedTime).toBeInstanceOf(Date);
    expect(["provisioning", "active"]).toContain(lb?.State?.Code);
    const lbArn = lb?.LoadBalancerArn ?? "";

    const listener = (
      await elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: lbArn,
          Protocol: "HTTP",
          Port: 18080,
          DefaultActions: [{ Type: "forward", TargetGroupArn: blueArn }],
        }),
      )
    ).Listeners?.[0];
    expect(listener).toMatchObject({
      ListenerArn: expect.stringContaining(":listener/app/web/"),
      LoadBalancerArn: lbArn,
      Port: 18080,
      Protocol: "HTTP",
      DefaultActions: [
        {
          Type: "forward",
          TargetGroupArn: blueArn,
          ForwardConfig: { TargetGroups: [{ TargetGroupArn: blueArn, Weight: 1 }] },
        },
      ],
    });
    const listenerArn = listener?.ListenerArn ?? "";

    const weighted = (
      await elbv2.send(
        new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: 10,
          Conditions: [
            { Field: "path-pattern", Values: ["/api/*"] },
            { Field: "http-header", HttpHeaderConfig: { HttpHeaderName: "x-canary", Values: ["1"] } },
          ],
          Actions: [
            {
              Type: "forward",
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: blueArn, Weight: 80 },
                  { TargetGroupArn: greenArn, Weight: 20 },
                ],
                TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
              },
            },
          ],
          Tags: [{ Key: "kind", Value: "canary" }],
        }),
      )
    ).Rules?.[0];
    expect(weighted).toMatchObject({
      Priority: "10",
      IsDefault: false,
      Conditions: [
        { Field: "path-pattern", Values: ["/api/*"], PathPatternConfig: { Values: ["/api/*"] } },
        { Field: "http-header", HttpHeaderConfig: { HttpHeaderName: "x-canary", Values: ["1"] } },
      ],
      Actions: [
        {
          Type: "forward",
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: blueArn, Weight: 80 },
              { TargetGroupArn: greenArn, Weight: 20 },
            ],
            TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
          },
        },
      ],
    });
    const redirect = (
      await elbv2.send(
        new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: 20,
          Conditions: [{ Field: "host-header", HostHeaderConfig: { Values: ["old.example.com"] } }],
          Actions: [
            { Type: "redirect", RedirectConfig: { Host: "new.example.com", StatusCode: "HTTP_301" } },
          ],
        }),
      )
    ).Rules?.[0];
    expect(redirect?.Actions?.[0]?.RedirectConfig).toEqual({
      Protocol: "#{protocol}",
      Port: "#{port}",
      Host: "new.example.com",
      Path: "/#{path}",
      Query: "#{query}",
      StatusCode: "HTTP_301",
    });
    const fixed = (
      await elbv2.send(
        new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: 30,
          Conditions: [
            { Field: "http-request-method", HttpRequestMethodConfig: { Values: ["GET"] } },
            { Field: "query-string", QueryStringConfig: { Values: [{ Key: "health", Value: "1" }] } },
          ],
          Actions: [
            {
              Type: "fixed-response",
              FixedResponseConfig: { StatusCode: "200", ContentType: "text/plain", MessageBody: "ok" },
            },
          ],
        }),
      )
    ).Rules?.[0];
    expect(fixed?.Actions?.[0]?.FixedResponseConfig).toEqual({
      StatusCode: "200",
      ContentType: "text/plain",
      MessageBody: "ok",
    });
    expect(fixed?.Conditions?.[1]?.QueryStringConfig?.Values).toEqual([{ Key: "health", Value: "1" }]);

    // SetRulePriorities swaps two priorities in one call.
    const swapped = await elbv2.send(
      new SetRulePrioritiesCommand({
        RulePriorities: [
          { RuleArn: weighted?.RuleArn, Priority: 20 },
          { RuleArn: redirect?.RuleArn, Priority: 10 },
        ],
      }),
    );
    expect(swapped.Rules?.map((r) => [r.RuleArn, r.Priority])).toEqual([
      [weighted?.RuleArn, "20"],
      [redirect?.RuleArn, "10"],
    ]);
    const modified = await elbv2.send(
      new ModifyRuleCommand({
        RuleArn: fixed?.RuleArn,
        Conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/healthz"] } }],
      }),
    );
    expect(modified.Rules?.[0]?.Conditions?.[0]?.Values).toEqual(["/healthz"]);
    const rules = await elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }));
    expect(rules.Rules?.map((r) => r.Priority)).toEqual(["10", "20", "30", "default"]);
    expect(rules.Rules?.at(-1)?.IsDefault).toBe(true);

    // Attributes of both.
    const lbAttributes = await elbv2.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerArn: lbArn,
        Attributes: [{ Key: "idle_timeout.timeout_seconds", Value: "120" }],
      }),
    );
    expect(lbAttributes.Attributes).toContainEqual({ Key: "idle_timeout.timeout_seconds", Value: "120" });
    const lbDescribed = await elbv2.send(
      new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn }),
    );
    expect(lbDescribed.Attributes).toContainEqual({ Key: "idle_timeout.timeout_seconds", Value: "120" });
    expect(lbDescribed.Attributes).toContainEqual({ Key: "deletion_protection.enabled", Value: "false" });
    await elbv2.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: blueArn,
        Attributes: [
          { Key: "deregistration_delay.timeout_seconds", Value: "0" },
          { Key: "load_balancing.algorithm.type", Value: "least_outstanding_requests" },
        ],
      }),
    );
    const tgAttributes = await elbv2.send(
      new DescribeTargetGroupAttributesCommand({ TargetGroupArn: blueArn }),
    );
    expect(tgAttributes.Attributes).toContainEqual({
      Key: "load_balancing.algorithm.type",
      Value: "least_outstanding_requests",
    });
    const modifiedGroup = await elbv2.send(
      new ModifyTargetGroupCommand({ TargetGroupArn: blueArn, HealthyThresholdCount: 3 }),
    );
    expect(modifiedGroup.TargetGroups?.[0]).toMatchObject({
      HealthyThresholdCount: 3,
      LoadBalancerArns: [lbArn],
    });

    // Targets and their health.
    await elbv2.send(
      new RegisterTargetsCommand({
        TargetGroupArn: blueArn,
        Targets: [
          { Id: "127.0.0.1", Port: 9001 },
          { Id: "127.0.0.1", Port: 9002 },
        ],
      }),
    );
    const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: blueArn }));
    expect(health.TargetHealthDescriptions).toEqual([
      {
        Target: { Id: "127.0.0.1", Port: 9001 },
        HealthCheckPort: "9001",
        TargetHealth: {
          State: "initial",
          Reason: "Elb.RegistrationInProgress",
          Description: "Target registration is in progress",
        },
      },
      expect.objectContaining({ Target: { Id: "127.0.0.1", Port: 9002 } }),
    ]);
    await elbv2.send(
      new DeregisterTargetsCommand({ TargetGroupArn: blueArn, Targets: [{ Id: "127.0.0.1", Port: 9002 }] }),
    );
    const unused = await elbv2.send(
      new DescribeTargetHealthCommand({
        TargetGroupArn: greenArn,
        Targets: [{ Id: "127.0.0.1", Port: 9003 }],
      }),
    );
    expect(unused.TargetHealthDescriptions?.[0]?.TargetHealth).toMatchObject({
      State: "unused",
      Reason: "Target.NotRegistered",
    });
    expect(
      (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: blueArn })))
        .TargetHealthDescriptions,
    ).toHaveLength(1);

    // Describes by ARN, name and load balancer.
    const byName = await elbv2.send(new DescribeTargetGroupsCommand({ Names: ["web-green"] }));
    expect(byName.TargetGroups?.[0]?.LoadBalancerArns).toEqual([lbArn]);
    const ofLb = await elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lbArn }));
    expect(ofLb.TargetGroups?.map((g) => g.TargetGroupName)).toEqual(["web-blue", "web-green"]);
    const listeners = await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }));
    expect(listeners.Listeners?.map((l) => l.ListenerArn)).toEqual([listenerArn]);
    const moved = await elbv2.send(new ModifyListenerCommand({ ListenerArn: listenerArn, Port: 18081 }));
    expect(moved.Listeners?.[0]?.Port).toBe(18081);

    // Tags round trip on every kind of resource.
    const resources = [lbArn, blueArn, listenerArn, weighted?.RuleArn ?? ""];
    await elbv2.send(
      new AddTagsCommand({
        ResourceArns: resources,
        Tags: [
          { Key: "env", Value: "staging" },
          { Key: "team", Value: "edge" },
        ],
      }),
    );
    await elbv2.send(new RemoveTagsCommand({ ResourceArns: [lbArn], TagKeys: ["team"] }));
    const tags = await elbv2.send(new DescribeTagsCommand({ ResourceArns: resources }));
    const tagsOf = (arn: string) =>
      tags.TagDescriptions?.find((d) => d.ResourceArn === arn)?.Tags?.sort((a, b) =>
        (a.Key ?? "").localeCompare(b.Key ?? ""),
      );
    expect(tagsOf(lbArn)).toEqual([{ Key: "env", Value: "staging" }]);
    expect(tagsOf(blueArn)).toEqual([
      { Key: "env", Value: "staging" },
      { Key: "team", Value: "edge" },
    ]);
    expect(tagsOf(weighted?.RuleArn ?? "")).toEqual([
      { Key: "env", Value: "staging" },
      { Key: "kind", Value: "canary" },
      { Key: "team", Value: "edge" },
    ]);

    // The documented errors, as the SDK parses them.
    const duplicate = await failure(
      elbv2.send(
        new CreateTargetGroupCommand({ Name: "web-blue", Protocol: "HTTP", Port: 8080, TargetType: "ip" }),
      ),
    );
    expect(duplicate.name).toBe("DuplicateTargetGroupNameException");
    expect(duplicate.$metadata).toMatchObject({ httpStatusCode: 400 });
    const priority = await failure(
      elbv2.send(
        new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: 10,
          Conditions: [{ Field: "path-pattern", Values: ["/x"] }],
          Actions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "404" } }],
        }),
      ),
    );
    expect(priority.name).toBe("PriorityInUseException");
    const inUse = await failure(elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: blueArn })));
    expect(inUse.name).toBe("ResourceInUseException");
    const defaultRule = rules.Rules?.at(-1)?.RuleArn;
    expect((await failure(elbv2.send(new DeleteRuleCommand({ RuleArn: defaultRule })))).name).toBe(
      "OperationNotPermittedException",
    );
    const duplicateListener = await failure(
      elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: lbArn,
          Protocol: "HTTP",
          Port: 18081,
          DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "200" } }],
        }),
      ),
    );
    expect(duplicateListener.name).toBe("DuplicateListenerException");
    const invalidPort = await failure(
      elbv2.send(
        new CreateTargetGroupCommand({ Name: "bad-port", Protocol: "HTTP", Port: 70000, TargetType: "ip" }),
      ),
    );
    expect(invalidPort.name).toBe("ValidationError");
    expect(invalidPort.message).toMatch(/Port/);
    const publicTarget = await failure(
      elbv2.send(
        new RegisterTargetsCommand({ TargetGroupArn: greenArn, Targets: [{ Id: "8.8.8.8", Port: 80 }] }),
      ),
    );
    expect(publicTarget.name).toBe("InvalidTargetException");

    // Deletes: rules, listener, load balancer, target groups; deleting what is gone succeeds.
    await elbv2.send(new DeleteRuleCommand({ RuleArn: fixed?.RuleArn }));
    await elbv2.send(new DeleteListenerCommand({ ListenerArn: listenerArn }));
    await elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lbArn }));
    await elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lbArn }));
    await elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: blueArn }));
    await elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: blueArn }));
    const gone = await failure(elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] })));
    expect(gone.name).toBe("LoadBalancerNotFoundException");
    const listenerGone = await failure(
      elbv2.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] })),
    );
    expect(listenerGone.name).toBe("ListenerNotFoundException");
    const tgGone = await failure(elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [blueArn] })));
    expect(tgGone.name).toBe("TargetGroupNotFoundException");
    await elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: greenArn }));
  });

  test("every paginated describe pages with the SDK paginators", async () => {
    const { elbv2 } = api.clients({ region: "eu-west-1" });
    const names = Array.from({ length: 7 }, (_, i) => `page-${i}`);
    for (const name of names) {
      await elbv2.send(
        new CreateTargetGroupCommand({ Name: name, Protocol: "HTTP", Port: 80, TargetType: "ip" }),
      );
      await elbv2.send(new CreateLoadBalancerCommand({ Name: name }));
    }
    const groups = await collect(
      paginateDescribeTargetGroups({ client: elbv2 }, { PageSize: 3 }),
      (page) => page.TargetGroups,
    );
    expect(groups.items.map((g) => g.TargetGroupName)).toEqual(names);
    expect(groups.pages).toBe(3);
    const lbs = await collect(
      paginateDescribeLoadBalancers({ client: elbv2 }, { PageSize: 2 }),
      (page) => page.LoadBalancers,
    );
    expect(lbs.items.map((l) => l.LoadBalancerName)).toEqual(names);
    expect(lbs.pages).toBe(4);

    const lbArn = lbs.items[0]?.LoadBalancerArn ?? "";
    const listenerArns: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: lbArn,
          Protocol: "HTTP",
          Port: 19000 + i,
          DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "204" } }],
        }),
      );
      listenerArns.push(created.Listeners?.[0]?.ListenerArn ?? "");
    }
    const listeners = await collect(
      paginateDescribeListeners({ client: elbv2 }, { LoadBalancerArn: lbArn, PageSize: 2 }),
      (page) => page.Listeners,
    );
    expect(listeners.items.map((l) => l.ListenerArn).sort()).toEqual([...listenerArns].sort());
    expect(listeners.pages).toBe(3);

    const listenerArn = listenerArns[0] ?? "";
    for (let i = 1; i <= 5; i++) {
      await elbv2.send(
        new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: i * 100,
          Conditions: [{ Field: "path-pattern", Values: [`/p${i}`] }],
          Actions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "200" } }],
        }),
      );
    }
    const rules = await collect(
      paginateDescribeRules({ client: elbv2 }, { ListenerArn: listenerArn, PageSize: 4 }),
      (page) => page.Rules,
    );
    expect(rules.items.map((r) => r.Priority)).toEqual(["100", "200", "300", "400", "500", "default"]);
    expect(rules.pages).toBe(2);

    const limits = await collect(
      paginateDescribeAccountLimits({ client: elbv2 }, { PageSize: 5 }),
      (page) => page.Limits,
    );
    expect(limits.items).toContainEqual({ Name: "rules-per-application-load-balancer", Max: "100" });
    expect(limits.items).toContainEqual({ Name: "condition-values-per-alb-rule", Max: "5" });
    expect(limits.pages).toBe(Math.ceil(limits.items.length / 5));
  });

  test("a missing required parameter is a ValidationError", async () => {
    const { elbv2 } = api.clients();
    const missing = await failure(elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: undefined })));
    expect(missing.name).toBe("ValidationError");
    expect(missing.message).toMatch(/TargetGroupArn/);
    const notFound = await failure(
      elbv2.send(
        new DescribeTargetHealthCommand({
          TargetGroupArn:
            "arn:aws:elasticloadbalancing:eu-west-1:000000000000:targetgroup/nope/0123456789abcdef",
        }),
      ),
    );
    expect(notFound.name).toBe("TargetGroupNotFoundException");
  });
});
