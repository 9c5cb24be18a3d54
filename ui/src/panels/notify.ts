// Desktop notifications: a toggle to mute them, and what the last one said (titles and bodies
// come from alert and node names: shown as text). The status comes with each push of the core.

import * as api from "../api";
import { byId, localTime, setText, utcTitle } from "../dom";

export function renderNotifications(status: api.NotificationStatus | null): void {
  if (!status) return;
  const toggle = byId<HTMLButtonElement>("notify-toggle");
  setText(toggle, status.muted ? "Notifications: muted" : "Notifications: on");
  toggle.setAttribute("aria-pressed", String(status.muted));
  const last = byId("notify-last");
  if (status.last) {
    setText(last, `last: ${status.last.title} (${localTime(status.last.at)})`);
    last.title = `${status.last.body} · ${utcTitle(status.last.at)}`;
  } else {
    setText(last, "");
  }
}

export function wireNotifications(): void {
  const toggle = byId<HTMLButtonElement>("notify-toggle");
  toggle.addEventListener("click", async () => {
    const muted = toggle.getAttribute("aria-pressed") !== "true";
    renderNotifications(await api.muteNotifications(muted));
  });
}
