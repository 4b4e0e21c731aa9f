import { html } from "htm/preact";

/** A state as a coloured badge: healthy/InService/OK/active green, ALARM/unhealthy red, the rest amber. */
export function Status(props: { value: string; title?: string | undefined; testId?: string }) {
  const v = props.value.toLowerCase();
  const tone = ["healthy", "inservice", "ok", "active", "successful", "in_service"].includes(v)
    ? "good"
    : ["alarm", "unhealthy", "failed", "cancelled", "active_impaired", "terminated"].includes(v)
      ? "bad"
      : "wait";
  return html`<span class=${`status ${tone}`} title=${props.title} data-testid=${props.testId}>${props.value}</span>`;
}
