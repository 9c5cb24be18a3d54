// The alerts panel: every alert the sources report, grouped by node, then by severity (critical
// first), firing before pending, silenced and inhibited, which are shown as such. Names and
// summaries come from the outside world: rendered as text.
//
// In review the alerts are the frame's: those of its recorded graph, or, on a log with no
// topology recorded by then, the bare list of what was firing (`FiringAt`).

import type { Alert } from "../bindings/Alert";
import type { FiringAt, GraphView } from "../api";
import { byId, el, redrawOn, setText } from "../dom";
import { clock, inUtc, otherZone } from "../time";

const SEVERITY_ORDER = ["critical", "page", "error", "high", "warning", "info", "none"];

function severityRank(s: string): number {
  const i = SEVERITY_ORDER.indexOf(s.toLowerCase());
  return i === -1 ? SEVERITY_ORDER.length : i;
}

export function renderAlerts(view: GraphView | null): void {
  drawAlerts(view?.alerts ?? []);
}

/** The alerts firing at a reviewed instant, when no graph was recorded to carry them. */
export function renderFiring(firing: FiringAt[]): void {
  drawAlerts(
    firing.map((f) => ({
      name: f.name,
      node: f.node,
      severity: f.severity,
      firing: true,
      state: "firing",
      summary: f.summary,
      at: f.since,
      fingerprint: f.fingerprint,
      starts_at: f.since,
      runbook_url: null,
    })),
  );
}

function drawAlerts(alerts: Alert[]): void {
  const firing = alerts.filter((a) => a.firing).length;
  setText(byId("alerts-count"), alerts.length ? `${firing} firing${alerts.length > firing ? `, ${alerts.length - firing} quiet` : ""}` : "none");
  const byNode = new Map<string, Alert[]>();
  for (const a of alerts) byNode.set(a.node, [...(byNode.get(a.node) ?? []), a]);
  // Nodes with a firing critical alert first, then by name.
  const nodes = [...byNode.entries()].sort(([na, a], [nb, b]) => {
    const rank = (xs: Alert[]) => Math.min(...xs.map((x) => (x.firing ? 0 : 10) + severityRank(x.severity)));
    return rank(a) - rank(b) || na.localeCompare(nb);
  });
  // Redrawn only when the alerts change: a push that brings the same alerts writes nothing.
  const key = JSON.stringify([inUtc(), alerts.map((a) => [a.fingerprint, a.state, a.severity, a.summary, a.starts_at])]);
  redrawOn(byId("alerts"), key, () =>
    nodes.map(([node, list]) => {
      list.sort((a, b) => Number(b.firing) - Number(a.firing) || severityRank(a.severity) - severityRank(b.severity) || a.name.localeCompare(b.name));
      return el("section", { class: "alert-node" }, [
        el("h3", { text: node }),
        el(
          "ul",
          {},
          list.map((a) =>
            el("li", { class: `alert alert-${a.state}`, title: `fingerprint ${a.fingerprint}` }, [
              el("span", { class: `event-tag sev-${a.severity.toLowerCase()}`, text: a.severity }),
              a.state !== "firing" ? el("span", { class: "event-tag tag-quiet", text: a.state }) : "",
              el("strong", { text: ` ${a.name}` }),
              el("span", { class: "muted", text: ` · fired ${clock(a.starts_at)}`, title: otherZone(a.starts_at) }),
              a.summary ? el("div", { class: "alert-summary", text: a.summary }) : "",
            ]),
          ),
        ),
      ]);
    }),
  );
}
