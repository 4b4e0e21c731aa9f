import { html } from "htm/preact";
import { useState } from "preact/hooks";

/** A button that runs one action, disabled while it runs, with the api's error shown beside it. */
export function ActionButton(props: {
  label: string;
  run: () => Promise<unknown>;
  testId?: string;
  title?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const click = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.run();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return html`<span class="action">
    <button type="button" disabled=${busy} onClick=${click} data-testid=${props.testId} title=${props.title}>
      ${props.label}
    </button>
    ${error && html`<span class="error" role="alert">${error}</span>`}
  </span>`;
}
