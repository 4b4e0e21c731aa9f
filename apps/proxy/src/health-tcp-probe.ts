import { connect } from "node:net";
import type { HealthCheckResult } from "@scaleout/core";

/**
 * NLB's TCP health check: a connection that opens within the timeout is a pass, and nothing is sent. It
 * is closed with a FIN, not a reset: a reset makes a plain server's socket emit ECONNRESET, which crashes
 * a target that has no error handler (bench/l4-udp's first target did, on its first check).
 */
export function checkTcp(host: string, port: number, timeoutMs: number): Promise<HealthCheckResult> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({ host, port });
    const done = (result: HealthCheckResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    // A timer rather than socket.setTimeout: the latter counts idleness, and a connect that never
    // completes must fail at the timeout whatever the socket does meanwhile.
    const timer = setTimeout(
      () => done({ ok: false, reason: "Target.Timeout", description: "Request timed out" }),
      timeoutMs,
    );
    socket.once("connect", () => done({ ok: true, status: 0 }));
    socket.on("error", (error: NodeJS.ErrnoException) =>
      done({
        ok: false,
        reason: "Target.FailedHealthChecks",
        description: `Health checks failed${error.code ? ` (${error.code})` : ""}`,
      }),
    );
  });
}
