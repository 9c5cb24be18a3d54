// After the incident: export the postmortem (Markdown and its charts, written by the core into
// the export folder) and keep the action items. Both work on the incident as it is now, in
// review too: action items are written after the incident. Titles, owners and tickets come from
// people and paths from the file system: all rendered as text.

import * as api from "../api";
import type { ActionItem, ActionKind, ActionStatus, Incident } from "../api";
import { byId, el } from "../dom";

const STATUSES: [ActionStatus, string][] = [
  ["open", "open"],
  ["in_progress", "in progress"],
  ["done", "done"],
];

/** The incident the panel is about; an answer for another one is dropped. */
let incidentId: string | null = null;
/** What the list last showed: rebuilt only when the items change, so a status select keeps focus. */
let shownKey = "";
let onSaved: () => void = () => {};

function message(e: unknown): string {
  return api.isIpcError(e) ? e.message : String(e);
}

function showActionError(text: string): void {
  byId("action-error").textContent = text;
}

async function exportPostmortem(): Promise<void> {
  const id = incidentId;
  if (!id) return;
  const button = byId<HTMLButtonElement>("export-postmortem");
  const result = byId("export-result");
  button.disabled = true;
  result.className = "muted";
  result.textContent = "writing the postmortem…";
  result.title = "";
  try {
    const written = await api.exportPostmortem(id);
    if (id !== incidentId) return;
    const images = written.files.slice(1).filter((f) => /\.(png|svg)$/i.test(f)).length;
    result.className = "export-ok";
    result.textContent = `Written to ${written.files[0] ?? written.dir}, with ${images} chart image${images === 1 ? "" : "s"} beside it.`;
    result.title = written.files.join("\n");
  } catch (e) {
    if (id !== incidentId) return;
    result.className = "state-down";
    result.textContent = `Export failed: ${message(e)}`;
  } finally {
    button.disabled = false;
  }
}

/** Changes one item's status; on failure the select goes back to what the log says. */
async function setStatus(item: ActionItem, select: HTMLSelectElement): Promise<void> {
  const id = incidentId;
  if (!id) return;
  select.disabled = true;
  try {
    const edit = { id: item.id, title: null, kind: null, owner: null, ticket: null, status: select.value as ActionStatus, due: null };
    const items = await api.setAction(id, edit);
    showActionError("");
    if (id === incidentId) renderActions(items);
    onSaved();
  } catch (e) {
    select.value = item.status;
    showActionError(`${item.id} not changed: ${message(e)}`);
  } finally {
    select.disabled = false;
  }
}

function statusSelect(item: ActionItem): HTMLSelectElement {
  const select = el(
    "select",
    { class: "action-status" },
    STATUSES.map(([value, text]) => {
      const option = el("option", { text });
      option.value = value;
      return option;
    }),
  );
  select.value = item.status;
  select.id = `action-status-${item.id}`;
  select.dataset.id = item.id;
  select.setAttribute("aria-label", `Status of ${item.id}`);
  select.addEventListener("change", () => void setStatus(item, select));
  return select;
}

/** Due and not done: said in words, not only in colour. */
function overdue(item: ActionItem, today: string): boolean {
  return item.due !== null && item.status !== "done" && item.due < today;
}

function itemRow(item: ActionItem, today: string): HTMLLIElement {
  const late = overdue(item, today);
  return el("li", { class: `action action-${item.status}${late ? " action-overdue" : ""}`, data: { id: item.id } }, [
    el("span", { class: "action-id", text: item.id }),
    el("span", { class: "action-title", text: item.title }),
    statusSelect(item),
    el("span", { class: "action-meta" }, [
      el("span", { class: "action-kind", text: item.kind }),
      el("span", { class: item.owner ? "action-owner" : "action-owner muted", text: item.owner ?? "no owner" }),
      item.ticket ? el("span", { class: "action-ticket", text: item.ticket, title: "ticket" }) : "",
      item.due ? el("span", { class: "action-due", text: `due ${item.due}${late ? " (overdue)" : ""}` }) : "",
    ]),
  ]);
}

function renderActions(items: ActionItem[]): void {
  const key = JSON.stringify(items);
  if (key === shownKey) return;
  shownKey = key;
  const list = byId("action-list");
  // Keep the focused status select focused across the rebuild.
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.id;
  const keep = list.contains(document.activeElement) ? focused : undefined;
  const now = new Date();
  const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
  list.replaceChildren(...items.map((item) => itemRow(item, today)));
  const open = items.filter((i) => i.status !== "done").length;
  byId("actions-count").textContent = items.length ? `${open} open of ${items.length}` : "none yet";
  if (keep) list.querySelector<HTMLElement>(`select[data-id="${CSS.escape(keep)}"]`)?.focus();
}

/** Shows the export button and the action items of `incident` (the live one, also in review). */
export function renderPostmortem(incident: Incident | null): void {
  const id = incident?.id ?? null;
  if (id !== incidentId) {
    incidentId = id;
    // What was written, and what failed, was about the incident before.
    const result = byId("export-result");
    result.textContent = "";
    result.title = "";
    showActionError("");
  }
  byId("postmortem").hidden = incident === null;
  byId<HTMLButtonElement>("export-postmortem").disabled = incident === null;
  renderActions(incident?.actions ?? []);
}

/** Wires the export button and the add form. What was typed stays in the form until the core
 *  has recorded the item; `saved` re-reads the incident afterwards. */
export function wirePostmortem(saved: () => void): void {
  onSaved = saved;
  byId("export-postmortem").addEventListener("click", () => void exportPostmortem());
  const form = byId<HTMLFormElement>("action-form");
  const title = byId<HTMLInputElement>("action-title");
  const kind = byId<HTMLSelectElement>("action-kind");
  const owner = byId<HTMLInputElement>("action-owner");
  const ticket = byId<HTMLInputElement>("action-ticket");
  const due = byId<HTMLInputElement>("action-due");
  const submit = byId<HTMLButtonElement>("action-submit");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const id = incidentId;
    if (!id) return;
    submit.disabled = true;
    try {
      // The core trims and says what is wrong (an empty title, a bad date): no second set of
      // rules here.
      const items = await api.setAction(id, {
        id: null,
        title: title.value,
        kind: kind.value as ActionKind,
        owner: owner.value.trim() || null,
        ticket: ticket.value.trim() || null,
        status: null,
        due: due.value || null,
      });
      title.value = "";
      owner.value = "";
      ticket.value = "";
      due.value = "";
      showActionError("");
      if (id === incidentId) renderActions(items);
      onSaved();
    } catch (err) {
      showActionError(`Not added: ${message(err)}`);
    } finally {
      submit.disabled = false;
    }
  });
}
