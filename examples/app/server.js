// The example instance for scaleout's auto scaling groups: plain Node.js with no dependencies, so it runs
// with the host's `node` (process driver) and inside the image scripts/build-example-image.sh imports
// (docker driver). ESM through the package.json beside it, which the image carries too.
import http from "node:http";

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`PORT must be a TCP port, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(2);
}
// Loopback by default: nothing else may reach an instance. In a bridge-networked container the published
// port arrives on the container's own interface, so the docker driver sets HOST=0.0.0.0 there; that
// address is inside the container's network namespace only.
const host = process.env.HOST || "127.0.0.1";
const instanceId = process.env.SCALEOUT_INSTANCE_ID;
// /work serves at most this many requests at a time and queues the rest: a capacity-bound service
// (bench/autoscaling measures how throughput grows with instances). Unset or 0: no limit.
const workSlots = Number(process.env.APP_CONCURRENCY || "0");
if (!Number.isInteger(workSlots) || workSlots < 0) {
  console.error(`APP_CONCURRENCY must be a whole number, got ${JSON.stringify(process.env.APP_CONCURRENCY)}`);
  process.exit(2);
}
let working = 0;
const queued = [];

/** Runs `job` in a /work slot; `job` calls the function it is given when its slot is free again. */
function inSlot(job) {
  if (workSlots === 0 || working < workSlots) {
    working++;
    job(release);
  } else queued.push(job);
}

function release() {
  const next = queued.shift();
  if (next) next(release);
  else working--;
}

/** A bounded duration from the query string, so one request cannot hold the instance forever. */
function durationMs(url, fallback = 200) {
  const ms = Number(url.searchParams.get("ms") ?? fallback);
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 60_000) : fallback;
}

function send(res, status, type, body) {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (req.method !== "GET" && req.method !== "HEAD") {
    send(res, 405, "text/plain", "method not allowed\n");
    return;
  }
  switch (url.pathname) {
    case "/health":
      send(res, 200, "text/plain", "ok");
      return;
    case "/":
      send(res, 200, "application/json", JSON.stringify({ instanceId, pid: process.pid, port }));
      return;
    case "/burn": {
      const ms = durationMs(url);
      const until = Date.now() + ms;
      // Deliberately blocks the event loop: the point is to make the instance's CPU alarm fire.
      while (Date.now() < until) {}
      send(res, 200, "application/json", JSON.stringify({ instanceId, burnedMs: ms }));
      return;
    }
    case "/work": {
      // A fixed service time that holds a slot but not the CPU: throughput is slots / service time.
      const ms = durationMs(url, 20);
      const arrived = Date.now();
      inSlot((done) => {
        const queuedMs = Date.now() - arrived;
        setTimeout(() => {
          done();
          send(res, 200, "application/json", JSON.stringify({ instanceId, workedMs: ms, queuedMs }));
        }, ms);
      });
      return;
    }
    case "/sleep": {
      const ms = durationMs(url);
      setTimeout(() => send(res, 200, "application/json", JSON.stringify({ instanceId, sleptMs: ms })), ms);
      return;
    }
    default:
      send(res, 404, "text/plain", "not found\n");
  }
});

// Load balancers reuse connections; a keep-alive timeout above the proxy's avoids racing its reuse.
server.keepAliveTimeout = 65_000;

server.listen(port, host, () => {
  console.log(`example app ${instanceId ?? "(no instance id)"} listening on ${host}:${port}`);
});

function shutdown(signal) {
  console.log(`example app received ${signal}, closing`);
  server.close(() => process.exit(0));
  // Idle keep-alive connections would hold close() open until they time out.
  server.closeIdleConnections();
  // In-flight requests get a moment to finish; after that the runtime's grace period decides.
  setTimeout(() => {
    server.closeAllConnections();
  }, 1_000).unref();
}

process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
