// The war-room window: wires the panels to the core and keeps them fresh.
//
// The window does not poll. The core's runtime pushes a broadcast after each cycle (what
// changed, and the situation after it: the graph, the feed, the notifications); the window
// redraws from it, and re-reads the log only when the push says the log moved. Every action
// calls one command and then re-reads what the core has; the log is the truth. A local clock
// ticks the "12 s ago" labels without asking the core anything.
//
// The window always opens live. Reviewing a resolved incident is something the responder
// chooses (Review, or `v`); while reviewing, the header says "REVIEW — as of …" and nothing
// that reads as now is shown.

import * as api from "./api";
import type { AppInfo, Incident, Stage } from "./api";
import { byId, confirmDialog, setText } from "./dom";
import { governFrames, wakeFrames } from "./frames";
import { type HeldIncident, loadIncident } from "./incident";
import { Throttled } from "./throttle";
import { type Action, openPalette, register, renderHelp, wireKeys, wirePalette } from "./keys";
import { presenting, togglePanel, togglePresenting, wireLayout, zoomBy } from "./layout";
import { renderAlerts, renderFiring } from "./panels/alerts";
import { loadChanges, nodeChanges, renderChanges, wireChanges } from "./panels/changes";
import { renderDetail, wireDetail } from "./panels/detail";
import { drillOf, renderDrillBar, renderSources, wireDrillBar } from "./panels/drill";
import { nameOf, onNodeTap, renderGraph, renderNodeDetail, setCharts, setGrafana } from "./panels/graph";
import { renderHeader, renderStages, wireHeader } from "./panels/header";
import { fillSeverities, renderIncidentList, wireDeclareForm } from "./panels/incidents";
import { renderNotifications, wireNotifications } from "./panels/notify";
import { renderOutage, renderWhatIf } from "./panels/outage";
import { renderPostmortem, wirePostmortem } from "./panels/postmortem";
import { STEPS, enterReview, leaveReview, noteEvents, reviewedId, reviewFrame, stepBy, togglePlay, wireReview } from "./panels/review";
import { renderRunbooks, undone, wireRunbooks } from "./panels/runbook";
import { wireSources } from "./panels/sources";
import { renderPresence, renderSyncStatus } from "./panels/sync";
import { renderTimeline, restoreDraft, rowsWanted, wireNoteForm, wireTimelineFilters } from "./panels/timeline";
import { loadUpdates, renderUpdates, updateDue, wireUpdates } from "./panels/updates";
import { elapsedLabel } from "./dom";
import { onZoneChange, switchZone, zoneName } from "./time";

/** Where the open node panel is kept across a reload of the page (`selectedNode`). */
const NODE_KEY = "warroom.node";

/** Opens the panel of node `id`, or closes it (`null`). */
function keepNode(id: string | null): void {
  selectedNode = id;
  if (id === null) sessionStorage.removeItem(NODE_KEY);
  else sessionStorage.setItem(NODE_KEY, id);
}

/** How often the selected node's charts are redrawn while pushes come in. */
const CHARTS_MS = 5000;

let info: AppInfo | null = null;
let incidents: Incident[] = [];
let selected: string | null = localStorage.getItem("warroom.selected");
let view: HeldIncident | null = null;
let graph: api.Situation | null = null;
let chartsAt = 0;
/** When the core last pushed (or was asked): if pushes stop, the window says so. */
let lastPush: number | null = null;
const whatIf: { on: boolean; picked: Set<string>; result: api.WhatIf | null } = { on: false, picked: new Set(), result: null };
/** The node (or redundancy group) whose panel is open. Kept for this window's session, so that
 *  the panel is open again when the page is loaded again (its web process died and the shell
 *  reloaded it); a new start of the app opens none. */
let selectedNode: string | null = sessionStorage.getItem(NODE_KEY);
let runbookViews: api.RunbookView[] = [];
let suggestions: api.Suggestion[] = [];
/** Whether an incident was active at the last refresh: the declare form folds away while one is. */
let activeBefore: boolean | null = null;

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
    // Through the refresher: a refresh of its own beside one under way could be answered
    // first and drawn over by the older answer.
    await refreshing.ask(true);
    await refreshGraph();
    return true;
  } catch (e) {
    showError(e);
    return false;
  }
}

function activeIncident(): Incident | null {
  return incidents.find((i) => i.status === "active") ?? null;
}

/** What the core's pushes ask for: one refresh at a time, another after it if more came in
 *  meanwhile, at most four a second. A recorded drill pushes events several times a second; each
 *  refresh asks the core six things, and refreshes started faster than they end piled up. */
const refreshing = new Throttled(250, refresh);

async function refresh(): Promise<void> {
  try {
    incidents = await api.listIncidents();
    if (selected && !incidents.some((i) => i.id === selected)) select(null);
    // On start: the incident going on, else the latest one (shown as what it is: resolved).
    const first = activeIncident() ?? incidents[0];
    if (!selected && first) select(first.id);
    view = selected ? await loadIncident(selected, view, rowsWanted()) : null;
    if (selected && view) {
      const id = selected;
      [runbookViews, suggestions] = await Promise.all([
        api.incidentRunbooks(id),
        view.incident.status === "active" ? api.runbookSuggestions(id) : Promise.resolve([]),
      ]);
    } else {
      [runbookViews, suggestions] = [[], []];
    }
    loadUpdates(selected);
    loadChanges(selected);
  } catch (e) {
    showError(e);
  }
  syncReview();
  render();
  renderGraphArea();
}

/** A review ends when its incident is no longer the selected one or was reopened; it never
 *  starts by itself. */
function syncReview(): void {
  const incident = view?.incident ?? null;
  const reviewing = reviewedId();
  if (reviewing && (reviewing !== incident?.id || incident.status !== "resolved")) {
    leaveReview();
  }
  if (incident && reviewedId() === incident.id) noteEvents(incident.id, incident.events);
}

function startReview(): void {
  const incident = view?.incident;
  if (!incident || incident.status !== "resolved") return;
  // What-if and the live charts are about now, not about the past under review.
  whatIf.on = false;
  whatIf.picked.clear();
  whatIf.result = null;
  setCharts(null, []);
  void enterReview(incident.id, "end", incident.events);
  render();
  renderGraphArea();
}

function select(id: string | null): void {
  if (id === selected) return;
  selected = id;
  if (id) localStorage.setItem("warroom.selected", id);
  else localStorage.removeItem("warroom.selected");
  restoreDraft(id);
}

function renderRunbookPanel(): void {
  if (!info) return;
  const frame = reviewFrame();
  const stages = info.stages.map((s) => s.name as Stage);
  if (reviewedId() !== null) {
    const at = frame ? Date.parse(frame.at) : Date.now();
    renderRunbooks(frame?.incident ?? view?.incident ?? null, frame?.runbooks ?? runbookViews, [], stages, { now: at });
  } else {
    renderRunbooks(view?.incident ?? null, runbookViews, suggestions, stages);
  }
}

/** The incident the header shows, and the clock it counts to: the frame under review and its
 *  instant, else the live incident and now. */
function onScreen(now: number): { incident: Incident | null; now: number; reviewAt: string | null } {
  const frame = reviewFrame();
  if (frame) return { incident: frame.incident, now: Date.parse(frame.at), reviewAt: frame.at };
  if (reviewedId()) return { incident: view?.incident ?? null, now, reviewAt: view?.incident.resolved_at ?? null };
  return { incident: view?.incident ?? null, now, reviewAt: null };
}

/** Moves the incident to `stage`; with runbook steps of the current stage not done, asks first
 *  and records which were skipped. */
async function advance(stage: Stage): Promise<void> {
  if (!selected || !view || reviewedId() || view.incident.status !== "active") return;
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

/** What each panel last showed: a panel is rebuilt only when its data changed, so focus,
 *  selection and a half-made choice survive a redraw. */
const shown = { detail: "", runbooks: "" };

function changed(panel: keyof typeof shown, data: unknown): boolean {
  const key = JSON.stringify(data);
  if (shown[panel] === key) return false;
  shown[panel] = key;
  return true;
}

/** The names the graph knows, for the timeline and banners ("Order service", not ids). Asked
 *  for "", it says whether it knows any (so the timeline redraws once they arrive). */
function names(id: string): string {
  const known = graph?.view ?? reviewFrame()?.graph ?? null;
  if (id === "") return known ? "named" : "";
  return nameOf(known, id);
}

function render(): void {
  if (!info) return;
  const now = Date.now();
  const reviewing = reviewedId() !== null;
  document.body.classList.toggle("reviewing", reviewing);
  const screen = onScreen(now);
  const incident = screen.incident;
  renderStages(incident, info.stages, reviewing || incident?.status !== "active", (s) => void advance(s as Stage));
  renderHeader(incident, screen.now, screen.reviewAt, updateDue(incident?.id ?? null));
  renderIncidentList(incidents, selected, (id) => {
    select(id);
    refreshing.ask(true);
  });
  // The declare form folds away while an incident is active (and opens when none is).
  const active = activeIncident() !== null;
  if (active !== activeBefore) {
    byId<HTMLDetailsElement>("declare-section").open = !active;
    setText(byId("declare-summary"), active ? "Declare another incident" : "Declare an incident");
    activeBefore = active;
  }
  if (changed("detail", [incident, reviewing])) renderDetail(incident, info.stages, info.roles, reviewing);
  renderChanges(incident, screen.reviewAt, names);
  // In review the timeline is the live events up to the frame's count.
  const frame = reviewFrame();
  const until = reviewing && frame && view && frame.incident.id === view.incident.id ? frame.events_until : null;
  const events = view ? (until === null ? view.events : view.events.slice(0, until)) : null;
  renderTimeline(events, reviewing, names, view?.dropped);
  const runbooks = reviewing ? (frame?.runbooks ?? runbookViews) : runbookViews;
  if (changed("runbooks", [incident, runbooks, suggestions, reviewing])) renderRunbookPanel();
  renderUpdates(incident, screen.reviewAt);
  // Action items and the export are about the incident as it is now, in review too.
  renderPostmortem(view?.incident ?? null);
  renderPresence(graph?.sync ?? null, incident, reviewing);
  renderPushAge(now);
}

function renderGraphArea(): void {
  // In review the graph and alerts are the frame's, as recorded on the log at its instant.
  const reviewing = reviewedId() !== null;
  const frame = reviewFrame();
  const shownView = reviewing ? (frame?.graph ?? null) : (graph?.view ?? null);
  const blast = !reviewing && whatIf.on ? (whatIf.result?.blast ?? emptyBlast()) : (shownView?.blast ?? null);
  byId("graph").classList.toggle("review-graph", reviewing);
  renderGraph(shownView, blast, reviewing ? new Set() : whatIf.picked);
  renderNodeDetail(shownView, blast, selectedNode, closeNode, nodeChanges(selectedNode));
  // The real banner always; the what-if one beside it.
  const offerDeclare = !reviewing && activeIncident() === null && info?.log_error === null;
  renderOutage(shownView?.outage ?? null, reviewing ? null : (graph?.outage_since ?? null), offerDeclare, declareFromOutage);
  renderWhatIf(whatIf.on && !reviewing, [...whatIf.picked], names, whatIf.result?.outage ?? null);
  byId("drill-bar").hidden = reviewing;
  renderDrillBar(graph, reviewing ? null : (view?.incident ?? null), whatIf.on);
  renderSources(graph, Date.now(), reviewing);
  renderSyncStatus(graph?.sync ?? null, Date.now());
  if (reviewing && frame && !frame.graph) renderFiring(frame.alerts);
  else renderAlerts(shownView);
}

function emptyBlast(): api.BlastRadius {
  return { down: [], impacted: [], degraded: [], entrypoints_down: [], groups: [] };
}

function declareFromOutage(): void {
  void act(async () => {
    const incident = await api.declareFromOutage();
    select(incident.id);
  });
}

async function refreshGraph(): Promise<void> {
  const unnamed = names("") === "";
  try {
    graph = await api.situation(selectedNode);
    lastPush = Date.now();
  } catch (e) {
    showError(e);
  }
  // The first graph names the nodes the timeline and the changes showed by id until now.
  if (unnamed && names("") !== "") render();
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
  if (u.sync_changed) render();
  // The outbox's attempts and deliveries move on between log changes (at most once a second).
  loadUpdates(selected);
  loadChanges(selected);
  if (u.events.length > 0 || u.checks.length > 0 || u.log_changed) {
    refreshing.ask();
  } else if (selected && view?.incident.status === "active" && (u.health.length > 0 || u.fired.length > 0)) {
    // What fails changed: the runbooks that fit may have too.
    void api.runbookSuggestions(selected).then((s) => {
      suggestions = s;
      render();
    }, showError);
  }
  if (selectedNode && Date.now() - chartsAt >= CHARTS_MS) void refreshCharts();
}

/** Fetches the selected node's charts. */
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
    whatIf.result = await api.whatIf([...whatIf.picked]);
  } catch (e) {
    showError(e);
  }
  renderGraphArea();
}

function toggleWhatIf(): void {
  if (reviewedId()) return;
  whatIf.on = !whatIf.on;
  whatIf.picked.clear();
  whatIf.result = null;
  renderGraphArea();
}

/** After a reload: the panel kept open comes back with its charts, unless its node is no longer
 *  in the graph (another topology), when it is let go. */
function reopenNode(): void {
  const id = selectedNode;
  const shown = graph?.view;
  if (id === null) return;
  if (shown && !shown.nodes.some((n) => n.id === id) && !shown.groups.some((g) => g.id === id)) keepNode(null);
  else void refreshCharts();
}

function closeNode(): void {
  if (selectedNode === null) return;
  keepNode(null);
  setCharts(null, []);
  renderGraphArea();
}

/** How long the window may go without a push before it says the core is silent. */
function silentAfter(): number {
  const feed = graph?.feed;
  if (feed?.kind === "live") return 3 * feed.interval_secs * 1000;
  if (feed?.kind === "drill" && !feed.finished) return 30_000;
  return Number.POSITIVE_INFINITY;
}

/** Nothing while pushes come as expected; the silence, in words, when they stop. */
function renderPushAge(now: number): void {
  const silent = lastPush !== null && now - lastPush > silentAfter();
  const text = silent && lastPush !== null ? `no update from the core for ${elapsedLabel(lastPush, now)}` : "";
  setText(byId("status-refresh"), text, silent ? "clock source-failing" : "clock");
}

/** The header alone, as of now: its clocks and the countdown to the next update. */
function renderHeaderNow(): void {
  const screen = onScreen(Date.now());
  renderHeader(screen.incident, screen.now, screen.reviewAt, updateDue(screen.incident?.id ?? null));
}

function tick(): void {
  const now = Date.now();
  renderHeaderNow();
  renderPushAge(now);
  // A failing source's "last good 4 min ago" moves on between pushes; written only when it changes.
  renderSources(graph, now, reviewedId() !== null);
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
    refreshing.ask(true);
  }
}

/** Starts or stops recording on the selected incident. */
function toggleRecording(): void {
  const id = view?.incident.id ?? null;
  if (!id) return;
  const here = graph?.recording === id;
  if (!here && view?.incident.status !== "active") return;
  void act(() => api.recordOn(here ? null : id));
}

function focusDeclare(): void {
  if (presenting()) togglePresenting();
  byId<HTMLDetailsElement>("declare-section").open = true;
  byId("declare-title").focus();
}

function focusNote(): void {
  if (presenting()) togglePresenting();
  byId("note-text").focus();
}

/** Escape closes what is open, most recent first: the node panel, what-if, presentation, review. */
function escape(): void {
  if (selectedNode !== null) return closeNode();
  if (whatIf.on) return toggleWhatIf();
  if (presenting()) return togglePresenting();
  if (reviewedId()) {
    leaveReview();
    render();
    renderGraphArea();
  }
}

const reviewing = () => reviewedId() !== null;
const live = () => reviewedId() === null;
const activeSelected = () => view?.incident.status === "active" && live();

/** Every action of the window: one table drives the keys, the `?` help and the palette. */
function actions(): Action[] {
  return [
    { id: "note", label: "Write a note on the timeline", keys: [{ key: "n" }], run: focusNote, available: activeSelected },
    { id: "declare", label: "Declare an incident", keys: [{ key: "d" }], run: focusDeclare, available: live },
    {
      id: "declare-outage",
      label: "Declare an incident from the outage users see",
      keys: [],
      run: declareFromOutage,
      available: () => live() && activeIncident() === null && Boolean(graph?.view?.outage),
    },
    { id: "next-incident", label: "Select the next incident", keys: [{ key: "j" }], run: () => moveSelection(1) },
    { id: "previous-incident", label: "Select the previous incident", keys: [{ key: "k" }], run: () => moveSelection(-1) },
    { id: "next-stage", label: "Enter the next response stage", keys: [{ key: "]" }], run: nextStage, available: activeSelected },
    { id: "record", label: "Start or stop recording on the selected incident", keys: [{ key: "r" }], run: toggleRecording, available: live },
    { id: "what-if", label: "What if… (pick nodes to see what would break)", keys: [{ key: "w" }], run: toggleWhatIf, available: live },
    { id: "present", label: "Presentation mode for the shared screen", keys: [{ key: "p" }], run: togglePresenting },
    { id: "review", label: "Review the selected resolved incident", keys: [{ key: "v" }], run: startReview, available: () => live() && view?.incident.status === "resolved" },
    { id: "left-panel", label: "Hide or show the incidents and runbooks", keys: [{ key: "{" }], run: () => togglePanel("left") },
    { id: "right-panel", label: "Hide or show the alerts and timeline", keys: [{ key: "}" }], run: () => togglePanel("right") },
    { id: "zone", label: "Show times in UTC or local time", keys: [{ key: "u" }], run: switchZone },
    { id: "zoom-in", label: "Zoom in", keys: [{ key: "=", ctrl: true }, { key: "+", ctrl: true }], run: () => zoomBy(1), inFields: true },
    { id: "zoom-out", label: "Zoom out", keys: [{ key: "-", ctrl: true }], run: () => zoomBy(-1), inFields: true },
    { id: "zoom-reset", label: "Zoom back to 100 %", keys: [{ key: "0", ctrl: true }], run: () => zoomBy(0), inFields: true },
    { id: "palette", label: "Every action by name", keys: [{ key: "k", ctrl: true }], run: () => openPalette(), inFields: true },
    { id: "help", label: "The keys", keys: [{ key: "?" }], run: () => byId<HTMLDialogElement>("help").showModal() },
    { id: "close", label: "Close the node panel, what-if, presentation or review", keys: [{ key: "Escape" }], run: escape },
    { id: "back", label: "In review: 10 s back (with Shift: 1 min)", keys: [{ key: "ArrowLeft" }], run: () => stepBy(-STEPS.small), available: reviewing },
    { id: "back-more", label: "In review: 1 min back", keys: [{ key: "ArrowLeft", shift: true }], run: () => stepBy(-STEPS.big), available: reviewing },
    { id: "forward", label: "In review: 10 s forward", keys: [{ key: "ArrowRight" }], run: () => stepBy(STEPS.small), available: reviewing },
    { id: "forward-more", label: "In review: 1 min forward", keys: [{ key: "ArrowRight", shift: true }], run: () => stepBy(STEPS.big), available: reviewing },
    { id: "play", label: "In review: play or pause", keys: [{ key: " " }], run: togglePlay, available: reviewing },
    { id: "steps", label: "In the runbook steps: next / previous step", keys: [{ key: "j" }, { key: "k" }], run: () => undefined, local: true },
    { id: "step-done", label: "In the runbook steps: done / not done", keys: [{ key: " " }], run: () => undefined, local: true },
    // Palette only: named, no key.
    { id: "resolve", label: "Resolve or reopen the selected incident", keys: [], run: () => byId("resolve-toggle").click(), available: () => live() && view !== null },
    { id: "back-to-live", label: "Back to live", keys: [], run: escape, available: reviewing },
    { id: "start-drill", label: "Start the drill chosen in the drill bar", keys: [], run: () => byId("drill-start").click(), available: () => live() && graph?.feed.kind !== "live" },
    { id: "stop-drill", label: "Stop the drill", keys: [], run: () => byId("drill-stop").click(), available: () => drillOf(graph) !== null },
    { id: "export", label: "Export the postmortem", keys: [], run: () => byId("export-postmortem").click(), available: () => view !== null },
    { id: "mute", label: "Mute or unmute desktop notifications", keys: [], run: () => byId("notify-toggle").click() },
    { id: "sources", label: "Sources and configuration", keys: [], run: () => byId("sources-open").click() },
  ];
}

function renderZone(): void {
  setText(byId("time-zone"), `Times: ${zoneName()}`);
}

async function boot(): Promise<void> {
  governFrames();
  byId("error-close").addEventListener("click", clearError);
  // A bug must not fail silently: say so where the responder is looking.
  window.addEventListener("error", (e) => showError(`unexpected error: ${e.message}`));
  window.addEventListener("unhandledrejection", (e) => showError(`unexpected error: ${String(e.reason)}`));
  wireLayout();
  register(actions());
  wireKeys();
  renderHelp();
  wirePalette();
  byId("palette-open").addEventListener("click", () => openPalette());
  byId("help-open").addEventListener("click", () => byId<HTMLDialogElement>("help").showModal());
  byId("time-zone").addEventListener("click", switchZone);
  renderZone();
  onZoneChange(() => {
    renderZone();
    shown.detail = "";
    shown.runbooks = "";
    render();
    renderGraphArea();
  });
  wireSources(() => graph?.feed.kind ?? "none");
  wireNotifications();
  wireTimelineFilters(() => refreshing.ask());
  wireRunbooks(() => {
    renderRunbookPanel();
    refreshing.ask(true);
  });
  try {
    info = await api.appInfo();
  } catch (e) {
    showError(e);
    return;
  }
  byId("status-db").textContent = `log: ${info.db_path}`;
  if (info.log_error) showError(info.log_error);
  else if (info.startup_error) showError(info.startup_error);
  setGrafana(info.grafana);
  fillSeverities(byId<HTMLSelectElement>("declare-severity"), info.severities, "SEV2");
  wireDeclareForm((form) =>
    act(async () => {
      const incident = await api.declareIncident(form.title, form.severity, form.commander, form.local);
      select(incident.id);
    }),
  );
  wireHeader(info.severities, {
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
    review: startReview,
  });
  wireDetail(info.roles, (role, name) => (selected ? act(() => api.assignRole(selected as string, role, name)) : Promise.resolve(false)));
  wirePostmortem(() => refreshing.ask(true));
  wireUpdates(info, { sent: () => refreshing.ask(true), fetched: renderHeaderNow });
  wireChanges({
    fetched: () => {
      if (selectedNode !== null) renderGraphArea();
    },
  });
  wireReview({
    frame: () => {
      render();
      renderGraphArea();
    },
    error: showError,
    exit: () => {
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
      }),
    stop: () => void act(() => api.stopDrill()),
    attach: toggleRecording,
    toggleWhatIf,
  });
  onNodeTap(
    (id) => {
      if (whatIf.on) {
        if (whatIf.picked.has(id)) whatIf.picked.delete(id);
        else whatIf.picked.add(id);
        void updateWhatIf();
      } else {
        keepNode(id);
        setCharts(null, []);
        renderGraphArea();
        // Pushes carry the log lines of the open node only: this one's, at once.
        void refreshGraph();
        void refreshCharts();
      }
    },
    closeNode,
  );
  restoreDraft(selected);
  await api.onBroadcast(onPush, () => selectedNode);
  await refreshing.ask(true);
  await refreshGraph();
  reopenNode();
  wakeFrames();
  window.setInterval(tick, 1000);
}

void boot();
