// The drill bar: pick a scenario and a speed, start or stop it, record it on an incident; and the
// what-if switch. Also the outage banner: the entrypoints down, in words.

import type { BlastRadius, DrillStatus, ScenarioInfo, Situation } from "../api";
import { byId, el } from "../dom";

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

function clock(secs: number): string {
  const s = Math.floor(secs);
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
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
  attach.textContent = recording !== null && recording === selectedIncident ? "Recording on this incident" : "Record on incident";
  byId("drill-clock").textContent = state?.feed.kind === "live"
    ? `live: ${state.feed.sources.length} sources`
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
export function renderSources(state: Situation | null, now: number): void {
  const bar = byId("status-source");
  if (!state) {
    bar.textContent = "";
    return;
  }
  const feed = state.feed;
  if (feed.kind !== "live") {
    const age = Math.max(0, Math.round((now - Date.parse(state.at)) / 1000));
    bar.replaceChildren(el("span", { text: feed.kind === "drill" ? `source drill: data ${age} s old` : "no source: start a drill" }));
    return;
  }
  const providers = feed.provider_incidents.map((p) =>
    el("span", {
      class: "source source-failing provider-incident",
      text: `provider incident: ${p.name} (${p.status}${p.impact ? `, ${p.impact}` : ""})`,
      title: p.shortlink ?? "",
    }),
  );
  bar.replaceChildren(
    ...providers,
    ...feed.sources.map((s) => {
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
