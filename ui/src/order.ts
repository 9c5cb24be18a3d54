// The log's time order, for merging what is new into what is shown (pure: tested with node).

import type { Event } from "./api";

/** An event's place in the log's time order (`at` to the nanosecond, then id). */
export function timeKey(e: Pick<Event, "at" | "id">): string {
  const [seconds, fraction = ""] = e.at.replace(/Z$/, "").split(".");
  return `${seconds}.${fraction.padEnd(9, "0")} ${e.id}`;
}

/** Two lists in time order as one; new events nearly always come after all the others. */
export function mergeInTime<E extends Pick<Event, "at" | "id">>(known: E[], added: E[]): E[] {
  const [last, first] = [known[known.length - 1], added[0]];
  if (!first) return known;
  if (!last || timeKey(first) >= timeKey(last)) return known.concat(added);
  const merged: E[] = [];
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
