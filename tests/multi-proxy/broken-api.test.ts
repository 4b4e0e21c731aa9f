import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { freePort } from "@scaleout/queue";
import { eventually } from "@scaleout/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { get, type RemoteProxyProcess, spawnRemoteProxy } from "./fixtures.ts";

/*
 * A proxy fed by an api that goes wrong: snapshots of the wrong shape, that do not compile, that are not
 * JSON; garbage health; a snapshot endpoint that answers nonsense or 500; reports refused with 500. The
 * proxy keeps serving its last good configuration, stays up, and takes the next good one.
 */

const lbArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/0123456789abcdef";
const listenerArn =
  "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef";

function registry(version: number, port: number, body: string, conditions: unknown = []) {
  return {
    version,
    loadBalancers: [
      { arn: lbArn, name: "web", type: "application", state: "active", stateReason: null, attributes: {} },
    ],
    listeners: [
      {
        arn: listenerArn,
        loadBalancerArn: lbArn,
        protocol: "HTTP",
        port,
        sslPolicy: null,
        certificates: null,
        alpnPolicy: null,
        attributes: {},
      },
    ],
    rules: [
      {
        arn: `${listenerArn.replace(":listener/", ":listener-rule/")}/0000000000000001`,
        listenerArn,
        priority: null,
        conditions,
        actions: [{ type: "fixed-response", fixedResponseConfig: { statusCode: "200", messageBody: body } }],
      },
    ],
    targetGroups: [],
    actionTargetGroups: [],
    targets: [],
    instances: [],
    listenerCertificates: [],
    certificates: [],
    webAclAssociations: [],
    ipSets: [],
    webAcls: [],
  };
}

let port: number;
let proxy: RemoteProxyProcess;
let stream: ServerResponse | undefined;
let snapshotAnswer: (res: ServerResponse) => void;
const server = createServer((req, res) => {
  const path = new URL(req.url ?? "/", "http://api").pathname;
  if (path === "/v1/proxy/changes") {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(`event: hello\ndata: ${JSON.stringify({ version: 1, seq: 0, health: [] })}\n\n`);
    res.write(`event: snapshot\ndata: ${JSON.stringify(registry(1, port, "good 1"))}\n\n`);
    stream = res;
    return;
  }
  if (path === "/v1/proxy/snapshot") return snapshotAnswer(res);
  if (path === "/v1/proxy/lease") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"held": "yes", "ttlMs": -1}');
    return;
  }
  res.writeHead(500);
  res.end("broken");
});

beforeAll(async () => {
  port = await freePort();
  snapshotAnswer = (res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(registry(1, port, "good 1")));
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy = spawnRemoteProxy(api, "127.0.0.2", "broken-api");
  await eventually(async () => ((await get("127.0.0.2", port, "/")).body === "good 1" ? true : undefined), {
    timeoutMs: 20_000,
    message: "the proxy serving the first snapshot",
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${proxy.output()}`);
  });
}, 40_000);

afterAll(async () => {
  await proxy?.stop();
  stream?.destroy();
  server.closeAllConnections();
  server.close();
});

it("keeps serving its last configuration through a broken api, and takes the next good one", async () => {
  const push = (event: string, data: string) => stream?.write(`event: ${event}\ndata: ${data}\n\n`);
  push("snapshot", JSON.stringify({ version: 2, listeners: "nope" }));
  push("snapshot", "not json at all");
  push("snapshot", JSON.stringify({ ...registry(3, 99_999, "bad port") }));
  // The right shape, but a document that does not compile: the whole snapshot is refused.
  push("snapshot", JSON.stringify(registry(4, port, "bad rule", [{ field: "path-pattern", values: "x" }])));
  push("health", JSON.stringify({ seq: 1, entries: [["g", 1, {}, null]] }));
  push("health", "[[[[[[");
  // Announced without a body: the fetch answers nonsense, then an error.
  snapshotAnswer = (res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"version": 5, "loadBalancers": {}}');
  };
  push("version", JSON.stringify({ version: 5 }));
  await new Promise((r) => setTimeout(r, 300));
  snapshotAnswer = (res) => {
    res.writeHead(500);
    res.end();
  };
  push("version", JSON.stringify({ version: 6 }));
  await new Promise((r) => setTimeout(r, 600));
  for (let i = 0; i < 5; i++) expect((await get("127.0.0.2", port, "/")).body).toBe("good 1");
  expect(proxy.child.exitCode).toBeNull();
  expect(proxy.output()).toMatch(/cannot use|could not read the registry/);

  push("snapshot", JSON.stringify(registry(7, port, "good 7")));
  await eventually(async () => ((await get("127.0.0.2", port, "/")).body === "good 7" ? true : undefined), {
    timeoutMs: 5000,
    message: "the next good snapshot",
  });
  expect(proxy.child.exitCode).toBeNull();
});
