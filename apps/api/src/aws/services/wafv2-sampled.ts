import { operation } from "../operation.ts";
import { int, list, opt, req, str, struct, ts } from "../shapes.ts";

/*
 * The wafv2 operations that read the data plane's state (botocore wafv2 2019-07-29): spread into the
 * wafv2 service's operations (wafv2.ts). What they read, the proxy keeps (apps/proxy/src/waf/recorder.ts).
 */

const HttpHeader = struct({ name: str, value: str });

const SampledHTTPRequest = struct({
  request: struct({
    clientIP: str,
    country: str,
    uri: opt(str, { name: "URI" }),
    method: str,
    httpVersion: opt(str, { name: "HTTPVersion" }),
    headers: list(HttpHeader),
  }),
  weight: int,
  timestamp: ts,
  action: str,
  ruleNameWithinRuleGroup: str,
  requestHeadersInserted: list(HttpHeader),
  responseCodeSent: int,
  labels: list(struct({ name: str })),
});

const TimeWindow = struct({ startTime: req(ts), endTime: req(ts) });

const ManagedKeys = struct({
  ipAddressVersion: opt(str, { name: "IPAddressVersion" }),
  addresses: list(str),
});

/** An ISO 8601 timestamp (as the codec decodes them) in epoch seconds. */
const seconds = (iso: string) => Date.parse(iso) / 1000;

export const wafv2SampledOperations = {
  GetSampledRequests: operation({
    input: struct({
      webAclArn: req(str),
      ruleMetricName: req(str),
      scope: req(str),
      timeWindow: req(TimeWindow),
      maxItems: req(int),
    }),
    output: struct({
      sampledRequests: list(SampledHTTPRequest),
      populationSize: int,
      timeWindow: TimeWindow,
    }),
    support: "implemented",
    notes:
      "Up to 100 samples per rule (or web ACL metric name) and minute, kept three hours, across every proxy worker. Country is `-` (no geolocation on loopback).",
    run: async (input, { services }) => {
      const answer = await services.wafSampled.getSampledRequests({
        WebAcl: { arn: input.webAclArn },
        RuleMetricName: input.ruleMetricName,
        Scope: input.scope,
        TimeWindow: {
          StartTime: seconds(input.timeWindow.startTime),
          EndTime: seconds(input.timeWindow.endTime),
        },
        MaxItems: input.maxItems,
      });
      return {
        sampledRequests: answer.SampledRequests.map((s) => ({
          request: {
            clientIP: s.Request.ClientIP,
            country: s.Request.Country,
            uri: s.Request.URI,
            method: s.Request.Method,
            httpVersion: s.Request.HTTPVersion,
            headers: s.Request.Headers.map((h) => ({ name: h.Name, value: h.Value })),
          },
          weight: s.Weight,
          timestamp: s.Timestamp * 1000,
          action: s.Action,
          ruleNameWithinRuleGroup: s.RuleNameWithinRuleGroup,
          requestHeadersInserted: s.RequestHeadersInserted?.map((h) => ({ name: h.Name, value: h.Value })),
          responseCodeSent: s.ResponseCodeSent,
          labels: s.Labels?.map((l) => ({ name: l.Name })),
        })),
        populationSize: answer.PopulationSize,
        timeWindow: {
          startTime: answer.TimeWindow.StartTime * 1000,
          endTime: answer.TimeWindow.EndTime * 1000,
        },
      };
    },
  }),

  GetRateBasedStatementManagedKeys: operation({
    input: struct({
      scope: req(str),
      webACLName: req(str),
      webACLId: req(str),
      ruleGroupRuleName: str,
      ruleName: req(str),
    }),
    output: struct({ managedKeysIPV4: ManagedKeys, managedKeysIPV6: ManagedKeys }),
    support: "implemented",
    notes:
      "The keys over the limit now, summed over every proxy worker, refreshed each second (WAF: with a delay of up to tens of seconds). IP and FORWARDED_IP aggregation only, as WAF.",
    run: async (input, { services }) => {
      const keys = await services.wafSampled.getManagedKeys({
        Scope: input.scope,
        WebAcl: { id: input.webACLId, name: input.webACLName },
        RuleName: input.ruleName,
      });
      return {
        managedKeysIPV4: { ipAddressVersion: "IPV4", addresses: keys.ManagedKeysIPV4.Addresses },
        managedKeysIPV6: { ipAddressVersion: "IPV6", addresses: keys.ManagedKeysIPV6.Addresses },
      };
    },
  }),
};
