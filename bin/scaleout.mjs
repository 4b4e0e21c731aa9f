#!/usr/bin/env node
// The `scaleout` command (the root package's bin). `scaleout proxy --api <url>` starts a proxy fed by
// that api on this host (docs/multi-host.md); `npm start` still starts api, worker and a local proxy.
import { register } from "tsx/esm/api";

const [command, ...args] = process.argv.slice(2);
const usage = "usage: scaleout proxy --api <url> [--token <t>] [--bind <host>]   (scaleout proxy --help)";

if (command === "proxy") {
  // TypeScript sources run as npm start runs them (tsx), so a checkout needs no build.
  register();
  const { runProxyCommand } = await import("../apps/proxy/src/remote/main.ts");
  try {
    await runProxyCommand(args);
  } catch (error) {
    process.stderr.write(`scaleout proxy: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
} else {
  process.stderr.write(`${usage}\n`);
  process.exit(command === undefined || command === "--help" || command === "-h" ? 0 : 2);
}
