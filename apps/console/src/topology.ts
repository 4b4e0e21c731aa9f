import { html } from "htm/preact";
import type { TargetGroupView, TopologyView } from "../../api/src/console/view-types.ts";
import { ActionButton } from "./action-button.ts";
import { actions } from "./api.ts";
import { useView } from "./live.ts";
import { Status } from "./status.ts";

/* Load balancers → listeners → rules → target groups → targets, each target coloured by its health. */

function TargetGroup({ group }: { group: TargetGroupView }) {
  return html`<div class="target-group" data-testid=${`tg-${group.name}`}>
    <div class="tg-name">${group.name} <small>${group.protocol}:${group.port} ${group.healthCheckPath ?? ""}</small></div>
    <ul class="targets">
      ${group.targets.length === 0 && html`<li class="muted">no targets</li>`}
      ${group.targets.map(
        (t) => html`<li
          class=${`target health-${t.state}`}
          data-testid="target"
          data-state=${t.state}
          title=${[t.state, t.reason, t.description].filter(Boolean).join(" — ")}
        >
          ${t.id}:${t.port} <span class="state">${t.state}</span>
          <${ActionButton}
            label="deregister"
            title="DeregisterTargets"
            run=${() => actions.deregisterTarget(group.name, t.id, t.port)}
          />
        </li>`,
      )}
    </ul>
  </div>`;
}

export function TopologyPage() {
  const { data, problem } = useView<TopologyView>("topology");
  if (problem) return html`<p class="error">${problem}</p>`;
  if (!data) return html`<p class="muted">Loading…</p>`;
  const byName = new Map(data.targetGroups.map((g) => [g.name, g]));
  const used = new Set<string>();
  const targets = data.targetGroups.reduce((n, g) => n + g.targets.length, 0);
  return html`<section data-testid="topology">
    <h1>Topology</h1>
    <p class="muted" data-testid="topology-counts">
      ${data.loadBalancers.length} load balancers, ${data.targetGroups.length} target groups, ${targets} targets
    </p>
    ${data.loadBalancers.map(
      (lb) => html`<article class="lb" data-testid=${`lb-${lb.name}`}>
        <h2>${lb.name} <${Status} value=${lb.state} title=${lb.stateReason} /></h2>
        <div class="muted">${lb.dnsName}</div>
        ${lb.listeners.length === 0 && html`<p class="muted">no listeners</p>`}
        ${lb.listeners.map(
          (listener) => html`<div class="listener">
            <h3>${listener.protocol}:${listener.port}</h3>
            ${listener.rules.map(
              (rule) => html`<div class="rule">
                <div class="rule-head">
                  <span class="priority">${rule.priority}</span> ${rule.conditions} → ${rule.action}
                </div>
                ${rule.forwardsTo.map((name) => {
                  used.add(name);
                  const group = byName.get(name);
                  return group
                    ? html`<${TargetGroup} group=${group} />`
                    : html`<div class="muted">${name}</div>`;
                })}
              </div>`,
            )}
          </div>`,
        )}
      </article>`,
    )}
    ${(() => {
      const rest = data.targetGroups.filter((g) => !used.has(g.name));
      return rest.length
        ? html`<article class="lb"><h2>Target groups of no listener</h2>
            ${rest.map((g) => html`<${TargetGroup} group=${g} />`)}</article>`
        : null;
    })()}
  </section>`;
}
