import { createHash, randomBytes } from "node:crypto";
import { connect } from "node:net";
import { expect } from "vitest";
import { loopback, proxyTest as test } from "./helpers.ts";
import { networkLoadBalancer, startTcpTarget } from "./l4-tcp-fixtures.ts";
import { readWithStops } from "./read-with-stops.ts";

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/**
 * Sends `data` (the target echoes it after its greeting) and reads it back with a stop every few
 * chunks, so the proxy's writes to this client are left queued now and then: the read buffers a flow
 * reuses must then be replaced, never written over.
 */
async function stutteringEcho(port: number, data: Buffer): Promise<Buffer> {
  const socket = connect({ port, host: loopback, allowHalfOpen: true });
  const back = readWithStops(socket);
  socket.end(data);
  return back;
}

// Target → client bytes of plain TCP flows go through read buffers the proxy reuses (a shared one for
// quiet flows, one per streaming flow): several flows at once, each reading with stops, get every byte.
test("four flows at once through reused read buffers, each read with stops: every byte intact", async ({
  env,
}) => {
  const { h } = env;
  const targets = await Promise.all(["a", "b"].map((n) => startTcpTarget(n)));
  env.defer(() => Promise.all(targets.map((t) => t.close())));
  const { port } = await networkLoadBalancer(h, targets);
  const payloads = Array.from({ length: 4 }, () => randomBytes(16 * 1024 * 1024));
  const backs = await Promise.all(payloads.map((p) => stutteringEcho(port, p)));
  for (const [i, back] of backs.entries()) {
    const greeting = /^hello \S+\n/.exec(back.subarray(0, 16).toString("latin1"))?.[0] ?? "";
    expect(greeting).not.toBe("");
    const payload = payloads[i] ?? Buffer.alloc(0);
    expect(back.length).toBe(greeting.length + payload.length + 3);
    expect(sha(back.subarray(greeting.length, greeting.length + payload.length))).toBe(sha(payload));
    expect(back.subarray(-3).toString()).toBe("bye");
  }
});
