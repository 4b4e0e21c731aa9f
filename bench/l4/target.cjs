// bench/l4's target: a plain TCP server (one process, one thread) whose behaviour is chosen by a
// connection's first byte, so one target serves every row:
//   R  a request: answers 32 bytes and closes (connections per second, a new connection per request)
//   S  a stream: sends 64 KiB chunks as fast as the reader takes them, until the reader closes (MB/s)
//   I  idle: holds the connection and says nothing (concurrent idle connections)
// Anything else is closed. PORT: the port to listen on (0: any; the port is printed as JSON).
const net = require("node:net");

const answer = Buffer.alloc(32, 0x61);
const chunk = Buffer.alloc(64 * 1024, 0x62);

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on("error", () => {});
  socket.once("data", (first) => {
    switch (first[0]) {
      case 0x52: // R
        socket.end(answer);
        return;
      case 0x53: {
        // S
        const pump = () => {
          while (socket.write(chunk)) {}
        };
        socket.on("drain", pump);
        pump();
        return;
      }
      case 0x49: // I
        return;
      default:
        socket.destroy();
    }
  });
});
server.maxConnections = 100_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
