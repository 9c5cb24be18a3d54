// The drill bar: pick a scenario and a speed, start or stop it, start or stop recording on the
// selected incident; and the what-if switch. Also the status bar's account of the sources.

import type { DrillStatus, Incident, ScenarioInfo, Situation } from "../api";
import { byId, el, elapsed, redrawOn, setText } from "../dom";
import { clock } from "../time";

export interface DrillActions {
  start: (scenario: string, speed: number) => void;
  stop: () => void;
  attach: () => void;
  toggleWhatIf: () => void;
}

/** The drill playing, if that is what feeds the war room. */
export function drillOf(state: Situation | null): DrillStatus | null {
  return state?.feed.kind === "drill" ? state.feed : null;
}

export function wireDrillBar(scenarios: ScenarioInfo[], actions: DrillActions): void {
  const select = byId<HTMLSelectElement>("drill-scenario");
  select.replaceChildren(
    ...scenarios.map((s) => {
      const option = el("option", { text: s.title, title: s.summary });
      option.value = s.name;
      return option;
    }),
  );
  byId("drill-start").addEventListener("click", () =>
    actions.start(select.value, Number(byId<HTMLSelectElement>("drill-speed").value)),
  );
  byId("drill-stop").addEventListener("click", actions.stop);
  byId("drill-attach").addEventListener("click", actions.attach);
  byId("whatif-toggle").addEventListener("click", actions.toggleWhatIf);
}

/** Where a drill is, to the minute: it changes every minute of scenario time, not every push. */
function minutes(secs: number): string {
  return `${Math.floor(secs / 60)}`;
}

/** The drill the menus were last set to ("scenario ×speed"): they follow the drill when it
 *  changes, and otherwise keep what a person picked for the next one. */
let mirrored = "";

export function renderDrillBar(state: Situation | null, selected: Incident | null, whatIf: boolean): void {
  const drill = drillOf(state);
  const live = state?.feed.kind === "live";
  // The menus say the drill running when it starts, even a speed they do not list. Set on every
  // push, a scenario picked but not started yet went back to the running one as soon as focus
  // left its menu (for the speed, or on the way to Start), and Start ran the wrong drill.
  const running = drill ? `${drill.scenario} ×${drill.speed}` : "";
  if (drill && running !== mirrored) {
    byId<HTMLSelectElement>("drill-scenario").value = drill.scenario;
    const speed = byId<HTMLSelectElement>("drill-speed");
    if (![...speed.options].some((o) => o.value === String(drill.speed))) speed.add(new Option(`×${drill.speed}`, String(drill.speed)));
    speed.value = String(drill.speed);
  }
  mirrored = running;
  for (const id of ["drill-scenario", "drill-speed", "drill-start"]) byId<HTMLButtonElement>(id).disabled = live;
  byId<HTMLButtonElement>("drill-stop").disabled = live || drill === null;
  byId("drill-bar").classList.toggle("live", live);
  // Recording: on the selected incident, started and stopped here; never on a resolved one.
  const recording = state?.recording ?? null;
  const attach = byId<HTMLButtonElement>("drill-attach");
  const here = recording !== null && recording === selected?.id;
  const resolved = selected?.status === "resolved";
  attach.hidden = selected === null || (resolved && !here);
  attach.disabled = state?.feed.kind === "none" && !here;
  attach.classList.toggle("recording", here);
  attach.setAttribute("aria-pressed", String(here));
  setText(attach, here ? "Recording · stop" : recording ? "Record here instead" : "Record on this incident");
  attach.title = here
    ? "Recording what the war room watches on this incident: click (or r) to stop"
    : "Record what the war room watches on the selected incident (r)";
  setText(byId("drill-clock"), state?.feed.kind === "live"
    ? `live: ${state.feed.sources.length} sources`
    : drill
      ? `${drill.finished ? "ended" : "running"}, minute ${minutes(drill.scenario_secs)} of ${minutes(drill.duration_secs)} ×${drill.speed}`
      : "no drill running");
  const toggle = byId("whatif-toggle");
  toggle.setAttribute("aria-pressed", String(whatIf));
  toggle.classList.toggle("active", whatIf);
  setText(toggle, whatIf ? "What if… (leave: w)" : "What if…");
}

/** Before the sources in review: the screen shows the past, the sources are as they stand now. */
const NOT_THE_PAST = "now, not the past under review:";

/** The status bar's sources: each with its state; the age of its last good answer only when
 *  it is older than two polls (a fresh one is simply "ok"). Rewritten only when a text changes. */
export function renderSources(state: Situation | null, now: number, reviewing = false): void {
  const bar = byId("status-source");
  const feed = state?.feed;
  if (!state || !feed) {
    setText(bar, "");
    return;
  }
  if (feed.kind !== "live") {
    const source = feed.kind === "drill" ? `source: drill ${feed.scenario}` : "no source: start a drill";
    setText(bar, reviewing ? `${NOT_THE_PAST} ${source}` : source);
    return;
  }
  const interval = feed.interval_secs * 1000;
  const parts = [
    ...(reviewing ? [{ class: "source source-now muted", text: NOT_THE_PAST, title: "" }] : []),
    ...feed.provider_incidents.map((p) => ({
      class: "source source-failing provider-incident",
      text: `provider incident: ${p.name} (${p.status}${p.impact ? `, ${p.impact}` : ""})`,
      title: p.shortlink ?? "",
    })),
    ...feed.sources.map((s) => {
      const age = s.last_success ? now - Date.parse(s.last_success) : null;
      const last = s.last_success ? `${elapsed(s.last_success, now)} ago` : "never";
      const failing = s.failing_since !== null;
      const text = failing
        ? `${s.name}: FAILING since ${clock(s.failing_since ?? "")} (last good ${last})`
        : age === null
          ? `${s.name}: waiting for a first answer`
          : age <= 2 * interval
            ? `${s.name}: ok`
            : `${s.name}: ok, last answer ${last}`;
      return { class: `source ${failing ? "source-failing" : "source-ok"}`, text, title: s.last_error ?? `breaker ${s.breaker}, ${s.requests} requests` };
    }),
  ];
  redrawOn(bar, JSON.stringify(parts), () => parts.map((p) => el("span", p)));
}
