// The incident's detail: the five stages, the roles, severity and resolve. In review it shows the
// incident as it stood at the scrubber's instant, read-only; only Reopen (which ends the review)
// and Review itself stay live.

import type { Incident, Role, Severity, Stage, Term } from "../api";
import { byId, el, utcTitle } from "../dom";
import { fillSeverities } from "./incidents";

export interface DetailActions {
  enterStage: (stage: Stage) => void;
  assignRole: (role: Role, name: string) => Promise<boolean>;
  changeSeverity: (severity: Severity) => void;
  toggleResolved: () => void;
  review: () => void;
}

let actions: DetailActions | null = null;

export function wireDetail(roles: Term[], a: DetailActions): void {
  actions = a;
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
    if (await a.assignRole(select.value as Role, name.value)) name.value = "";
  });
  byId("severity-submit").addEventListener("click", () =>
    a.changeSeverity(byId<HTMLSelectElement>("severity-select").value as Severity),
  );
  byId("resolve-toggle").addEventListener("click", () => a.toggleResolved());
  byId("review-enter").addEventListener("click", () => a.review());
}

/** Draws `incident`; with `review`, it is a past state of a resolved incident: nothing here may
 *  change it but Reopen. */
export function renderDetail(incident: Incident | null, stages: Term[], roles: Term[], severities: Term[], review = false): void {
  byId("detail").hidden = incident === null;
  byId("empty-state").hidden = incident !== null;
  if (!incident) return;

  const current = stages.findIndex((s) => s.name === incident.stage);
  byId("stages").replaceChildren(
    ...stages.map((s, i) => {
      const button = el("button", { class: "stage-button", text: `${i + 1}. ${s.name}`, title: s.meaning });
      button.id = `stage-${s.name}`;
      button.type = "button";
      const state = i < current ? "done" : i === current ? "current" : "todo";
      button.classList.add(`stage-${state}`);
      button.setAttribute("aria-current", String(i === current));
      button.disabled = review;
      button.addEventListener("click", () => actions?.enterStage(s.name as Stage));
      return el("li", {}, [button]);
    }),
  );
  const stage = stages[current];
  byId("stage-hint").textContent = stage ? `${stage.name}: ${stage.meaning} (since ${utcTitle(incident.stage_entered_at)})` : "";

  byId("roles").replaceChildren(
    ...roles.flatMap((r) => {
      const holder = incident.roles[r.name.replaceAll("-", "_") as keyof Incident["roles"]];
      return [el("dt", { text: r.meaning }), el("dd", { class: holder ? "" : "muted", text: holder ?? "unassigned" })];
    }),
  );

  const sevSelect = byId<HTMLSelectElement>("severity-select");
  if (document.activeElement !== sevSelect) fillSeverities(sevSelect, severities, incident.severity);
  for (const id of ["role-select", "role-name", "role-submit", "severity-select", "severity-submit"]) {
    byId<HTMLInputElement>(id).disabled = review;
  }
  // In review the incident on screen may be active (an earlier instant); the live one is resolved.
  const resolved = review || incident.status === "resolved";
  byId("resolve-toggle").textContent = resolved ? "Reopen" : "Resolve";
  byId("review-enter").hidden = review || !resolved;
}
