// GET /v1/events: server-sent events over the Redis events stream, read with a plain HTTP client. The
// api alone (no worker): events are published through the services' ChangeEvents as the worker would.
import { eventually, integrationTest as test } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { openEvents } from "./event-stream-client.ts";
import { startWorkerSystem, type WorkerSystem } from "./worker-system.ts";

function publish(system: WorkerSystem, group: string, n: number): void {
  system.services.ctx.events.published({
    "detail-type": "EC2 Instance-launch Lifecycle Action",
    source: "aws.autoscaling",
    resources: [
      `arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/${group}`,
    ],
    detail: { AutoScalingGroupName: group, n },
  });
}

async function status(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const result = { status: res.status, body: res.status === 200 ? "" : await res.text() };
  controller.abort();
  return result;
}

describe("GET /v1/events", () => {
  test("live events with their stream ids, filters, resume by Last-Event-ID and ?after=, heartbeat comments", async ({
    redisUrl,
    prefix,
    dataDir,
  }) => {
    const system = await startWorkerSystem({
      redisUrl,
      prefix,
      dataDir,
      worker: false,
      heartbeatMs: 200,
      allowedOrigins: ["http://console.test"],
    });
    try {
      const all = await openEvents(system.endpoint, "");
      const web = await openEvents(system.endpoint, "?group=web");
      await Promise.all([all.connected, web.connected]);
      publish(system, "web", 1);
      publish(system, "db", 2);
      publish(system, "web", 3);
      await eventually(() => (all.messages.length === 3 ? true : undefined), { message: "three events" });
      await eventually(() => (web.messages.length === 2 ? true : undefined), { message: "two web events" });
      expect(all.messages.map((m) => (m.data.detail as { n: number }).n)).toEqual([1, 2, 3]);
      expect(web.messages.map((m) => (m.data.detail as { n: number }).n)).toEqual([1, 3]);
      const [first] = all.messages;
      expect(first?.id).toMatch(/^\d+-\d+$/);
      expect(first?.data).toMatchObject({
        version: "0",
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        "detail-type": "EC2 Instance-launch Lifecycle Action",
        source: "aws.autoscaling",
        account: expect.any(String),
        region: expect.any(String),
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      });
      await eventually(() => (all.comments.includes("heartbeat") ? true : undefined), {
        message: "a heartbeat",
      });

      // Resume after the first: the two that followed, then live ones.
      const byHeader = await openEvents(system.endpoint, "", { "last-event-id": first?.id ?? "" });
      const byQuery = await openEvents(system.endpoint, `?after=${first?.id ?? ""}&group=db`);
      await Promise.all([byHeader.connected, byQuery.connected]);
      expect(byHeader.messages.map((m) => (m.data.detail as { n: number }).n)).toEqual([2, 3]);
      expect(byQuery.messages.map((m) => (m.data.detail as { n: number }).n)).toEqual([2]);
      publish(system, "db", 4);
      await eventually(() => (byHeader.messages.length === 3 ? true : undefined), {
        message: "a live event",
      });
      await eventually(() => (byQuery.messages.length === 2 ? true : undefined), {
        message: "a live db event",
      });
      for (const stream of [all, web, byHeader, byQuery]) stream.close();

      // A page of an allowed origin may follow the stream (EventSource): the CORS header comes with it.
      const controller = new AbortController();
      const cors = await fetch(`${system.endpoint}/v1/events`, {
        headers: { origin: "http://console.test" },
        signal: controller.signal,
      });
      expect(cors.headers.get("access-control-allow-origin")).toBe("http://console.test");
      expect(cors.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
      controller.abort();

      const bad = await status(`${system.endpoint}/v1/events`, { "last-event-id": "yesterday" });
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body)).toMatchObject({ code: "ValidationError" });
    } finally {
      await system.close();
    }
  });

  test("bounded clients, the API token, and a shutdown that ends open streams instead of waiting for them", async ({
    redisUrl,
    prefix,
    dataDir,
  }) => {
    const system = await startWorkerSystem({
      redisUrl,
      prefix,
      dataDir,
      worker: false,
      maxClients: 2,
      apiToken: "sesame",
    });
    let closed = false;
    try {
      const auth = { authorization: "Bearer sesame" };
      expect((await status(`${system.endpoint}/v1/events`)).status).toBe(401);
      const one = await openEvents(system.endpoint, "", auth);
      const two = await openEvents(system.endpoint, "", auth);
      await Promise.all([one.connected, two.connected]);
      const third = await status(`${system.endpoint}/v1/events`, auth);
      expect(third.status).toBe(503);
      expect(JSON.parse(third.body)).toMatchObject({ code: "ServiceUnavailable" });
      // A client that leaves frees its place.
      one.close();
      await eventually(
        async () => {
          const again = await openEvents(system.endpoint, "", auth).catch(() => undefined);
          if (!again) return undefined;
          await again.connected;
          return again;
        },
        { message: "a free place" },
      );
      const started = Date.now();
      await system.close();
      closed = true;
      await two.ended;
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      if (!closed) await system.close();
    }
  });

  test("a client that stops reading is dropped once 1 MB waits for it, and resumes with Last-Event-ID", async ({
    redisUrl,
    prefix,
    dataDir,
  }) => {
    const system = await startWorkerSystem({ redisUrl, prefix, dataDir, worker: false, maxClients: 1 });
    try {
      const slow = await openEvents(system.endpoint, "");
      await slow.connected;
      slow.pause();
      const padding = "x".repeat(64 * 1024);
      const count = 200; // 13 MB: more than the socket buffers and the 1 MB the api keeps for a client
      for (let n = 0; n < count; n++) {
        system.services.ctx.events.published({
          "detail-type": "Test",
          source: "test",
          resources: [],
          detail: { n, padding },
        });
      }
      // Its place frees up (maxClients 1) once the api has dropped it.
      await eventually(
        async () => ((await status(`${system.endpoint}/v1/events`)).status === 200 ? true : undefined),
        {
          timeoutMs: 20_000,
          message: "the slow client dropped",
        },
      );
      slow.resume();
      await slow.ended;
      expect(slow.messages.length).toBeLessThan(count);
      // What it missed is still in the stream. A client paused at once may have parsed nothing before it
      // was dropped: it then resumes from the stream's start (0-0), as an EventSource would not, but the
      // point is the same: the events are there to be replayed.
      const last = slow.messages[slow.messages.length - 1];
      const again = await openEvents(system.endpoint, "", { "last-event-id": last ? last.id : "0-0" });
      await again.connected;
      await eventually(
        async () => (again.messages.length + slow.messages.length >= count ? true : undefined),
        { timeoutMs: 20_000, message: "the missed events replayed" },
      );
      expect(again.messages.length + slow.messages.length).toBe(count);
      again.close();
    } finally {
      await system.close();
    }
  });
});
