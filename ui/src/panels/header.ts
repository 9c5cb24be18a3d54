// The incident header: severity, title, status, stage and the live clocks.

import type { Incident } from "../api";
import { byId, elapsed, utcTitle } from "../dom";

export function renderHeader(incident: Incident | null, now: number): void {
  const header = byId("incident-header");
  header.hidden = incident === null;
  if (!incident) return;
  const sev = byId("hdr-severity");
  sev.textContent = incident.severity;
  sev.className = `sev sev-${incident.severity.toLowerCase()}`;
  byId("hdr-title").textContent = incident.title;
  const status = byId("hdr-status");
  status.textContent = incident.status;
  status.className = `status status-${incident.status}`;
  byId("hdr-stage").textContent = incident.stage;
  // A resolved incident's clocks stop at its resolution.
  const end = incident.resolved_at ? Math.max(Date.parse(incident.resolved_at), Date.parse(incident.stage_entered_at)) : now;
  const stageClock = byId("hdr-stage-clock");
  stageClock.textContent = `for ${elapsed(incident.stage_entered_at, end)}`;
  stageClock.title = `since ${utcTitle(incident.stage_entered_at)}`;
  const declared = byId("hdr-declared-clock");
  declared.textContent = `${elapsed(incident.declared_at, end)} ago${incident.resolved_at ? " (resolved)" : ""}`;
  declared.title = utcTitle(incident.declared_at);
  byId("hdr-commander").textContent = incident.roles.commander ?? "nobody yet";
}
