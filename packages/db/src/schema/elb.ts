import type { Action, HealthCheckSettings, RuleCondition } from "@scaleout/core";
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/* Elastic Load Balancing: load balancers, listeners, their certificates and rules, target groups and targets. */

export const loadBalancers = sqliteTable("load_balancers", {
  arn: text("arn").primaryKey(),
  name: text("name").notNull().unique(),
  dnsName: text("dns_name").notNull(),
  scheme: text("scheme").notNull(),
  type: text("type").notNull(),
  ipAddressType: text("ip_address_type").notNull(),
  state: text("state").notNull(),
  /** Why the state is what it is (active_impaired: which listener cannot bind and why); the proxy writes it. */
  stateReason: text("state_reason"),
  attributes: text("attributes", { mode: "json" }).$type<Record<string, string>>().notNull(),
  createdAt: integer("created_at").notNull(),
});

export const listeners = sqliteTable(
  "listeners",
  {
    arn: text("arn").primaryKey(),
    loadBalancerArn: text("load_balancer_arn")
      .notNull()
      .references(() => loadBalancers.arn, { onDelete: "cascade" }),
    protocol: text("protocol").notNull(),
    port: integer("port").notNull(),
    sslPolicy: text("ssl_policy"),
    certificates: text("certificates", { mode: "json" }).$type<Array<{ certificateArn: string }>>(),
    defaultActions: text("default_actions", { mode: "json" }).$type<Action[]>().notNull(),
    /** TLS listeners of network load balancers: HTTP1Only, HTTP2Only, HTTP2Optional, HTTP2Preferred or None. */
    alpnPolicy: text("alpn_policy"),
    /** ModifyListenerAttributes: tcp.idle_timeout.seconds on a network load balancer's TCP listeners, ... */
    attributes: text("attributes", { mode: "json" })
      .$type<Record<string, string>>()
      .notNull()
      .default(sql`'{}'`),
    createdAt: integer("created_at").notNull(),
  },
  // Every listener binds the same host here, so a port is unique across load balancers, not only within one.
  (t) => [
    uniqueIndex("listeners_port_unique").on(t.port),
    index("listeners_load_balancer").on(t.loadBalancerArn),
  ],
);

/**
 * Certificates as AWS Certificate Manager holds them: imported (PEM certificate, key and chain) or issued by
 * scaleout's local certificate authority (RequestCertificate). Re-importing to an ARN rotates the material
 * in place. The private key is a column because a rotation must replace certificate and key in one
 * transaction; the database file is owner-only, and no API ever returns the key.
 */
export const certificates = sqliteTable("certificates", {
  arn: text("arn").primaryKey(),
  domainName: text("domain_name").notNull(),
  subjectAlternativeNames: text("subject_alternative_names", { mode: "json" }).$type<string[]>().notNull(),
  /** IMPORTED or AMAZON_ISSUED (issued by the local certificate authority). */
  type: text("type").notNull(),
  /** ISSUED, EXPIRED, ... as ACM names them. */
  status: text("status").notNull(),
  /** ACM's KeyAlgorithm: RSA_2048, EC_prime256v1, ... */
  keyAlgorithm: text("key_algorithm").notNull(),
  serial: text("serial").notNull(),
  subject: text("subject").notNull(),
  issuer: text("issuer").notNull(),
  notBefore: integer("not_before").notNull(),
  notAfter: integer("not_after").notNull(),
  certificatePem: text("certificate_pem").notNull(),
  chainPem: text("chain_pem"),
  privateKeyPem: text("private_key_pem").notNull(),
  /** RequestCertificate's options and idempotency token, as JSON (null when imported). */
  request: text("request", { mode: "json" }).$type<Record<string, unknown>>(),
  createdAt: integer("created_at").notNull(),
  /** When the material was last imported (ImportedAt); null for issued certificates. */
  importedAt: integer("imported_at"),
  /** When the local authority issued it (IssuedAt); null for imported certificates. */
  issuedAt: integer("issued_at"),
});

/**
 * The certificates of HTTPS (and later TLS) listeners: the default one (`isDefault`) and the SNI certificates
 * added by AddListenerCertificates. The foreign key to a certificate restricts, so deleting a certificate
 * in use fails in the database (ACM's ResourceInUseException), as a target group in use does.
 */
export const listenerCertificates = sqliteTable(
  "listener_certificates",
  {
    listenerArn: text("listener_arn")
      .notNull()
      .references(() => listeners.arn, { onDelete: "cascade" }),
    certificateArn: text("certificate_arn")
      .notNull()
      .references(() => certificates.arn, { onDelete: "restrict" }),
    isDefault: integer("is_default", { mode: "boolean" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.listenerArn, t.certificateArn] }),
    index("listener_certificates_certificate").on(t.certificateArn),
  ],
);

export const rules = sqliteTable(
  "rules",
  {
    arn: text("arn").primaryKey(),
    listenerArn: text("listener_arn")
      .notNull()
      .references(() => listeners.arn, { onDelete: "cascade" }),
    /** Null for the listener's default rule. */
    priority: integer("priority"),
    conditions: text("conditions", { mode: "json" }).$type<RuleCondition[]>().notNull(),
    actions: text("actions", { mode: "json" }).$type<Action[]>().notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("rules_listener_priority").on(t.listenerArn, t.priority)],
);

export const targetGroups = sqliteTable("target_groups", {
  arn: text("arn").primaryKey(),
  name: text("name").notNull().unique(),
  protocol: text("protocol").notNull(),
  protocolVersion: text("protocol_version").notNull(),
  port: integer("port").notNull(),
  targetType: text("target_type").notNull(),
  vpcId: text("vpc_id").notNull(),
  healthCheck: text("health_check", { mode: "json" }).$type<HealthCheckSettings>().notNull(),
  attributes: text("attributes", { mode: "json" }).$type<Record<string, string>>().notNull(),
  createdAt: integer("created_at").notNull(),
});

/**
 * Which listener or rule forwards to which target group: kept beside the action JSON so that deleting a
 * target group in use fails on the foreign key (ResourceInUse) and "load balancers of a target group"
 * is a join, not a scan.
 */
export const actionTargetGroups = sqliteTable(
  "action_target_groups",
  {
    ownerArn: text("owner_arn").notNull(),
    listenerArn: text("listener_arn")
      .notNull()
      .references(() => listeners.arn, { onDelete: "cascade" }),
    loadBalancerArn: text("load_balancer_arn").notNull(),
    targetGroupArn: text("target_group_arn")
      .notNull()
      .references(() => targetGroups.arn, { onDelete: "restrict" }),
  },
  (t) => [
    primaryKey({ columns: [t.ownerArn, t.targetGroupArn] }),
    index("action_target_groups_tg").on(t.targetGroupArn),
  ],
);

export const targets = sqliteTable(
  "targets",
  {
    targetGroupArn: text("target_group_arn")
      .notNull()
      .references(() => targetGroups.arn, { onDelete: "cascade" }),
    targetId: text("target_id").notNull(),
    port: integer("port").notNull(),
    availabilityZone: text("availability_zone"),
    /** initial | healthy | unhealthy | draining (unused and unavailable are derived when read). */
    state: text("state").notNull(),
    reason: text("reason"),
    description: text("description"),
    registeredAt: integer("registered_at").notNull(),
    /** Set on deregistration: the target drains until this time at the latest. */
    drainDeadline: integer("drain_deadline"),
    /**
     * When its in-flight requests finished: deregistration is complete (its instance may stop), but the
     * target shows `draining` until drainDeadline, as AWS shows it.
     */
    drainedAt: integer("drained_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.targetGroupArn, t.targetId, t.port] })],
);
