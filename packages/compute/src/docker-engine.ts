import { Agent, request } from "undici";

/*
 * The one way scaleout talks to a Docker engine: its Engine API over the local unix socket, with
 * undici. The docker and swarm drivers share it.
 */

// Pinned so the engine answers with the shapes the drivers read, whatever its own version (Debian's
// docker.io 20.10 speaks 1.41 at most).
export const dockerApiVersion = "/v1.41";
const defaultSocket = "/var/run/docker.sock";

/** A Docker Engine API call that failed; `message` is the engine's. */
export class DockerEngineError extends Error {
  override name = "DockerEngineError";
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/** The socket path of a `unix://` Docker host (or of `DOCKER_HOST`, or the default socket). */
export function dockerSocketPath(host: string | undefined = process.env.DOCKER_HOST): string {
  if (!host) return defaultSocket;
  if (host.startsWith("unix://")) return host.slice("unix://".length);
  if (host.startsWith("/")) return host;
  // tcp:// engines may be remote; scaleout only talks to the local engine.
  throw new Error(`Unsupported Docker host ${host}: scaleout talks to a local engine over a unix:// socket`);
}

export interface EngineResponse {
  statusCode: number;
  body: unknown;
}

export interface DockerEngine {
  call(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<EngineResponse>;
  close(): Promise<void>;
}

/** A client of the engine at `host` (default `DOCKER_HOST`, then `/var/run/docker.sock`). */
export function createDockerEngine(host?: string): DockerEngine {
  const socketPath = dockerSocketPath(host ?? process.env.DOCKER_HOST);
  const agent = new Agent({ connect: { socketPath } });
  return {
    async call(method, path, body) {
      const response = await request(`http://docker${dockerApiVersion}${path}`, {
        method,
        dispatcher: agent,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.body.text();
      let parsed: unknown = text;
      if (text.length > 0) {
        try {
          parsed = JSON.parse(text);
        } catch {
          // Some endpoints (ping, errors from proxies) answer plain text; keep it as is.
        }
      }
      return { statusCode: response.statusCode, body: parsed };
    },
    async close() {
      await agent.close();
    },
  };
}

/** The engine's own words for a failed call, or its HTTP status. */
export function engineMessage(response: EngineResponse): string {
  const body = response.body;
  if (typeof body === "object" && body !== null && "message" in body && typeof body.message === "string") {
    return body.message;
  }
  if (typeof body === "string" && body.trim()) return body.trim();
  return `Docker engine answered HTTP ${response.statusCode}`;
}

export function engineFailure(response: EngineResponse): never {
  throw new DockerEngineError(engineMessage(response), response.statusCode);
}

/** What `detectEngine` finds: nothing, a plain engine, or a swarm manager (it can create services). */
export type EngineKind = "none" | "engine" | "swarm-manager";

/**
 * What answers on the socket within `timeoutMs`: no engine, an engine, or an engine that is an active
 * swarm manager (GET /info: Swarm.LocalNodeState "active" and ControlAvailable).
 */
export async function detectEngine(options: { host?: string; timeoutMs?: number } = {}): Promise<EngineKind> {
  let socketPath: string;
  try {
    socketPath = dockerSocketPath(options.host ?? process.env.DOCKER_HOST);
  } catch {
    return "none";
  }
  const agent = new Agent({ connect: { socketPath } });
  const signal = AbortSignal.timeout(options.timeoutMs ?? 1_000);
  let answered = false;
  try {
    const ping = await request(`http://docker${dockerApiVersion}/_ping`, { dispatcher: agent, signal });
    const body = await ping.body.text();
    if (ping.statusCode !== 200 || body.trim() !== "OK") return "none";
    answered = true;
    const info = await request(`http://docker${dockerApiVersion}/info`, { dispatcher: agent, signal });
    const parsed = (await info.body.json().catch(() => undefined)) as
      | { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } }
      | undefined;
    const swarm = parsed?.Swarm;
    return swarm?.LocalNodeState === "active" && swarm.ControlAvailable === true ? "swarm-manager" : "engine";
  } catch {
    return answered ? "engine" : "none";
  } finally {
    await agent.destroy().catch(() => undefined);
  }
}

/** Resolves true when a Docker engine answers `/_ping` on the socket within `timeoutMs`. */
export async function detectDocker(options: { host?: string; timeoutMs?: number } = {}): Promise<boolean> {
  return (await detectEngine(options)) !== "none";
}
