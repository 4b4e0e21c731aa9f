import { html } from "htm/preact";
import type { MetricsView } from "../../api/src/console/view-types.ts";
import { AlarmTable } from "./alarms.ts";
import { Chart } from "./chart.ts";
import { useView } from "./live.ts";

/* The CloudWatch view: alarms first, then each alarm's metric with its threshold, then the figures. */

export function MetricsPage() {
  const { data, problem } = useView<MetricsView>("metrics");
  if (problem) return html`<p class="error">${problem}</p>`;
  if (!data) return html`<p class="muted">Loading…</p>`;
  const withAlarm = data.charts.filter((c) => c.threshold);
  const rest = data.charts.filter((c) => !c.threshold);
  return html`<section data-testid="metrics">
    <h1>Metrics and alarms</h1>
    <${AlarmTable} alarms=${data.alarms} />
    <div class="charts">
      ${[...withAlarm, ...rest].map(
        (c) => html`<${Chart}
          key=${c.title}
          title=${c.threshold ? `${c.title}: ${c.threshold.state}` : `${c.title} (${c.unit})`}
          times=${c.times}
          series=${c.series}
          threshold=${c.threshold && { label: `threshold ${c.threshold.value}`, value: c.threshold.value }}
        />`,
      )}
    </div>
    ${data.charts.length === 0 && html`<p class="muted">No metrics yet: they appear with traffic and instances.</p>`}
  </section>`;
}
