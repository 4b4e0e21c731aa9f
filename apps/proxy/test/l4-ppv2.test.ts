import { describe, expect } from "vitest";
import { proxyTest as test } from "./helpers.ts";
import { connectClient, greetedBy, networkLoadBalancer, startTcpTarget } from "./l4-tcp-fixtures.ts";

describe("proxy protocol v2 to targets", () => {
  test("a target reads the client's address and port and the listener's from the PPv2 header", async ({
    env,
  }) => {
    const { h } = env;
    const target = await startTcpTarget("t1", { proxyProtocol: true });
    env.defer(() => target.close());
    const { port } = await networkLoadBalancer(h, [target], {
      attributes: { "proxy_protocol_v2.enabled": "true" },
      // The group's TCP health checks would arrive without a header and be dropped by this target.
      waitHealthy: false,
    });
    const client = await connectClient(port);
    // The client's first byte goes with the header, in the same flow.
    client.socket.write("first");
    const received = await client.waitFor("first");
    expect(greetedBy(received)).toBe("t1");
    const header = target.headers.at(-1);
    expect(header).toEqual({
      command: "PROXY",
      transport: "STREAM",
      addresses: {
        source: { address: "127.0.0.1", port: client.socket.localPort },
        destination: { address: "127.0.0.1", port },
      },
      tlvs: [],
    });
    client.socket.destroy();
  });
});
