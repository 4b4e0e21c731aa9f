// A bare server answering the bench's 100-byte JSON per request: `http` (node:http) or `net` (raw
// sockets, head found by its blank line, no parsing). The floor each server side costs per connection.
const kind = process.argv[2];
const body = JSON.stringify({ ok: true, pad: "x".repeat(80) });
let server;
if (kind === "http") {
  server = require("node:http").createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
} else {
  const head = (close) =>
    `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${close ? "connection: close\r\n" : ""}\r\n`;
  const closing = Buffer.from(head(true) + body, "latin1");
  const keeping = Buffer.from(head(false) + body, "latin1");
  // Enough for wrk's requests: one request a chunk, "connection: close" asked for or not.
  server = require("node:net").createServer((socket) => {
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk) => {
      if (chunk.indexOf("\r\n\r\n") < 0) return;
      if (chunk.indexOf("onnection: close") >= 0) socket.end(closing);
      else socket.write(keeping);
    });
  });
}
server.listen(0, "127.0.0.1", () => process.send(server.address().port));
