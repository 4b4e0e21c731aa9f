import { invalidParameter, wafRead } from "@scaleout/core";
import { schema } from "@scaleout/db";
import { eq } from "drizzle-orm";
import { mutate, type ServiceContext } from "./context.ts";
import { nonexistent, parseWafArn } from "./waf-common.ts";
import { webAclView } from "./waf-web-acls.ts";

/*
 * Which Application Load Balancer a web ACL protects (AssociateWebACL and friends). One web ACL a load
 * balancer: associating again replaces it, as WAF does. A Network Load Balancer, or an ARN that is no
 * load balancer at all, is refused with WAFInvalidParameterException (field RESOURCE_ARN); an ALB ARN
 * that names nothing with WAFNonexistentItemException.
 */

const { webAcls, webAclAssociations, loadBalancers } = schema;

type Input = Record<string, unknown>;

const arnRule = { min: 20, max: 2048, pattern: /.*\S.*/s, patternText: ".*\\S.*" };

const albArn = /^arn:aws:elasticloadbalancing:[^:]*:[^:]*:loadbalancer\/app\/[^/]+\/[^/]+$/;

export function webAclAssociationService(ctx: ServiceContext) {
  const { db } = ctx;

  /** The load balancer an ARN names, if it is an ALB that exists. */
  function requireAlb(arn: string): string {
    if (!albArn.test(arn))
      throw invalidParameter(
        "RESOURCE_ARN",
        arn,
        "The ARN isn't valid for a resource that a web ACL can protect.",
      );
    const lb = db
      .select({ arn: loadBalancers.arn, type: loadBalancers.type })
      .from(loadBalancers)
      .where(eq(loadBalancers.arn, arn))
      .get();
    if (!lb) throw nonexistent();
    if (lb.type !== "application")
      throw invalidParameter(
        "RESOURCE_ARN",
        arn,
        "The ARN isn't valid for a resource that a web ACL can protect.",
      );
    return lb.arn;
  }

  function requireWebAcl(arn: string) {
    if (parseWafArn(arn)?.kind !== "webacl")
      throw invalidParameter("RESOURCE_ARN", arn, "The ARN isn't a web ACL's.");
    const row = db.select().from(webAcls).where(eq(webAcls.arn, arn)).get();
    if (!row) throw nonexistent();
    return row;
  }

  return {
    associate(input: Input) {
      const webAclArn = wafRead.str(input.WebACLArn, "webACLArn", arnRule);
      const resourceArn = wafRead.str(input.ResourceArn, "resourceArn", arnRule);
      mutate(ctx, (tx) => {
        requireWebAcl(webAclArn);
        requireAlb(resourceArn);
        tx.insert(webAclAssociations)
          .values({ resourceArn, webAclArn, createdAt: ctx.now() })
          .onConflictDoUpdate({
            target: webAclAssociations.resourceArn,
            set: { webAclArn, createdAt: ctx.now() },
          })
          .run();
      });
    },

    /** Disassociating a load balancer that has no web ACL succeeds, as in WAF. */
    disassociate(input: Input) {
      const resourceArn = wafRead.str(input.ResourceArn, "resourceArn", arnRule);
      mutate(ctx, (tx) => {
        requireAlb(resourceArn);
        tx.delete(webAclAssociations).where(eq(webAclAssociations.resourceArn, resourceArn)).run();
      });
    },

    /** GetWebACLForResource: the web ACL, or none (an empty answer) for an unprotected load balancer. */
    forResource(input: Input) {
      const resourceArn = wafRead.str(input.ResourceArn, "resourceArn", arnRule);
      requireAlb(resourceArn);
      const association = db
        .select()
        .from(webAclAssociations)
        .where(eq(webAclAssociations.resourceArn, resourceArn))
        .get();
      if (!association) return {};
      const row = db.select().from(webAcls).where(eq(webAcls.arn, association.webAclArn)).get();
      return row ? { WebACL: webAclView(row, ctx.partition.accountId) } : {};
    },

    listResources(input: Input) {
      const webAclArn = wafRead.str(input.WebACLArn, "webACLArn", arnRule);
      const type = wafRead.optStr(input.ResourceType, "resourceType", {
        enum: [
          "APPLICATION_LOAD_BALANCER",
          "API_GATEWAY",
          "APPSYNC",
          "COGNITO_USER_POOL",
          "APP_RUNNER_SERVICE",
          "VERIFIED_ACCESS_INSTANCE",
          "AMPLIFY",
          "AGENTCORE_GATEWAY",
        ],
      });
      requireWebAcl(webAclArn);
      // Only load balancers can be protected here; any other type has nothing associated.
      if (type !== undefined && type !== "APPLICATION_LOAD_BALANCER") return { ResourceArns: [] };
      const rows = db
        .select({ arn: webAclAssociations.resourceArn })
        .from(webAclAssociations)
        .where(eq(webAclAssociations.webAclArn, webAclArn))
        .all();
      return { ResourceArns: rows.map((r) => r.arn).sort() };
    },
  };
}
