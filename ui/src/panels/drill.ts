// The drill bar: pick a scenario and a speed, start or stop it, record it on an incident; and the
// what-if switch. Also the outage banner: the entrypoints down, in words.

import type { BlastRadius, GraphState, ScenarioInfo } from "../api";
import { byId, el } from "../dom";

export interface DrillActions {
  start: (scenario: string, speed: number) => void;
  stop: () => void;
  attach: () => void;
  toggleWhatIf: () => void;
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

function clock(secs: number): string {
  const s = Math.floor(secs);
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

export function renderDrillBar(state: GraphState | null, selectedIncident: string | null, whatIf: boolean): void {
  const drill = state?.drill ?? null;
  const live = state?.mode === "live";
  const select = byId<HTMLSelectElement>("drill-scenario");
  if (drill && document.activeElement !== select) select.value = drill.scenario;
  for (const id of ["drill-scenario", "drill-speed", "drill-start"]) byId<HTMLButtonElement>(id).disabled = live;
  byId<HTMLButtonElement>("drill-stop").disabled = live || drill === null;
  byId("drill-bar").classList.toggle("live", live);
  const recording = live ? (state?.recording_on ?? null) : (drill?.incident ?? null);
  const attach = byId<HTMLButtonElement>("drill-attach");
  attach.disabled = (!live && drill === null) || selectedIncident === null || recording === selectedIncident;
  attach.textContent = recording !== null && recording === selectedIncident ? "Recording on this incident" : "Record on incident";
  byId("drill-clock").textContent = live
    ? `live: ${state?.sources.length ?? 0} sources`
    : drill
      ? `${drill.finished ? "ended" : "running"} ${clock(drill.scenario_secs)} / ${clock(drill.duration_secs)} ×${drill.speed}`
      : "no drill running";
  const toggle = byId("whatif-toggle");
  toggle.setAttribute("aria-pressed", String(whatIf));
  toggle.classList.toggle("active", whatIf);
  toggle.textContent = whatIf ? "What if… (pick nodes; click again to leave)" : "What if…";
}

export function renderOutage(blast: BlastRadius | null, whatIf: boolean): void {
  const banner = byId("outage");
  const down = blast?.entrypoints_down ?? [];
  banner.hidden = down.length === 0;
  banner.classList.toggle("hypothetical", whatIf);
  if (!blast || down.length === 0) return;
  const lines = down.map((id) => {
    const path = blast.impacted.find((i) => i.id === id)?.reason;
    return path ? `${id} is down: ${path.join(" → ")}` : `${id} is down`;
  });
  banner.replaceChildren(
    el("strong", { text: whatIf ? "WHAT IF: users would see an outage" : "USER-VISIBLE OUTAGE" }),
    ...lines.map((l) => el("div", { text: l })),
  );
}

/** The status bar's sources: each with its state and the age of its last good answer. */
export function renderSources(state: GraphState | null, now: number): void {
  const bar = byId("status-source");
  if (!state) {
    bar.textContent = "";
    return;
  }
  if (state.mode === "drill") {
    const age = state.drill?.last_step ? Math.round((now - Date.parse(state.drill.last_step)) / 1000) : null;
    bar.replaceChildren(el("span", { text: state.drill ? `source drill: data ${age ?? "?"} s old` : "no source: start a drill" }));
    return;
  }
  const providers = state.provider_incidents.map((p) =>
    el("span", {
      class: "source source-failing provider-incident",
      text: `provider incident: ${p.name} (${p.status}${p.impact ? `, ${p.impact}` : ""})`,
      title: p.shortlink ?? "",
    }),
  );
  bar.replaceChildren(
    ...providers,
    ...state.sources.map((s) => {
      const age = s.last_success ? `${Math.round((now - Date.parse(s.last_success)) / 1000)} s ago` : "never";
      const failing = s.failing_since !== null;
      return el("span", {
        class: `source ${failing ? "source-failing" : "source-ok"}`,
        text: failing ? `${s.name}: FAILING since ${new Date(s.failing_since ?? "").toLocaleTimeString()} (last good ${age})` : `${s.name}: ok, ${age}`,
        title: s.last_error ?? `breaker ${s.breaker}, ${s.requests} requests`,
      });
    }),
  );
}
