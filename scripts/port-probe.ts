import { createServer } from "node:net";

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
