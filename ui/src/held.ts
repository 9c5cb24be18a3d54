// What of a live incident's timeline the window holds (pure: tested with node). A night at ×60
// records thousands of events an hour; the timeline draws the newest 300 of what is shown, so
// holding them all made the window heavier by the hour (issue 17's soak). The window holds, of
// each filter category, the newest events it may draw, and counts the others. The first read of
// a live incident comes from the core already held so (`get_incident` with `keep`, whose
// categories in src-tauri/commands/incident.rs must stay these); what comes after is held here.

import type { Event } from "./api";

/** Who an event is for, as the timeline's filter chips group them. */
export type Category = "people" | "alerts" | "health" | "checks" | "changes";
export const CATEGORIES: Category[] = ["people", "alerts", "health", "checks", "changes"];

export function category(e: Pick<Event, "kind">): Category {
  switch (e.kind.type) {
    case "alert_fired":
    case "alert_resolved":
    case "provider_incident":
      return "alerts";
    case "health_changed":
    case "topology_recorded":
      return "health";
    case "check_evaluated":
      return "checks";
    case "change_seen":
      return "changes";
    default:
      return "people";
  }
}

/** Events the timeline reads beyond the rows it draws, held however old: the declaration, who
 *  changed the stage, severity or a role (a change overtaken by another laptop's says so), and
 *  where each update went (its delivery names the channel). Few, and written by people. */
function context(e: Pick<Event, "kind">): boolean {
  switch (e.kind.type) {
    case "declared":
    case "stage_entered":
    case "severity_changed":
    case "role_assigned":
    case "update_queued":
      return true;
    default:
      return false;
  }
}

/** How many events of each category are not held. */
export type Dropped = Record<Category, number>;

export function noneDropped(): Dropped {
  return { people: 0, alerts: 0, health: 0, checks: 0, changes: 0 };
}

export function droppedIn(dropped: Dropped, categories: Iterable<Category> = CATEGORIES): number {
  let sum = 0;
  for (const c of categories) sum += dropped[c];
  return sum;
}

/** `events` (in time order) with, of each category, the newest `keep` and the context events;
 *  `dropped` (what was not held before) plus what is let go now. Nothing let go: the same array. */
export function holdNewest<E extends Pick<Event, "kind">>(events: E[], keep: number, dropped: Dropped): { events: E[]; dropped: Dropped } {
  const seen = noneDropped();
  const gone = { ...dropped };
  const held: E[] = [];
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e === undefined) continue;
    const c = category(e);
    seen[c]++;
    if (seen[c] <= keep || context(e)) held.push(e);
    else gone[c]++;
  }
  if (held.length === events.length) return { events, dropped: gone };
  return { events: held.reverse(), dropped: gone };
}
