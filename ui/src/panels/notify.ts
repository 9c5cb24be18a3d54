// Desktop notifications: a toggle to mute them, and what the last one said (titles and bodies
// come from alert and node names: shown as text). The status comes with each push of the core.

import * as api from "../api";
import { byId, elapsed } from "../dom";

export function renderNotifications(status: api.NotificationStatus | null): void {
  if (!status) return;
  const toggle = byId<HTMLButtonElement>("notify-toggle");
  toggle.textContent = status.muted ? "Notifications: muted" : "Notifications: on";
  toggle.setAttribute("aria-pressed", String(status.muted));
  const last = byId("notify-last");
  if (status.last) {
    last.textContent = `last: ${status.last.title} (${elapsed(status.last.at, Date.now())} ago)`;
    last.title = status.last.body;
  } else {
    last.textContent = "";
  }
}

export function wireNotifications(): void {
  const toggle = byId<HTMLButtonElement>("notify-toggle");
  toggle.addEventListener("click", async () => {
    const muted = toggle.getAttribute("aria-pressed") !== "true";
    renderNotifications(await api.muteNotifications(muted));
  });
}
