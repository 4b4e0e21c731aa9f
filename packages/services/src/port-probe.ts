import { spawnSync } from "node:child_process";
import { Errors } from "@scaleout/core";
import { schema } from "@scaleout/db";
import { eq } from "drizzle-orm";
import type { ServiceContext } from "./context.ts";

/** Whether the proxy could bind a listener's port: `undefined` when it could, else why not. */
export type PortProbe = (port: number) => string | undefined;

/*
 * Binds the port on the proxy's bind host in a short-lived child process and closes it at once. A child,
 * because the services are synchronous (better-sqlite3 transactions; the AWS door answers synchronously)
 * and Node can only bind asynchronously; it costs ~85 ms of the api's event loop, once per listener
 * created or moved. `exclusive` so the probe never shares a port through the cluster module.
 * EADDRINUSE is tried twice more 25 ms apart: two api processes probing the same port at once (both
 * racing to create the same listener) hold it for a millisecond each; another program holds it for good.
 */
const script = `const net = require("node:net");
const [host, port] = [process.argv[1], Number(process.argv[2])];
const attempt = (left) => {
  const server = net.createServer();
  server.once("error", (error) => {
    if (error.code === "EADDRINUSE" && left > 0) setTimeout(() => attempt(left - 1), 25);
    else process.stdout.write(String(error.code));
  });
  server.listen({ host, port, exclusive: true }, () => server.close(() => process.stdout.write("free")));
};
attempt(2);`;

const reasons: Record<string, string> = {
  EADDRINUSE: "another program holds it",
  EACCES: "binding it needs privileges scaleout does not have",
  EADDRNOTAVAIL: "the bind host is not an address of this machine",
};

/**
 * The probe the api gives its services (ServiceContext.portProbe). `reserved` names ports scaleout itself
 * uses (the api's, the private Redis's), refused with that name even when the bind would succeed, e.g.
 * when the api listens on another address than the proxy's bind host.
 */
export function createPortProbe(options: {
  bindHost: string;
  reserved?: ReadonlyMap<number, string>;
  timeoutMs?: number;
}): PortProbe {
  const where = options.bindHost.includes(":") ? `[${options.bindHost}]` : options.bindHost;
  return (port) => {
    const owner = options.reserved?.get(port);
    if (owner !== undefined) return `port ${port} is ${owner}`;
    const result = spawnSync(process.execPath, ["-e", script, options.bindHost, String(port)], {
      encoding: "utf8",
      timeout: options.timeoutMs ?? 5_000,
      // Not the api's NODE_OPTIONS (a loader would triple the start-up time) nor its secrets.
      env: { PATH: process.env.PATH ?? "" },
    });
    const answer = result.stdout?.trim() ?? "";
    if (answer === "free") return undefined;
    const reason = reasons[answer] ?? `the bind failed (${answer || result.error?.message || "no answer"})`;
    return `port ${port} cannot be bound on ${where}: ${reason}`;
  };
}

/**
 * Refuses a listener port the proxy could not bind, before anything is stored. A port one of our own
 * listeners has is not probed (the proxy holds it): the transaction answers DuplicateListener for it, as
 * it always has. Runs outside the write transaction, so no lock is held while the probe binds.
 */
export function requireBindablePort(ctx: ServiceContext, port: number): void {
  const ours = ctx.db
    .select({ arn: schema.listeners.arn })
    .from(schema.listeners)
    .where(eq(schema.listeners.port, port))
    .get();
  if (ours) return;
  const reason = ctx.portProbe(port);
  if (reason !== undefined) {
    throw new Errors.InvalidConfigurationRequest(
      `A listener cannot use port ${port}: ${reason}. Choose another port.`,
    );
  }
}
