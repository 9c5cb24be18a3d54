// Which of the legend's entries the drawn graph has something for.

import type { GraphView } from "./bindings/GraphView";

/** A legend entry: the class of its `<span>` under `.legend`, `lg-…` without the prefix. */
export type LegendEntry =
  | "down"
  | "impacted"
  | "degraded"
  | "healthy"
  | "unknown"
  | "entry"
  | "group"
  | "hard"
  | "soft"
  | "member"
  | "discovered";

/** The states any node can turn to at any push: their entries stay, so the legend does not
 *  move under a commander's eyes when something fails. */
const ALWAYS: LegendEntry[] = ["down", "impacted", "degraded", "healthy"];

/** The entries `view` needs: the four states, and of the rest only what is drawn (a node of
 *  unknown health, an entrypoint, a redundancy group and its members, an edge of each kind).
 *  At 900 px the legend does not fit on its line and its last entries are scrolled to: what a
 *  graph does not draw need not be explained there. `unknown`: whether a node is drawn as
 *  unknown (its health, or its state under the blast radius). */
export function legendEntries(view: Pick<GraphView, "nodes" | "edges" | "groups">, unknown: boolean): Set<LegendEntry> {
  const shown = new Set<LegendEntry>(ALWAYS);
  if (unknown) shown.add("unknown");
  if (view.nodes.some((n) => n.entrypoint)) shown.add("entry");
  if (view.groups.length > 0) {
    shown.add("group");
    shown.add("member");
  }
  for (const e of view.edges) {
    shown.add(e.strength === "soft" ? "soft" : "hard");
    if (e.discovered) shown.add("discovered");
  }
  return shown;
}
