import { connect, createServer } from "node:net";

/**
 * Throws a one-line error when `host:port` cannot be bound (another scaleout or program holds it), so a
 * second start says so before starting anything instead of the api dying in a restart loop.
 */
export function ensurePortFree(host: string, port: number, what: string, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === "EADDRINUSE"
            ? `${what} port ${port} on ${host} is already in use (another scaleout or program); stop it or set ${variable}`
            : `cannot bind ${what} port ${port} on ${host}: ${error.message}`,
        ),
      );
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** Whether something accepts TCP connections on `host:port` now. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Resolves once `host:port` accepts connections, or after `timeoutMs` (answering whether it did): npm
 * start says where the api is only once it answers there.
 */
export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await accepts(host, port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
