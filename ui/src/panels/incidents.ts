// The left panel: the declare form and the list of incidents.

import type { Incident, Severity, Term } from "../api";
import { byId, el, rebuildOn } from "../dom";
import { clock, inUtc, otherZone } from "../time";

export function fillSeverities(select: HTMLSelectElement, severities: Term[], chosen: string, short = false): void {
  select.replaceChildren(
    ...severities.map((s) => {
      const option = el("option", { text: short ? s.name : `${s.name}: ${s.meaning}`, title: s.meaning });
      option.value = s.name;
      option.selected = s.name === chosen;
      return option;
    }),
  );
}

export interface DeclareForm {
  title: string;
  severity: Severity;
  commander: string | null;
  /** Kept on this laptop, not synced to the team's hub. */
  local: boolean;
}

/** Wires the declare form; `onDeclare` resolves true when the incident was recorded. */
export function wireDeclareForm(onDeclare: (form: DeclareForm) => Promise<boolean>): void {
  const form = byId<HTMLFormElement>("declare-form");
  const title = byId<HTMLInputElement>("declare-title");
  const severity = byId<HTMLSelectElement>("declare-severity");
  const commander = byId<HTMLInputElement>("declare-commander");
  const submit = byId<HTMLButtonElement>("declare-submit");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    const ok = await onDeclare({
      title: title.value,
      severity: severity.value as Severity,
      commander: commander.value.trim() || null,
      local: byId<HTMLInputElement>("declare-local").checked,
    });
    submit.disabled = false;
    // Only a recorded incident clears the form: what was typed is never lost to an error.
    if (ok) title.value = "";
  });
}

export function renderIncidentList(
  incidents: Incident[],
  selected: string | null,
  onSelect: (id: string) => void,
): void {
  const list = byId("incident-list");
  if (incidents.length === 0) {
    rebuildOn(list, "none", () => [el("li", { class: "muted", text: "No incidents yet." })]);
    return;
  }
  // Keyed on what the list shows (and the zone its times are in): a recorded drill changes the
  // incident several times a second, and its list item with it only when a shown field moves.
  const shown = incidents.map((i) => [i.id, i.severity, i.title, i.status, i.stage, i.declared_at, i.resolved_at]);
  rebuildOn(list, JSON.stringify([shown, selected, inUtc()]), () =>
    incidents.map((i) => {
      const when = i.resolved_at ? `resolved ${clock(i.resolved_at)}` : `declared ${clock(i.declared_at)}`;
      const item = el("li", { class: "incident-item", data: { id: i.id } }, [
        el("span", { class: `sev sev-${i.severity.toLowerCase()}`, text: i.severity }),
        el("span", { class: "incident-title", text: i.title }),
        el("span", {
          class: `incident-meta status-${i.status}`,
          text: `${i.status} · ${i.stage} · ${when}`,
          title: otherZone(i.resolved_at ?? i.declared_at),
        }),
      ]);
      item.tabIndex = 0;
      item.setAttribute("role", "button");
      if (i.id === selected) item.classList.add("selected");
      item.addEventListener("click", () => onSelect(i.id));
      item.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") onSelect(i.id);
      });
      return item;
    }),
  );
}
