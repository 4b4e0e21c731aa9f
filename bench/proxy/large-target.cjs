// A bench target for large bodies: GET answers a 1 MiB body from one prebuilt buffer; POST reads the
// upload to its end and answers 100 bytes. Single-threaded node:http, as bench/proxy/target.cjs.
const http = require("node:http");
const port = Number(process.argv[2]);
const large = Buffer.alloc(1024 * 1024, "x");
const small = Buffer.alloc(100, "y");
http
  .createServer((req, res) => {
    if (req.method === "POST") {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "text/plain", "content-length": small.length });
        res.end(small);
      });
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": large.length });
    res.end(large);
  })
  .listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
