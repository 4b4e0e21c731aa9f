import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  answerMetadataRequest,
  type MetadataIdentity,
  type MetadataRequest,
  metadataAt,
  privateDnsName,
  targetLifecycleState,
} from "./instance-metadata.ts";
import { issueMetadataToken, parseTokenTtl, verifyMetadataToken } from "./instance-metadata-token.ts";

const secret = Buffer.from("a secret of the metadata service");
const now = Date.UTC(2026, 11, 1, 10, 0, 0);

const identity: MetadataIdentity = {
  instanceId: "i-0123456789abcdef0",
  imageId: "ami-0abcdef0123456789",
  instanceType: "local.process",
  localIpv4: "127.0.0.1",
  region: "eu-west-1",
  availabilityZone: "eu-west-1a",
  accountId: "000000000000",
  launchedAt: now - 60_000,
  lifecycleState: "Pending:Wait",
  warmPoolState: null,
  userData: "#!/bin/sh\necho hello\n",
};

const token = (id = identity.instanceId, ttl = 21_600) => issueMetadataToken(secret, id, now, ttl);

function get(url: string, headers: MetadataRequest["headers"] = { "x-aws-ec2-metadata-token": token() }) {
  return answerMetadataRequest({ method: "GET", url, headers }, identity, secret, now);
}

describe("IMDSv2 tokens", () => {
  it("accepts a TTL from 1 to 21600 seconds and nothing else", () => {
    expect(parseTokenTtl("1")).toBe(1);
    expect(parseTokenTtl(" 21600 ")).toBe(21_600);
    for (const bad of [undefined, "", "0", "21601", "-5", "1.5", "1e3", "abc", ["60", "60"], "000000060"]) {
      expect(parseTokenTtl(bad)).toBeUndefined();
    }
  });

  it("a token is good for its instance until it expires", () => {
    const t = issueMetadataToken(secret, identity.instanceId, now, 10);
    expect(t).toMatch(/^[A-Za-z0-9+/]{56}$/);
    expect(verifyMetadataToken(secret, t, identity.instanceId, now + 9_999)).toBe(true);
    expect(verifyMetadataToken(secret, t, identity.instanceId, now + 10_000)).toBe(false);
    expect(verifyMetadataToken(secret, t, "i-0fffffffffffffff0", now)).toBe(false);
    expect(verifyMetadataToken(Buffer.from("another worker"), t, identity.instanceId, now)).toBe(false);
  });

  it("refuses tampered, truncated and malformed tokens", () => {
    const t = token();
    const flipped = Buffer.from(t, "base64");
    flipped[3] = (flipped[3] ?? 0) ^ 0xff; // a later expiry
    for (const bad of [
      flipped.toString("base64"),
      t.slice(0, 40),
      `${t}AAAA`,
      "x".repeat(4096),
      "",
      undefined,
    ]) {
      expect(verifyMetadataToken(secret, bad, identity.instanceId, now)).toBe(false);
    }
  });
});

describe("the token flow over requests", () => {
  it("PUT /latest/api/token answers a token and its TTL", () => {
    const answer = answerMetadataRequest(
      { method: "PUT", url: "/latest/api/token", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "300" } },
      identity,
      secret,
      now,
    );
    expect(answer.status).toBe(200);
    expect(answer.headers["x-aws-ec2-metadata-token-ttl-seconds"]).toBe("300");
    expect(get("/latest/meta-data/instance-id", { "x-aws-ec2-metadata-token": answer.body }).body).toBe(
      identity.instanceId,
    );
  });

  it("answers 400 for a missing or bad TTL, 403 through a proxy, 405 for other methods", () => {
    const put = (headers: MetadataRequest["headers"], method = "PUT") =>
      answerMetadataRequest({ method, url: "/latest/api/token", headers }, identity, secret, now).status;
    expect(put({})).toBe(400);
    expect(put({ "x-aws-ec2-metadata-token-ttl-seconds": "21601" })).toBe(400);
    expect(put({ "x-aws-ec2-metadata-token-ttl-seconds": "60", "x-forwarded-for": "10.0.0.1" })).toBe(403);
    expect(put({ "x-aws-ec2-metadata-token-ttl-seconds": "60" }, "GET")).toBe(405);
    expect(put({ "x-aws-ec2-metadata-token-ttl-seconds": "60" }, "POST")).toBe(405);
  });

  it("requires a live token of this instance (IMDSv2 required): 401 otherwise", () => {
    expect(get("/latest/meta-data/instance-id", {}).status).toBe(401);
    expect(
      get("/latest/meta-data/instance-id", { "x-aws-ec2-metadata-token": token("i-0fffffffffffffff0") })
        .status,
    ).toBe(401);
    const expired = issueMetadataToken(secret, identity.instanceId, now - 2_000, 1);
    expect(get("/latest/meta-data/instance-id", { "x-aws-ec2-metadata-token": expired }).status).toBe(401);
    const gone = answerMetadataRequest(
      {
        method: "GET",
        url: "/latest/meta-data/instance-id",
        headers: { "x-aws-ec2-metadata-token": token() },
      },
      undefined,
      secret,
      now,
    );
    expect(gone.status).toBe(401);
  });

  it("answers 405 to methods other than GET and HEAD, and 404 to unknown paths with IMDS's page", () => {
    const post = answerMetadataRequest(
      { method: "DELETE", url: "/latest/meta-data/", headers: { "x-aws-ec2-metadata-token": token() } },
      identity,
      secret,
      now,
    );
    expect(post.status).toBe(405);
    const missing = get("/latest/meta-data/nothing-here");
    expect(missing.status).toBe(404);
    expect(missing.headers["content-type"]).toBe("text/html");
    expect(missing.body).toContain("<title>404 - Not Found</title>");
    expect(get("/2009-04-04/meta-data/").status).toBe(404);
    const withBody = answerMetadataRequest(
      { method: "PUT", url: "/latest/api/token", headers: {}, hasBody: true },
      identity,
      secret,
      now,
    );
    expect(withBody.status).toBe(400);
  });
});

describe("metadata paths", () => {
  it("serves the identity leaves", () => {
    expect(get("/latest/meta-data/instance-id").body).toBe(identity.instanceId);
    expect(get("/latest/meta-data/ami-id").body).toBe(identity.imageId);
    expect(get("/latest/meta-data/instance-type").body).toBe("local.process");
    expect(get("/latest/meta-data/local-ipv4").body).toBe("127.0.0.1");
    expect(get("/latest/meta-data/hostname").body).toBe("ip-127-0-0-1.eu-west-1.compute.internal");
    expect(get("/latest/meta-data/local-hostname").body).toBe("ip-127-0-0-1.eu-west-1.compute.internal");
    expect(get("/latest/meta-data/placement/region").body).toBe("eu-west-1");
    expect(get("/latest/meta-data/placement/availability-zone").body).toBe("eu-west-1a");
    expect(get("/latest/meta-data/autoscaling/target-lifecycle-state").body).toBe("InService");
    expect(get("/latest/meta-data/instance-id?x=1").body).toBe(identity.instanceId);
    expect(get("/latest/meta-data/instance-id").headers["content-type"]).toBe("text/plain");
  });

  it("lists directories, subdirectories with a trailing slash, the top levels without", () => {
    expect(get("/").body).toBe("latest");
    expect(get("/latest/").body).toBe("dynamic\nmeta-data\nuser-data");
    expect(get("/latest/meta-data/").body).toBe(
      [
        "ami-id",
        "autoscaling/",
        "hostname",
        "instance-id",
        "instance-life-cycle",
        "instance-type",
        "local-hostname",
        "local-ipv4",
        "placement/",
      ].join("\n"),
    );
    expect(get("/latest/meta-data").body).toBe(get("/latest/meta-data/").body);
    expect(get("/latest/meta-data/placement/").body).toBe("availability-zone\nregion");
    expect(get("/latest/dynamic/instance-identity/").body).toBe("document");
    expect(metadataAt("meta-data/placement/availability-zone/", identity)).toBe("eu-west-1a");
    expect(metadataAt("meta-data//instance-id", identity)).toBeUndefined();
    expect(metadataAt("meta-data/__proto__", identity)).toBeUndefined();
    expect(metadataAt("meta-data/toString", identity)).toBeUndefined();
  });

  it("serves user data as stored, and 404 when the template has none", () => {
    expect(get("/latest/user-data").body).toBe("#!/bin/sh\necho hello\n");
    const without = { ...identity, userData: undefined };
    expect(metadataAt("user-data", without)).toBeUndefined();
    expect(metadataAt("", without)).toBe("dynamic\nmeta-data");
  });

  it("serves the identity document the SDKs read the region from", () => {
    const document = JSON.parse(get("/latest/dynamic/instance-identity/document").body);
    expect(document).toMatchObject({
      accountId: "000000000000",
      availabilityZone: "eu-west-1a",
      imageId: identity.imageId,
      instanceId: identity.instanceId,
      instanceType: "local.process",
      pendingTime: "2026-12-01T09:59:00Z",
      privateIp: "127.0.0.1",
      region: "eu-west-1",
      version: "2017-09-30",
    });
    expect(get("/latest/dynamic/instance-identity/document").body).toContain('"region" : "eu-west-1"');
  });

  it("uses ec2.internal names in us-east-1", () => {
    expect(privateDnsName("127.0.0.1", "us-east-1")).toBe("ip-127-0-0-1.ec2.internal");
  });
});

describe("target-lifecycle-state", () => {
  it("is the steady state an instance is heading for", () => {
    expect(targetLifecycleState("Pending", null)).toBe("InService");
    expect(targetLifecycleState("Pending:Wait", null)).toBe("InService");
    expect(targetLifecycleState("InService", null)).toBe("InService");
    expect(targetLifecycleState("Terminating:Wait", null)).toBe("Terminated");
    expect(targetLifecycleState("EnteringStandby", null)).toBe("Standby");
    expect(targetLifecycleState("Standby", null)).toBe("Standby");
    expect(targetLifecycleState("Detaching", null)).toBe("Detached");
    expect(targetLifecycleState("Warmed:Pending:Wait", "Running")).toBe("Warmed:Running");
    expect(targetLifecycleState("Warmed:Pending", null)).toBe("Warmed:Stopped");
    expect(targetLifecycleState("Warmed:Hibernated", "Hibernated")).toBe("Warmed:Hibernated");
    expect(targetLifecycleState("Warmed:Terminating:Wait", "Stopped")).toBe("Warmed:Terminated");
  });
});

describe("hostile requests", () => {
  it("always get one of IMDS's answers, never an exception", () => {
    const method = fc.oneof(fc.constantFrom("GET", "HEAD", "PUT", "POST", "DELETE", "get"), fc.string());
    const url = fc.oneof(
      fc.constantFrom(
        "/",
        "/latest/api/token",
        "/latest/meta-data/",
        "/latest/user-data",
        "/latest/dynamic/",
      ),
      fc.webPath(),
      fc.string(),
      fc
        .array(fc.constantFrom("latest", "meta-data", "..", "", "__proto__", "placement", "%2F"))
        .map((s) => `/${s.join("/")}`),
    );
    const headerValue = fc.oneof(
      fc.string(),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.constant(undefined),
    );
    const headers = fc.record({
      "x-aws-ec2-metadata-token": fc.oneof(headerValue, fc.constant(token())),
      "x-aws-ec2-metadata-token-ttl-seconds": fc.oneof(headerValue, fc.integer().map(String)),
      "x-forwarded-for": fc.oneof(fc.constant(undefined), fc.string()),
    });
    fc.assert(
      fc.property(method, url, headers, fc.boolean(), (m, u, h, hasBody) => {
        const answer = answerMetadataRequest(
          { method: m, url: u, headers: h, hasBody },
          identity,
          secret,
          now,
        );
        expect([200, 400, 401, 403, 404, 405]).toContain(answer.status);
        expect(typeof answer.body).toBe("string");
      }),
      { numRuns: 2_000 },
    );
  });
});
