// The instance-metadata service through a real worker and real process-driver instances: an instance
// asks its own service who it is, with curl as an EC2 user-data script would and with the AWS SDK's own
// IMDS client; the service is there before the instance starts, comes back on the same port when the
// worker restarts, and goes when the instance terminates.

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { join } from "node:path";
import { exampleAppPath } from "@scaleout/compute";
import { eventually } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { instancesOf, type System, systemTest as test, waitForInService } from "./helpers.ts";

const curlMissing = !existsSync("/usr/bin/curl") && !existsSync("/bin/curl");
const smithyImds = (() => {
  const api = createRequire(join(import.meta.dirname, "..", "..", "api", "package.json"));
  const sdk = createRequire(api.resolve("@aws-sdk/client-auto-scaling"));
  const provider = createRequire(sdk.resolve("@aws-sdk/credential-provider-node"));
  return provider.resolve("@smithy/credential-provider-imds");
})();
const probe = join(import.meta.dirname, "fixtures", "imds-probe.mjs");

/**
 * What the instance runs: curl through the IMDSv2 token flow, then the SDK's client, each writing what
 * it learnt under $OUT, then the example app (so the instance stays up and answers health checks).
 */
const script = `
set -u
IMDS="$AWS_EC2_METADATA_SERVICE_ENDPOINT"
TOKEN=$(curl -sS -X PUT "\${IMDS}latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
get() { curl -sS -H "X-aws-ec2-metadata-token: $TOKEN" "\${IMDS}latest/$1"; }
ID=$(get meta-data/instance-id)
{
  echo "id=$ID"
  echo "region=$(get meta-data/placement/region)"
  echo "zone=$(get meta-data/placement/availability-zone)"
  echo "state=$(get meta-data/autoscaling/target-lifecycle-state)"
  echo "ami=$(get meta-data/ami-id)"
  echo "v1=$(curl -s -o /dev/null -w '%{http_code}' "\${IMDS}latest/meta-data/instance-id")"
  echo "missing=$(curl -s -o /dev/null -w '%{http_code}' -H "X-aws-ec2-metadata-token: $TOKEN" "\${IMDS}latest/meta-data/nothing")"
  echo "endpoint=$AWS_ENDPOINT_URL"
  echo "key=\${AWS_ACCESS_KEY_ID:-}"
} > "$OUT/$ID.tmp"
get user-data > "$OUT/$ID.user-data"
# botocore's own IMDS client, where Python has it (the region from placement/availability-zone/).
python3 -c 'import botocore.session, botocore.utils as u; print(u.IMDSRegionProvider(botocore.session.get_session()).provide())' \
  > "$OUT/$ID.botocore" 2>/dev/null || echo unavailable > "$OUT/$ID.botocore"
mv "$OUT/$ID.tmp" "$OUT/$ID.curl"
"${process.execPath}" "${probe}"
exec "${process.execPath}" "${exampleAppPath}"
`;

function createMetadataGroup(system: System, out: string): string {
  const group = system.groupName("imds");
  system.services.launchTemplates.create({
    launchTemplateName: `tpl-${group}`,
    command: ["/bin/sh", "-c", script],
    environment: { OUT: out, SMITHY_IMDS: smithyImds },
  });
  system.services.groups.create({
    autoScalingGroupName: group,
    launchTemplate: { launchTemplateName: `tpl-${group}` },
    minSize: 0,
    maxSize: 2,
    desiredCapacity: 0,
  });
  return group;
}

function parseLines(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

/** The file an instance writes, once it is complete. */
function waitForFile(path: string, timeoutMs = 20_000): Promise<string> {
  return eventually(() => (existsSync(path) ? readFileSync(path, "utf8") : undefined), {
    timeoutMs,
    message: `${path} written by the instance`,
  });
}

/** Whether anything accepts connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function imds(port: number, path: string, init: RequestInit = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { ...init, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.text() };
}

async function token(port: number): Promise<string> {
  const answer = await imds(port, "/latest/api/token", {
    method: "PUT",
    headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" },
  });
  expect(answer.status).toBe(200);
  return answer.body;
}

describe("instance metadata (process driver)", () => {
  test("an instance learns who it is through IMDSv2, with curl and with the SDK's IMDS client", async ({
    system,
    dataDir,
    skip,
  }) => {
    if (curlMissing) {
      if (process.env.CI === "true") throw new Error("CI=true but curl is missing (.ci/run installs it)");
      skip("curl is not installed");
    }
    const out = join(dataDir, "imds-out");
    mkdirSync(out, { recursive: true });
    await system.startWorker();
    const group = createMetadataGroup(system, out);
    system.services.groups.setDesiredCapacity(group, { desiredCapacity: 1 });
    const [instance] = await waitForInService(system, group, 1);
    if (!instance) throw new Error("no instance");

    const curl = parseLines(await waitForFile(join(out, `${instance.instanceId}.curl`)));
    expect(curl).toMatchObject({
      id: instance.instanceId,
      region: system.settings.partition.region,
      zone: `${system.settings.partition.region}a`,
      state: "InService",
      v1: "401",
      missing: "404",
      endpoint: `http://127.0.0.1:${system.settings.api.port}`,
      key: "AKIASCALEOUTINSTANCE",
    });
    expect(curl.ami).toMatch(/^ami-[0-9a-f]{17}$/);
    // The template's UserData as EC2 stores it (here the JSON form: the template has variables).
    const userData = JSON.parse(readFileSync(join(out, `${instance.instanceId}.user-data`), "utf8"));
    expect(userData).toEqual({
      command: ["/bin/sh", "-c", script],
      environment: { OUT: out, SMITHY_IMDS: smithyImds },
    });

    const botocore = readFileSync(join(out, `${instance.instanceId}.botocore`), "utf8").trim();
    if (botocore !== "unavailable") expect(botocore).toBe(system.settings.partition.region);

    const smithy = JSON.parse(await waitForFile(join(out, `${instance.instanceId}.smithy.json`)));
    expect(smithy).toMatchObject({
      instanceId: instance.instanceId,
      documentInstanceId: instance.instanceId,
      region: system.settings.partition.region,
      endpoint: { hostname: "127.0.0.1" },
    });
  });

  test("the service opens before launch, survives a worker restart on its port, and closes at termination", async ({
    system,
    dataDir,
  }) => {
    const out = join(dataDir, "imds-out");
    mkdirSync(out, { recursive: true });
    const worker = await system.startWorker();
    const group = createMetadataGroup(system, out);
    system.services.groups.setDesiredCapacity(group, { desiredCapacity: 1 });
    const [instance] = await waitForInService(system, group, 1);
    if (!instance) throw new Error("no instance");
    const port = worker.metadata.served().get(instance.instanceId);
    if (port === undefined) throw new Error("the instance has no metadata port");
    expect(port).not.toBe(instance.port);

    const before = await token(port);
    const headers = (t: string) => ({ headers: { "x-aws-ec2-metadata-token": t } });
    expect(await imds(port, "/latest/meta-data/instance-id", headers(before))).toEqual({
      status: 200,
      body: instance.instanceId,
    });

    // A new worker serves the same instance on the same port; the old worker's tokens are refused (the
    // SDKs and the CLI ask for a new one on 401).
    await system.stopWorker();
    expect(await accepts(port)).toBe(false);
    const next = await system.startWorker();
    expect(next.metadata.served().get(instance.instanceId)).toBe(port);
    expect((await imds(port, "/latest/meta-data/instance-id", headers(before))).status).toBe(401);
    const after = await token(port);
    expect(await imds(port, "/latest/meta-data/instance-id", headers(after))).toEqual({
      status: 200,
      body: instance.instanceId,
    });

    system.services.groups.setDesiredCapacity(group, { desiredCapacity: 0 });
    await eventually(() => (instancesOf(system, group).length === 0 ? true : undefined), {
      timeoutMs: 20_000,
      message: "the instance terminated",
    });
    await eventually(async () => ((await accepts(port)) ? undefined : true), {
      timeoutMs: 10_000,
      message: `the metadata port ${port} closed`,
    });
  });
});
