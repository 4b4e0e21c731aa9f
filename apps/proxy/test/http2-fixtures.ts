import { execFile } from "node:child_process";
import {
  type ClientHttp2Session,
  connect,
  constants,
  type IncomingHttpHeaders,
  type IncomingHttpStatusHeader,
} from "node:http2";
import { loopback } from "./helpers.ts";

/** An HTTP/2 connection to the proxy on 127.0.0.1 (TLS, ALPN h2), trusting `ca`, naming `servername`. */
export function h2connect(
  port: number,
  ca: string,
  servername = "www.example.test",
): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(`https://${loopback}:${port}`, {
      ca,
      servername,
      // The certificates name test domains, not 127.0.0.1: the chain is verified, the name by the test.
      checkServerIdentity: () => undefined,
    });
    session.once("connect", () => resolve(session));
    session.once("error", reject);
  });
}

export interface H2Reply {
  status: number;
  headers: IncomingHttpHeaders & IncomingHttpStatusHeader;
  body: Buffer;
  text: string;
  target: string | undefined;
}

/** One request on an HTTP/2 connection; `:authority` is the session's unless `headers` names one. */
export function h2request(
  session: ClientHttp2Session,
  path: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer | string } = {},
): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request(
      { ":method": options.method ?? "GET", ":path": path, ...options.headers },
      { endStream: options.body === undefined },
    );
    let status = 0;
    let headers: IncomingHttpHeaders & IncomingHttpStatusHeader = {};
    const chunks: Buffer[] = [];
    stream.setTimeout(10_000, () => stream.close(constants.NGHTTP2_CANCEL));
    stream.on("response", (h) => {
      headers = h;
      status = Number(h[":status"]);
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("close", () => {
      if (stream.rstCode !== constants.NGHTTP2_NO_ERROR) {
        reject(new Error(`stream ${path} reset with code ${stream.rstCode}`));
        return;
      }
      const body = Buffer.concat(chunks);
      const target = headers["x-target"];
      resolve({
        status,
        headers,
        body,
        text: body.toString("utf8"),
        target: typeof target === "string" ? target : undefined,
      });
    });
    if (options.body !== undefined) stream.end(options.body);
  });
}

export function closeSession(session: ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => {
    if (session.closed || session.destroyed) resolve();
    else session.close(() => resolve());
  });
}

/** Runs curl (loopback only); answers its stdout, or rejects with its stderr. */
export function curl(args: string[]): Promise<string> {
  // Loopback only: the URL names 127.0.0.1, or a --resolve entry maps its name there.
  if (!args.some((a) => a.startsWith(`https://${loopback}:`) || a.endsWith(`:${loopback}`)))
    throw new Error("curl runs against the proxy on loopback only");
  return new Promise((resolve, reject) => {
    execFile("curl", ["--silent", "--show-error", "--max-time", "10", ...args], (error, stdout, stderr) => {
      if (error) reject(new Error(`curl failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

export const hasCurlHttp2 = (): Promise<boolean> =>
  new Promise((resolve) => {
    execFile("curl", ["--version"], (error, stdout) => resolve(!error && /\bHTTP2\b/.test(stdout)));
  });
