import { html } from "htm/preact";
import { useState } from "preact/hooks";
import type { GroupDetailView, GroupsView } from "../../api/src/console/view-types.ts";
import { ActionButton } from "./action-button.ts";
import { AlarmTable } from "./alarms.ts";
import { actions } from "./api.ts";
import { Chart } from "./chart.ts";
import { useView } from "./live.ts";
import { Status } from "./status.ts";

/* The Auto Scaling groups: a list, and one group's capacity over time, instances, activities and alarms. */

export function GroupsPage() {
  const { data, problem } = useView<GroupsView>("groups");
  if (problem) return html`<p class="error">${problem}</p>`;
  if (!data) return html`<p class="muted">Loading…</p>`;
  return html`<section>
    <h1>Auto Scaling groups</h1>
    ${data.groups.length === 0 && html`<p class="muted">No groups.</p>`}
    <table>
      <thead><tr><th>Group</th><th>Desired</th><th>Min</th><th>Max</th><th>InService</th><th>Pending</th></tr></thead>
      <tbody>
        ${data.groups.map(
          (g) => html`<tr>
            <td><a href=${`#/groups/${encodeURIComponent(g.name)}`}>${g.name}</a></td>
            <td>${g.desired}</td><td>${g.min}</td><td>${g.max}</td><td>${g.inService}</td><td>${g.pending}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

function DesiredForm({ name, desired }: { name: string; desired: number }) {
  const [value, setValue] = useState(String(desired));
  return html`<span class="desired-form">
    <input
      type="number"
      min="0"
      value=${value}
      data-testid="desired-input"
      onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)}
    />
    <${ActionButton}
      label="Set desired capacity"
      testId="set-desired"
      run=${() => actions.setDesiredCapacity(name, Number(value))}
    />
  </span>`;
}

export function GroupPage({ name }: { name: string }) {
  const { data, problem } = useView<GroupDetailView>("group", name);
  if (problem) return html`<p class="error">${problem}</p>`;
  if (!data) return html`<p class="muted">Loading…</p>`;
  const { group } = data;
  const times = data.history.map((s) => s[0]);
  return html`<section data-testid="group">
    <h1>${group.name}</h1>
    <div class="counts">
      <div><b data-testid="desired">${group.desired}</b> desired</div>
      <div><b data-testid="in-service">${group.inService}</b> in service</div>
      <div><b data-testid="pending">${group.pending}</b> pending</div>
      <div class="muted">min ${group.min}, max ${group.max}</div>
      <${DesiredForm} name=${group.name} desired=${group.desired} />
    </div>
    <${Chart}
      title="Capacity"
      testId="capacity-chart"
      times=${times}
      series=${[
        { label: "desired", values: data.history.map((s) => s[1]) },
        { label: "in service", values: data.history.map((s) => s[2]) },
        { label: "pending", values: data.history.map((s) => s[3]) },
      ]}
    />
    <h2>Instances</h2>
    <table data-testid="instances">
      <thead><tr><th>Instance</th><th>Lifecycle</th><th>Health</th><th>Template version</th><th></th></tr></thead>
      <tbody>
        ${data.instances.map(
          (i) => html`<tr data-testid="instance" data-instance=${i.id} data-state=${i.lifecycleState}>
            <td>${i.id}${i.protectedFromScaleIn ? " 🔒" : ""}</td>
            <td><${Status} value=${i.lifecycleState} /></td>
            <td><${Status} value=${i.healthStatus} /></td>
            <td>${i.templateVersion}</td>
            <td>
              <${ActionButton} label="terminate" title="TerminateInstanceInAutoScalingGroup, keeping the desired capacity"
                run=${() => actions.terminateInstance(i.id, false)} />
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
    <h2>Alarms</h2>
    <${AlarmTable} alarms=${data.alarms} />
    <h2>Activity history</h2>
    <table class="activities" data-testid="activities">
      <thead><tr><th>Status</th><th>Description</th><th>Cause</th><th>Start</th><th>End</th></tr></thead>
      <tbody>
        ${data.activities.map(
          (a) => html`<tr>
            <td><${Status} value=${a.status} /></td>
            <td>${a.description}</td>
            <td class="cause">${a.cause}</td>
            <td><time>${a.startTime.slice(11, 19)}</time></td>
            <td><time>${a.endTime?.slice(11, 19) ?? ""}</time></td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
