// A bench target: single-threaded node:http answering a 100-byte JSON body, as in the research baseline,
// and 1 MiB of bytes on /1m (the large-response row). Both bodies are built once at start, so the
// target's own cost per response stays flat and the proxy's share of the CPU is what varies.
const http = require("node:http");
const port = Number(process.argv[2]);
const body = JSON.stringify({ ok: true, port, pad: "x".repeat(100 - 30 - String(port).length) }).slice(
  0,
  100,
);
const large = Buffer.alloc(1024 * 1024, "x");
http
  .createServer((req, res) => {
    if (req.url === "/1m") {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": large.length });
      res.end(large);
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  })
  .listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
