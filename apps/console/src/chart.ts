import { html } from "htm/preact";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

/*
 * A time chart (uPlot: small, fast, canvas): x is epoch seconds, one line per series, and an optional
 * horizontal threshold line (an alarm's) drawn dashed in red.
 */

export interface ChartProps {
  title: string;
  times: number[];
  series: Array<{ label: string; values: Array<number | null> }>;
  threshold?: { label: string; value: number };
  height?: number;
  testId?: string;
}

const palette = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#0891b2", "#db2777", "#65a30d", "#475569"];

export function Chart(props: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${props.series.map((s) => s.label).join("|")}|${props.threshold ? "t" : ""}`;

  const data = (): uPlot.AlignedData => [
    props.times,
    ...props.series.map((s) => s.values),
    ...(props.threshold ? [props.times.map(() => props.threshold?.value ?? null)] : []),
  ];

  // (Re)create the chart when its lines change; otherwise only its data.
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const options: uPlot.Options = {
      width: Math.max(320, element.clientWidth || 600),
      height: props.height ?? 180,
      series: [
        {},
        ...props.series.map((s, i) => ({ label: s.label, stroke: palette[i % palette.length], width: 1.5 })),
        ...(props.threshold
          ? [
              {
                label: props.threshold.label,
                stroke: "#dc2626",
                dash: [6, 4],
                width: 1.5,
                points: { show: false },
              },
            ]
          : []),
      ],
      axes: [{}, { size: 50 }],
    };
    plot.current = new uPlot(options, data(), element);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data());
  });

  return html`<figure class="chart" data-testid=${props.testId}>
    <figcaption>${props.title}</figcaption>
    <div ref=${host}></div>
  </figure>`;
}
