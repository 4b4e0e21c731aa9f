import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  ModifyListenerCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { createPortProbe } from "@scaleout/services";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, failure, startAwsApi } from "./aws/helpers.ts";
import { apiTest, freePort, http, issueTargetGroup, startApi } from "./helpers.ts";

/*
 * Item 10 of issue 9: a listener on a port another program holds, or on the api's own port, is refused
 * with a 4xx naming the port, and nothing is stored. Both doors go through one probe in the services.
 */

/** Another program holding a loopback port (a socket of this test process: the probe binds apart). */
function hold(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () =>
      resolve({ server, port: (server.address() as AddressInfo).port }),
    );
  });
}

const reserved = new Map<number, string>();
let api: AwsTestApi;
let held: { server: Server; port: number };
let apiPort: number;
let targetGroupArn: string;
let loadBalancerArn: string;

beforeAll(async () => {
  api = await startAwsApi({ portProbe: createPortProbe({ bindHost: "127.0.0.1", reserved }) });
  apiPort = Number(new URL(api.endpoint).port);
  // As server.ts does: the api's own port is named as such even where a bind would tell nothing more.
  reserved.set(apiPort, "the scaleout api's own port");
  held = await hold();
  const { elbv2 } = api.clients();
  const tg = await elbv2.send(
    new CreateTargetGroupCommand({ Name: "ports", Protocol: "HTTP", Port: 80, TargetType: "ip" }),
  );
  targetGroupArn = tg.TargetGroups?.[0]?.TargetGroupArn ?? "";
  const lb = await elbv2.send(new CreateLoadBalancerCommand({ Name: "ports" }));
  loadBalancerArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? "";
});
afterAll(async () => {
  await new Promise((resolve) => held?.server.close(resolve));
  await api?.close();
});

const forward = () => [{ type: "forward", targetGroupArn }];

async function rest(method: "POST" | "PATCH" | "GET", url: string, payload?: unknown) {
  const reply = await api.app.inject({
    method,
    url,
    ...(payload !== undefined && { payload: payload as object }),
  });
  return { status: reply.statusCode, body: reply.json() };
}

describe("REST", () => {
  test("a port another program holds, or the api's own, is 400 naming it, and nothing is stored", async () => {
    const busy = await rest("POST", "/v1/load-balancers/ports/listeners", {
      protocol: "HTTP",
      port: held.port,
      defaultActions: forward(),
    });
    expect(busy).toEqual({
      status: 400,
      body: {
        code: "InvalidConfigurationRequest",
        message: `A listener cannot use port ${held.port}: port ${held.port} cannot be bound on 127.0.0.1: another program holds it. Choose another port.`,
      },
    });
    const own = await rest("POST", "/v1/load-balancers/ports/listeners", {
      protocol: "HTTP",
      port: apiPort,
      defaultActions: forward(),
    });
    expect(own.status).toBe(400);
    expect(own.body.message).toContain(`port ${apiPort} is the scaleout api's own port`);
    expect((await rest("GET", "/v1/load-balancers/ports/listeners")).body.listeners).toEqual([]);
  });

  test("a free port works; moving it onto a held port is refused and leaves it where it was", async () => {
    const port = await freePort();
    const created = await rest("POST", "/v1/load-balancers/ports/listeners", {
      protocol: "HTTP",
      port,
      defaultActions: forward(),
    });
    expect(created.status).toBe(201);
    const id = created.body.listenerArn.slice(created.body.listenerArn.lastIndexOf("/") + 1);
    const moved = await rest("PATCH", `/v1/listeners/${id}`, { port: held.port });
    expect(moved.status).toBe(400);
    expect(moved.body).toMatchObject({ code: "InvalidConfigurationRequest" });
    expect(moved.body.message).toContain(String(held.port));
    expect((await rest("GET", `/v1/listeners/${id}`)).body.port).toBe(port);
    // The same port again is ours, not another program's: the duplicate it always was.
    const again = await rest("POST", "/v1/load-balancers/ports/listeners", {
      protocol: "HTTP",
      port,
      defaultActions: forward(),
    });
    expect(again).toMatchObject({ status: 409, body: { code: "DuplicateListener" } });
    // Keeping its port while changing something else probes nothing.
    expect((await rest("PATCH", `/v1/listeners/${id}`, { port, defaultActions: forward() })).status).toBe(
      200,
    );
  });
});

describe("the AWS door", () => {
  // The SDK names the modelled error of code InvalidConfigurationRequest with its shape name.
  test("CreateListener and ModifyListener refuse a held port with InvalidConfigurationRequest", async () => {
    const { elbv2 } = api.clients();
    const refused = await failure(
      elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: loadBalancerArn,
          Protocol: "HTTP",
          Port: held.port,
          DefaultActions: [{ Type: "forward", TargetGroupArn: targetGroupArn }],
        }),
      ),
    );
    expect(refused.name).toBe("InvalidConfigurationRequestException");
    expect(refused.message).toContain(`port ${held.port}`);
    expect(refused.$metadata).toMatchObject({ httpStatusCode: 400 });
    const ownPort = await failure(
      elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: loadBalancerArn,
          Protocol: "HTTP",
          Port: apiPort,
          DefaultActions: [{ Type: "forward", TargetGroupArn: targetGroupArn }],
        }),
      ),
    );
    expect(ownPort.name).toBe("InvalidConfigurationRequestException");
    expect(ownPort.message).toContain("api's own port");

    const before = await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }));
    const [listener] = before.Listeners ?? [];
    expect(before.Listeners).toHaveLength(1); // the REST test's, on its free port
    const movedAway = await failure(
      elbv2.send(new ModifyListenerCommand({ ListenerArn: listener?.ListenerArn ?? "", Port: held.port })),
    );
    expect(movedAway.name).toBe("InvalidConfigurationRequestException");
    const after = await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }));
    expect(after.Listeners?.map((l) => l.Port)).toEqual([listener?.Port]);

    const free = await freePort();
    const created = await elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: loadBalancerArn,
        Protocol: "HTTP",
        Port: free,
        DefaultActions: [{ Type: "forward", TargetGroupArn: targetGroupArn }],
      }),
    );
    expect(created.Listeners?.[0]?.Port).toBe(free);
  });
});

describe("the api process", () => {
  apiTest(
    "reserves its own port and its Redis's, as server.ts wires the probe",
    async ({ dataDir, redisUrl, prefix }) => {
      const real = await startApi({ dataDir, redisUrl, prefix });
      try {
        expect((await http(real.base, "POST", "/v1/load-balancers", { name: "web" })).status).toBe(201);
        const tg = await http(real.base, "POST", "/v1/target-groups", issueTargetGroup);
        const listener = (port: number) =>
          http(real.base, "POST", "/v1/load-balancers/web/listeners", {
            protocol: "HTTP",
            port,
            defaultActions: [{ type: "forward", targetGroupArn: tg.body.targetGroupArn }],
          });
        const own = await listener(real.port);
        expect(own).toMatchObject({ status: 400, body: { code: "InvalidConfigurationRequest" } });
        expect(own.body.message).toContain(`port ${real.port} is the scaleout api's own port`);
        const redisPort = Number(new URL(redisUrl).port);
        const redis = await listener(redisPort);
        expect(redis.status).toBe(400);
        expect(redis.body.message).toContain("scaleout's Redis");
        expect((await listener(await freePort())).status).toBe(201);
      } finally {
        await real.stop();
      }
    },
  );
});
