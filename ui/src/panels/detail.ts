// The incident's detail in the left panel: what the current stage means, and the roles. The
// stages, severity and resolve live in the header. In review it shows the incident as it stood
// at the scrubber's instant, read-only.

import type { Incident, Role, Term } from "../api";
import { byId, el, rebuildOn, setText } from "../dom";
import { clock } from "../time";

export function wireDetail(roles: Term[], assignRole: (role: Role, name: string) => Promise<boolean>): void {
  const select = byId<HTMLSelectElement>("role-select");
  select.replaceChildren(
    ...roles.map((r) => {
      const option = el("option", { text: r.meaning });
      option.value = r.name;
      return option;
    }),
  );
  const name = byId<HTMLInputElement>("role-name");
  byId<HTMLFormElement>("role-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (await assignRole(select.value as Role, name.value)) name.value = "";
  });
}

/** Draws `incident`; with `review`, it is a past state: nothing here may change it. */
export function renderDetail(incident: Incident | null, stages: Term[], roles: Term[], review = false): void {
  byId("detail").hidden = incident === null;
  byId("empty-state").hidden = incident !== null;
  if (!incident) return;
  const stage = stages.find((s) => s.name === incident.stage);
  setText(byId("stage-hint"), stage ? `${stage.name}: ${stage.meaning} (since ${clock(incident.stage_entered_at)})` : "");
  rebuildOn(byId("roles"), JSON.stringify(incident.roles), () =>
    roles.flatMap((r) => {
      const holder = incident.roles[r.name.replaceAll("-", "_") as keyof Incident["roles"]];
      return [el("dt", { text: r.meaning }), el("dd", { class: holder ? "" : "muted", text: holder ?? "unassigned" })];
    }),
  );
  for (const id of ["role-select", "role-name", "role-submit"]) {
    byId<HTMLInputElement>(id).disabled = review || incident.status === "resolved";
  }
}
