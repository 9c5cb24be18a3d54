// The incident on screen, kept up to date by asking only for what is new.

import * as api from "./api";
import type { IncidentView } from "./api";
import { type Dropped, droppedIn, holdNewest, noneDropped } from "./held";
import { mergeInTime } from "./order";

/** An incident as the window holds it: of a live one, the newest events of each timeline
 *  category it may draw (`keep`), and how many of each it let go (`dropped`). A resolved one is
 *  held whole: review cuts its timeline at an event's place in the log. */
export interface HeldIncident extends IncidentView {
  dropped: Dropped;
  keep: number | null;
}

/** The incident and its timeline. Given what was held of it (`known`), only the events written
 *  since are asked for and merged in, in time order: a long incident is not sent whole on every
 *  change. Of an active incident the newest `keep` events of each category are held; it is read
 *  whole again when more are wanted than were held, or once it is resolved. */
export async function loadIncident(id: string, known: HeldIncident | null, keep: number): Promise<HeldIncident> {
  let since = known?.incident.id === id ? known : null;
  // Only an active incident is held in part (`keep` set, something let go).
  const letGo = since !== null && droppedIn(since.dropped) > 0;
  if (since && letGo && since.keep !== null && since.keep < keep) since = null;
  // Read whole, a live incident comes already held so (the core counts what it did not send).
  let fresh = await api.getIncident(id, since?.through ?? null, keep);
  if (since && letGo && fresh.incident.status !== "active") {
    // Resolved since the last look: what was let go is read again, for review.
    since = null;
    fresh = await api.getIncident(id, null);
  }
  const merged = since && fresh.since ? mergeInTime(since.events, fresh.events) : fresh.events;
  if (fresh.incident.status !== "active") return { ...fresh, events: merged, dropped: noneDropped(), keep: null };
  const held = holdNewest(merged, keep, since && fresh.since ? since.dropped : fresh.dropped);
  return { ...fresh, events: held.events, dropped: held.dropped, keep };
}
