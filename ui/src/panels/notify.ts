// Desktop notifications: a toggle to mute them, and what the last one said (titles and bodies
// come from alert and node names: shown as text).

import * as api from "../api";
import { byId, elapsed } from "../dom";

function render(status: api.NotificationStatus): void {
  const toggle = byId<HTMLButtonElement>("notify-toggle");
  toggle.textContent = status.muted ? "Notifications: muted" : "Notifications: on";
  toggle.setAttribute("aria-pressed", String(status.muted));
  const last = byId("notify-last");
  if (status.last_title && status.last_at) {
    last.textContent = `last: ${status.last_title} (${elapsed(status.last_at, Date.now())} ago)`;
    last.title = status.last_body ?? "";
  } else {
    last.textContent = "";
  }
}

export function wireNotifications(): void {
  const toggle = byId<HTMLButtonElement>("notify-toggle");
  toggle.addEventListener("click", async () => {
    const muted = toggle.getAttribute("aria-pressed") !== "true";
    render(await api.muteNotifications(muted));
  });
  const update = () => void api.notifications().then(render).catch(() => undefined);
  update();
  window.setInterval(update, 5000);
}
