import { inArray } from "drizzle-orm";
import { type Db, readTransaction } from "./client.ts";
import { instances } from "./schema/auto-scaling.ts";
import {
  actionTargetGroups,
  certificates,
  listenerCertificates,
  listeners,
  loadBalancers,
  rules,
  targetGroups,
  targets,
} from "./schema/elb.ts";
import { ipSets, webAclAssociations, webAcls } from "./schema/waf.ts";
import { readConfigVersion } from "./version.ts";

/**
 * What the data plane compiles its snapshot from: the rows of the registry it routes on, as plain JSON
 * values (no Date, no Buffer), so that the same value comes from SQLite in the local proxy and over
 * GET /v1/proxy/snapshot for a proxy on another host. Only the certificates listeners use travel (with
 * their private keys: the reason the endpoint wants the api token and, beyond loopback, TLS).
 */
export interface RegistryData {
  version: number;
  loadBalancers: Array<
    Pick<typeof loadBalancers.$inferSelect, "arn" | "name" | "type" | "state" | "stateReason" | "attributes">
  >;
  listeners: Array<
    Pick<
      typeof listeners.$inferSelect,
      | "arn"
      | "loadBalancerArn"
      | "protocol"
      | "port"
      | "sslPolicy"
      | "certificates"
      | "alpnPolicy"
      | "attributes"
    >
  >;
  rules: Array<
    Pick<typeof rules.$inferSelect, "arn" | "listenerArn" | "priority" | "conditions" | "actions">
  >;
  targetGroups: Array<
    Pick<
      typeof targetGroups.$inferSelect,
      "arn" | "name" | "protocol" | "port" | "healthCheck" | "attributes"
    >
  >;
  /** Which load balancers use a target group (health checks run only for groups in use). */
  actionTargetGroups: Array<
    Pick<typeof actionTargetGroups.$inferSelect, "targetGroupArn" | "loadBalancerArn">
  >;
  targets: Array<
    Pick<
      typeof targets.$inferSelect,
      | "targetGroupArn"
      | "targetId"
      | "port"
      | "state"
      | "reason"
      | "description"
      | "registeredAt"
      | "drainDeadline"
    >
  >;
  /** Instance targets connect to their instance's address. */
  instances: Array<Pick<typeof instances.$inferSelect, "id" | "address">>;
  listenerCertificates: Array<typeof listenerCertificates.$inferSelect>;
  certificates: Array<
    Pick<
      typeof certificates.$inferSelect,
      | "arn"
      | "domainName"
      | "subjectAlternativeNames"
      | "keyAlgorithm"
      | "notAfter"
      | "certificatePem"
      | "chainPem"
      | "privateKeyPem"
    >
  >;
  webAclAssociations: Array<Pick<typeof webAclAssociations.$inferSelect, "resourceArn" | "webAclArn">>;
  ipSets: Array<Pick<typeof ipSets.$inferSelect, "arn" | "id" | "name" | "ipAddressVersion" | "addresses">>;
  webAcls: Array<
    Pick<
      typeof webAcls.$inferSelect,
      | "arn"
      | "id"
      | "name"
      | "defaultAction"
      | "rules"
      | "visibilityConfig"
      | "capacity"
      | "customResponseBodies"
    >
  >;
}

/** The tables of RegistryData, for checks of a copy received from elsewhere. */
export const registryDataTables = [
  "loadBalancers",
  "listeners",
  "rules",
  "targetGroups",
  "actionTargetGroups",
  "targets",
  "instances",
  "listenerCertificates",
  "certificates",
  "webAclAssociations",
  "ipSets",
  "webAcls",
] as const satisfies ReadonlyArray<Exclude<keyof RegistryData, "version">>;

/** One read transaction: a consistent view even while the api writes. */
export function readRegistryData(db: Db): RegistryData {
  return readTransaction(db, (tx) => {
    const listenerRows = tx
      .select({
        arn: listeners.arn,
        loadBalancerArn: listeners.loadBalancerArn,
        protocol: listeners.protocol,
        port: listeners.port,
        sslPolicy: listeners.sslPolicy,
        certificates: listeners.certificates,
        alpnPolicy: listeners.alpnPolicy,
        attributes: listeners.attributes,
      })
      .from(listeners)
      .all();
    const links = tx.select().from(listenerCertificates).all();
    // The certificates listeners use, by link or by a listener's legacy `certificates` column.
    const used = new Set(links.map((l) => l.certificateArn));
    for (const l of listenerRows) for (const c of l.certificates ?? []) used.add(c.certificateArn);
    const associations = tx
      .select({ resourceArn: webAclAssociations.resourceArn, webAclArn: webAclAssociations.webAclArn })
      .from(webAclAssociations)
      .all();
    const aclArns = [...new Set(associations.map((a) => a.webAclArn))];
    return {
      version: readConfigVersion(tx),
      loadBalancers: tx
        .select({
          arn: loadBalancers.arn,
          name: loadBalancers.name,
          type: loadBalancers.type,
          state: loadBalancers.state,
          stateReason: loadBalancers.stateReason,
          attributes: loadBalancers.attributes,
        })
        .from(loadBalancers)
        .all(),
      listeners: listenerRows,
      rules: tx
        .select({
          arn: rules.arn,
          listenerArn: rules.listenerArn,
          priority: rules.priority,
          conditions: rules.conditions,
          actions: rules.actions,
        })
        .from(rules)
        .all(),
      targetGroups: tx
        .select({
          arn: targetGroups.arn,
          name: targetGroups.name,
          protocol: targetGroups.protocol,
          port: targetGroups.port,
          healthCheck: targetGroups.healthCheck,
          attributes: targetGroups.attributes,
        })
        .from(targetGroups)
        .all(),
      actionTargetGroups: tx
        .select({
          targetGroupArn: actionTargetGroups.targetGroupArn,
          loadBalancerArn: actionTargetGroups.loadBalancerArn,
        })
        .from(actionTargetGroups)
        .all(),
      targets: tx
        .select({
          targetGroupArn: targets.targetGroupArn,
          targetId: targets.targetId,
          port: targets.port,
          state: targets.state,
          reason: targets.reason,
          description: targets.description,
          registeredAt: targets.registeredAt,
          drainDeadline: targets.drainDeadline,
        })
        .from(targets)
        .all(),
      instances: tx.select({ id: instances.id, address: instances.address }).from(instances).all(),
      listenerCertificates: links,
      certificates:
        used.size === 0
          ? []
          : tx
              .select({
                arn: certificates.arn,
                domainName: certificates.domainName,
                subjectAlternativeNames: certificates.subjectAlternativeNames,
                keyAlgorithm: certificates.keyAlgorithm,
                notAfter: certificates.notAfter,
                certificatePem: certificates.certificatePem,
                chainPem: certificates.chainPem,
                privateKeyPem: certificates.privateKeyPem,
              })
              .from(certificates)
              .where(inArray(certificates.arn, [...used]))
              .all(),
      webAclAssociations: associations,
      ipSets:
        associations.length === 0
          ? []
          : tx
              .select({
                arn: ipSets.arn,
                id: ipSets.id,
                name: ipSets.name,
                ipAddressVersion: ipSets.ipAddressVersion,
                addresses: ipSets.addresses,
              })
              .from(ipSets)
              .all(),
      webAcls:
        aclArns.length === 0
          ? []
          : tx
              .select({
                arn: webAcls.arn,
                id: webAcls.id,
                name: webAcls.name,
                defaultAction: webAcls.defaultAction,
                rules: webAcls.rules,
                visibilityConfig: webAcls.visibilityConfig,
                capacity: webAcls.capacity,
                customResponseBodies: webAcls.customResponseBodies,
              })
              .from(webAcls)
              .where(inArray(webAcls.arn, aclArns))
              .all(),
    };
  });
}
