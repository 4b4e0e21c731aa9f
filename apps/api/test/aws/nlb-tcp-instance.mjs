// A TCP service for auto scaling groups behind a Network Load Balancer (process driver): it echoes what it
// reads, prefixed with its instance id once per connection, on 127.0.0.1:$PORT. SIGUSR2 closes its
// listening socket while the process keeps running, so its TCP health checks fail and only an ELB health
// check can find it unhealthy (EC2's sees a running instance). SIGTERM ends it.
import { createServer } from "node:net";

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0 || port > 65535) process.exit(2);
const instanceId = process.env.SCALEOUT_INSTANCE_ID ?? "?";
const sockets = new Set();
const server = createServer((socket) => {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
  socket.on("error", () => {});
  socket.write(`${instanceId}\n`);
  socket.pipe(socket);
});
server.listen(port, "127.0.0.1");
process.on("SIGUSR2", () => server.close());
// Stays alive without its server: a timer holds the event loop.
setInterval(() => {}, 60_000);
process.on("SIGTERM", () => {
  server.close();
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
