import type { RuleCondition } from "@scaleout/core";
import { actions } from "./elbv2-listener.ts";
import type { ResourceProvider } from "./types.ts";
import { numberProp, prop, requiredString } from "./types.ts";

/** AWS::ElasticLoadBalancingV2::ListenerRule. Ref: the ARN. */
export const listenerRuleProvider: ResourceProvider = {
  // scaleout changes a priority only through SetRulePriorities: a new priority makes a new rule.
  replaces: ["ListenerArn", "Priority"],
  create({ services, properties }) {
    const rule = services.rules.create(requiredString(properties, "ListenerArn"), {
      priority: numberProp(properties, "Priority"),
      conditions: prop<RuleCondition[]>(properties, "Conditions") ?? [],
      actions: actions(properties, "Actions") ?? [],
    });
    return { physicalId: rule.ruleArn, attributes: { RuleArn: rule.ruleArn, IsDefault: rule.isDefault } };
  },
  /** The rule the interrupted call made: the listener's at the same priority. */
  adopt({ services, properties }) {
    const priority = String(numberProp(properties, "Priority"));
    const rule = services.rules
      .list({ listenerId: requiredString(properties, "ListenerArn"), pageSize: 100 })
      .items.find((candidate) => candidate.priority === priority);
    return rule === undefined
      ? undefined
      : { physicalId: rule.ruleArn, attributes: { RuleArn: rule.ruleArn, IsDefault: rule.isDefault } };
  },
  update({ services, physicalId, properties }) {
    const rule = services.rules.modify(physicalId, {
      conditions: prop<RuleCondition[]>(properties, "Conditions") ?? [],
      actions: actions(properties, "Actions") ?? [],
    });
    return { physicalId, attributes: { RuleArn: rule.ruleArn, IsDefault: rule.isDefault } };
  },
  delete({ services, physicalId }) {
    services.rules.delete(physicalId);
  },
};
