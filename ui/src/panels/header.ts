// The incident header: severity, title, status, stage and the live clocks. Drawn on every tick
// of the window's clock: only what changed is written.

import type { Incident } from "../api";
import { byId, elapsed, setText, utcTitle } from "../dom";

export function renderHeader(incident: Incident | null, now: number): void {
  const header = byId("incident-header");
  if (header.hidden !== (incident === null)) header.hidden = incident === null;
  if (!incident) return;
  setText(byId("hdr-severity"), incident.severity, `sev sev-${incident.severity.toLowerCase()}`);
  setText(byId("hdr-title"), incident.title);
  setText(byId("hdr-status"), incident.status, `status status-${incident.status}`);
  setText(byId("hdr-stage"), incident.stage);
  // A resolved incident's clocks stop at its resolution.
  const end = incident.resolved_at ? Math.max(Date.parse(incident.resolved_at), Date.parse(incident.stage_entered_at)) : now;
  const stageClock = byId("hdr-stage-clock");
  setText(stageClock, `for ${elapsed(incident.stage_entered_at, end)}`);
  stageClock.title = `since ${utcTitle(incident.stage_entered_at)}`;
  const declared = byId("hdr-declared-clock");
  setText(declared, `${elapsed(incident.declared_at, end)} ago${incident.resolved_at ? " (resolved)" : ""}`);
  declared.title = utcTitle(incident.declared_at);
  setText(byId("hdr-commander"), incident.roles.commander ?? "nobody yet");
}
