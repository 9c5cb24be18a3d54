// Stakeholder updates: write one (drafted from what the log says now, then edited), send it to
// the channels of its audience, and see what became of each: queued, sent or failed, with the
// attempts, the last error and when the outbox tries again. The header's countdown to the next
// update reads the `next_due` fetched here.
//
// What people type is never lost: the subject and text are kept in localStorage per incident and
// audience on every keystroke, put back when the incident is shown again (or after a restart), and
// forgotten only once the core has queued the update. A new draft over edited text asks first.
// Everything written by people or channels is set as text, never as HTML.

import * as api from "../api";
import { Throttled } from "../throttle";
import type { AppInfo, Audience, ChannelInfo, Incident, UpdateInfo, UpdatePanel } from "../api";
import { byId, confirmDialog, el, rebuildOn, setText } from "../dom";
import { clock, inUtc, otherZone } from "../time";
import { thisDevice } from "./sync";

/** Who an update is for, in plain words; the core's own meaning goes in the hover title. Keyed
 *  by the generated `Audience`, so an audience added in Rust fails the typecheck until named here. */
const AUDIENCE_LABELS: Record<Audience, string> = {
  responders: "Responders (tactical)",
  exec: "Executives",
  public: "Public (customers)",
};

/** The least time between two fetches the window did not ask for by an action. */
const FETCH_MS = 1000;
const AUDIENCE_KEY = "warroom.update-audience";
const NO_CHANNEL = "No channels configured: add a [[channel]] to warroom.toml (README › Stakeholder updates)";

/** What was typed for one incident and audience. `edited`: typed by a person (not a draft as
 *  drafted), so a new draft asks before replacing it. */
interface Typed {
  subject: string;
  text: string;
  edited: boolean;
}

/** When the next update is due, for the header. */
export interface UpdateDue {
  due: string;
  everySecs: number | null;
}

/** The panel's state, in one place. */
const state = {
  /** The incident shown. */
  id: null as string | null,
  /** The instant under review, or null when live: the past is shown, nothing is sent. */
  reviewAt: null as string | null,
  /** The last answer of `update_panel`, and the incident it is about. */
  panel: null as UpdatePanel | null,
  panelFor: null as string | null,
  audience: "responders" as Audience,
  /** An update is on its way to the core: Send waits. */
  sending: false,
  /** Fetching: one at a time; asked again meanwhile (`again`, at once if `againNow`); when the
   *  last began; the timer of a fetch put off; whether the last one failed (said in the panel). */
  /** The last fetch failed (said in the panel until one succeeds). */
  fetchFailed: false,
  /** The updates whose text is unfolded (`id/channel`), kept open across redraws. */
  open: new Set<string>(),
  /** The ids the last send queued, on which incident: the result line follows them. */
  lastSent: { incident: null as string | null, ids: [] as string[] },
  onSent: () => {},
  onFetched: () => {},
};

function message(e: unknown): string {
  return api.isIpcError(e) ? e.message : String(e);
}

function showError(text: string): void {
  setText(byId("update-error"), text);
}

function showResult(text: string): void {
  setText(byId("update-result"), text);
}

function fields(): { audience: HTMLSelectElement; subject: HTMLInputElement; text: HTMLTextAreaElement } {
  return {
    audience: byId<HTMLSelectElement>("update-audience"),
    subject: byId<HTMLInputElement>("update-subject"),
    text: byId<HTMLTextAreaElement>("update-text"),
  };
}

function typedKey(id: string, audience: Audience): string {
  return `warroom.update-draft.${id}.${audience}`;
}

function loadTyped(id: string, audience: Audience): Typed {
  try {
    const saved = JSON.parse(localStorage.getItem(typedKey(id, audience)) ?? "null") as Partial<Typed> | null;
    if (saved) return { subject: String(saved.subject ?? ""), text: String(saved.text ?? ""), edited: saved.edited !== false };
  } catch {
    // A value this window did not write: start empty rather than fail.
  }
  return { subject: "", text: "", edited: false };
}

function saveTyped(edited: boolean): void {
  if (!state.id) return;
  const f = fields();
  const key = typedKey(state.id, state.audience);
  if (f.subject.value === "" && f.text.value === "") localStorage.removeItem(key);
  else localStorage.setItem(key, JSON.stringify({ subject: f.subject.value, text: f.text.value, edited } satisfies Typed));
}

function isEdited(): boolean {
  return state.id !== null && loadTyped(state.id, state.audience).edited && fields().text.value.trim() !== "";
}

/** Puts back what was typed for the incident and audience shown. */
function restoreTyped(): void {
  const f = fields();
  const typed = state.id ? loadTyped(state.id, state.audience) : { subject: "", text: "", edited: false };
  f.subject.value = typed.subject;
  f.text.value = typed.text;
}

function checkedChannels(): string[] {
  return [...byId("update-channels").querySelectorAll<HTMLInputElement>("input[name=update-channel]")]
    .filter((box) => box.checked)
    .map((box) => box.value);
}

/** Ticks the channels meant for the audience chosen, and only those. */
function checkForAudience(): void {
  const channels = state.panel?.channels ?? [];
  for (const box of byId("update-channels").querySelectorAll<HTMLInputElement>("input[name=update-channel]")) {
    box.checked = channels.some((c) => c.name === box.value && c.audiences.includes(state.audience));
  }
}

/** Send needs a channel ticked and some text, and is off while one is on its way and in review. */
function renderSend(): void {
  const send = byId<HTMLButtonElement>("update-send");
  const live = state.reviewAt === null;
  const off = !live || state.sending || checkedChannels().length === 0 || fields().text.value.trim() === "";
  if (send.disabled !== off) send.disabled = off;
}

function channelBox(channel: ChannelInfo, checked: boolean): HTMLLabelElement {
  const box = el("input", {});
  box.type = "checkbox";
  box.name = "update-channel";
  box.value = channel.name;
  box.checked = checked;
  box.addEventListener("change", renderSend);
  const forWhom = channel.audiences.map((a) => AUDIENCE_LABELS[a] ?? a).join(", ");
  return el("label", { class: "update-channel", title: `for ${forWhom}` }, [box, el("span", { text: `${channel.name} (${channel.kind})` })]);
}

/** The channels as check boxes. Ticks survive a redraw; a channel new to the list is ticked
 *  when it is meant for the audience chosen. */
function renderChannels(): void {
  const box = byId("update-channels");
  const channels = state.panel?.channels ?? null;
  const key = JSON.stringify([state.panelFor, channels]);
  if (box.dataset.key === key) return;
  const sameIncident = box.dataset.for === state.panelFor;
  const before = new Map(
    [...box.querySelectorAll<HTMLInputElement>("input[name=update-channel]")].map((b) => [b.value, b.checked] as const),
  );
  box.dataset.key = key;
  box.dataset.for = state.panelFor ?? "";
  const legend = el("legend", { text: "Send to" });
  if (channels === null) {
    box.replaceChildren(legend, el("p", { class: "muted update-hint", text: "loading the channels…" }));
  } else if (channels.length === 0) {
    box.replaceChildren(legend, el("p", { class: "hint update-hint", text: NO_CHANNEL }));
  } else {
    box.replaceChildren(
      legend,
      ...channels.map((c) => channelBox(c, (sameIncident ? before.get(c.name) : undefined) ?? c.audiences.includes(state.audience))),
    );
  }
  renderSend();
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? "" : "s"}`;
}

function updateItem(u: UpdateInfo, me: string | null): HTMLLIElement {
  const key = `${u.id}/${u.channel}`;
  const meta: (Node | string)[] = [el("span", { text: plural(u.attempts, "attempt") })];
  if (u.by) meta.push(el("span", { text: `by ${u.by}` }));
  if (u.state === "sent" && u.sent_at) {
    meta.push(el("span", { class: "update-when", text: `sent ${clock(u.sent_at)}`, title: otherZone(u.sent_at) }));
  }
  if (u.state === "queued") {
    if (u.next_try) meta.push(el("span", { class: "update-when", text: `retry ${clock(u.next_try)}`, title: otherZone(u.next_try) }));
    else if (me !== null && u.device !== "" && u.device !== me) meta.push(el("span", { class: "muted", text: `sent by ${u.device}'s outbox` }));
  }
  const children: (Node | string)[] = [
    el("div", { class: "update-head" }, [
      el("time", { class: "clock", text: clock(u.queued_at), title: `queued ${otherZone(u.queued_at)}` }),
      el("span", { class: "update-audience", text: AUDIENCE_LABELS[u.audience] ?? u.audience }),
      el("span", { class: "update-channel-name", text: `→ ${u.channel}` }),
      el("span", { class: `update-state state-${u.state}`, text: u.state }),
    ]),
    el("div", { class: "update-meta" }, meta),
  ];
  if (u.last_error && u.state !== "sent") {
    children.push(el("div", { class: "update-last-error", text: `${u.state === "failed" ? "failed" : "last error"}: ${u.last_error}` }));
  }
  const details = el("details", { class: "update-body" }, [el("summary", { text: u.subject || "(no subject)" }), el("pre", { text: u.text })]);
  details.open = state.open.has(key);
  details.addEventListener("toggle", () => {
    if (details.open) state.open.add(key);
    else state.open.delete(key);
  });
  children.push(details);
  return el("li", { class: "update-item", data: { id: u.id, channel: u.channel, state: u.state } }, children);
}

/** The incident's updates, one row per update and channel, newest first. In review, only those
 *  queued by the instant under review. */
function renderList(): void {
  const all = state.panelFor === state.id ? (state.panel?.updates ?? []) : [];
  const until = state.reviewAt;
  const updates = (until === null ? all : all.filter((u) => Date.parse(u.queued_at) <= Date.parse(until)))
    .slice()
    .sort((a, b) => b.queued_at.localeCompare(a.queued_at) || b.id.localeCompare(a.id) || a.channel.localeCompare(b.channel));
  const me = thisDevice();
  const list = byId("update-list");
  rebuildOn(list, JSON.stringify([updates, me, inUtc(), new Date().toDateString()]), () =>
    updates.length ? updates.map((u) => updateItem(u, me)) : [el("li", { class: "muted update-none", text: "No update sent yet." })],
  );
  renderOutcome(all);
  const queued = until === null && updates.some((u) => u.state === "queued");
  const flush = byId<HTMLButtonElement>("update-flush");
  if (flush.hidden === queued) flush.hidden = !queued;
}

/** The result line follows the last send: "Sent to ops-hook", or what still waits and why. */
function renderOutcome(all: UpdateInfo[]): void {
  const { incident, ids } = state.lastSent;
  if (incident !== state.id || ids.length === 0) return;
  const mine = all.filter((u) => ids.includes(u.id));
  if (mine.length < ids.length) return;
  const by = (s: string) => mine.filter((u) => u.state === s).map((u) => u.channel);
  const parts = [];
  if (by("sent").length) parts.push(`Sent to ${by("sent").join(", ")}`);
  if (by("queued").length) parts.push(`waiting for ${by("queued").join(", ")} (retried on its own)`);
  if (by("failed").length) parts.push(`refused by ${by("failed").join(", ")}`);
  showResult(`${parts.join("; ")}.`);
}

function renderCompose(): void {
  const live = state.reviewAt === null;
  const f = fields();
  for (const input of [f.audience, f.subject, f.text, byId<HTMLButtonElement>("update-draft")]) {
    if (input.disabled === live) input.disabled = !live;
  }
  const note = byId("update-review-note");
  if (note.hidden !== live) note.hidden = live;
  renderSend();
}

function draw(): void {
  renderCompose();
  renderChannels();
  renderList();
}

/** Fetches the panel of the incident shown now. */
async function fetchNow(): Promise<void> {
  const id = state.id;
  if (!id) return;
  try {
    const panel = await api.updatePanel(id);
    if (id === state.id) {
      state.panel = panel;
      state.panelFor = id;
      if (state.fetchFailed) showError("");
      state.fetchFailed = false;
      draw();
      state.onFetched();
    }
  } catch (e) {
    if (id === state.id) {
      state.fetchFailed = true;
      showError(`Updates not loaded: ${message(e)}`);
    }
  }
}

/** At most once a second (pushes can come faster), one at a time. */
const fetching = new Throttled(FETCH_MS, fetchNow);

/** Asks the core for incident `id`'s updates: at once for another incident or when `now`,
 *  else at most once a second. */
export function loadUpdates(id: string | null, now = false): void {
  if (id !== state.id) {
    switchTo(id);
    now = true;
  }
  if (id) fetching.ask(now);
}

/** Another incident: its own typed text, channels ticked for the audience, no old messages. */
function switchTo(id: string | null): void {
  state.id = id;
  state.panel = null;
  state.panelFor = null;
  state.fetchFailed = false;
  state.open.clear();
  showError("");
  showResult("");
  restoreTyped();
  draw();
}

/** When the next update of incident `id` is due, if the last answer knows. */
export function updateDue(id: string | null): UpdateDue | null {
  if (!id || state.panelFor !== id || !state.panel?.next_due) return null;
  return { due: state.panel.next_due, everySecs: state.panel.every_secs };
}

async function draft(): Promise<void> {
  const id = state.id;
  const audience = state.audience;
  if (!id || state.reviewAt !== null) return;
  if (isEdited()) {
    const ok = await confirmDialog(
      `Replace what you wrote for ${AUDIENCE_LABELS[audience]} with a new draft from now? Your text will be lost.`,
      "Replace with a new draft",
    );
    if (!ok) return;
  }
  const f = fields();
  const before = f.text.value;
  const button = byId<HTMLButtonElement>("update-draft");
  button.disabled = true;
  showError("");
  try {
    const d = await api.draftUpdate(id, audience);
    if (id !== state.id || audience !== state.audience) return;
    if (f.text.value !== before) {
      showError("The draft was not filled in: the text changed while it was being written. Draft again to replace it.");
      return;
    }
    f.subject.value = d.subject;
    f.text.value = d.text;
    saveTyped(false);
  } catch (e) {
    if (id === state.id) showError(`No draft: ${message(e)}`);
  } finally {
    button.disabled = state.reviewAt !== null;
    renderSend();
  }
}

async function send(): Promise<void> {
  const id = state.id;
  const audience = state.audience;
  const channels = checkedChannels();
  const f = fields();
  const subject = f.subject.value;
  const text = f.text.value;
  if (!id || state.reviewAt !== null || state.sending || channels.length === 0 || text.trim() === "") return;
  state.sending = true;
  renderSend();
  showError("");
  showResult("queueing…");
  try {
    const ids = await api.sendUpdate(id, audience, channels, subject, text);
    // Recorded on the log: what was typed is no longer needed, wherever the window is now.
    localStorage.removeItem(typedKey(id, audience));
    if (id === state.id) {
      if (audience === state.audience && f.text.value === text && f.subject.value === subject) {
        f.subject.value = "";
        f.text.value = "";
      } else {
        // Typed on meanwhile: that is new text, kept.
        saveTyped(true);
      }
      showResult(`Queued for ${plural(ids.length, "channel")}; sending…`);
      state.lastSent = { incident: id, ids };
      loadUpdates(id, true);
    }
    state.onSent();
  } catch (e) {
    if (id === state.id) {
      showResult("");
      showError(`Not sent: ${message(e)}`);
    }
  } finally {
    state.sending = false;
    renderSend();
  }
}

async function flush(): Promise<void> {
  const button = byId<HTMLButtonElement>("update-flush");
  const id = state.id;
  button.disabled = true;
  showError("");
  showResult("retrying…");
  try {
    const tried = await api.flushUpdates();
    const count = (s: string) => tried.filter((t) => t.state === s).length;
    if (id === state.id) {
      showResult(
        tried.length === 0
          ? "Nothing was waiting to be sent from this laptop."
          : `Tried ${tried.length}: ${count("sent")} sent, ${count("queued")} still queued, ${count("failed")} failed.`,
      );
    }
  } catch (e) {
    if (id === state.id) {
      showResult("");
      showError(`Retry failed: ${message(e)}`);
    }
  } finally {
    button.disabled = false;
    loadUpdates(state.id, true);
  }
}

/** Wires the panel. `sent` runs after an update was queued (the timeline re-reads the log);
 *  `fetched` after each answer (the header redraws its countdown). */
export function wireUpdates(info: AppInfo, hooks: { sent: () => void; fetched: () => void }): void {
  state.onSent = hooks.sent;
  state.onFetched = hooks.fetched;
  const f = fields();
  const terms = info.audiences.filter((t) => t.name in AUDIENCE_LABELS);
  f.audience.replaceChildren(
    ...terms.map((t) => {
      const option = el("option", { text: AUDIENCE_LABELS[t.name as Audience], title: t.meaning });
      option.value = t.name;
      return option;
    }),
  );
  const saved = localStorage.getItem(AUDIENCE_KEY);
  state.audience = (terms.find((t) => t.name === saved)?.name ?? terms[0]?.name ?? "responders") as Audience;
  f.audience.value = state.audience;
  f.audience.addEventListener("change", () => {
    state.audience = f.audience.value as Audience;
    localStorage.setItem(AUDIENCE_KEY, state.audience);
    restoreTyped();
    checkForAudience();
    showResult("");
    renderSend();
  });
  for (const input of [f.subject, f.text]) {
    input.addEventListener("input", () => {
      saveTyped(true);
      renderSend();
    });
  }
  // Enter in the subject must not send anything: Send is a deliberate click.
  byId<HTMLFormElement>("update-form").addEventListener("submit", (e) => e.preventDefault());
  byId("update-draft").addEventListener("click", () => void draft());
  byId("update-send").addEventListener("click", () => void send());
  byId("update-flush").addEventListener("click", () => void flush());
  draw();
}

/** Shows the panel for `incident`; `reviewAt` is the instant under review, if reviewing. */
export function renderUpdates(incident: Incident | null, reviewAt: string | null): void {
  const id = incident?.id ?? null;
  if (id !== state.id) loadUpdates(id);
  if (state.reviewAt !== reviewAt) {
    state.reviewAt = reviewAt;
    draw();
  } else {
    renderList();
  }
}
