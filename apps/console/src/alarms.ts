import { html } from "htm/preact";
import type { AlarmView } from "../../api/src/console/view-types.ts";
import { ActionButton } from "./action-button.ts";
import { actions } from "./api.ts";
import { Status } from "./status.ts";

/** Alarms with their state, threshold, recent state changes and SetAlarmState buttons. */
export function AlarmTable({ alarms }: { alarms: AlarmView[] }) {
  if (alarms.length === 0) return html`<p class="muted">No alarms.</p>`;
  return html`<table class="alarms">
    <thead><tr><th>Alarm</th><th>State</th><th>Condition</th><th>History</th><th>Set state</th></tr></thead>
    <tbody>
      ${alarms.map(
        (a) => html`<tr data-testid=${`alarm-${a.name}`} data-state=${a.state}>
          <td>${a.name}</td>
          <td><${Status} value=${a.state} title=${a.reason} testId="alarm-state" /></td>
          <td>${a.metricName} ${a.comparison} ${a.threshold}<div class="muted">${a.dimensions}</div></td>
          <td><ul class="history">
            ${a.history.slice(0, 4).map((h) => html`<li><time>${h.timestamp.slice(11, 19)}</time> ${h.summary}</li>`)}
          </ul></td>
          <td>
            ${["ALARM", "OK"].map(
              (state) => html`<${ActionButton}
                label=${state}
                testId=${`set-${state}-${a.name}`}
                run=${() => actions.setAlarmState(a.name, state)}
              />`,
            )}
          </td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}
