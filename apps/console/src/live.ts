import { useEffect, useState } from "preact/hooks";
import type { ConsoleView } from "../../api/src/console/view-types.ts";

/*
 * A page's data, live: one EventSource on /console/events naming the view; the api sends the view again
 * whenever it changed (no polling). EventSource reconnects by itself after a drop.
 */

export type ViewState<T> = { data?: T; problem?: string; connected: boolean };

export function useView<T extends ConsoleView>(view: string, name?: string): ViewState<T> {
  const [state, setState] = useState<ViewState<T>>({ connected: false });
  useEffect(() => {
    setState({ connected: false });
    const query = new URLSearchParams({ view, ...(name !== undefined && { name }) });
    const source = new EventSource(`/console/events?${query}`);
    source.addEventListener("view", (event) => {
      setState({ data: JSON.parse((event as MessageEvent<string>).data) as T, connected: true });
    });
    source.addEventListener("problem", (event) => {
      const { message } = JSON.parse((event as MessageEvent<string>).data) as { message: string };
      setState({ problem: message, connected: true });
    });
    source.onerror = () => setState((previous) => ({ ...previous, connected: false }));
    return () => source.close();
  }, [view, name]);
  return state;
}
