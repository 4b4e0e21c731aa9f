import type { Services } from "@scaleout/services";
import type { ChartView, MetricsView, SeriesView } from "./view-types.ts";
import { alarmViews, everything } from "./views.ts";

/*
 * The metrics page: the figures people watch during a scaling event, from the per-second metric store,
 * over the last five minutes at five-second periods, and each alarm's metric with its threshold.
 */

const windowSeconds = 300;
const period = 5;
/** Lines per chart: a chart of 50 load balancers' request counts is unreadable anyway. */
const maxSeries = 12;

interface Wanted {
  namespace: string;
  metricName: string;
  statistic: "Sum" | "Average" | "Minimum" | "Maximum";
  unit: string;
}

const wanted: Wanted[] = [
  { namespace: "AWS/EC2", metricName: "CPUUtilization", statistic: "Average", unit: "%" },
  { namespace: "AWS/ApplicationELB", metricName: "RequestCount", statistic: "Sum", unit: "requests" },
  { namespace: "AWS/ApplicationELB", metricName: "TargetResponseTime", statistic: "Average", unit: "s" },
  {
    namespace: "AWS/ApplicationELB",
    metricName: "HTTPCode_Target_2XX_Count",
    statistic: "Sum",
    unit: "responses",
  },
  {
    namespace: "AWS/ApplicationELB",
    metricName: "HTTPCode_Target_3XX_Count",
    statistic: "Sum",
    unit: "responses",
  },
  {
    namespace: "AWS/ApplicationELB",
    metricName: "HTTPCode_Target_4XX_Count",
    statistic: "Sum",
    unit: "responses",
  },
  {
    namespace: "AWS/ApplicationELB",
    metricName: "HTTPCode_Target_5XX_Count",
    statistic: "Sum",
    unit: "responses",
  },
  {
    namespace: "AWS/ApplicationELB",
    metricName: "HTTPCode_ELB_4XX_Count",
    statistic: "Sum",
    unit: "responses",
  },
  {
    namespace: "AWS/ApplicationELB",
    metricName: "HTTPCode_ELB_5XX_Count",
    statistic: "Sum",
    unit: "responses",
  },
  { namespace: "AWS/ApplicationELB", metricName: "HealthyHostCount", statistic: "Minimum", unit: "hosts" },
  { namespace: "AWS/ApplicationELB", metricName: "UnHealthyHostCount", statistic: "Maximum", unit: "hosts" },
];

const statisticKeys: Record<string, "sum" | "minimum" | "maximum" | "sampleCount" | "average"> = {
  Sum: "sum",
  Minimum: "minimum",
  Maximum: "maximum",
  SampleCount: "sampleCount",
  Average: "average",
};

type Dimensions = Array<{ name: string; value: string }>;

function series(
  services: Services,
  query: { namespace: string; metricName: string; dimensions: Dimensions; statistic: string },
  times: number[],
  start: number,
): Array<number | null> {
  const { datapoints } = services.metrics.statistics({
    namespace: query.namespace,
    metricName: query.metricName,
    dimensions: query.dimensions,
    startTime: new Date(start * 1000).toISOString(),
    endTime: new Date((start + windowSeconds) * 1000).toISOString(),
    period,
    statistics: [query.statistic],
  });
  const key = statisticKeys[query.statistic] ?? "average";
  const byTime = new Map(datapoints.map((d) => [Math.floor(Date.parse(d.timestamp) / 1000), d[key]]));
  return times.map((t) => byTime.get(t) ?? null);
}

export function metricsView(services: Services, nowMs: number): MetricsView {
  const start = Math.floor(nowMs / 1000 / period) * period - windowSeconds + period;
  const times = Array.from({ length: windowSeconds / period }, (_, i) => start + i * period);
  const charts: ChartView[] = [];
  for (const w of wanted) {
    const metrics = everything((o) =>
      services.metrics.list({ namespace: w.namespace, metricName: w.metricName, ...o }),
    );
    // One chart per dimension set: CPU per group apart from CPU per instance.
    const byKeys = new Map<string, typeof metrics>();
    for (const metric of metrics) {
      if (metric.dimensions.length === 0) continue;
      const keys = metric.dimensions.map((d) => d.name).join("+");
      byKeys.set(keys, [...(byKeys.get(keys) ?? []), metric]);
    }
    for (const [keys, list] of byKeys) {
      const lines: SeriesView[] = list.slice(0, maxSeries).map((metric) => ({
        label: metric.dimensions.map((d) => d.value.split("/").slice(-2, -1)[0] ?? d.value).join(" "),
        values: series(
          services,
          {
            namespace: w.namespace,
            metricName: w.metricName,
            dimensions: metric.dimensions,
            statistic: w.statistic,
          },
          times,
          start,
        ),
      }));
      const more = list.length > maxSeries ? ` (${maxSeries} of ${list.length})` : "";
      charts.push({ title: `${w.metricName} by ${keys}${more}`, unit: w.unit, times, series: lines });
    }
  }
  const alarms = alarmViews(services);
  for (const alarm of everything((o) => services.alarms.list(o))) {
    const view = alarms.find((a) => a.name === alarm.alarmName);
    charts.push({
      title: `${alarm.metricName} (${alarm.statistic}) for alarm ${alarm.alarmName}`,
      unit: alarm.unit ?? "",
      times,
      series: [
        {
          label: alarm.dimensions.map((d) => d.value).join(" ") || alarm.metricName,
          values: series(
            services,
            {
              namespace: alarm.namespace,
              metricName: alarm.metricName,
              dimensions: alarm.dimensions,
              statistic: alarm.statistic,
            },
            times,
            start,
          ),
        },
      ],
      threshold: { alarm: alarm.alarmName, value: alarm.threshold, state: view?.state ?? alarm.stateValue },
    });
  }
  return { kind: "metrics", charts, alarms };
}
