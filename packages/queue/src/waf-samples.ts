import type { WafSampledRequest } from "@scaleout/core";
import type { Redis } from "ioredis";

export type { WafSampledRequest };

/**
 * AWS WAF's data-plane state that the api reads (GetSampledRequests, GetRateBasedStatementManagedKeys),
 * kept in Redis by the proxy. Samples: per web ACL, rule metric name and minute, a list capped at
 * `samplesPerMinute` with a population counter beside it, both expiring after three hours, as WAF keeps
 * samples. Managed keys: per web ACL and rule, the keys over the limit now, rewritten every second and
 * expiring a few seconds after the proxy stops writing them.
 */

export interface WafSampleBatch {
  /** [web ACL ARN, rule metric name, minute (epoch minutes), sample] */
  samples: Array<[string, string, number, WafSampledRequest]>;
  /** [web ACL ARN, rule metric name, minute, requests seen] */
  population: Array<[string, string, number, number]>;
  /** [web ACL ARN, rule name, IPv4 CIDRs, IPv6 CIDRs]: every rate-based rule, also when empty. */
  managedKeys: Array<[string, string, string[], string[]]>;
}

export const samplesPerMinute = 100;
const sampleTtlSeconds = 3 * 60 * 60;
const managedKeysTtlSeconds = 10;

const samplesKey = (prefix: string, acl: string, metric: string, minute: number) =>
  `${prefix}:waf:samples:${acl}:${metric}:${minute}`;
const populationKey = (prefix: string, acl: string, metric: string, minute: number) =>
  `${prefix}:waf:population:${acl}:${metric}:${minute}`;
const managedKey = (prefix: string, acl: string, rule: string) => `${prefix}:waf:managed:${acl}:${rule}`;

export async function writeWafSamples(redis: Redis, prefix: string, batch: WafSampleBatch): Promise<void> {
  if (batch.samples.length === 0 && batch.population.length === 0 && batch.managedKeys.length === 0) return;
  const multi = redis.multi();
  for (const [acl, metric, minute, sample] of batch.samples) {
    const key = samplesKey(prefix, acl, metric, minute);
    multi
      .rpush(key, JSON.stringify(sample))
      .ltrim(key, 0, samplesPerMinute - 1)
      .expire(key, sampleTtlSeconds);
  }
  for (const [acl, metric, minute, count] of batch.population) {
    const key = populationKey(prefix, acl, metric, minute);
    multi.incrby(key, count).expire(key, sampleTtlSeconds);
  }
  for (const [acl, rule, v4, v6] of batch.managedKeys)
    multi.set(managedKey(prefix, acl, rule), JSON.stringify([v4, v6]), "EX", managedKeysTtlSeconds);
  await multi.exec();
}

/** The samples and population of the minutes that overlap [startSeconds, endSeconds], oldest minute first. */
export async function readWafSamples(
  redis: Redis,
  prefix: string,
  acl: string,
  metric: string,
  startSeconds: number,
  endSeconds: number,
): Promise<{ samples: WafSampledRequest[]; population: number }> {
  const first = Math.floor(startSeconds / 60);
  const last = Math.floor(endSeconds / 60);
  const minutes: number[] = [];
  for (let m = first; m <= last && minutes.length <= 3 * 60; m++) minutes.push(m);
  if (minutes.length === 0) return { samples: [], population: 0 };
  const multi = redis.multi();
  for (const m of minutes) multi.lrange(samplesKey(prefix, acl, metric, m), 0, -1);
  for (const m of minutes) multi.get(populationKey(prefix, acl, metric, m));
  const results = (await multi.exec()) ?? [];
  const samples: WafSampledRequest[] = [];
  let population = 0;
  results.forEach(([error, value], i) => {
    if (error) return;
    if (i < minutes.length) {
      for (const text of Array.isArray(value) ? value : []) {
        try {
          const sample = JSON.parse(String(text)) as WafSampledRequest;
          if (sample.Timestamp >= startSeconds && sample.Timestamp <= endSeconds) samples.push(sample);
        } catch {
          // A foreign value: skipped.
        }
      }
    } else population += Number(value ?? 0) || 0;
  });
  return { samples, population };
}

/** The keys a rate-based rule has over its limit now: [IPv4 CIDRs, IPv6 CIDRs]. */
export async function readWafManagedKeys(
  redis: Redis,
  prefix: string,
  acl: string,
  rule: string,
): Promise<{ ipv4: string[]; ipv6: string[] } | undefined> {
  const value = await redis.get(managedKey(prefix, acl, rule));
  if (value === null) return undefined;
  try {
    const [ipv4, ipv6] = JSON.parse(value) as [string[], string[]];
    return { ipv4, ipv6 };
  } catch {
    return undefined;
  }
}

/** The api's reader of this state (the services' WafStateReader, structurally). Redis down: nothing to read. */
export function redisWafState(redis: Redis, prefix: string) {
  return {
    samples: (acl: string, metric: string, start: number, end: number) =>
      readWafSamples(redis, prefix, acl, metric, start, end).catch(() => ({ samples: [], population: 0 })),
    managedKeys: (acl: string, rule: string) =>
      readWafManagedKeys(redis, prefix, acl, rule).catch(() => undefined),
  };
}
