import type { ServerResponse } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * Takes a route's response over as a server-sent event stream and answers 200 at once. The response
 * lasts as long as the client stays, so no socket inactivity timeout applies to it; what the hooks
 * already set (the CORS headers of an allowed origin) is carried over, since hijacking skips Fastify's
 * send.
 */
export function openEventStream(request: FastifyRequest, reply: FastifyReply): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  request.raw.socket.setTimeout(0);
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) res.setHeader(name, value);
  }
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  return res;
}
