// The incident on screen, kept up to date by asking only for what is new.

import * as api from "./api";
import type { IncidentView } from "./api";
import { mergeInTime } from "./order";

/** The incident and its timeline. Given what was shown of it (`known`), only the events written
 *  since are asked for and merged in, in time order: a long incident is not sent whole on every
 *  change. */
export async function loadIncident(id: string, known: IncidentView | null): Promise<IncidentView> {
  const since = known?.incident.id === id ? known : null;
  const fresh = await api.getIncident(id, since?.through ?? null);
  if (!since || !fresh.since) return fresh;
  return { ...fresh, events: mergeInTime(since.events, fresh.events) };
}
