// The right panel: the note box, always one keystroke away (n), and the timeline, newest first.

import type { Event } from "../api";
import { byId, el, localTime, utcTitle } from "../dom";

/** What a timeline entry says. Text from people is shown as text, never as HTML. */
function describe(e: Event): { tag: string; text: string } {
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
      return { tag: k.to, text: `${k.node}: ${k.from} → ${k.to} (${k.reason})` };
    case "alert_fired":
      return { tag: "alert", text: `${k.name} firing on ${k.node} (${k.severity})${k.summary ? `: ${k.summary}` : ""}` };
    case "alert_resolved":
      return { tag: "resolved", text: `${k.name} resolved on ${k.node}` };
    case "runbook_attached":
      return { tag: "runbook", text: `runbook ${k.title}${k.node ? ` for ${k.node}` : ""}` };
    case "step_checked":
      return { tag: k.done ? "step" : "unchecked", text: `${k.done ? "done" : "not done"}: ${k.text} (${k.runbook}/${k.step})` };
    case "check_evaluated":
      return {
        tag: k.passed === true ? "check-ok" : k.passed === false ? "check-failed" : "check",
        text: `check ${k.runbook}/${k.step} ${k.passed === true ? "passed" : k.passed === false ? "failed" : "could not be evaluated"}: ${k.observed}`,
      };
    case "steps_skipped":
      return { tag: "skipped", text: `left ${k.stage} with ${k.steps.length} step(s) not done: ${k.steps.join(", ")}` };
    case "topology_recorded":
      return { tag: "topology", text: "infrastructure topology recorded" };
    case "action_item_set": {
      const i = k.item;
      const owner = i.owner ? `, owner ${i.owner}` : "";
      return { tag: "action", text: `action ${i.id} (${i.kind}, ${i.status.replace("_", " ")}${owner}): ${i.title}` };
    }
    default:
      // A kind written by a newer warroom: still shown, never a blank or broken timeline.
      return { tag: "event", text: (k as { type: string }).type.replaceAll("_", " ") };
  }
}

const NOTE_HINT = "Note (n to focus, Enter to add, Shift+Enter for a new line)";

/** Draws `events`, newest first. In review the timeline is the past up to the scrubber's
 *  instant: a note written there would not show where it lands, so the box waits for live. */
export function renderTimeline(events: Event[] | null, review = false): void {
  const enabled = events !== null && !review;
  const note = byId<HTMLTextAreaElement>("note-text");
  note.disabled = !enabled;
  note.placeholder = review ? "Reviewing the past: go back to live to add a note" : NOTE_HINT;
  byId<HTMLButtonElement>("note-submit").disabled = !enabled;
  const list = byId("timeline");
  if (!events) {
    list.replaceChildren();
    return;
  }
  const newestFirst = [...events].reverse();
  list.replaceChildren(
    ...newestFirst.map((e) => {
      const { tag, text } = describe(e);
      const by = e.by ? ` · ${e.by}` : "";
      return el("li", { class: `event event-${e.kind.type}`, data: { kind: e.kind.type } }, [
        el("time", { text: localTime(e.at), title: `${utcTitle(e.at)}, recorded ${utcTitle(e.recorded_at)}` }),
        el("span", { class: `event-tag tag-${tag}`, text: tag }),
        el("span", { class: "event-text", text }),
        el("span", { class: "event-by muted", text: `${e.origin}${by}` }),
      ]);
    }),
  );
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
