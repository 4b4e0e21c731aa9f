import { freePort } from "@scaleout/queue";
import { request } from "undici";

/** A free loopback port (bind port 0, read it, release it). */
export { freePort };

/** GET on loopback (never any other address), answering status and body text. */
export async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await request(`http://127.0.0.1:${port}${path}`, {
    // A fresh connection each time: instances come and go on these ports.
    reset: true,
    headersTimeout: 10_000,
  });
  return { status: response.statusCode, body: await response.body.text() };
}

/** Resolves once the instance on `port` answers its health check; answers the time it took. */
export async function waitUntilAnswering(port: number, since: number, timeoutMs = 15_000): Promise<number> {
  const deadline = since + timeoutMs;
  for (;;) {
    try {
      const { status } = await get(port, "/health");
      if (status === 200) return Date.now() - since;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline)
      throw new Error(`nothing answered on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether something still accepts connections on the loopback port. */
export async function answers(port: number): Promise<boolean> {
  try {
    await get(port, "/health");
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether one request to the instance on `port` gets its health check answered within `timeoutMs` (one
 * try, not a poll: apps/api/test/instance-answers.ts's answersWithin polls). A parked (SIGSTOPped)
 * process still accepts connections into its backlog, so "answers" needs a deadline, not a refusal.
 */
export async function answersOneTryWithin(port: number, timeoutMs: number): Promise<boolean> {
  try {
    const response = await request(`http://127.0.0.1:${port}/health`, {
      reset: true,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await response.body.text();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}
