import { configEtag } from "@scaleout/core";
import type { RegistryData } from "@scaleout/db";
import type { SnapshotSource } from "../snapshot-source.ts";
import type { ApiClient } from "./api-client.ts";
import { checkRegistryData } from "./registry-data-check.ts";

/**
 * Snapshots pushed in the change stream (`take`), else from GET /v1/proxy/snapshot, asked with the ETag
 * of the version routed on.
 */
export function apiSource(
  client: ApiClient,
  take: () => RegistryData | undefined = () => undefined,
): SnapshotSource {
  return {
    read: async (version: number): Promise<RegistryData | "unchanged"> => {
      const pushed = take();
      if (pushed) return pushed.version === version ? "unchanged" : pushed;
      const headers: Record<string, string> = version >= 0 ? { "if-none-match": configEtag(version) } : {};
      const answer = await client.get("v1/proxy/snapshot", headers);
      if (answer.status === 304) return "unchanged";
      if (answer.status !== 200)
        throw new Error(`GET /v1/proxy/snapshot answered ${answer.status}: ${answer.body.slice(0, 200)}`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(answer.body);
      } catch {
        throw new Error("GET /v1/proxy/snapshot did not answer JSON");
      }
      const data = checkRegistryData(parsed);
      if (typeof data === "string") throw new Error(`GET /v1/proxy/snapshot: ${data}`);
      return data;
    },
  };
}
