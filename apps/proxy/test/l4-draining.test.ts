import { eventually } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { loopback, proxyTest as test } from "./helpers.ts";
import { connectClient, greetedBy, networkLoadBalancer, startTcpTarget } from "./l4-tcp-fixtures.ts";

describe.concurrent("draining targets of network load balancers", () => {
  for (const terminate of [true, false]) {
    test(`an open flow lives through the deregistration delay, then ${terminate ? "is reset (connection_termination on)" : "stays open (connection_termination off)"}`, async ({
      env,
    }) => {
      const { h } = env;
      const targets = await Promise.all(["a", "b"].map((n) => startTcpTarget(n)));
      env.defer(() => Promise.all(targets.map((t) => t.close())));
      const { port, groupName } = await networkLoadBalancer(h, targets, {
        attributes: {
          "deregistration_delay.timeout_seconds": "2",
          "deregistration_delay.connection_termination.enabled": String(terminate),
        },
      });
      const client = await connectClient(port);
      const name = greetedBy(await client.waitFor("\n"));
      const draining = targets.find((t) => t.name === name);
      const other = targets.find((t) => t.name !== name);
      if (!draining || !other) throw new Error("no target greeted");

      const started = Date.now();
      h.services.targetGroups.deregister(groupName, [{ id: loopback, port: draining.port }]);
      await h.reload();
      expect(h.health(groupName)[draining.port]?.state).toBe("draining");
      // New flows avoid it.
      for (let i = 0; i < 6; i++) {
        const fresh = await connectClient(port);
        expect(greetedBy(await fresh.waitFor("\n"))).toBe(other.name);
        fresh.socket.destroy();
      }
      // The open flow still carries data while the delay runs.
      client.socket.write("still here");
      await client.waitFor("still here");

      if (terminate) {
        expect(await client.closed).toEqual({ reset: true });
        expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
        await eventually(() => draining.open.size === 0 || undefined, { message: "the target's side reset" });
      } else {
        await eventually(() => h.health(groupName)[draining.port] === undefined || undefined, {
          message: "the target left the group",
        });
        client.socket.write("after the delay");
        await client.waitFor("after the delay");
        expect(client.socket.destroyed).toBe(false);
        client.socket.destroy();
      }
    });
  }
});
