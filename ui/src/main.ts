// The war-room window: wires the panels to the core and keeps them fresh.
//
// The window does not poll. The core's runtime pushes a broadcast after each cycle (what
// changed, and the situation after it: the graph, the feed, the notifications); the window
// redraws from it, and re-reads the log only when the push says the log moved (a cycle recorded
// something, or the CLI or another responder wrote on the same file). Every action calls one
// command and then re-reads what the core has; the log is the truth. A local clock ticks the
// "12 s ago" labels without asking the core anything.
//
// A resolved incident opens in review: the panels then draw the frame the review bar asks the
// log for (panels/review.ts), and the live refreshes leave them alone.

import * as api from "./api";
import type { AppInfo, Incident, IncidentView, Stage } from "./api";
import { byId, confirmDialog, elapsed, setText } from "./dom";
import { governFrames } from "./frames";
import { renderDetail, wireDetail } from "./panels/detail";
import { renderDrillBar, renderOutage, renderSources, wireDrillBar } from "./panels/drill";
import { onNodeTap, renderGraph, renderNodeDetail, setCharts, setGrafana } from "./panels/graph";
import { renderHeader } from "./panels/header";
import { fillSeverities, renderIncidentList, wireDeclareForm } from "./panels/incidents";
import { renderAlerts, renderFiring } from "./panels/alerts";
import { renderPostmortem, wirePostmortem } from "./panels/postmortem";
import { enterReview, leaveReview, noteEvents, reviewedId, reviewFrame, wireReview } from "./panels/review";
import { renderRunbooks, undone, wireRunbooks } from "./panels/runbook";
import { renderNotifications, wireNotifications } from "./panels/notify";
import { wireSources } from "./panels/sources";
import { renderTimeline, restoreDraft, wireNoteForm } from "./panels/timeline";

/** How often the selected node's charts are redrawn while pushes come in. */
const CHARTS_MS = 5000;

let info: AppInfo | null = null;
let incidents: Incident[] = [];
let selected: string | null = localStorage.getItem("warroom.selected");
let view: IncidentView | null = null;
/** When the core last pushed (or was asked): if pushes stop, the window says so. */
let lastPush: number | null = null;
let graph: api.Situation | null = null;
let chartsAt = 0;
let whatIf = false;
const picked = new Set<string>();
let whatIfBlast: api.BlastRadius | null = null;
let selectedNode: string | null = null;
/** A resolved incident the responder chose to see live ("Back to live"): not reviewed again
 *  until it is selected anew. */
let liveChosen: string | null = null;
/** The selected incident and its status at the last refresh: one resolved while on screen is
 *  reviewed from its end, so the view does not jump back to the declaration. */
let lastSeen: { id: string; status: string } | null = null;

function showError(e: unknown): void {
  const message = api.isIpcError(e) ? e.message : String(e);
  byId("error-text").textContent = message;
  byId("error").hidden = false;
}

function clearError(): void {
  byId("error").hidden = true;
}

/** Runs an action; on failure shows why and resolves false, so the caller keeps the input. */
async function act(action: () => Promise<unknown>): Promise<boolean> {
  try {
    await action();
    clearError();
    await refresh();
    return true;
  } catch (e) {
    showError(e);
    return false;
  }
}

async function refresh(): Promise<void> {
  try {
    incidents = await api.listIncidents();
    if (selected && !incidents.some((i) => i.id === selected)) select(null);
    if (!selected && incidents[0]) select(incidents[0].id);
    view = selected ? await api.getIncident(selected) : null;
    if (selected) {
      const id = selected;
      [runbookViews, suggestions] = await Promise.all([api.incidentRunbooks(id), api.runbookSuggestions(id)]);
    } else {
      [runbookViews, suggestions] = [[], []];
    }
  } catch (e) {
    showError(e);
  }
  syncReview();
  render();
}

/** Review follows the selected incident's status: resolved opens it in review, reopened (or
 *  another incident selected) leaves it. */
function syncReview(): void {
  const incident = view?.incident ?? null;
  const reviewing = reviewedId();
  if (reviewing && (reviewing !== incident?.id || incident.status !== "resolved")) {
    leaveReview();
    renderGraphArea();
  }
  if (incident && incident.status !== "resolved" && liveChosen === incident.id) liveChosen = null;
  if (incident?.status === "resolved") {
    if (reviewedId() === incident.id) {
      noteEvents(incident.id, incident.events);
    } else if (liveChosen !== incident.id) {
      const justResolved = lastSeen?.id === incident.id && lastSeen.status !== "resolved";
      startReview(incident, justResolved ? "end" : "start");
    }
  }
  lastSeen = incident ? { id: incident.id, status: incident.status } : null;
}

function startReview(incident: Incident, from: "start" | "end"): void {
  liveChosen = null;
  // What-if and the live charts are about now, not about the past under review.
  whatIf = false;
  picked.clear();
  whatIfBlast = null;
  setCharts(null, []);
  void enterReview(incident.id, from, incident.events);
  render();
  renderGraphArea();
}

function select(id: string | null): void {
  if (id === selected) return;
  selected = id;
  liveChosen = null;
  if (id) localStorage.setItem("warroom.selected", id);
  else localStorage.removeItem("warroom.selected");
  restoreDraft(id);
}

/** What each panel last showed: a panel is rebuilt only when its data changed, so focus,
 *  selection and a half-made choice survive the periodic refresh. */
const shown = { list: "", detail: "", timeline: "", runbooks: "" };
let runbookViews: api.RunbookView[] = [];
let suggestions: api.Suggestion[] = [];

function renderRunbookPanel(): void {
  if (!info) return;
  const frame = reviewFrame();
  const reviewing = reviewedId() !== null;
  const stages = info.stages.map((s) => s.name as Stage);
  if (reviewing) {
    const at = frame ? Date.parse(frame.at) : Date.now();
    renderRunbooks(frame?.incident ?? view?.incident ?? null, frame?.runbooks ?? runbookViews, [], stages, { now: at });
  } else {
    renderRunbooks(view?.incident ?? null, runbookViews, suggestions, stages);
  }
}

/** The incident the header and detail show, and the clock they count to: the frame under
 *  review and its instant, else the live incident and now. */
function onScreen(now: number): { incident: Incident | null; now: number } {
  const frame = reviewFrame();
  if (frame) return { incident: frame.incident, now: Date.parse(frame.at) };
  return { incident: view?.incident ?? null, now };
}

/** Moves the incident to `stage`; with runbook steps of the current stage not done, asks first
 *  and records which were skipped. */
async function advance(stage: Stage): Promise<void> {
  if (!selected || !view || reviewedId()) return;
  const id = selected;
  const left = undone(view.incident.stage);
  if (left.length) {
    const ok = await confirmDialog(
      `${left.length} step(s) of ${view.incident.stage} are not done: ${left.join(", ")}. Move to ${stage} anyway? They will be recorded as skipped.`,
      `Skip them and enter ${stage}`,
    );
    if (!ok) return;
  }
  await act(() => api.enterStage(id, stage, left));
}

function changed(panel: keyof typeof shown, data: unknown): boolean {
  const key = JSON.stringify(data);
  if (shown[panel] === key) return false;
  shown[panel] = key;
  return true;
}

function render(): void {
  const now = Date.now();
  const reviewing = reviewedId() !== null;
  document.body.classList.toggle("reviewing", reviewing);
  const screen = onScreen(now);
  const incident = screen.incident;
  renderHeader(incident, screen.now);
  // The list shows "12 min ago": rebuild it at least once a minute.
  if (changed("list", [incidents, selected, Math.floor(now / 60000)])) {
    renderIncidentList(incidents, selected, now, (id) => {
      select(id);
      void refresh();
    });
  }
  if (info && changed("detail", [incident, reviewing])) renderDetail(incident, info.stages, info.roles, info.severities, reviewing);
  // In review the timeline is the live events up to the frame's count. Keyed on counts, not on
  // the events: stringifying a 100 000-event log on every frame would stall playback.
  const frame = reviewFrame();
  const until = reviewing && frame && view && frame.incident.id === view.incident.id ? frame.events_until : null;
  if (changed("timeline", [view?.incident.id ?? null, until, view?.events.length ?? null, reviewing])) {
    const events = view ? (until === null ? view.events : view.events.slice(0, until)) : null;
    renderTimeline(events, reviewing);
  }
  const runbooks = reviewing ? (frame?.runbooks ?? runbookViews) : runbookViews;
  if (changed("runbooks", [incident, runbooks, suggestions, reviewing])) renderRunbookPanel();
  // Action items and the export are about the incident as it is now, in review too.
  renderPostmortem(view?.incident ?? null);
  renderPushAge(now);
}

/** The blast radius on screen: the hypothetical one in what-if mode, else the live one. */
function shownBlast(): api.BlastRadius | null {
  return whatIf ? whatIfBlast : (graph?.view?.blast ?? null);
}

function renderGraphArea(): void {
  // In review the graph and alerts are the frame's, as recorded on the log at its instant; the
  // live graph state still feeds the status bar.
  const reviewing = reviewedId() !== null;
  const frame = reviewFrame();
  const view = reviewing ? (frame?.graph ?? null) : (graph?.view ?? null);
  const blast = reviewing ? (view?.blast ?? null) : (shownBlast() ?? view?.blast ?? null);
  byId("graph").classList.toggle("review-graph", reviewing);
  renderGraph(view, blast, reviewing ? new Set() : picked);
  renderNodeDetail(view, blast, selectedNode);
  renderOutage(blast, whatIf && !reviewing);
  byId("drill-bar").hidden = reviewing;
  renderDrillBar(graph, selected, whatIf);
  renderSources(graph, Date.now());
  // A frame from before topology snapshots has no graph, but still says what was firing.
  if (reviewing && frame && !frame.graph) renderFiring(frame.alerts);
  else renderAlerts(view);
}

async function refreshGraph(): Promise<void> {
  try {
    graph = await api.situation();
    lastPush = Date.now();
  } catch (e) {
    showError(e);
  }
  renderGraphArea();
  renderNotifications(graph?.notifications ?? null);
}

/** A push of the core: redraw the live parts; re-read the log only when it moved. */
function onPush(b: api.Broadcast): void {
  graph = b.situation;
  lastPush = Date.now();
  renderGraphArea();
  renderNotifications(b.situation.notifications);
  const u = b.update;
  if (u.events.length > 0 || u.checks.length > 0 || u.log_changed || u.health.length > 0 || u.fired.length > 0) {
    void refresh();
  }
  if (selectedNode && Date.now() - chartsAt >= CHARTS_MS) void refreshCharts();
}

/** Fetches the selected node's charts (every few seconds while it stays selected). */
async function refreshCharts(): Promise<void> {
  const node = selectedNode;
  // The charts are the sources' last half hour: not the past under review.
  if (!node || reviewedId()) return;
  chartsAt = Date.now();
  try {
    setCharts(node, await api.nodeCharts(node));
  } catch (e) {
    showError(e);
  }
  renderGraphArea();
}

async function updateWhatIf(): Promise<void> {
  try {
    whatIfBlast = await api.whatIf([...picked]);
  } catch (e) {
    showError(e);
  }
  renderGraphArea();
}

function toggleWhatIf(): void {
  if (reviewedId()) return;
  whatIf = !whatIf;
  picked.clear();
  whatIfBlast = whatIf ? { down: [], impacted: [], degraded: [], entrypoints_down: [], groups: [] } : null;
  renderGraphArea();
}

/** How long the window may go without a push before it says the core is silent: a drill
 *  cycles every few seconds and live sources at their interval, so this is generous. */
function silentAfter(): number {
  const feed = graph?.feed;
  if (feed?.kind === "live") return 3 * feed.interval_secs * 1000;
  if (feed?.kind === "drill" && !feed.finished) return 30_000;
  return Number.POSITIVE_INFINITY;
}

/** Nothing while pushes come as expected; the silence, in words, when they stop. */
function renderPushAge(now: number): void {
  const silent = lastPush !== null && now - lastPush > silentAfter();
  const text = silent && lastPush !== null ? `no update from the core for ${elapsed(new Date(lastPush).toISOString(), now)}` : "";
  setText(byId("status-refresh"), text, silent ? "clock source-failing" : "clock");
}

function tick(): void {
  const now = Date.now();
  const screen = onScreen(now);
  renderHeader(screen.incident, screen.now);
  renderPushAge(now);
  // A failing source's "last good 4 min ago" moves on between pushes; written only when it changes.
  renderSources(graph, now);
}

function nextStage(): void {
  if (!info || !view) return;
  const i = info.stages.findIndex((s) => s.name === view?.incident.stage);
  const next = info.stages[i + 1];
  if (next && selected) void advance(next.name as Stage);
}

function moveSelection(step: number): void {
  const i = incidents.findIndex((x) => x.id === selected);
  const next = incidents[Math.min(incidents.length - 1, Math.max(0, i + step))];
  if (next) {
    select(next.id);
    void refresh();
  }
}

function wireKeys(): void {
  document.addEventListener("keydown", (e) => {
    const target = e.target as HTMLElement;
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
    if (e.key === "Escape" && typing) {
      target.blur();
      return;
    }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    const keys: Record<string, () => void> = {
      n: () => byId("note-text").focus(),
      d: () => byId("declare-title").focus(),
      j: () => moveSelection(1),
      k: () => moveSelection(-1),
      "]": nextStage,
      w: toggleWhatIf,
      "?": () => byId<HTMLDialogElement>("help").showModal(),
    };
    const handler = keys[e.key];
    if (handler) {
      e.preventDefault();
      handler();
    }
  });
}

async function boot(): Promise<void> {
  governFrames();
  byId("error-close").addEventListener("click", clearError);
  // A bug must not fail silently: say so where the responder is looking.
  window.addEventListener("error", (e) => showError(`unexpected error: ${e.message}`));
  window.addEventListener("unhandledrejection", (e) => showError(`unexpected error: ${String(e.reason)}`));
  wireKeys();
  wireSources();
  wireNotifications();
  wireRunbooks(() => {
    renderRunbookPanel();
    void refresh();
  });
  try {
    info = await api.appInfo();
  } catch (e) {
    showError(e);
    return;
  }
  byId("status-db").textContent = `log: ${info.db_path}`;
  if (info.startup_error) showError(info.startup_error);
  setGrafana(info.grafana);
  fillSeverities(byId<HTMLSelectElement>("declare-severity"), info.severities, "SEV2");
  wireDeclareForm((form) =>
    act(async () => {
      const incident = await api.declareIncident(form.title, form.severity, form.commander);
      select(incident.id);
    }),
  );
  wireDetail(info.roles, {
    enterStage: (stage) => void advance(stage),
    assignRole: (role, name) => (selected ? act(() => api.assignRole(selected as string, role, name)) : Promise.resolve(false)),
    changeSeverity: (severity) => {
      if (selected) {
        const id = selected;
        void act(() => api.changeSeverity(id, severity));
      }
    },
    toggleResolved: () => {
      if (!selected || !view) return;
      const id = selected;
      if (view.incident.status === "resolved") {
        void act(() => api.reopenIncident(id));
      } else {
        const question = `Resolve "${view.incident.title}"? Say so only when service is restored.`;
        void confirmDialog(question, "Resolve").then((yes) => yes && act(() => api.resolveIncident(id)));
      }
    },
    review: () => {
      if (view?.incident.status === "resolved") startReview(view.incident, "start");
    },
  });
  wirePostmortem(() => void refresh());
  wireReview({
    frame: () => {
      render();
      renderGraphArea();
    },
    error: showError,
    exit: (id) => {
      liveChosen = id;
      render();
      renderGraphArea();
    },
  });
  wireNoteForm(
    () => selected,
    (text) => (selected ? act(() => api.addNote(selected as string, text)) : Promise.resolve(false)),
  );
  wireDrillBar(await api.drillScenarios().catch((e) => (showError(e), [])), {
    start: (scenario, speed) =>
      void act(async () => {
        const active = view?.incident.status === "active" ? selected : null;
        await api.startDrill(scenario, speed, 1, active);
        await refreshGraph();
      }),
    stop: () => void act(async () => {
      await api.stopDrill();
      await refreshGraph();
    }),
    attach: () => void act(async () => {
      await api.recordOn(selected);
      await refreshGraph();
    }),
    toggleWhatIf,
  });
  onNodeTap((id) => {
    if (whatIf) {
      if (picked.has(id)) picked.delete(id);
      else picked.add(id);
      void updateWhatIf();
    } else {
      selectedNode = id;
      setCharts(null, []);
      renderGraphArea();
      void refreshCharts();
    }
  });
  restoreDraft(selected);
  await api.onBroadcast(onPush);
  await refresh();
  await refreshGraph();
  window.setInterval(tick, 1000);
}

void boot();
