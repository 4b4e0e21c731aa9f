import type { ServerResponse } from "node:http";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type EventFollower, isStreamId, type StreamEvent } from "@scaleout/queue";
import { Type } from "@sinclair/typebox";
import { errorRef } from "../schemas/common.ts";
import { openEventStream } from "./event-stream.ts";

/*
 * GET /v1/events: the events stream as server-sent events. Each event is the JSON EventBridge delivers
 * (lifecycle actions, instance launches and terminations), `id:` its Redis stream id, so a client that
 * reconnects with Last-Event-ID (or ?after=) resumes where it left off, as far back as the capped stream
 * keeps. One follower per api process reads Redis (event-follower.ts); this fans it out.
 */

export interface EventStreamOptions {
  follower: EventFollower;
  /** Open streams one api process serves; more answer 503. */
  maxClients?: number;
  /** A comment line this often keeps proxies and idle timeouts from closing a quiet stream. */
  heartbeatMs?: number;
}

/** Bytes a slow client may have queued before it is dropped (it reconnects with Last-Event-ID). */
const maxQueuedBytes = 1024 * 1024;
/** Missed events replayed on resume, at most (the stream keeps 10,000), read this many at a time. */
const maxReplay = 10_000;
const replayPage = 100;
/** Live events held while a resuming client catches up; beyond, it is dropped and starts again. */
const maxBacklog = 10_000;

/** Resolves once the response's queued bytes have gone to the socket, or the response is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => {
      res.off("drain", finish);
      res.off("close", finish);
      resolve();
    };
    res.on("drain", finish);
    res.on("close", finish);
  });
}

const Query = Type.Object(
  {
    after: Type.Optional(
      Type.String({ maxLength: 41, description: "Resume after this stream id (as Last-Event-ID does)" }),
    ),
    "detail-type": Type.Optional(
      Type.String({
        maxLength: 128,
        description: 'Only this detail-type, e.g. "EC2 Instance-launch Lifecycle Action"',
      }),
    ),
    group: Type.Optional(
      Type.String({ maxLength: 255, description: "Only events of this Auto Scaling group" }),
    ),
  },
  { additionalProperties: false },
);

export const eventRoutes: FastifyPluginAsyncTypebox<{ events?: EventStreamOptions }> = async (
  app,
  { events },
) => {
  const clients = new Set<ServerResponse>();
  const maxClients = events?.maxClients ?? 100;
  const heartbeatMs = events?.heartbeatMs ?? 15_000;
  let closing = false;

  // Open streams never end by themselves: without this, closing the server would wait for them for ever.
  app.addHook("preClose", async () => {
    closing = true;
    for (const res of clients) res.end();
    clients.clear();
    events?.follower.close();
  });

  app.get(
    "/events",
    {
      schema: {
        tags: ["Events"],
        summary:
          "Server-sent events: lifecycle action notifications and instance launch/terminate events, as EventBridge delivers them",
        description:
          "`text/event-stream`. Each message's `data` is one EventBridge event (version, id, detail-type, source, account, time, region, resources, detail) and its `id` the stream id; reconnect with `Last-Event-ID` (or `?after=`) to resume. A comment line arrives every 15 s.",
        querystring: Query,
        headers: Type.Object({
          "last-event-id": Type.Optional(
            Type.String({
              maxLength: 41,
              description: "Resume after this stream id (what EventSource sends)",
            }),
          ),
        }),
        produces: ["text/event-stream"],
        response: {
          200: Type.String({ description: "text/event-stream" }),
          400: errorRef,
          401: errorRef,
          503: errorRef,
        },
      },
    },
    async (request, reply) => {
      const resumeFrom = request.query.after ?? request.headers["last-event-id"];
      if (resumeFrom !== undefined && !isStreamId(resumeFrom)) {
        return reply
          .code(400)
          .send({ code: "ValidationError", message: `'${resumeFrom}' is not an event id (<ms>-<seq>)` });
      }
      if (!events || closing) {
        return reply
          .code(503)
          .send({ code: "ServiceUnavailable", message: "The events stream is not available (no Redis)" });
      }
      if (clients.size >= maxClients) {
        return reply
          .code(503)
          .header("retry-after", "5")
          .send({
            code: "ServiceUnavailable",
            message: `Too many open event streams (at most ${maxClients})`,
          });
      }
      const { follower } = events;
      const detailType = request.query["detail-type"];
      const group = request.query.group;
      const wanted = ({ event }: StreamEvent) => {
        if (detailType !== undefined && event["detail-type"] !== detailType) return false;
        if (group === undefined) return true;
        const detail = event.detail;
        return typeof detail === "object" && detail !== null && "AutoScalingGroupName" in detail
          ? detail.AutoScalingGroupName === group
          : false;
      };

      const res = openEventStream(request, reply);
      clients.add(res);

      // Nothing is written once the response has ended (a slow client dropped, a shutdown): a write after
      // end would be an error event.
      const write = (text: string) => {
        if (!res.writableEnded && !res.destroyed) res.write(text);
      };
      let lastSent = resumeFrom;
      // Live entries wait here until the missed ones have been sent, so the order holds.
      let backlog: StreamEvent[] | undefined = [];
      const send = (entry: StreamEvent) => {
        if (lastSent !== undefined && compareIds(entry.id, lastSent) <= 0) return;
        lastSent = entry.id;
        if (!wanted(entry)) return;
        write(`id: ${entry.id}\ndata: ${JSON.stringify(entry.event)}\n\n`);
        // Dropped, not ended: an end would wait behind the queued bytes, which are what must go.
        if (res.writableLength > maxQueuedBytes) res.destroy();
      };
      const unsubscribe = follower.subscribe((entry) => {
        if (!backlog) send(entry);
        else if (backlog.length < maxBacklog) backlog.push(entry);
        // A replay this far behind the live stream will not catch up: the client starts again.
        else res.destroy();
      });
      const heartbeat = setInterval(() => write(": heartbeat\n\n"), heartbeatMs);
      const done = () => {
        clearInterval(heartbeat);
        unsubscribe();
        clients.delete(res);
      };
      res.once("close", done);
      res.on("error", done);
      /** Sends entries at the pace the client reads them (a replay can be much more than the 1 MB budget). */
      const deliver = async (entries: StreamEvent[]) => {
        for (const entry of entries) {
          if (res.destroyed) return;
          send(entry);
          if (res.writableLength > maxQueuedBytes / 2) await drained(res);
        }
      };

      await Promise.race([follower.ready(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      if (resumeFrom !== undefined) {
        try {
          let after = resumeFrom;
          for (let replayed = 0; replayed < maxReplay && !res.destroyed; ) {
            const page = await follower.since(after, replayPage);
            await deliver(page);
            replayed += page.length;
            const last = page[page.length - 1];
            if (!last || page.length < replayPage) break;
            after = last.id;
          }
        } catch (error) {
          request.log.warn({ err: error }, "could not replay missed events");
        }
      } else {
        // Nothing missed: live from the moment the follower is positioned.
        lastSent = undefined;
      }
      // Then what arrived meanwhile, until nothing waits: from here on the live stream writes directly.
      while (backlog && backlog.length > 0 && !res.destroyed) {
        const waiting = backlog;
        backlog = [];
        await deliver(waiting);
      }
      backlog = undefined;
      // The stream is open: a client may act now and will see what follows.
      write(": connected\n\n");
    },
  );
};

/** Orders two stream ids (`<ms>-<seq>`) numerically. */
function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split("-").map(BigInt);
  const [bm = 0n, bs = 0n] = b.split("-").map(BigInt);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}
