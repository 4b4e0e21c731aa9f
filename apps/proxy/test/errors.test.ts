import { Agent } from "node:http";
import { connect, type Socket } from "node:net";
import { Worker } from "node:worker_threads";
import { eventually } from "@scaleout/testing";
import { describe, expect } from "vitest";
import {
  countByTarget,
  createHarness,
  forward,
  load,
  loopback,
  send,
  sleep,
  startRawServer,
  proxyTest as test,
} from "./helpers.ts";

/** The load balancer's own error page (ALB's, with Server: awselb/2.0). */
function expectElbError(
  reply: { status: number; headers: Record<string, unknown>; body: string },
  status: number,
) {
  expect(reply.status).toBe(status);
  expect(reply.headers.server).toBe("awselb/2.0");
  expect(reply.body).toContain(`<h1>${status}`);
}

/**
 * A loopback listener that never accepts: its socket listens with a backlog of 1 in a worker thread whose
 * event loop is then blocked, and the test fills the kernel's accept queue. Further SYNs are dropped, so a
 * connect() to it hangs: a real connect timeout without sending anything off the host.
 */
async function startBlackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `
    const { createServer } = require("node:net");
    const { parentPort, workerData } = require("node:worker_threads");
    const server = createServer(() => {});
    server.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {
      parentPort.postMessage(server.address().port);
      // Block this thread's event loop: nothing is accepted until the test lets go.
      Atomics.wait(workerData.flag, 0, 0);
      server.close();
    });
    `,
    { eval: true, workerData: { flag } },
  );
  const port = await new Promise<number>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  const fillers: Socket[] = [];
  // Fill the accept queue: connections complete until it is full, then the next one hangs.
  for (let i = 0; i < 16; i++) {
    const socket = connect(port, loopback);
    socket.on("error", () => {});
    fillers.push(socket);
    const connected = await Promise.race([
      new Promise<boolean>((resolve) => socket.once("connect", () => resolve(true))),
      sleep(300).then(() => false),
    ]);
    if (!connected) break;
  }
  return {
    port,
    close: async () => {
      for (const socket of fillers) socket.destroy();
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      await worker.terminate();
    },
  };
}

describe("the load balancer's own errors", () => {
  test("503 when the target group has no registered targets", async ({ env }) => {
    const { port } = await env.h.simple([]);
    expectElbError(await send(port), 503);
  });

  test("502 when the only target refuses the connection (the one retry fails too)", async ({ env }) => {
    const a = await env.target("a");
    const { port } = await env.h.simple([a]);
    await a.close();
    await sleep(50);
    expectElbError(await send(port), 502);
    expectElbError(
      await send(port, "/", { method: "POST", body: "payload", headers: { "content-type": "text/plain" } }),
      502,
    );
  });

  test("502 when the target resets the connection mid-request", async ({ env }) => {
    const raw = await startRawServer((socket) => {
      socket.once("data", () => socket.resetAndDestroy());
    });
    env.defer(() => raw.close());
    const { port } = await env.h.simple([raw], { waitHealthy: false });
    expectElbError(await send(port), 502);
  });

  test("502 when the target answers garbage", async ({ env }) => {
    const raw = await startRawServer((socket) => {
      socket.once("data", () => socket.end("nonsense\r\n\r\n"));
    });
    env.defer(() => raw.close());
    const { port } = await env.h.simple([raw], { waitHealthy: false });
    expectElbError(await send(port), 502);
  });

  test("a response header node:http refuses to send is a 502, and the next request is served", async ({
    env,
  }) => {
    // Each of these made res.writeHead throw inside the upstream socket's data listener and killed the process.
    const heads = ["x-bad: a\x01b", "bad name: x", "x(y): z", "x-cr: a\rb"];
    let next = 0;
    const raw = await startRawServer((socket) => {
      socket.on("data", (chunk: Buffer) => {
        const requestLine = chunk.toString("latin1");
        if (requestLine.startsWith("GET /health")) {
          socket.write("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        } else if (requestLine.startsWith("GET /good")) {
          socket.write("HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\ngood");
        } else {
          const header = heads[next++ % heads.length];
          socket.write(`HTTP/1.1 200 OK\r\n${header}\r\ncontent-length: 2\r\n\r\nok`);
        }
      });
    });
    env.defer(() => raw.close());
    const { port } = await env.h.simple([raw], { waitHealthy: false });
    for (let i = 0; i < heads.length; i++) {
      const reply = await send(port, `/bad-${i}`);
      // Some of these the proxy's own parser already refuses; either way the answer is ALB's 502.
      expectElbError(reply, 502);
      const good = await send(port, "/good");
      expect(good.status).toBe(200);
      expect(good.body).toBe("good");
    }
  });

  test("504 when the target is slower than the load balancer's idle timeout", async ({ env }) => {
    const { h } = env;
    const slow = await env.target("slow");
    const { port } = await h.simple([slow]);
    h.services.loadBalancers.modifyAttributes("web", [{ key: "idle_timeout.timeout_seconds", value: "1" }]);
    await h.reload();
    expect((await send(port, "/?delay=200")).status).toBe(200);
    const started = Date.now();
    expectElbError(await send(port, "/?delay=3000"), 504);
    const elapsed = Date.now() - started;
    // The load balancer gave up after its 1 s, well before the target would have answered.
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2500);
  });

  test("504 when the connection to the target times out", async ({ env, dataDir }) => {
    const hole = await startBlackHole();
    env.defer(() => hole.close());
    // ALB waits 10 s for a target's connection; a 1 s budget keeps the test short, the hang is real.
    const h = await createHarness(`${dataDir}/connect-timeout`, { connectTimeoutMs: 1000 });
    env.defer(() => h.close());
    const lb = h.loadBalancer();
    const tg = h.targetGroup("tg", [hole], {
      healthCheck: { healthCheckIntervalSeconds: 30, healthCheckTimeoutSeconds: 5 },
    });
    const { port } = await h.listener(lb, forward(tg));
    await h.reload();
    const started = Date.now();
    expectElbError(await send(port), 504);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(3000);
    await eventually(() => h.accessLogLines().at(-1), { message: "the access log line" });
    expect(h.accessLogLines().at(-1)).toContain('"TargetConnectionTimeout"');
  });

  test("463 for more than 30 addresses in X-Forwarded-For", async ({ env }) => {
    const a = await env.target("a");
    const { port } = await env.h.simple([a]);
    const addresses = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i + 1}`).join(", ");
    expect((await send(port, "/", { headers: { "x-forwarded-for": addresses(30) } })).status).toBe(200);
    expect((await send(port, "/", { headers: { "x-forwarded-for": addresses(31) } })).status).toBe(463);
    expect(a.hits).toBe(1);
  });

  test("a connection refused before any byte was sent is retried once on another target", async ({ env }) => {
    const { h } = env;
    const [up, down] = await Promise.all([env.target("up"), env.target("down")]);
    // Long health check interval: the proxy still believes the closed target healthy.
    const { port } = await h.simple([up, down], { healthCheck: { healthCheckIntervalSeconds: 30 } });
    await down.close();
    await sleep(50);
    const replies = await load(20, 1, () => send(port));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(countByTarget(replies)).toEqual({ up: 20 });
    // Requests with a body too: nothing was read from the client before the refusal.
    const posts = await load(6, 2, () =>
      send(port, "/", { method: "POST", body: "x".repeat(1000), headers: { "content-type": "text/plain" } }),
    );
    expect(posts.every((r) => r.status === 200 && r.target === "up")).toBe(true);
  });

  test("a retried request carries the stickiness cookie of the target that answered", async ({ env }) => {
    const { h } = env;
    const [up, down] = await Promise.all([env.target("up"), env.target("down")]);
    up.setCookie = "session=up";
    const { port } = await h.simple([up, down], {
      healthCheck: { healthCheckIntervalSeconds: 30 },
      attributes: {
        "stickiness.enabled": "true",
        "stickiness.type": "app_cookie",
        "stickiness.app_cookie.cookie_name": "session",
      },
    });
    await down.close();
    await sleep(50);
    const agent = new Agent({ keepAlive: false });
    for (let i = 0; i < 4; i++) {
      const reply = await send(port, "/", { agent });
      const appCookies = [reply.headers["set-cookie"] ?? []]
        .flat()
        .filter((c) => c.startsWith("AWSALBAPP-0="));
      expect(appCookies, "one AWSALBAPP-0, naming the target that answered").toHaveLength(1);
      const pinned = await send(port, "/", {
        headers: { cookie: `session=up; ${appCookies[0]?.split(";")[0]}` },
      });
      expect(pinned.status).toBe(200);
      expect(pinned.target).toBe("up");
    }
  });
});
