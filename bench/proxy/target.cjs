// A bench target: single-threaded node:http answering a 100-byte JSON body, as in the research baseline.
const http = require("node:http");
const port = Number(process.argv[2]);
const body = JSON.stringify({ ok: true, port, pad: "x".repeat(100 - 30 - String(port).length) }).slice(
  0,
  100,
);
http
  .createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  })
  .listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
