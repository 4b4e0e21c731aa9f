import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { consoleLike, createProcessLog, guardProcess } from "@scaleout/config";
import { createAccessLog } from "../access-log.ts";
import { RemoteProxy } from "./remote-proxy.ts";

const usage = `usage: scaleout proxy --api <url> [--token <t>] [--bind <host>] [--id <name>]

Starts a proxy fed by the scaleout api at <url> (no SQLite file): it serves every listener of the
registry on <host> (default 127.0.0.1), follows the api's changes, and reports health and metrics back.
--token defaults to SCALEOUT_API_TOKEN. Several proxies of one api agree on target health: one at a
time (the lease holder) runs the checks. See docs/multi-host.md.`;

/** `scaleout proxy ...`: the remote proxy process, until SIGINT/SIGTERM, then drain. */
export async function runProxyCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      api: { type: "string" },
      token: { type: "string" },
      bind: { type: "string" },
      id: { type: "string" },
      "reuse-port": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  if (!values.api) throw new Error(`--api is required\n\n${usage}`);
  const log = consoleLike(createProcessLog("proxy"));
  const id = values.id ?? `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._:-]/g, "-").slice(0, 64);
  const accessMode = env.SCALEOUT_ACCESS_LOG ?? "off";
  const remote = new RemoteProxy({
    api: values.api,
    token: values.token ?? (env.SCALEOUT_API_TOKEN || undefined),
    bindHost: values.bind ?? "127.0.0.1",
    id,
    fast: env.SCALEOUT_FAST === "1" || env.SCALEOUT_FAST === "true",
    accessLog: createAccessLog(
      accessMode === "stdout" ? "stdout" : accessMode === "off" ? "off" : { file: accessMode },
    ),
    log,
    reusePort: values["reuse-port"] === true,
    workerHeader: env.SCALEOUT_PROXY_WORKER_HEADER === "1",
  });
  await remote.start();
  log.info(`proxy ${id} fed by ${values.api}, serving on ${values.bind ?? "127.0.0.1"}`);
  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info(`${signal}: draining`);
    await remote.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void close("SIGINT"));
  process.once("SIGTERM", () => void close("SIGTERM"));
}

guardProcess("proxy");
