// What changed: the deploys, restarts, config reloads, commits, rollouts and cluster events found
// before and during the incident, most suspect first. The core ranks them (how close in the
// graph to what fails, how close in time to the first failure) and says why in a sentence; this
// panel only shows that. The three most suspect sit in the left panel right under the stage hint,
// the first thing read while identifying; the others are one click away; the node panel lists a
// node's own. Fetched when an incident is selected and, at most every 2 s, on the core's pushes.
// In review only what had happened by the instant under review is shown. Everything from the
// sources (summaries, reasons, authors, errors) is set as text, never as HTML.

import * as api from "../api";
import { Throttled } from "../throttle";
import type { ChangeKind, ChangesView, ChangeSourceStatus, Incident, RankedChange, Stage } from "../api";
import { byId, el, rebuildOn, setText } from "../dom";
import { clock, inUtc, otherZone } from "../time";

/** A kind of change in words. Keyed by the generated `ChangeKind`, so a kind added in Rust fails
 *  the typecheck until named here. */
const KIND_LABELS: Record<ChangeKind, string> = {
  deploy: "deploy",
  restart: "restart",
  config: "config",
  commit: "commit",
  rollout: "rollout",
  k8s_event: "k8s event",
};

/** How many changes the panel shows before "All N changes". */
const TOP = 3;
/** The least time between two fetches the window did not ask for by selecting an incident. */
const FETCH_MS = 2000;
const HEADING = "What changed";
const HEADING_FOCUS = "What changed? (most suspect first)";

/** A change's kind in words; a kind written by a newer warroom still reads. */
export function changeKindLabel(kind: string): string {
  return KIND_LABELS[kind as ChangeKind] ?? kind.replaceAll("_", " ");
}

/** The panel's state, in one place. */
const state = {
  /** The incident shown. */
  id: null as string | null,
  /** Its stage (as of the instant under review, in review): identify puts the panel in focus. */
  stage: null as Stage | null,
  /** The instant under review, or null when live: only changes made by then are shown. */
  reviewAt: null as string | null,
  /** The last answer of `incident_changes`, and the incident it is about. */
  view: null as ChangesView | null,
  viewFor: null as string | null,
  /** Whether the changes after the first three are unfolded. */
  expanded: false,
  /** The name a node is shown by ("Order service", not its id). */
  name: (id: string): string => id,
  /** Fetching: one at a time; asked again meanwhile (`again`, at once if `againNow`); when the
   *  last began; the timer of a fetch put off. */
  onFetched: () => {},
};

function message(e: unknown): string {
  return api.isIpcError(e) ? e.message : String(e);
}

/** The changes of the incident shown, as of the instant under review, most suspect first. */
function shownChanges(): RankedChange[] {
  if (state.viewFor !== state.id || !state.view) return [];
  const until = state.reviewAt === null ? null : Date.parse(state.reviewAt);
  return state.view.changes.filter((c) => until === null || Date.parse(c.at) <= until).sort((a, b) => a.rank - b.rank);
}

function changeItem(c: RankedChange): HTMLLIElement {
  const by = c.by ? [el("span", { class: "change-by muted", text: `by ${c.by}` })] : [];
  const fromTo = c.from || c.to ? `\n${c.from ?? "?"} → ${c.to ?? "?"}` : "";
  return el(
    "li",
    { class: "change-item", title: `found by ${c.source}${fromTo}`, data: { rank: String(c.rank), node: c.node, kind: c.kind } },
    [
      el("div", { class: "change-head" }, [
        el("span", { class: "change-kind", text: changeKindLabel(c.kind) }),
        el("time", { class: "clock", text: clock(c.at), title: otherZone(c.at) }),
        el("span", { class: "change-node", text: state.name(c.node) }),
      ]),
      el("div", { class: "change-summary" }, [el("span", { text: c.summary }), ...by]),
      el("div", { class: "change-reason muted", text: c.reason }),
    ],
  );
}

/** What a list shows, for redrawing it only when that changed. */
function listKey(changes: RankedChange[]): string {
  return JSON.stringify([changes.map((c) => [c.rank, c.key, c.source, c.at, c.summary, c.reason, c.by, state.name(c.node)]), inUtc(), new Date().toDateString()]);
}

/** "prom: 3 found 14:02:10 · infra-repo: cannot read: …", the errors in red. */
function sourceParts(sources: ChangeSourceStatus[]): (Node | string)[] {
  return sources.flatMap((s, i) => {
    const parts: (Node | string)[] = i > 0 ? [" · "] : [];
    const title = `${s.kind}${s.last_ok ? `, last answered ${clock(s.last_ok)} (${otherZone(s.last_ok)})` : ""}`;
    if (s.last_error) {
      parts.push(el("span", { class: "change-source", title }, [`${s.name}: `, el("span", { class: "state-down", text: s.last_error })]));
    } else if (s.last_ok) {
      parts.push(el("span", { class: "change-source", title, text: `${s.name}: ${s.found} found ${clock(s.last_ok)}` }));
    } else {
      parts.push(el("span", { class: "change-source", title, text: `${s.name}: not asked yet` }));
    }
    return parts;
  });
}

function draw(): void {
  const section = byId("changes-section");
  const focus = state.stage === "identify";
  section.classList.toggle("stage-focus", focus);
  setText(byId("changes-title"), focus ? HEADING_FOCUS : HEADING);
  const loaded = state.viewFor === state.id && state.view !== null;
  const changes = shownChanges();
  const top = changes.slice(0, TOP);
  const rest = changes.slice(TOP);
  rebuildOn(byId("changes-top"), listKey(top), () => top.map(changeItem));
  // Folded, the others are not drawn at all: a night of drills finds hundreds of changes, and a
  // hidden list of them rebuilt on each fetch made the window heavier by the hour.
  rebuildOn(byId("changes-rest"), state.expanded ? listKey(rest) : "folded", () => (state.expanded ? rest.map(changeItem) : []));
  const all = byId<HTMLButtonElement>("changes-all");
  if (all.hidden !== (rest.length === 0)) all.hidden = rest.length === 0;
  setText(all, `All ${changes.length} changes`);
  all.setAttribute("aria-expanded", String(state.expanded));
  const restList = byId("changes-rest");
  const restHidden = !state.expanded || rest.length === 0;
  if (restList.hidden !== restHidden) restList.hidden = restHidden;
  const none = byId("changes-none");
  const noneHidden = !loaded || changes.length > 0;
  if (none.hidden !== noneHidden) none.hidden = noneHidden;
  const sources = loaded ? (state.view?.sources ?? []) : [];
  const line = byId("change-sources");
  if (line.hidden !== (sources.length === 0)) line.hidden = sources.length === 0;
  rebuildOn(line, JSON.stringify([sources, inUtc(), new Date().toDateString()]), () => sourceParts(sources));
}

function showError(text: string): void {
  setText(byId("changes-error"), text);
}

/** Fetches the changes of the incident shown now. */
async function fetchNow(): Promise<void> {
  const id = state.id;
  if (!id) return;
  try {
    const view = await api.incidentChanges(id);
    if (id === state.id) {
      state.view = view;
      state.viewFor = id;
      showError("");
      draw();
      state.onFetched();
    }
  } catch (e) {
    if (id === state.id) showError(`Changes not loaded: ${message(e)}`);
  }
}

/** At most every 2 s (pushes come faster), one at a time. */
const fetching = new Throttled(FETCH_MS, fetchNow);

/** Asks the core for incident `id`'s changes: at once for another incident or when `now`, else
 *  at most every 2 s. */
export function loadChanges(id: string | null, now = false): void {
  if (id !== state.id) {
    switchTo(id);
    now = true;
  }
  if (id) fetching.ask(now);
}

/** Another incident: nothing of the last one stays on screen. */
function switchTo(id: string | null): void {
  state.id = id;
  state.view = null;
  state.viewFor = null;
  state.expanded = false;
  showError("");
  draw();
}

/** Wires the panel. `fetched` runs after each answer (the node panel lists the node's changes). */
export function wireChanges(hooks: { fetched: () => void }): void {
  state.onFetched = hooks.fetched;
  byId("changes-all").addEventListener("click", () => {
    state.expanded = !state.expanded;
    draw();
  });
  draw();
}

/** Shows the changes of `incident` (as of `reviewAt` in review), nodes named by `name`. */
export function renderChanges(incident: Incident | null, reviewAt: string | null, name: (id: string) => string): void {
  const id = incident?.id ?? null;
  if (id !== state.id) loadChanges(id);
  state.stage = incident?.stage ?? null;
  state.reviewAt = reviewAt;
  state.name = name;
  draw();
}

/** The node panel's list of node `node`'s changes on the incident shown, newest first: a
 *  heading and `#node-changes`, both hidden when the node has none. */
export function nodeChanges(node: string | null): HTMLElement[] {
  const mine = shownChanges()
    .filter((c) => c.node === node)
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  const heading = el("h4", { text: "Changes" });
  const list = el(
    "ul",
    { class: "node-changes" },
    mine.map((c) =>
      el("li", { class: "node-change", title: `found by ${c.source}`, data: { kind: c.kind } }, [
        el("time", { class: "clock", text: clock(c.at), title: otherZone(c.at) }),
        " ",
        el("span", { class: "change-kind", text: changeKindLabel(c.kind) }),
        " ",
        el("span", { class: "change-summary", text: c.summary }),
        ...(c.by ? [" ", el("span", { class: "change-by muted", text: `by ${c.by}` })] : []),
      ]),
    ),
  );
  list.id = "node-changes";
  heading.hidden = list.hidden = mine.length === 0;
  return [heading, list];
}
