// A reader of the Prometheus text format, enough for tests to check figures: one series a line,
// `name{label="value",...} value`, comments skipped; label values unescaped.

export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Series[] {
  const series: Series[] = [];
  for (const raw of text.split("\n")) {
    if (raw === "" || raw.startsWith("#")) continue;
    const match = line.exec(raw);
    if (!match) throw new Error(`not an exposition line: ${raw}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(label))
      if (key !== undefined)
        labels[key] = (value ?? "").replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    series.push({ name: match[1] ?? "", labels, value: Number(match[3]) });
  }
  return series;
}

/** The sum of every series of `name` whose labels include `labels`. */
export function sumOf(all: readonly Series[], name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of all)
    if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  return sum;
}
