import {
  type CompiledWafRule,
  type CompiledWebAcl,
  formatIp,
  parseIp,
  RateLimiterStore,
  type Sample,
  type VisibilityConfig,
  type WafVerdict,
} from "@scaleout/core";
import { samplesPerMinute, type WafSampleBatch, type WafSampledRequest } from "@scaleout/queue";

const namespace = "AWS/WAFV2";

/**
 * One second of WAF figures from one process, as plain data: what a proxy worker sends its owner
 * (worker-messages.ts), which adds every worker's into one set of metrics and samples.
 */
export interface WafReport {
  /** [region, web ACL metric name, rule metric name or ALL, metric name, count] */
  counters: Array<[string, string, string, string, number]>;
  samples: WafSampleBatch["samples"];
  population: WafSampleBatch["population"];
  /** Rate-based counts since the last report: [limiter id, [key, count][]] (rate sharing). */
  rates: Array<[string, Array<[string, number]>]>;
}

/** What the recorder needs to know of a request to sample it. */
export interface SampledFacts {
  clientIp: string;
  uri: string;
  method: string;
  httpVersion: string;
  rawHeaders: readonly string[];
}

/**
 * The proxy's WAF state: rate-based counters (kept across snapshots), AWS/WAFV2 counters per second, and
 * sampled requests as WAF keeps them (per rule and minute, at most 100; the sink caps again across
 * workers). Counting a request allocates nothing unless it is sampled.
 */
export class WafRecorder {
  readonly limiters = new RateLimiterStore();
  private counters = new Map<string, [string, string, string, string, number]>();
  private samples: WafSampleBatch["samples"] = [];
  private population = new Map<string, [string, string, number, number]>();
  /** Samples taken per `acl|metric|minute` in this process, so a flood costs at most 100 a minute. */
  private sampled = new Map<string, number>();
  private sampledMinute = -1;

  record(acl: CompiledWebAcl, verdict: WafVerdict, facts: SampledFacts, now: number): void {
    const region = regionOf(acl.arn);
    const aclMetric = acl.visibility.MetricName;
    const terminating = verdict.action === "ALLOW" ? "AllowedRequests" : "BlockedRequests";
    if (acl.visibility.CloudWatchMetricsEnabled) {
      this.count(region, aclMetric, "ALL", terminating);
      if (verdict.counted.length > 0) this.count(region, aclMetric, "ALL", "CountedRequests");
    }
    for (const rule of verdict.counted) {
      if (rule.visibility.CloudWatchMetricsEnabled)
        this.count(region, aclMetric, rule.visibility.MetricName, "CountedRequests");
    }
    if (verdict.rule?.visibility.CloudWatchMetricsEnabled)
      this.count(region, aclMetric, verdict.rule.visibility.MetricName, terminating);

    const minute = Math.floor(now / 60_000);
    if (acl.visibility.SampledRequestsEnabled)
      this.sample(acl, acl.visibility, verdict, verdict.action, facts, now, minute);
    for (const rule of verdict.counted)
      this.sample(acl, rule.visibility, verdict, "COUNT", facts, now, minute, rule);
    if (verdict.rule)
      this.sample(acl, verdict.rule.visibility, verdict, verdict.action, facts, now, minute, verdict.rule);
  }

  private count(region: string, acl: string, rule: string, metric: string): void {
    const key = `${acl}|${rule}|${metric}|${region}`;
    const entry = this.counters.get(key);
    if (entry) entry[4]++;
    else this.counters.set(key, [region, acl, rule, metric, 1]);
  }

  private sample(
    acl: CompiledWebAcl,
    visibility: VisibilityConfig,
    verdict: WafVerdict,
    action: string,
    facts: SampledFacts,
    now: number,
    minute: number,
    rule?: CompiledWafRule,
  ): void {
    if (!visibility.SampledRequestsEnabled) return;
    const key = `${acl.arn}|${visibility.MetricName}|${minute}`;
    const population = this.population.get(key);
    if (population) population[3]++;
    else this.population.set(key, [acl.arn, visibility.MetricName, minute, 1]);
    if (minute !== this.sampledMinute) {
      this.sampled = new Map();
      this.sampledMinute = minute;
    }
    const taken = this.sampled.get(key) ?? 0;
    if (taken >= samplesPerMinute) return;
    this.sampled.set(key, taken + 1);
    this.samples.push([acl.arn, visibility.MetricName, minute, toSample(verdict, action, facts, now, rule)]);
  }

  /** This process's figures since the last call, and a fresh start (a worker's report to its owner). */
  export(): WafReport {
    const report: WafReport = {
      counters: [...this.counters.values()],
      samples: this.samples,
      population: [...this.population.values()],
      rates: [],
    };
    for (const limiter of this.limiters.all()) {
      const deltas = limiter.takeDeltas();
      if (deltas.length > 0) report.rates.push([limiter.id, deltas]);
    }
    this.counters = new Map();
    this.samples = [];
    this.population = new Map();
    return report;
  }

  /** A worker's report, added to this second's (the owner's side); its rate counts go into the owner's limiters. */
  absorb(report: WafReport, now: number): void {
    for (const [region, acl, rule, metric, count] of report.counters) {
      const key = `${acl}|${rule}|${metric}|${region}`;
      const entry = this.counters.get(key);
      if (entry) entry[4] += count;
      else this.counters.set(key, [region, acl, rule, metric, count]);
    }
    for (const sample of report.samples) this.samples.push(sample);
    for (const [acl, metric, minute, count] of report.population) {
      const key = `${acl}|${metric}|${minute}`;
      const entry = this.population.get(key);
      if (entry) entry[3] += count;
      else this.population.set(key, [acl, metric, minute, count]);
    }
    for (const [id, deltas] of report.rates) {
      const limiter = this.limiters.byId(id);
      if (!limiter) continue;
      for (const [key, count] of deltas) limiter.add(key, count, now);
    }
  }

  /** Closes the second: its AWS/WAFV2 counts as samples for the metric store at `timestamp` (Unix seconds). */
  drainMetrics(timestamp: number): Sample[] {
    const samples: Sample[] = [];
    for (const [region, acl, rule, metric, count] of this.counters.values()) {
      samples.push({
        namespace,
        metricName: metric,
        dimensions: [
          { name: "Region", value: region },
          { name: "Rule", value: rule },
          { name: "WebACL", value: acl },
        ],
        timestamp,
        unit: "Count",
        sampleCount: 1,
        sum: count,
        minimum: count,
        maximum: count,
      });
    }
    this.counters = new Map();
    return samples;
  }

  /** The samples since the last call, and every rate-based rule's keys over its limit now. */
  drainSamples(acls: Iterable<CompiledWebAcl>, now: number): WafSampleBatch {
    const batch: WafSampleBatch = {
      samples: this.samples,
      population: [...this.population.values()],
      managedKeys: [],
    };
    this.samples = [];
    this.population = new Map();
    const seen = new Set<CompiledWebAcl>();
    for (const acl of acls) {
      if (seen.has(acl)) continue;
      seen.add(acl);
      for (const rule of acl.rules) {
        if (rule.rateLimiters.length === 0) continue;
        const ipv4: string[] = [];
        const ipv6: string[] = [];
        for (const limiter of rule.rateLimiters) {
          for (const key of limiter.overLimit(now)) {
            // IP keys are addresses (source) or their /32 and /128 forms (forwarded, rate-based.ts).
            const slash = key.indexOf("/");
            const address = parseIp(slash === -1 ? key : key.slice(0, slash));
            if (address?.version === 4) ipv4.push(formatIp(address));
            else if (address) ipv6.push(formatIp(address));
          }
        }
        batch.managedKeys.push([acl.arn, rule.name, ipv4, ipv6]);
      }
    }
    return batch;
  }

  /** The samples since the last call, dropped (a proxy without a sink). */
  discardSamples(): void {
    this.samples = [];
    this.population = new Map();
  }

  /** The owner's verdict for workers: every limiter's keys over the limit by the sum of all workers' counts. */
  sharedOverLimit(now: number): Array<[string, string[]]> {
    const verdict: Array<[string, string[]]> = [];
    for (const limiter of this.limiters.all()) verdict.push([limiter.id, limiter.overLimit(now)]);
    return verdict;
  }

  /** A worker applies its owner's verdict. */
  applyShared(verdict: ReadonlyArray<[string, string[]]>): void {
    for (const [id, keys] of verdict) this.limiters.byId(id)?.setShared(keys);
  }
}

const regionOf = (arn: string): string => arn.split(":")[3] ?? "";

function toSample(
  verdict: WafVerdict,
  action: string,
  facts: SampledFacts,
  now: number,
  rule: CompiledWafRule | undefined,
): WafSampledRequest {
  const headers: Array<{ Name: string; Value: string }> = [];
  const raw = facts.rawHeaders;
  for (let i = 0; i + 1 < raw.length && headers.length < 64; i += 2)
    headers.push({ Name: raw[i] ?? "", Value: raw[i + 1] ?? "" });
  const sample: WafSampledRequest = {
    Request: {
      ClientIP: facts.clientIp,
      // WAF answers a country from its geolocation database; loopback has none.
      Country: "-",
      URI: facts.uri,
      Method: facts.method,
      HTTPVersion: `HTTP/${facts.httpVersion}`,
      Headers: headers,
    },
    Weight: 1,
    Timestamp: now / 1000,
    Action: action,
  };
  if (rule) sample.RuleNameWithinRuleGroup = rule.name;
  if (verdict.action === "BLOCK" && action === "BLOCK" && verdict.response)
    sample.ResponseCodeSent = verdict.response.status;
  if (action !== "BLOCK" && verdict.insertHeaders.length > 0)
    sample.RequestHeadersInserted = verdict.insertHeaders.map(([Name, Value]) => ({ Name, Value }));
  if (verdict.labels.length > 0) sample.Labels = verdict.labels.map((Name) => ({ Name }));
  return sample;
}
