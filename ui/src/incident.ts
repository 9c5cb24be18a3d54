// The incident on screen, kept up to date by asking only for what is new.

import * as api from "./api";
import type { Event, IncidentView } from "./api";

/** The incident and its timeline. Given what was shown of it (`known`), only the events written
 *  since are asked for and merged in, in time order: a long incident is not sent whole on every
 *  change. */
export async function loadIncident(id: string, known: IncidentView | null): Promise<IncidentView> {
  const since = known?.incident.id === id ? known : null;
  const fresh = await api.getIncident(id, since?.through ?? null);
  if (!since || !fresh.since) return fresh;
  return { ...fresh, events: mergeInTime(since.events, fresh.events) };
}

/** An event's place in the log's time order (`at` to the nanosecond, then id). */
function timeKey(e: Event): string {
  const [seconds, fraction = ""] = e.at.replace(/Z$/, "").split(".");
  return `${seconds}.${fraction.padEnd(9, "0")} ${e.id}`;
}

/** Two lists in time order as one; new events nearly always come after all the others. */
export function mergeInTime(known: Event[], added: Event[]): Event[] {
  const [last, first] = [known[known.length - 1], added[0]];
  if (!first) return known;
  if (!last || timeKey(first) >= timeKey(last)) return known.concat(added);
  const merged: Event[] = [];
  let [i, j] = [0, 0];
  for (let a = known[i], b = added[j]; a || b; a = known[i], b = added[j]) {
    if (a && (!b || timeKey(a) <= timeKey(b))) {
      merged.push(a);
      i++;
    } else if (b) {
      merged.push(b);
      j++;
    }
  }
  return merged;
}
