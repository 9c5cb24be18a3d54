// The drill bar: pick a scenario and a speed, start or stop it, record it on an incident; and the
// what-if switch. Also the outage banner: the entrypoints down, in words.

import type { BlastRadius, DrillStatus, ScenarioInfo, Situation } from "../api";
import { byId, el, elapsed, localTime, rebuildOn, setText } from "../dom";

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

export function renderDrillBar(state: Situation | null, selectedIncident: string | null, whatIf: boolean): void {
  const drill = drillOf(state);
  const live = state?.feed.kind === "live";
  const select = byId<HTMLSelectElement>("drill-scenario");
  if (drill && document.activeElement !== select) select.value = drill.scenario;
  for (const id of ["drill-scenario", "drill-speed", "drill-start"]) byId<HTMLButtonElement>(id).disabled = live;
  byId<HTMLButtonElement>("drill-stop").disabled = live || drill === null;
  byId("drill-bar").classList.toggle("live", live);
  const recording = state?.recording ?? null;
  const attach = byId<HTMLButtonElement>("drill-attach");
  attach.disabled = (!live && drill === null) || selectedIncident === null || recording === selectedIncident;
  setText(attach, recording !== null && recording === selectedIncident ? "Recording on this incident" : "Record on incident");
  setText(byId("drill-clock"), state?.feed.kind === "live"
    ? `live: ${state.feed.sources.length} sources`
    : drill
      ? `${drill.finished ? "ended" : "running"}, minute ${minutes(drill.scenario_secs)} of ${minutes(drill.duration_secs)} ×${drill.speed}`
      : "no drill running");
  const toggle = byId("whatif-toggle");
  toggle.setAttribute("aria-pressed", String(whatIf));
  toggle.classList.toggle("active", whatIf);
  setText(toggle, whatIf ? "What if… (pick nodes; click again to leave)" : "What if…");
}

export function renderOutage(blast: BlastRadius | null, whatIf: boolean): void {
  const banner = byId("outage");
  const down = blast?.entrypoints_down ?? [];
  if (banner.hidden !== (down.length === 0)) banner.hidden = down.length === 0;
  banner.classList.toggle("hypothetical", whatIf);
  if (!blast || down.length === 0) return;
  const lines = down.map((id) => {
    const path = blast.impacted.find((i) => i.id === id)?.reason;
    return path ? `${id} is down: ${path.join(" → ")}` : `${id} is down`;
  });
  const title = whatIf ? "WHAT IF: users would see an outage" : "USER-VISIBLE OUTAGE";
  rebuildOn(banner, JSON.stringify([title, lines]), () => [el("strong", { text: title }), ...lines.map((l) => el("div", { text: l }))]);
}

/** The status bar's sources: each with its state; the age of its last good answer only when
 *  it is older than two polls (a fresh one is simply "ok"). Rewritten only when a text changes. */
export function renderSources(state: Situation | null, now: number): void {
  const bar = byId("status-source");
  const feed = state?.feed;
  if (!state || !feed) {
    setText(bar, "");
    return;
  }
  if (feed.kind !== "live") {
    setText(bar, feed.kind === "drill" ? `source: drill ${feed.scenario}` : "no source: start a drill");
    return;
  }
  const interval = feed.interval_secs * 1000;
  const parts = [
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
        ? `${s.name}: FAILING since ${localTime(s.failing_since ?? "")} (last good ${last})`
        : age !== null && age <= 2 * interval
          ? `${s.name}: ok`
          : `${s.name}: ok, last answer ${last}`;
      return { class: `source ${failing ? "source-failing" : "source-ok"}`, text, title: s.last_error ?? `breaker ${s.breaker}, ${s.requests} requests` };
    }),
  ];
  rebuildOn(bar, JSON.stringify(parts), () => parts.map((p) => el("span", p)));
}
