import { type Action, pickWeightedGroup, type RequestFacts } from "@scaleout/core";
import type { ClientResponse } from "./client-messages.ts";
import type { DataPlane } from "./data-plane.ts";
import type { RequestContext, RequestOutcomes } from "./request-context.ts";
import type { SystemResources } from "./resources.ts";
import type { CompiledRule, ListenerConfig } from "./snapshot.ts";
import { groupCookie, stickyGroupArn, stickyTarget } from "./stickiness.ts";
import { screenRequest } from "./waf/screen.ts";

/**
 * Request facts → rule → action → target group → target: the one routing decision every listener kind
 * uses (plain HTTP requests and upgrades today; TLS, HTTP/2 and layer 4 listeners later), so no path can
 * reach a target without passing the listener's rules.
 */
export class Router {
  constructor(
    private readonly resources: SystemResources,
    private readonly plane: DataPlane,
  ) {}

  /** The load balancer's web ACL, before any rule: answers whether it answered the request (blocked). */
  screen(ctx: RequestContext, res: ClientResponse, outcomes: RequestOutcomes): boolean {
    return screenRequest(this.resources, ctx, res, outcomes);
  }

  /** The first rule by priority whose conditions hold; the default rule (priority null) always does. */
  match(listener: ListenerConfig, facts: RequestFacts): CompiledRule | undefined {
    for (const rule of listener.rules) {
      if (rule.priority === null || rule.matches(facts)) return rule;
    }
    return undefined;
  }

  /**
   * A forward action's group (group stickiness, else weighted) and target (target stickiness, else the
   * group's algorithm), set on `ctx`; cookies to set go into `cookies`. Answers the error reason when no
   * target can be chosen (503).
   */
  forward(action: Action, ctx: RequestContext, cookies: Array<[string, string]>): string | undefined {
    const tuples =
      action.forwardConfig?.targetGroups ??
      (action.targetGroupArn ? [{ targetGroupArn: action.targetGroupArn, weight: 1 }] : []);
    const cookieHeader = ctx.req.headers.cookie;
    const now = this.resources.now();
    const groupArn =
      stickyGroupArn(action, tuples, cookieHeader) ?? pickWeightedGroup(tuples, this.resources.random);
    if (groupArn !== undefined) {
      const cookie = groupCookie(action, groupArn, now);
      if (cookie !== undefined) cookies.push(["set-cookie", cookie]);
    }
    const group = groupArn !== undefined ? this.plane.groups.get(groupArn) : undefined;
    if (!group) return "NoTargetGroup";
    ctx.group = group;
    const target = stickyTarget(group, cookieHeader, now) ?? group.pick(ctx.clientIp, now);
    if (!target) return "NoRegisteredTargets";
    ctx.target = target;
    return undefined;
  }
}
