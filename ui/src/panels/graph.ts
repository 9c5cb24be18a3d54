// The live dependency graph (Cytoscape.js), layered from the entrypoints down.
//
// The graph is built once per topology and then only restyled: each refresh sets classes and
// labels on the existing elements, so zoom, pan and selection survive and nothing flickers.
// Every state has its own colour AND shape/border (down: octagon with a thick border, impacted:
// diamond with a dashed border, degraded: amber double border, unknown: grey dotted), so the
// graph reads the same for colour-blind responders and in greyscale screenshots.

import cytoscape from "cytoscape";
import * as api from "../api";
import type { BlastRadius, GraphView, NodeView } from "../api";
import { byId, el } from "../dom";
import { wakeFrames } from "../frames";
import { clock, otherZone } from "../time";
import { type LegendEntry, legendEntries } from "../legend";

export type NodeState = "down" | "impacted" | "degraded" | "healthy" | "unknown";

/** The widest a label wraps to, in model pixels: nodes in a row are spaced wider than it. */
const LABEL_WIDTH = 110;
const COLUMN = LABEL_WIDTH + 24;
const ROW = 76;

let cy: cytoscape.Core | null = null;
let shape = ""; // the element set the graph was laid out for
let drawn = ""; // the states and labels it was last styled with
let onTap: (id: string) => void = () => {};
let onBackground: () => void = () => {};

/** The least a failing node's label is drawn at, in screen pixels, whatever the zoom: at the
 *  window's minimum size the graph fits at about 0.6 and its names were 8 px. */
const FAILING_LABEL_PX = 11;
/** How much a failing node's label of `base` model pixels grows at the graph's zoom. */
const failingScale = (base: number, node: cytoscape.NodeSingular) => Math.max(1, FAILING_LABEL_PX / (base * node.cy().zoom()));
/** A failing node's label size, and the width it wraps at, grown alike: it wraps as at full size
 *  (a two-line name would reach the node below). */
const failingFont = (base: number) => (node: cytoscape.NodeSingular) => base * failingScale(base, node);
const failingWidth = (base: number) => (node: cytoscape.NodeSingular) => `${LABEL_WIDTH * failingScale(base, node)}px`;
/** A degraded node's label grows as a failing one's, but by half at most (10 px at the window's
 *  minimum size, where the graph fits at about 0.5): two grown names side by side (a degraded
 *  node beside a failing one) would cover each other when the graph is zoomed out further. */
const DEGRADED_GROWTH = 1.5;
const degradedScale = (base: number, node: cytoscape.NodeSingular) => Math.min(DEGRADED_GROWTH, failingScale(base, node));
const degradedFont = (base: number) => (node: cytoscape.NodeSingular) => base * degradedScale(base, node);
const degradedWidth = (base: number) => (node: cytoscape.NodeSingular) => `${LABEL_WIDTH * degradedScale(base, node)}px`;

const style: cytoscape.StylesheetJson = [
  {
    selector: "node",
    style: {
      label: "data(label)",
      "text-wrap": "wrap",
      "text-max-width": `${LABEL_WIDTH}px`,
      "text-valign": "bottom",
      "text-margin-y": 4,
      "font-size": 13,
      "min-zoomed-font-size": 7,
      color: "#e6e8ec",
      "text-outline-color": "#0f1115",
      "text-outline-width": 2,
      "background-color": "#1f6f43",
      "border-color": "#22c55e",
      "border-width": 2,
      width: 30,
      height: 30,
      shape: "round-rectangle",
    },
  },
  { selector: "node.group", style: { shape: "round-hexagon", "background-color": "#1e222b", "border-color": "#5aa2ff", width: 26, height: 26, color: "#9cc4ff" } },
  { selector: "node.entrypoint", style: { width: 44, height: 44, "font-size": 14, "font-weight": "bold", shape: "star" } },
  { selector: "node.degraded", style: { "background-color": "#8a5a00", "border-color": "#f59e0b", "border-style": "double", "border-width": 6 } },
  { selector: "node.unknown", style: { "background-color": "#374151", "border-color": "#9ca3af", "border-style": "dotted", "border-width": 3 } },
  { selector: "node.impacted", style: { "background-color": "#7f1d1d", "border-color": "#f87171", "border-style": "dashed", "border-width": 4, shape: "diamond" } },
  { selector: "node.down", style: { "background-color": "#dc2626", "border-color": "#fecaca", "border-width": 5, shape: "octagon" } },
  // What is failing stays big and labelled at any zoom: on a 300-node estate it is what the eye
  // must find first.
  { selector: "node.down, node.impacted", style: { width: 40, height: 40, "min-zoomed-font-size": 0, "font-size": failingFont(14), "text-max-width": failingWidth(14), "z-index": 10 } },
  // A degraded node is often the cause upstream ("Upstream: MySQL primary — degraded"): its name
  // stays readable too (DEGRADED_GROWTH). Not the stale ones: when a source is lost they can be
  // every node, and their names would cover each other.
  { selector: "node.degraded", style: { "min-zoomed-font-size": 0, "font-size": degradedFont(13), "text-max-width": degradedWidth(13) } },
  { selector: "node.entrypoint.down, node.entrypoint.impacted", style: { width: 56, height: 56, "font-size": failingFont(15), "text-max-width": failingWidth(15), "text-background-color": "#7f1d1d", "text-background-opacity": 1, "text-background-padding": "3px" } },
  // Unaffected nodes step back, their names still readable.
  { selector: "node.calm", style: { "background-opacity": 0.3, "border-opacity": 0.35, "text-opacity": 0.75 } },
  { selector: "node:selected", style: { "overlay-color": "#5aa2ff", "overlay-opacity": 0.25, "overlay-padding": 6 } },
  { selector: "node.whatif-picked", style: { "border-color": "#5aa2ff", "border-width": 6, "border-style": "solid" } },
  {
    selector: "edge",
    style: {
      width: 1.5,
      "line-color": "#4b5563",
      "target-arrow-color": "#4b5563",
      "target-arrow-shape": "triangle",
      "curve-style": "bezier",
      "arrow-scale": 0.8,
    },
  },
  // Each kind of edge its own style, as the legend shows: needs (solid), can do without
  // (dashed, hollow arrow), group member (dotted blue, no arrow), seen in traces (purple).
  { selector: "edge.soft", style: { "line-style": "dashed", "line-dash-pattern": [7, 5], "target-arrow-fill": "hollow" } },
  { selector: "edge.discovered", style: { "line-color": "#8b5cf6", "target-arrow-color": "#8b5cf6", "target-arrow-shape": "vee" } },
  { selector: "edge.member", style: { "line-style": "dotted", "target-arrow-shape": "none", "line-color": "#5aa2ff", width: 2 } },
  { selector: "edge.hot", style: { "line-color": "#f87171", "target-arrow-color": "#f87171", width: 3 } },
  { selector: "edge.calm", style: { opacity: 0.3 } },
];

/** The state of every node and group under a blast radius and the nodes' own health. */
export function states(view: GraphView, blast: BlastRadius): Map<string, NodeState> {
  const result = new Map<string, NodeState>();
  for (const n of view.nodes) result.set(n.id, n.health === "down" ? "down" : n.health === "degraded" ? "degraded" : n.health === "unknown" ? "unknown" : "healthy");
  for (const id of blast.degraded) if (result.get(id) === "healthy") result.set(id, "degraded");
  for (const i of blast.impacted) result.set(i.id, "impacted");
  for (const id of blast.down) result.set(id, "down");
  for (const { id } of view.groups) result.set(id, "healthy");
  for (const g of blast.groups) result.set(g.id, g.down ? "impacted" : "degraded");
  return result;
}

function label(n: NodeView): string {
  const age = n.age_secs !== null && n.age_secs > 10 ? `\nstale ${Math.round(n.age_secs)} s` : "";
  return `${n.name}${age}`;
}

/** Rows from the entrypoints down (each node one row below the deepest that needs it, groups
 *  with their members' row above), each row centred and spaced by the label width: labels never
 *  overlap, whatever the zoom the graph fits at. */
function positions(view: GraphView): Map<string, { x: number; y: number }> {
  const ids = [...view.nodes.map((n) => n.id), ...view.groups.map((g) => g.id)];
  const out = new Map<string, string[]>();
  for (const e of view.edges) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
  for (const g of view.groups) out.set(g.id, [...(out.get(g.id) ?? []), ...g.members]);
  const incoming = new Set([...out.values()].flat());
  const entry = view.nodes.filter((n) => n.entrypoint).map((n) => n.id);
  const roots = entry.length ? entry : ids.filter((id) => !incoming.has(id));
  // Longest distance from a root (bounded, cycles allowed): a node sits below all that need it.
  const depth = new Map<string, number>(roots.map((r) => [r, 0]));
  for (let round = 0; round < ids.length; round++) {
    let moved = false;
    for (const [from, tos] of out) {
      const d = depth.get(from);
      if (d === undefined) continue;
      for (const to of tos) {
        if ((depth.get(to) ?? -1) < d + 1 && d + 1 < ids.length) {
          depth.set(to, d + 1);
          moved = true;
        }
      }
    }
    if (!moved) break;
  }
  const deepest = Math.max(0, ...depth.values());
  for (const id of ids) if (!depth.has(id)) depth.set(id, deepest + 1);
  const rows = new Map<number, string[]>();
  for (const id of ids) rows.set(depth.get(id) ?? 0, [...(rows.get(depth.get(id) ?? 0) ?? []), id]);
  // Within a row, keep a system's nodes together (Backstage's spec.system), and in it a group's
  // members, and the order stable.
  const groupOf = new Map<string, string>();
  for (const g of view.groups) for (const m of g.members) groupOf.set(m, g.id);
  const systemOf = new Map(view.nodes.map((n) => [n.id, n.system ?? ""]));
  const pos = new Map<string, { x: number; y: number }>();
  for (const [d, row] of rows) {
    row.sort(
      (a, b) =>
        (systemOf.get(a) ?? "").localeCompare(systemOf.get(b) ?? "") ||
        (groupOf.get(a) ?? a).localeCompare(groupOf.get(b) ?? b) ||
        a.localeCompare(b),
    );
    row.forEach((id, k) => pos.set(id, { x: (k - (row.length - 1) / 2) * COLUMN, y: d * ROW }));
  }
  return pos;
}

function build(view: GraphView): void {
  const container = byId("graph");
  const elements: cytoscape.ElementDefinition[] = [
    // In system order: the rings of a large estate keep a system's nodes side by side.
    ...[...view.nodes]
      .sort((a, b) => (a.system ?? "").localeCompare(b.system ?? ""))
      .map((n) => ({ data: { id: n.id, label: label(n) }, classes: n.entrypoint ? "entrypoint" : "" })),
    ...view.groups.map(({ id, needs }) => ({ data: { id, label: `${id} (needs ${needs})` }, classes: "group" })),
    ...view.edges.map((e) => ({
      data: { id: `${e.from}->${e.to}`, source: e.from, target: e.to },
      classes: [e.strength === "soft" ? "soft" : "", e.discovered ? "discovered" : ""].join(" ").trim(),
    })),
    ...view.groups.flatMap(({ id, members }) =>
      members.map((m) => ({ data: { id: `${id}=>${m}`, source: id, target: m }, classes: "member" })),
    ),
  ];
  if (cy) cy.destroy();
  const graph = cytoscape({ container, elements, style, minZoom: 0.05, maxZoom: 3, wheelSensitivity: 0.3 });
  cy = graph;
  // Small estates read best in rows from the entrypoints down. A large one would shrink a row of
  // a hundred services to dots: it goes in rings around the entrypoints, one ring per level,
  // each ring as large as its nodes need (Cytoscape's concentric layout).
  if (view.nodes.length <= 60) {
    const at = positions(view);
    graph.layout({ name: "preset", positions: Object.fromEntries(at), padding: 30 }).run();
  } else {
    const entry = view.nodes.filter((n) => n.entrypoint).map((n) => n.id);
    const dependedOn = new Set(view.edges.map((e) => e.to));
    const roots = entry.length ? entry : view.nodes.filter((n) => !dependedOn.has(n.id)).map((n) => n.id);
    const boundingBox = { x1: 0, y1: 0, w: container.clientWidth || 900, h: container.clientHeight || 600 };
    const level = levels(graph, roots);
    const deepest = Math.max(0, ...level.values());
    graph.layout({
      name: "concentric",
      concentric: (node: cytoscape.NodeSingular) => deepest + 1 - (level.get(node.id()) ?? deepest + 1),
      levelWidth: () => 1,
      minNodeSpacing: 12,
      padding: 30,
      boundingBox,
    }).run();
  }
  // The failing labels' size follows the zoom (failingFont): restyled once per zoomed frame.
  let restyle = 0;
  graph.on("zoom", () => {
    if (restyle) return;
    restyle = requestAnimationFrame(() => {
      restyle = 0;
      if (!graph.destroyed()) graph.style().update();
    });
  });
  fit();
  graph.on("tap", "node", (e) => onTap(e.target.id()));
  // A tap on the background closes the node panel.
  graph.on("tap", (e) => {
    if (e.target === graph) onBackground();
  });
  // Tests and the curious read the graph's state through this handle.
  (window as unknown as { warroomGraph: cytoscape.Core }).warroomGraph = graph;
}

/** Fits the graph to its container, no larger than its natural size (a small estate in a big
 *  window stays readable, not blown up). */
function fit(): void {
  if (!cy) return;
  cy.fit(undefined, 30);
  const most = document.body.classList.contains("presenting") ? 2.5 : 1.6;
  if (cy.zoom() > most) {
    cy.zoom(most);
    cy.center();
  }
}

// Follow the panel's size: collapse a panel or resize the window and the graph still fits.
new ResizeObserver(() => {
  if (cy) {
    wakeFrames();
    cy.resize();
    fit();
  }
}).observe(byId("graph"));

/** How many dependency hops each node is from the roots (unreached nodes get none). */
function levels(graph: cytoscape.Core, roots: string[]): Map<string, number> {
  const level = new Map<string, number>(roots.map((r) => [r, 0]));
  let frontier = graph.nodes().filter((n) => level.has(n.id()));
  for (let depth = 1; frontier.nonempty(); depth++) {
    const next = frontier.outgoers("node").filter((n) => !level.has(n.id()));
    next.forEach((n) => {
      level.set(n.id(), depth);
    });
    frontier = next;
  }
  return level;
}

export function onNodeTap(handler: (id: string) => void, background: () => void): void {
  onTap = handler;
  onBackground = background;
}

/** Draws `view`, coloured by `blast` (the live one, or a what-if). */
export function renderGraph(view: GraphView | null, blast: BlastRadius | null, picked: Set<string>): void {
  byId("graph").classList.toggle("empty-graph", view === null);
  if (!view || !blast) {
    if (cy) {
      cy.destroy();
      cy = null;
      shape = "";
      // What tests and tools read must not outlive the graph it describes.
      (window as unknown as { warroomGraph: cytoscape.Core | null }).warroomGraph = null;
    }
    return;
  }
  const key = JSON.stringify([view.nodes.map((n) => n.id), view.edges.map((e) => [e.from, e.to]), view.groups]);
  if (key !== shape || !cy) {
    wakeFrames();
    build(view);
    shape = key;
    drawn = "";
  }
  const graph = cy;
  if (!graph) return;
  const st = states(view, blast);
  // A push that changes nothing on the graph draws nothing.
  const look = JSON.stringify([[...st], view.nodes.map(label), [...picked], blast.impacted]);
  if (look === drawn) return;
  drawn = look;
  wakeFrames();
  showLegend(legendEntries(view, [...st.values()].includes("unknown")));
  const failing = blast.down.length + blast.impacted.length > 0;
  const hot = new Set<string>();
  for (const i of blast.impacted) i.reason.forEach((id, k) => k > 0 && hot.add(`${i.reason[k - 1]}->${id}`) && hot.add(`${i.reason[k - 1]}=>${id}`));
  graph.batch(() => {
    for (const n of view.nodes) {
      const node = graph.getElementById(n.id);
      node.data("label", label(n));
    }
    graph.nodes().forEach((node) => {
      const s = st.get(node.id()) ?? "unknown";
      node.removeClass("down impacted degraded healthy unknown calm whatif-picked");
      node.addClass(s);
      if (failing && s === "healthy") node.addClass("calm");
      if (picked.has(node.id())) node.addClass("whatif-picked");
    });
    graph.edges().forEach((edge) => {
      edge.removeClass("hot calm");
      if (hot.has(edge.id())) edge.addClass("hot");
      else if (failing) edge.addClass("calm");
    });
  });
}

/** Shows the legend's entries in `shown`, hides the others. */
function showLegend(shown: Set<LegendEntry>): void {
  for (const entry of document.querySelectorAll<HTMLElement>(".legend .lg")) {
    const kind = [...entry.classList].find((c) => c.startsWith("lg-"))?.slice(3) as LegendEntry | undefined;
    entry.hidden = kind !== undefined && !shown.has(kind);
  }
}

/** The name a node is shown by (its id when the graph does not know it). */
export function nameOf(view: GraphView | null, id: string): string {
  return view?.nodes.find((n) => n.id === id)?.name ?? id;
}

/** The side panel of the selected node: health, why, reason path, signals with their age.
 *  `changes`: the node's changes on the selected incident (heading and list), shown above its
 *  charts, whose vertical marks they are. */
export function renderNodeDetail(
  view: GraphView | null,
  blast: BlastRadius | null,
  id: string | null,
  close: () => void,
  changes: HTMLElement[] = [],
): void {
  const panel = byId("node-detail");
  const node = view?.nodes.find((n) => n.id === id);
  const group = view?.groups.find((g) => g.id === id);
  const open = Boolean(node || group);
  if (panel.hidden === open) panel.hidden = !open;
  if (!view || !blast || (!node && !group)) return;
  const st = states(view, blast).get(id ?? "") ?? "unknown";
  const closer = el("button", { class: "node-detail-close quiet", text: "×", title: "Close (Esc, or click the graph's background)" });
  closer.type = "button";
  closer.id = "node-detail-close";
  closer.setAttribute("aria-label", "Close the node panel");
  closer.addEventListener("click", close);
  const rows: Node[] = [closer];
  if (node) {
    rows.push(el("h3", { text: node.name }));
    rows.push(el("p", { class: `state state-${st}`, text: `${st}${node.entrypoint ? " · entrypoint" : ""}` }));
    rows.push(el("p", { class: "muted", text: `${node.kind}${node.owner ? ` · ${node.owner}` : ""}${node.system ? ` · system ${node.system}` : ""}${node.group ? ` · group ${node.group}` : ""}` }));
  } else if (group) {
    const g = blast.groups.find((x) => x.id === id);
    rows.push(el("h3", { text: `group ${group.id}` }));
    rows.push(el("p", { class: `state state-${st}`, text: g ? `${g.healthy} of ${g.members} healthy, needs ${g.needs}` : `all ${group.members.length} members healthy, needs ${group.needs}` }));
  }
  const impacted = blast.impacted.find((i) => i.id === id);
  if (impacted) {
    rows.push(el("h4", { text: "Why it is impacted" }));
    rows.push(el("p", { class: "reason-path", text: impacted.reason.map((h) => nameOf(view, h)).join(" → ") }));
  }
  if (node && node.reasons.length) {
    rows.push(el("h4", { text: "Signals over threshold" }));
    rows.push(el("ul", {}, node.reasons.map((r) => el("li", { text: r }))));
  }
  const alerts = view.alerts.filter((a) => a.node === id);
  if (alerts.length) {
    rows.push(el("h4", { text: "Alerts firing" }));
    rows.push(el("ul", {}, alerts.map((a) => el("li", { text: `${a.name} (${a.severity}): ${a.summary} · fired ${clock(a.starts_at)}`, title: otherZone(a.starts_at) }))));
  }
  const logs = view.logs.filter((l) => l.node === id).slice(0, 5);
  if (logs.length) {
    rows.push(el("h4", { text: "Recent log lines" }));
    rows.push(el("ul", { class: "logs" }, logs.map((l) => el("li", { text: `${clock(l.at)} ${l.line}`, title: otherZone(l.at) }))));
  }
  if (node && node.signals.length) {
    rows.push(el("h4", { text: "Signals" }));
    rows.push(
      el(
        "table",
        { class: "signals" },
        node.signals.map((s) =>
          el("tr", {}, [
            el("td", { text: s.metric }),
            el("td", { class: "num", text: s.display }),
            el("td", { class: "muted num", text: s.age_secs < 1 ? "now" : `${Math.round(s.age_secs)} s ago` }),
          ]),
        ),
      ),
    );
  }
  if (grafana && node) {
    const open = el("button", { text: "Open in Grafana Explore", class: "link" });
    (open as HTMLButtonElement).type = "button";
    open.id = "grafana-open";
    open.addEventListener("click", () => void api.openInGrafana(node.id).catch(() => undefined));
    rows.push(open);
  }
  rows.push(...changes);
  if (charts.node === id && charts.images.length) {
    rows.push(el("h4", { text: "Last 30 minutes" }));
    rows.push(...charts.images);
  }
  panel.replaceChildren(...rows);
}

/** The charts of the selected node, drawn by the core as SVG and shown as images: nothing in an
 *  image runs, whatever a node's name says. */
const charts: { node: string | null; images: HTMLImageElement[] } = { node: null, images: [] };

export function setCharts(node: string | null, svgs: api.Chart[]): void {
  charts.node = node;
  charts.images = svgs.map((c) => {
    const img = document.createElement("img");
    img.className = "chart";
    img.alt = `${c.metric} over the last 30 minutes`;
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(c.svg)}`;
    return img;
  });
}

/** Whether a Grafana is configured: the node panel then offers Explore. */
let grafana = false;

export function setGrafana(enabled: boolean): void {
  grafana = enabled;
}
