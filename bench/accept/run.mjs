// CPU µs per new connection of bare servers (server.cjs: node:http vs net), alternating, medians.
// node bench/accept/run.mjs [seconds] [repeats] [kinds]  (runs the servers on this process's node)
import { fork, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const seconds = Number(process.argv[2] ?? 5);
const repeats = Number(process.argv[3] ?? 3);
const kinds = (process.argv[4] ?? "http,net").split(",");
// A new connection per request ("close"), and keep-alive: the difference is what a connection costs.
const modes = ["close", "ka"];
const tick = Number(spawnSync("getconf", ["CLK_TCK"]).stdout.toString()) || 100;
const cpu = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(f[11]) + Number(f[12])) / tick) * 1e6;
};
// Kinds: http, net (bare servers answering themselves), proxy-http, proxy-net (min-proxy.cjs: the same
// forwarding to a target on either server side; the target's own CPU is not counted).
const targetPort = 20000 + (process.pid % 20000);
const target = fork(new URL("../proxy/target.cjs", import.meta.url), [String(targetPort)]);
await new Promise((r) => setTimeout(r, 500));
const servers = {};
for (const k of kinds) {
  const child = k.startsWith("proxy-")
    ? fork(new URL("./min-proxy.cjs", import.meta.url), [k.slice(6), String(targetPort)])
    : fork(new URL("./server.cjs", import.meta.url), [k]);
  servers[k] = {
    child,
    port: await new Promise((r) => child.once("message", r)),
    runs: { close: [], ka: [] },
  };
}
for (let r = 0; r < repeats; r++) {
  for (const mode of modes) {
    for (let i = 0; i < kinds.length; i++) {
      const k = kinds[(i + r) % kinds.length];
      const s = servers[k];
      const before = cpu(s.child.pid);
      const out = spawnSync("wrk", [
        "-t1",
        "-c50",
        `-d${seconds}s`,
        ...(mode === "close" ? ["-H", "Connection: close"] : []),
        `http://127.0.0.1:${s.port}/`,
      ]).stdout.toString();
      const used = cpu(s.child.pid) - before;
      const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
      s.runs[mode].push({ us: used / requests, rate: requests / seconds });
    }
  }
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const k of kinds) {
  const s = servers[k];
  for (const mode of modes) {
    const runs = s.runs[mode];
    const unit = mode === "close" ? "connection" : "keep-alive request";
    console.log(
      `${k}: ${median(runs.map((x) => x.us)).toFixed(1)} µs CPU per ${unit} (runs ${runs.map((x) => x.us.toFixed(1)).join(" ")}), ${median(runs.map((x) => x.rate)).toFixed(0)}/s`,
    );
  }
  s.child.kill();
}
target.kill();
