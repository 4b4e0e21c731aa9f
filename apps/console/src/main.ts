import "uplot/dist/uPlot.min.css";
import "./style.css";
import { html } from "htm/preact";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { GroupPage, GroupsPage } from "./group.ts";
import { MetricsPage } from "./metrics.ts";
import { TopologyPage } from "./topology.ts";

/* The console's shell: a hash router (#/topology, #/groups, #/groups/<name>, #/metrics) and its nav. */

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

function App() {
  const hash = useHash();
  const [, page = "topology", name] = hash.split("/");
  const body =
    page === "groups" && name
      ? html`<${GroupPage} key=${name} name=${decodeURIComponent(name)} />`
      : page === "groups"
        ? html`<${GroupsPage} />`
        : page === "metrics"
          ? html`<${MetricsPage} />`
          : html`<${TopologyPage} />`;
  const link = (to: string, label: string) =>
    html`<a href=${`#/${to}`} class=${page === to ? "current" : ""}>${label}</a>`;
  return html`<header>
      <strong>scaleout</strong>
      <nav>${link("topology", "Topology")} ${link("groups", "Auto Scaling groups")} ${link("metrics", "Metrics")}</nav>
      <a href="/docs" class="muted">API docs</a>
    </header>
    <main>${body}</main>`;
}

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(html`<${App} />`, root);
}
