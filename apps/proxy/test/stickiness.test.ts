import { describe, expect } from "vitest";
import { countByTarget, load, loopback, type Reply, send, proxyTest as test } from "./helpers.ts";

const setCookies = (reply: Reply): string[] => [reply.headers["set-cookie"] ?? []].flat();
/** `name=value` of the Set-Cookie named `name`, ready to send back. */
const cookie = (reply: Reply, name: string): string | undefined =>
  setCookies(reply)
    .find((c) => c.startsWith(`${name}=`))
    ?.split(";")[0];

describe("target stickiness", () => {
  test("lb_cookie: AWSALB pins the client; a cookie naming a gone or unhealthy target falls back", async ({
    env,
  }) => {
    const { h } = env;
    const [a, b, c] = await Promise.all([env.target("a"), env.target("b"), env.target("c")]);
    const { port } = await h.simple([a, b, c], {
      attributes: {
        "stickiness.enabled": "true",
        "stickiness.type": "lb_cookie",
        "stickiness.lb_cookie.duration_seconds": "120",
      },
    });

    const first = await send(port);
    const sticky = cookie(first, "AWSALB");
    expect(sticky).toMatch(/^AWSALB=.+/);
    const header = setCookies(first).find((c) => c.startsWith("AWSALB="));
    expect(header).toMatch(/Expires=.*GMT; Path=\//);
    const expires = Date.parse(/Expires=([^;]+)/.exec(header ?? "")?.[1] ?? "");
    expect(expires - Date.now()).toBeGreaterThan(100_000);
    expect(expires - Date.now()).toBeLessThan(125_000);

    const pinned = await load(20, 4, () => send(port, "/", { headers: { cookie: `${sticky}` } }));
    expect(countByTarget(pinned)).toEqual({ [first.target ?? "?"]: 20 });
    // Without the cookie the round robin goes on.
    expect(Object.keys(countByTarget(await load(9, 1, () => send(port)))).length).toBe(3);

    // The pinned target turns unhealthy: the cookie no longer pins, other targets answer and re-pin.
    const pinnedTarget = [a, b, c].find((t) => t.name === first.target);
    if (!pinnedTarget) throw new Error("no pinned target");
    pinnedTarget.health.status = 503;
    await h.waitForState("tg", pinnedTarget.port, "unhealthy");
    const fallback = await load(10, 2, () => send(port, "/", { headers: { cookie: `${sticky}` } }));
    expect(fallback.every((r) => r.status === 200 && r.target !== pinnedTarget.name)).toBe(true);
    const repinned = cookie(fallback[0] as Reply, "AWSALB");
    expect(repinned).not.toBe(sticky);
    const next = fallback[0]?.target;
    expect(
      countByTarget(await load(10, 2, () => send(port, "/", { headers: { cookie: `${repinned}` } }))),
    ).toEqual({
      [next ?? "?"]: 10,
    });

    // The re-pinned target is deregistered (delay 0: gone at once): the cookie falls back again.
    h.services.targetGroups.modifyAttributes("tg", [
      { key: "deregistration_delay.timeout_seconds", value: "0" },
    ]);
    const nextTarget = [a, b, c].find((t) => t.name === next);
    h.services.targetGroups.deregister("tg", [{ id: loopback, port: nextTarget?.port ?? 0 }]);
    await h.reload();
    const afterDeregister = await load(10, 2, () => send(port, "/", { headers: { cookie: `${repinned}` } }));
    const remaining = [a, b, c].find((t) => t !== pinnedTarget && t !== nextTarget)?.name;
    expect(countByTarget(afterDeregister)).toEqual({ [remaining ?? "?"]: 10 });
  });

  test("lb_cookie: a forged or garbled cookie is ignored", async ({ env }) => {
    const targets = await Promise.all([env.target("a"), env.target("b")]);
    const { port } = await env.h.simple(targets, { attributes: { "stickiness.enabled": "true" } });
    for (const value of ["garbage", "", "%%%", Buffer.from("10.0.0.1:80").toString("base64url")]) {
      const reply = await send(port, "/", { headers: { cookie: `AWSALB=${value}` } });
      expect(reply.status).toBe(200);
    }
  });

  test("app_cookie: the target's cookie gets AWSALBAPP-0 beside it; sending both pins", async ({ env }) => {
    const { h } = env;
    const [a, b] = await Promise.all([env.target("a"), env.target("b")]);
    const { port } = await h.simple([a, b], {
      attributes: {
        "stickiness.enabled": "true",
        "stickiness.type": "app_cookie",
        "stickiness.app_cookie.cookie_name": "session",
        "stickiness.app_cookie.duration_seconds": "300",
      },
    });

    // The application has not set its cookie: nothing to bind to.
    const plain = await send(port);
    expect(cookie(plain, "AWSALBAPP-0")).toBeUndefined();
    expect(cookie(plain, "AWSALB")).toBeUndefined();

    a.setCookie = "session=alpha; Path=/";
    b.setCookie = "session=beta; Path=/";
    const first = await send(port);
    const app = cookie(first, "session");
    const lb = cookie(first, "AWSALBAPP-0");
    expect(app).toMatch(/^session=(alpha|beta)$/);
    expect(lb).toMatch(/^AWSALBAPP-0=.+/);
    expect(setCookies(first).find((c) => c.startsWith("AWSALBAPP-0="))).toMatch(/Expires=/);

    const pinned = await load(20, 4, () => send(port, "/", { headers: { cookie: `${app}; ${lb}` } }));
    expect(countByTarget(pinned)).toEqual({ [first.target ?? "?"]: 20 });
    // AWSALBAPP-0 without the application's cookie does not pin.
    const unpinned = await load(10, 1, () => send(port, "/", { headers: { cookie: `${lb}` } }));
    expect(Object.keys(countByTarget(unpinned)).sort()).toEqual(["a", "b"]);
  });
});
