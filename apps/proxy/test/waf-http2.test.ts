import { afterAll, expect } from "vitest";
import { forward, proxyTest as test } from "./helpers.ts";
import { closeSession, h2connect, h2request } from "./http2-fixtures.ts";
import { httpsListener, storeCertificate, TestAuthority } from "./tls-fixtures.ts";
import { associate, b64, insertWebAcl, none, visibility } from "./waf-fixtures.ts";

const authority = new TestAuthority();
afterAll(() => authority.close());

/** HTTP/2 streams pass the same web ACL as HTTP/1.1 requests: a blocked stream never reaches the target. */
test("an HTTP/2 request is judged by the web ACL before the listener's rules", async ({ env }) => {
  const { h } = env;
  const target = await env.target("a");
  const lb = h.loadBalancer();
  const tg = h.targetGroup("tg", [{ port: target.port }]);
  const cert = storeCertificate(h, authority.issue(["www.example.test"]));
  const { port } = await httpsListener(h, lb, cert, forward(tg));
  const acl = insertWebAcl(h.handle.db, "shield", [
    {
      Name: "no-admin",
      Priority: 1,
      Statement: {
        ByteMatchStatement: {
          SearchString: b64("/admin"),
          FieldToMatch: { UriPath: {} },
          PositionalConstraint: "STARTS_WITH",
          TextTransformations: none,
        },
      },
      Action: {
        Block: {
          CustomResponse: { ResponseCode: 451, ResponseHeaders: [{ Name: "x-why", Value: "admin" }] },
        },
      },
      VisibilityConfig: visibility("no-admin"),
    },
    {
      Name: "tag",
      Priority: 2,
      Statement: { NotStatement: { Statement: { LabelMatchStatement: { Scope: "LABEL", Key: "x" } } } },
      Action: { Allow: { CustomRequestHandling: { InsertHeaders: [{ Name: "seen", Value: "h2" }] } } },
      VisibilityConfig: visibility("tag"),
    },
  ]);
  associate(h.handle.db, acl, lb);
  await h.reload();
  await h.waitForState("tg", target.port, "healthy");
  const session = await h2connect(port, authority.certificatePem);
  try {
    const blocked = await h2request(session, "/admin/x");
    expect(blocked.status).toBe(451);
    expect(blocked.headers["x-why"]).toBe("admin");
    expect(target.seen.filter((s) => s.url.startsWith("/admin"))).toEqual([]);
    const allowed = await h2request(session, "/page");
    expect(allowed.status).toBe(200);
    expect(target.seen.at(-1)?.headers["x-amzn-waf-seen"]).toBe("h2");
  } finally {
    await closeSession(session);
  }
});
