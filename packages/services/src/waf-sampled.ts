import { WafErrors, type WafSampledRequest } from "@scaleout/core";
import { schema } from "@scaleout/db";
import { and, eq } from "drizzle-orm";
import type { ServiceContext } from "./context.ts";

/**
 * The two WAF operations that read data-plane state: GetSampledRequests and
 * GetRateBasedStatementManagedKeys. The proxy keeps that state (apps/proxy/src/waf/recorder.ts) where
 * the api reads it through `ctx.wafState` (Redis in server.ts); without a reader there is none to read
 * (no samples, no managed keys).
 */

export interface WafStateReader {
  samples(
    webAclArn: string,
    ruleMetricName: string,
    startSeconds: number,
    endSeconds: number,
  ): Promise<{ samples: WafSampledRequest[]; population: number }>;
  managedKeys(webAclArn: string, ruleName: string): Promise<{ ipv4: string[]; ipv6: string[] } | undefined>;
}

export const noWafState: WafStateReader = {
  samples: async () => ({ samples: [], population: 0 }),
  managedKeys: async () => undefined,
};

/** WAF keeps sampled requests for three hours. */
const retentionSeconds = 3 * 60 * 60;

const nonexistent = (message: string) => new WafErrors.WAFNonexistentItemException(message);
const invalid = (message: string) => new WafErrors.WAFInvalidParameterException(message);

/** A web ACL by ARN (GetSampledRequests), or by Id and, on the AWS door, Name (GetRateBasedStatementManagedKeys). */
export type WebAclRef = { arn: string } | { id: string; name?: string };

export interface SampledRequestsInput {
  WebAcl: WebAclRef;
  RuleMetricName: string;
  Scope: string;
  /** Epoch seconds. */
  TimeWindow: { StartTime: number; EndTime: number };
  MaxItems: number;
}

export interface ManagedKeysInput {
  Scope: string;
  WebAcl: WebAclRef;
  RuleName: string;
  RuleGroupRuleName?: string;
}

export function wafSampledService(ctx: ServiceContext) {
  const reader = (): WafStateReader => ctx.wafState ?? noWafState;
  const find = (ref: WebAclRef) => {
    const t = schema.webAcls;
    const where =
      "arn" in ref
        ? eq(t.arn, ref.arn)
        : ref.name === undefined
          ? eq(t.id, ref.id)
          : and(eq(t.id, ref.id), eq(t.name, ref.name));
    const acl = ctx.db.select().from(t).where(where).get();
    if (!acl)
      throw nonexistent("AWS WAF couldn’t perform the operation because your resource doesn’t exist.");
    return acl;
  };
  return {
    /**
     * Up to MaxItems of the requests WAF sampled for the rule (or the web ACL, by its metric name) in
     * TimeWindow, and how many requests the samples were taken from. A window reaching further back
     * than three hours starts three hours ago, and the answer's TimeWindow says so.
     */
    async getSampledRequests(input: SampledRequestsInput) {
      if (input.Scope !== "REGIONAL")
        throw invalid("Scope must be REGIONAL for an Application Load Balancer's web ACL");
      if (!Number.isInteger(input.MaxItems) || input.MaxItems < 1 || input.MaxItems > 500)
        throw invalid("MaxItems must be between 1 and 500");
      const { StartTime, EndTime } = input.TimeWindow;
      if (!(StartTime < EndTime)) throw invalid("TimeWindow's StartTime must be before its EndTime");
      const nowSeconds = ctx.now() / 1000;
      const start = Math.max(StartTime, nowSeconds - retentionSeconds);
      const acl = find(input.WebAcl);
      const { samples, population } = await reader().samples(acl.arn, input.RuleMetricName, start, EndTime);
      samples.sort((a, b) => a.Timestamp - b.Timestamp);
      return {
        SampledRequests: samples.slice(0, input.MaxItems),
        PopulationSize: population,
        TimeWindow: { StartTime: start, EndTime },
      };
    },

    /** The keys (IP addresses) a rate-based rule currently blocks, as the proxy last published them. */
    async getManagedKeys(input: ManagedKeysInput) {
      if (input.Scope !== "REGIONAL")
        throw invalid("Scope must be REGIONAL for an Application Load Balancer's web ACL");
      const acl = find(input.WebAcl);
      const rule = acl.rules.find((r) => r.Name === input.RuleName);
      if (!rule?.Statement.RateBasedStatement)
        throw nonexistent(`AWS WAF couldn’t find a rate-based rule named ${input.RuleName} in the web ACL.`);
      const keys = (await reader().managedKeys(acl.arn, rule.Name)) ?? { ipv4: [], ipv6: [] };
      return {
        ManagedKeysIPV4: { IPAddressVersion: "IPV4", Addresses: keys.ipv4 },
        ManagedKeysIPV6: { IPAddressVersion: "IPV6", Addresses: keys.ipv6 },
      };
    },
  };
}
