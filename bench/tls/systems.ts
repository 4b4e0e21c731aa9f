// The two systems bench/tls measures side by side, each terminating TLS with the same certificate and
// security policy on its own loopback port over the same two targets: scaleout's proxy (an HTTPS
// listener, HTTP/2 by ALPN) and nginx with one worker (`listen ... ssl http2`).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findSslPolicy, limitsFor } from "@scaleout/core";
import { createDb, runMigrations } from "@scaleout/db";
import { freePort } from "@scaleout/queue";
import { createContext, createServices } from "@scaleout/services";
import { proxyNodeEnv } from "../../apps/proxy/src/process-settings.ts";
import { start } from "../lib/measure.ts";
import { addUnmatchedRules } from "../proxy/systems.ts";

export interface TlsSystem {
  name: string;
  port: number;
  /** Root of the process tree whose CPU is the system's. */
  pid: number | undefined;
  /** Whether it is measured with HTTP/2 too (a baseline build may not speak it). */
  http2: boolean;
}

/** A self-signed certificate for 127.0.0.1 and localhost (clients do not verify: wrk and h2load never do). */
export interface BenchCertificate {
  certFile: string;
  keyFile: string;
  certificatePem: string;
  privateKeyPem: string;
}

export function makeCertificate(work: string, key: "rsa" | "ec"): BenchCertificate {
  const certFile = join(work, "bench.pem");
  const keyFile = join(work, "bench.key");
  const keyArgs =
    key === "rsa" ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      ...keyArgs,
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      "2",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  return {
    certFile,
    keyFile,
    certificatePem: readFileSync(certFile, "utf8"),
    privateKeyPem: readFileSync(keyFile, "utf8"),
  };
}

/** nginx's spelling of an ELB security policy: the same protocols, TLS 1.2 ciphers and TLS 1.3 suites. */
function nginxPolicy(policyName: string): string {
  const policy = findSslPolicy(policyName);
  if (!policy) throw new Error(`unknown security policy ${policyName}`);
  const suites = policy.ciphers.filter((c) => c.startsWith("TLS_"));
  const ciphers = policy.ciphers.filter((c) => !c.startsWith("TLS_"));
  const lines = [
    `ssl_protocols ${policy.protocols.join(" ")};`,
    "ssl_prefer_server_ciphers on;",
    // Session tickets on (nginx's default, as node:tls issues them too); wrk resumes no session, so
    // every `Connection: close` request is a full handshake on both.
  ];
  if (ciphers.length > 0) lines.push(`ssl_ciphers ${ciphers.join(":")};`);
  if (suites.length > 0) lines.push(`ssl_conf_command Ciphersuites ${suites.join(":")};`);
  return lines.join("\n    ");
}

/** nginx, one worker, TLS and HTTP/2 on one port, upstream keep-alive to both targets, no access log. */
export async function startTlsNginx(
  work: string,
  targets: number[],
  cert: BenchCertificate,
  policyName: string,
): Promise<TlsSystem> {
  const port = await freePort();
  const dir = join(work, "nginx");
  const conf = join(work, "nginx.conf");
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${dir}.pid;
error_log ${dir}-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}-body;
  proxy_temp_path ${dir}-proxy;
  upstream targets { ${targets.map((t) => `server 127.0.0.1:${t};`).join(" ")} keepalive 64; }
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${cert.certFile};
    ssl_certificate_key ${cert.keyFile};
    ${nginxPolicy(policyName)}
    http2_max_concurrent_streams 128;
    keepalive_requests 100000;
    location / {
      proxy_pass http://targets;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const child = start("nginx", ["-c", conf, "-p", work, "-g", "daemon off;"]);
  return { name: "nginx 1 worker", port, pid: child.pid, http2: true };
}

/**
 * A registry with one HTTPS listener (the certificate as ImportCertificate stores it, the policy named)
 * forwarding to a group of `targets`, after 10 path rules that never match (as bench/proxy's matrix).
 */
export function writeTlsRegistry(
  dataDir: string,
  listenerPort: number,
  targets: number[],
  cert: BenchCertificate,
  policyName: string,
): void {
  const handle = createDb(join(dataDir, "scaleout.db"));
  runMigrations(handle.db);
  const services = createServices(createContext(handle.db, { limits: limitsFor(true) }));
  services.loadBalancers.create({ name: "bench" });
  const { targetGroup } = services.targetGroups.create({
    name: "bench-tg",
    protocol: "HTTP",
    port: 80,
    targetType: "ip",
    healthCheckIntervalSeconds: 5,
  });
  const { certificateArn } = services.certificates.import({
    certificate: cert.certificatePem,
    privateKey: cert.privateKeyPem,
  });
  const listener = services.listeners.create("bench", {
    protocol: "HTTPS",
    port: listenerPort,
    sslPolicy: policyName,
    certificates: [{ certificateArn }],
    defaultActions: [{ type: "forward", targetGroupArn: targetGroup.targetGroupArn }],
  });
  addUnmatchedRules(services, listener.listenerArn, 10);
  services.targetGroups.register(
    "bench-tg",
    targets.map((port) => ({ id: "127.0.0.1", port })),
  );
  handle.close();
}

/** scaleout's proxy from a bundle, one worker, its own registry with the HTTPS listener. */
export async function startTlsScaleout(
  work: string,
  targets: number[],
  cert: BenchCertificate,
  policyName: string,
  options: { bundle: string; node: string; nodeArgs: string[]; name: string; http2: boolean },
): Promise<TlsSystem> {
  const port = await freePort();
  const dataDir = join(work, options.name.replace(/[^a-z0-9]+/gi, "-"));
  writeTlsRegistry(dataDir, port, targets, cert, policyName);
  const child = start(options.node, [...options.nodeArgs, options.bundle], {
    // npm start's environment for the proxy, unless the shell running the bench sets its own.
    ...proxyNodeEnv,
    ...process.env,
    SCALEOUT_DATA_DIR: dataDir,
    REDIS_URL: "",
    NODE_ENV: "production",
    SCALEOUT_PROXY_WORKERS: "1",
    // nginx runs with access_log off: like with like.
    SCALEOUT_ACCESS_LOG: "off",
  });
  return { name: options.name, port, pid: child.pid, http2: options.http2 };
}
