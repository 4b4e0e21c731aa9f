// A single-node swarm on the engine at `host` (default DOCKER_HOST) for the swarm driver's test: made a manager when it
// is not one yet, and left (only then) when the test is done, so the engine ends as the test found it.
import { createServer } from "node:net";
import { createDockerEngine, detectEngine, engineMessage } from "@scaleout/compute";

export interface SingleNodeSwarm {
  /** Whether this test made the engine a swarm manager (and so leaves the swarm afterwards). */
  created: boolean;
  /** Milliseconds `POST /swarm/init` took (0 when the engine already was a manager). */
  initMs: number;
  restore(): Promise<void>;
}

/** A port free on loopback for the swarm's control plane (2377 may belong to another engine). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

export async function ensureSingleNodeSwarm(host?: string): Promise<SingleNodeSwarm> {
  if ((await detectEngine({ timeoutMs: 10_000, ...(host !== undefined && { host }) })) === "swarm-manager")
    return { created: false, initMs: 0, restore: async () => {} };
  const engine = createDockerEngine(host);
  try {
    const started = Date.now();
    // Loopback only: the swarm's control plane must not listen beyond this machine.
    const init = await engine.call("POST", "/swarm/init", {
      ListenAddr: `127.0.0.1:${await freeLoopbackPort()}`,
      AdvertiseAddr: "127.0.0.1",
    });
    if (init.statusCode !== 200) throw new Error(`docker swarm init failed: ${engineMessage(init)}`);
    const initMs = Date.now() - started;
    return {
      created: true,
      initMs,
      async restore() {
        const left = createDockerEngine(host);
        try {
          const answer = await left.call("POST", "/swarm/leave?force=true");
          if (answer.statusCode !== 200)
            throw new Error(`docker swarm leave failed: ${engineMessage(answer)}`);
        } finally {
          await left.close();
        }
      },
    };
  } finally {
    await engine.close();
  }
}
