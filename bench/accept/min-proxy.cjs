// The least a proxy can do per request, on either server side: `http` (node:http) or `net` (raw
// sockets, head found by its blank line). Both forward the same way: one GET over a keep-alive raw socket
// to the target (target ports in argv[3], comma-separated: round robin), the answer's head and
// Content-Length body read, and a response of the same bytes written back. The difference between the two
// is what node:http's server side costs. It listens on argv[4] (bench/proxy's `min` system) or on a free
// port it sends to its parent (bench/accept forks it).
const net = require("node:net");
const kind = process.argv[2];
const targetPorts = process.argv[3].split(",").map(Number);
const listenPort = Number(process.argv[4] ?? 0);
let turn = 0;
// One pool for all targets: which target a new connection goes to is the round robin's.
const idle = [];
function connect() {
  turn = (turn + 1) % targetPorts.length;
  const socket = net.connect(targetPorts[turn], "127.0.0.1");
  // The target closes idle keep-alive sockets after 5 s: forget them.
  socket.on("error", () => socket.destroy());
  socket.on("close", () => {
    const at = idle.indexOf(socket);
    if (at >= 0) idle.splice(at, 1);
  });
  return socket;
}
function upstream(done) {
  const socket = idle.pop() ?? connect();
  let buffered = "";
  const onData = (chunk) => {
    buffered += chunk.toString("latin1");
    const end = buffered.indexOf("\r\n\r\n");
    if (end < 0) return;
    const length = Number(/content-length: (\d+)/i.exec(buffered)?.[1] ?? 0);
    if (buffered.length < end + 4 + length) return;
    socket.off("data", onData);
    idle.push(socket);
    done(buffered.slice(end + 4, end + 4 + length));
  };
  socket.on("data", onData);
  socket.write("GET / HTTP/1.1\r\nhost: target\r\nx-forwarded-for: 127.0.0.1\r\n\r\n", "latin1");
}
const head = (length, close) =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n${close ? "connection: close\r\n" : ""}\r\n`;
let server;
if (kind === "http") {
  server = require("node:http").createServer((_req, res) => {
    upstream((body) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
      res.end(body, "latin1");
    });
  });
} else if (kind === "objects") {
  // net sockets, but node:http's IncomingMessage and ServerResponse per request (as the proxy's own
  // server side keeps them): what those objects cost apart from node:http's Server and llhttp.
  const { IncomingMessage, ServerResponse } = require("node:http");
  server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    socket.on("error", () => socket.destroy());
    socket.on("end", () => socket.end());
    socket.on("data", (chunk) => {
      const end = chunk.indexOf("\r\n\r\n");
      if (end < 0) return;
      const lines = chunk.toString("latin1", 0, end).split("\r\n");
      const [method, url] = lines[0].split(" ");
      const raw = lines.slice(1).flatMap((line) => {
        const colon = line.indexOf(":");
        return [line.slice(0, colon), line.slice(colon + 1).trim()];
      });
      const req = new IncomingMessage(socket);
      req.method = method;
      req.url = url;
      req.httpVersion = "1.1";
      req.httpVersionMajor = 1;
      req.httpVersionMinor = 1;
      req._addHeaderLines(raw, raw.length);
      req.complete = true;
      req.push(null);
      const res = new ServerResponse(req);
      res.shouldKeepAlive = !/close/i.test(req.headers.connection ?? "");
      res.assignSocket(socket);
      res.once("finish", () => {
        res.detachSocket(socket);
        if (res._last) socket.end();
      });
      upstream((body) => {
        res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
        res.end(body, "latin1");
      });
    });
  });
} else {
  server = net.createServer((socket) => {
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk) => {
      if (chunk.indexOf("\r\n\r\n") < 0) return;
      const close = chunk.indexOf("onnection: close") >= 0;
      upstream((body) => {
        const response = head(body.length, close) + body;
        if (close) socket.end(response, "latin1");
        else socket.write(response, "latin1");
      });
    });
  });
}
server.listen(listenPort, "127.0.0.1", () => process.send?.(server.address().port));
process.on("SIGTERM", () => process.exit(0));
