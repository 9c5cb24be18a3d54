// The drill bar: pick a scenario and a speed, start or stop it, record it on an incident; and the
// what-if switch. Also the outage banner: the entrypoints down, in words.

import type { BlastRadius, DrillStatus, ScenarioInfo } from "../api";
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

export function renderDrillBar(drill: DrillStatus | null, selectedIncident: string | null, whatIf: boolean): void {
  const select = byId<HTMLSelectElement>("drill-scenario");
  if (drill && document.activeElement !== select) select.value = drill.scenario;
  byId<HTMLButtonElement>("drill-stop").disabled = drill === null;
  const attach = byId<HTMLButtonElement>("drill-attach");
  attach.disabled = drill === null || selectedIncident === null || drill.incident === selectedIncident;
  attach.textContent = drill?.incident && drill.incident === selectedIncident ? "Recording on this incident" : "Record on incident";
  byId("drill-clock").textContent = drill
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
