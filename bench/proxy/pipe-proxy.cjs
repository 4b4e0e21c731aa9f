// The floor for large bodies: a plain node:http proxy that pipes both ways (keep-alive agent, round
// robin over the targets), with no routing, parsing beyond node's, or hardening.
const http = require("node:http");
const [port, ...targets] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
let next = 0;
http
  .createServer((req, res) => {
    const target = targets[next++ % targets.length];
    const upstream = http.request(
      { host: "127.0.0.1", port: target, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  })
  .listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
