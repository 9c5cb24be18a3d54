// Team sync, as a responder needs to see it: in the status bar, whether this laptop is live with
// the hub or since when it is not and how many events wait to go; in the header, who is in the
// incident now (each laptop's person, their role, and how long it has been silent). Nothing here
// when this laptop syncs with no hub.

import type { Device, Incident, SyncStatus } from "../api";
import { byId, el, elapsed, rebuildOn, setText } from "../dom";
import { clock, otherZone } from "../time";

/** A laptop silent longer than this is shown as silent, with for how long. */
const QUIET_SECS = 30;
/** A laptop silent longer than this is no longer shown as in the incident. */
const GONE_SECS = 15 * 60;

/** This laptop's name on the hub, if it syncs: the timeline names other laptops, not this one. */
let here: string | null = null;

export function thisDevice(): string | null {
  return here;
}

/** The status bar's sync item. */
export function renderSyncStatus(sync: SyncStatus | null, now: number): void {
  here = sync?.device ?? null;
  byId("declare-local-item").hidden = sync === null;
  const item = byId("status-sync");
  if (item.hidden !== (sync === null)) item.hidden = sync === null;
  if (!sync) return;
  const others = sync.devices.filter((d) => d.device !== sync.device && d.silent_secs < GONE_SECS).length;
  const waiting = sync.pending_push > 0 ? `, ${sync.pending_push} event${sync.pending_push === 1 ? "" : "s"} waiting` : "";
  let text: string;
  let cls: string;
  if (sync.connected) {
    text = `sync: live${others > 0 ? ` · ${others + 1} laptops` : ""}${waiting}`;
    cls = "sync sync-live";
  } else if (sync.since && sync.error) {
    text = `sync: offline since ${clock(sync.since)}${waiting || ", nothing waiting"}`;
    cls = "sync source-failing";
  } else {
    text = `sync: connecting to the hub…${waiting}`;
    cls = "sync";
  }
  if (sync.problems.length > 0) {
    text += ` · ${sync.problems.length} event${sync.problems.length === 1 ? "" : "s"} refused (altered on the hub)`;
    cls = "sync source-failing";
  }
  setText(item, text, cls);
  const pulled = sync.last_pull_at ? `last pulled ${clock(sync.last_pull_at)} (${elapsed(sync.last_pull_at, now)} ago)` : "never pulled yet";
  const why = sync.error ? `\n${sync.error}` : "";
  const refused = sync.problems.slice(0, 5).map((p) => `\nrefused: device ${p.device}: event ${p.event} ${p.reason}`).join("");
  item.title = `hub ${sync.hub} as ${sync.device}; ${pulled}${why}${refused}`;
}

/** The role a person holds on the incident, shortly. */
function roleOf(incident: Incident | null, person: string | null): string | null {
  if (!incident || !person) return null;
  const r = incident.roles;
  if (r.commander === person) return "IC";
  if (r.operations_lead === person) return "ops";
  if (r.communications_lead === person) return "comms";
  if (r.scribe === person) return "scribe";
  return null;
}

/** Below this width the header has no room for every name: one chip says how many are here
 *  (the names in its tooltip), so the current stage keeps its place. */
const COMPACT_BELOW = 1100;

let last: [SyncStatus | null, Incident | null, boolean] = [null, null, false];
window.addEventListener("resize", () => renderPresence(...last));

/** Who is in the incident now, in the header: live only. */
export function renderPresence(sync: SyncStatus | null, incident: Incident | null, reviewing: boolean): void {
  last = [sync, incident, reviewing];
  const list = byId("hdr-presence");
  const present = (sync?.devices ?? []).filter(
    (d: Device) => d.silent_secs < GONE_SECS && (incident === null || d.incident === null || d.incident === incident.id),
  );
  const hidden = reviewing || sync === null || present.length === 0;
  if (list.hidden !== hidden) list.hidden = hidden;
  // The commander is among those present, marked IC: the header need not name them twice.
  const commanderHere = !hidden && window.innerWidth >= COMPACT_BELOW && present.some((d) => roleOf(incident, d.person) === "IC");
  const commander = byId("hdr-commander-item");
  if (commander.hidden !== commanderHere) commander.hidden = commanderHere;
  if (hidden || !sync) return;
  const compact = window.innerWidth < COMPACT_BELOW;
  rebuildOn(list, JSON.stringify([present.map((d) => [d.device, d.person, d.incident, Math.floor(d.silent_secs / 10)]), incident?.roles, sync.device, compact]), () => {
    if (compact) {
      const li = el("li", { class: "person", text: `${present.length} here` });
      li.title = present.map((d) => `${d.person ?? d.device}${roleOf(incident, d.person) ? ` (${roleOf(incident, d.person)})` : ""} on ${d.device}`).join("\n");
      return [li];
    }
    return present.map((d) => {
      const role = roleOf(incident, d.person);
      const name = d.person ?? d.device;
      const quiet = d.silent_secs > QUIET_SECS;
      const label = `${name}${role ? ` (${role})` : ""}${quiet ? ` · silent ${elapsed(new Date(Date.now() - d.silent_secs * 1000).toISOString(), Date.now())}` : ""}`;
      const li = el("li", { class: `person${quiet ? " quiet" : ""}${d.device === sync.device ? " me" : ""}`, text: label });
      li.title = `${d.device} (${d.app}), last heard ${clock(d.last_seen)} — ${otherZone(d.last_seen)}`;
      return li;
    });
  });
}
