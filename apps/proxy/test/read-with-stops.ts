import type { Socket } from "node:net";

/**
 * Reads everything `socket` receives until its end, with a stop every 16 chunks and a long one at first,
 * so the kernel's buffers towards this client fill and the proxy's writes to it are left queued now and
 * then: the read buffers the proxy reuses (a TCP flow's, a target connection's) must then be replaced,
 * never written over. Call it before sending what makes the answer come.
 */
export function readWithStops(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  const ended = new Promise<void>((resolve, reject) => {
    socket.on("end", resolve);
    socket.on("error", reject);
  });
  socket.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    if (++n % 16 === 0) {
      socket.pause();
      setTimeout(() => socket.resume(), 20);
    }
  });
  socket.pause();
  setTimeout(() => socket.resume(), 300);
  return ended.then(() => {
    socket.destroy();
    return Buffer.concat(chunks);
  });
}
