// The right panel: the note box, always one keystroke away (n), and the timeline, newest first,
// with filter chips (people / alerts / health / checks / changes), remembered. States are named
// as everywhere else, nodes by their names.

import type { Event } from "../api";
import { byId, el, type KeyedRow, keyedChildren } from "../dom";
import { CATEGORIES, type Category, category, type Dropped, droppedIn, noneDropped } from "../held";
import { clock, inUtc, otherZone } from "../time";
import { changeKindLabel } from "./changes";
import { thisDevice } from "./sync";

/** The categories hidden, remembered: one not listed is shown, so a chip added later starts on. */
const HIDDEN_KEY = "warroom.timeline-hidden";
/** Before the changes chip: the categories shown, of the four there were. */
const OLD_FILTER_KEY = "warroom.timeline-filter";
const OLD_CATEGORIES: Category[] = ["people", "alerts", "health", "checks"];

function savedHidden(): Category[] {
  try {
    const hidden = JSON.parse(localStorage.getItem(HIDDEN_KEY) ?? "null") as unknown;
    if (Array.isArray(hidden)) return CATEGORIES.filter((c) => hidden.includes(c));
    const shown = JSON.parse(localStorage.getItem(OLD_FILTER_KEY) ?? "null") as unknown;
    if (Array.isArray(shown)) return OLD_CATEGORIES.filter((c) => !shown.includes(c));
  } catch {
    // A value this window did not write: show everything rather than fail.
  }
  return [];
}

const hiddenAtStart = savedHidden();
const shownCategories = new Set<Category>(CATEGORIES.filter((c) => !hiddenAtStart.includes(c)));
let redraw: () => void = () => {};
/** Asks for the incident again: more rows are wanted than the window holds. */
let holdMore: () => void = () => {};

/** The filter chips: each category on or off, remembered. `more` asks for the incident again
 *  when "older" wants rows the window does not hold. */
export function wireTimelineFilters(more: () => void): void {
  holdMore = more;
  const chips = CATEGORIES.map((c) => {
    const chip = el("button", { class: "chip", text: c, data: { category: c } });
    chip.type = "button";
    chip.setAttribute("aria-pressed", String(shownCategories.has(c)));
    chip.title = `Show or hide ${c} on the timeline`;
    chip.addEventListener("click", () => {
      if (shownCategories.has(c)) shownCategories.delete(c);
      else shownCategories.add(c);
      chip.setAttribute("aria-pressed", String(shownCategories.has(c)));
      localStorage.setItem(HIDDEN_KEY, JSON.stringify(CATEGORIES.filter((x) => !shownCategories.has(x))));
      localStorage.removeItem(OLD_FILTER_KEY);
      redraw();
    });
    return chip;
  });
  byId("timeline-filters").replaceChildren(...chips);
}

/** How many rows the timeline draws at first, and how many more each "older" click adds: an
 *  eight-hour incident records tens of thousands of events, and a list of them all would make
 *  the window heavier by the hour (`make bench-soak`). */
const PAGE = 300;
let rowsShown = PAGE;

/** How many of each category's newest events the window must hold to draw what is asked. */
export function rowsWanted(): number {
  return rowsShown;
}
/** The incident whose timeline is drawn (its first event): another one starts from one page. */
let drawnFor = "";

/** The updates queued on the incident shown, by id: a delivery names its channel and audience.
 *  A new Map each time the timeline is drawn, not one cleared and refilled: a long-lived Map that
 *  many entries pass through can keep them all in JavaScriptCore (see `read` in api.ts). */
let queuedUpdates = new Map<string, { channel: string; audience: string }>();

/** What a timeline entry says. Text from people is shown as text, never as HTML. */
function describe(e: Event, name: (id: string) => string): { tag: string; label?: string; text: string } {
  const k = e.kind;
  switch (k.type) {
    case "declared":
      return { tag: "declared", text: `${k.severity} "${k.title}"${k.commander ? `, commander ${k.commander}` : ""}` };
    case "severity_changed":
      return { tag: "severity", text: `severity changed to ${k.severity}` };
    case "role_assigned":
      return { tag: "role", text: `${k.role} is ${k.name}` };
    case "stage_entered":
      return { tag: "stage", text: `entered stage ${k.stage}` };
    case "note":
      return { tag: "note", text: k.text };
    case "resolved":
      return { tag: "resolved", text: "resolved" };
    case "reopened":
      return { tag: "reopened", text: "reopened" };
    case "health_changed":
      return { tag: k.to, text: `${name(k.node)}: ${k.from} → ${k.to} (${k.reason})` };
    case "alert_fired":
      return { tag: "alert", label: k.severity, text: `${k.name} · ${name(k.node)}${k.summary ? `: ${k.summary}` : ""}` };
    case "alert_resolved":
      return { tag: "resolved", text: `${k.name} · ${name(k.node)}` };
    case "runbook_attached":
      return { tag: "runbook", text: `runbook ${k.title}${k.node ? ` for ${name(k.node)}` : ""}` };
    case "step_checked":
      return { tag: k.done ? "step" : "unchecked", text: `${k.done ? "done" : "not done"}: ${k.text} (${k.runbook}/${k.step})` };
    case "check_evaluated":
      return {
        tag: k.passed === true ? "check-ok" : k.passed === false ? "check-failed" : "check",
        label: k.passed === true ? "check ✓" : k.passed === false ? "check ✗" : "check ?",
        text: `${k.runbook}/${k.step} ${k.passed === true ? "passed" : k.passed === false ? "failed" : "could not be evaluated"}: ${k.observed}`,
      };
    case "steps_skipped":
      return { tag: "skipped", text: `left ${k.stage} with ${k.steps.length} step(s) not done: ${k.steps.join(", ")}` };
    case "topology_recorded":
      return { tag: "topology", text: "infrastructure topology recorded" };
    case "recording_started":
      return { tag: "recording", text: `recording started: ${k.feed}` };
    case "recording_stopped":
      return { tag: "recording", text: "recording stopped" };
    case "change_seen": {
      const c = k.change;
      return { tag: "change", label: changeKindLabel(c.kind), text: `${name(c.node)}: ${c.summary}${c.by ? ` by ${c.by}` : ""} (${c.source})` };
    }
    case "provider_incident":
      return { tag: "provider", text: `provider incident "${k.name}": ${k.status}${k.impact ? ` (impact ${k.impact})` : ""}` };
    case "action_item_set": {
      const i = k.item;
      const owner = i.owner ? `, owner ${i.owner}` : "";
      return { tag: "action", text: `action ${i.id} (${i.kind}, ${i.status.replace("_", " ")}${owner}): ${i.title}` };
    }
    case "update_queued":
      return { tag: "update", text: `update to ${k.audience} via ${k.channel}: ${k.subject}` };
    case "update_sent": {
      const q = queuedUpdates.get(k.update);
      return { tag: "sent", text: q ? `${q.channel} took the update to ${q.audience}` : "update delivered" };
    }
    case "update_failed": {
      const q = queuedUpdates.get(k.update);
      return { tag: "failed", text: `${q ? q.channel : "the channel"} refused the update: ${k.error}` };
    }
    default:
      // A kind written by a newer warroom: still shown, never a blank or broken timeline.
      return { tag: "event", text: (k as { type: string }).type.replaceAll("_", " ") };
  }
}

const NOTE_HINT = "Note (n; Enter adds, Shift+Enter: new line)";

/** Draws `events`, newest first, nodes named by `name`; `dropped` counts, per category, the
 *  older events the window does not hold. In review the timeline is the past up to the
 *  scrubber's instant: a note written there would not show where it lands, so the box waits for
 *  live. */
export function renderTimeline(
  events: Event[] | null,
  review = false,
  name: (id: string) => string = (id) => id,
  dropped: Dropped = noneDropped(),
): void {
  redraw = () => renderTimeline(events, review, name, dropped);
  const enabled = events !== null && !review;
  const note = byId<HTMLTextAreaElement>("note-text");
  note.disabled = !enabled;
  note.placeholder = review ? "Reviewing the past: go back to live to add a note" : NOTE_HINT;
  byId<HTMLButtonElement>("note-submit").disabled = !enabled;
  const list = byId("timeline");
  if (!events) {
    list.replaceChildren();
    delete list.dataset.key;
    return;
  }
  queuedUpdates = new Map();
  for (const e of events) {
    if (e.kind.type === "update_queued") queuedUpdates.set(e.kind.update, { channel: e.kind.channel, audience: e.kind.audience });
  }
  if ((events[0]?.id ?? "") !== drawnFor) {
    drawnFor = events[0]?.id ?? "";
    rowsShown = PAGE;
  }
  const me = thisDevice();
  const categories = [...shownCategories].join(",");
  // Redrawn only when the events (or the zone their times are shown in, the categories shown,
  // how far back) changed; then only the rows that are new or say something else are built.
  const notHeld = droppedIn(dropped, shownCategories);
  const key = `${events.length}:${notHeld}:${events[events.length - 1]?.id ?? ""}:${inUtc()}:${name("")}:${me}:${categories}:${rowsShown}`;
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  const shown = events.filter((e) => shownCategories.has(category(e)));
  const newestFirst = shown.slice(Math.max(0, shown.length - rowsShown)).reverse();
  const older = shown.length - newestFirst.length + notHeld;
  const overtaken = overtakenBy(events);
  const rows = newestFirst.map((e) => eventRow(e, name, me, overtaken.get(e.id)));
  if (older > 0) rows.push({ key: `older ${older} ${notHeld}`, build: () => olderRow(older, notHeld > 0) });
  keyedChildren(list, rows);
}

/** A timeline row: its key is all it shows, so a row drawn before is kept while it says the same. */
function eventRow(e: Event, name: (id: string) => string, me: string | null, later: Event | undefined): KeyedRow {
  const { tag, label, text } = describe(e, name);
  const who = e.by ?? (["drill", "live", "check", "outbox", "changes"].includes(e.origin) ? "" : e.origin);
  // Another laptop's events say whose laptop: this one's need not.
  const elsewhere = me !== null && e.device !== "" && e.device !== me;
  const by = elsewhere ? (who ? `${who} @ ${e.device}` : `@ ${e.device}`) : who;
  const recorded = e.recorded_at !== e.at ? `, recorded ${clock(e.recorded_at)}` : "";
  const overtaken = later ? `overtaken ${elapsedBetween(e.at, later.at)} later by ${later.by ?? later.device}'s change` : "";
  const time = clock(e.at);
  const title = `${otherZone(e.at)}${recorded}${e.device ? `\nwritten on ${e.device}` : ""}`;
  const build = () => {
    const body = [
      el("span", { class: `event-tag tag-${tag}`, text: label ?? tag }),
      el("span", { class: "event-text", text }),
      el("span", { class: "event-by muted", text: by }),
    ];
    if (overtaken) body.push(el("span", { class: "event-overtaken", text: overtaken }));
    return el("li", { class: `event event-${e.kind.type}`, data: { kind: e.kind.type, category: category(e) } }, [
      el("time", { text: time, title }),
      el("span", { class: "event-body" }, body),
    ]);
  };
  return { key: [e.id, tag, label ?? "", text, by, overtaken, time, title].join("\u0000"), build };
}

/** The last row when older events are not drawn: how many, and a button for a page more. Of
 *  those, some may not be held (`letGo`): then the window asks for them too. */
function olderRow(older: number, letGo: boolean): HTMLElement {
  const more = el("button", { class: "link", text: `Show ${Math.min(older, PAGE)} older` });
  more.type = "button";
  more.id = "timeline-older";
  more.addEventListener("click", () => {
    rowsShown += PAGE;
    redraw();
    // The rows held are drawn at once; the window asks for the others, if it let any go.
    if (letGo) holdMore();
  });
  return el("li", { class: "timeline-older muted" }, [`${older} older event${older === 1 ? "" : "s"} not shown · `, more]);
}

/** What field a change sets, for telling concurrent changes of one field apart. */
function field(e: Event): string | null {
  switch (e.kind.type) {
    case "stage_entered":
      return "stage";
    case "severity_changed":
      return "severity";
    case "role_assigned":
      return `role:${e.kind.role}`;
    default:
      return null;
  }
}

/** How close two changes of one field from two laptops must be to count as made unaware of
 *  each other. */
const CONCURRENT_MS = 60_000;

/** Changes another laptop's change of the same field overtook soon after (two people moved the
 *  stage at once): the later one holds everywhere; the timeline shows both, and says so. */
function overtakenBy(events: Event[]): Map<string, Event> {
  const result = new Map<string, Event>();
  const last = new Map<string, Event>();
  for (const e of events) {
    const f = field(e);
    if (!f) continue;
    const before = last.get(f);
    if (before && before.device !== e.device && Date.parse(e.at) - Date.parse(before.at) <= CONCURRENT_MS) {
      result.set(before.id, e);
    }
    last.set(f, e);
  }
  return result;
}

function elapsedBetween(from: string, to: string): string {
  const s = Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
  return s < 60 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/** Wires the note box. A draft survives errors and restarts (kept per incident in local storage). */
export function wireNoteForm(currentId: () => string | null, onNote: (text: string) => Promise<boolean>): void {
  const text = byId<HTMLTextAreaElement>("note-text");
  const form = byId<HTMLFormElement>("note-form");
  const draftKey = () => `warroom.note-draft.${currentId() ?? ""}`;
  text.addEventListener("input", () => localStorage.setItem(draftKey(), text.value));
  text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!text.value.trim()) return;
    if (await onNote(text.value)) {
      text.value = "";
      localStorage.removeItem(draftKey());
    }
  });
}

/** Puts back the draft of the incident just selected. */
export function restoreDraft(id: string | null): void {
  byId<HTMLTextAreaElement>("note-text").value = localStorage.getItem(`warroom.note-draft.${id ?? ""}`) ?? "";
}
