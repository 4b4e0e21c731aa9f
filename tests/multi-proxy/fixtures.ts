import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../bin/scaleout.mjs", import.meta.url));

export interface RemoteProxyProcess {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** `scaleout proxy --api <url> --bind <host>`, as a user starts it on another host: no data directory. */
export function spawnRemoteProxy(
  api: string,
  bind: string,
  id: string,
  extra: string[] = [],
): RemoteProxyProcess {
  let output = "";
  const child = spawn(process.execPath, [bin, "proxy", "--api", api, "--bind", bind, "--id", id, ...extra], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      SCALEOUT_FAST: "1",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

export interface Answer {
  status: number;
  body: string;
  target: string | undefined;
}

/** One GET on its own connection to `host:port`; a refused or reset connection answers status 0. */
export function get(host: string, port: number, path: string, timeoutMs = 2000): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", () => resolve({ status: 0, body: "", target: undefined }));
      res.on("end", () => {
        const target = res.headers["x-target"];
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          target: typeof target === "string" ? target : undefined,
        });
      });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve({ status: 0, body: "", target: undefined }));
    req.end();
  });
}
