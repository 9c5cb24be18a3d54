// After the incident: export the postmortem (Markdown and its charts, written by the core into
// the export folder) and keep the action items. Both work on the incident as it is now, in
// review too: action items are written after the incident. Titles, owners and tickets come from
// people and paths from the file system: all rendered as text.
//
// One form adds and edits: "Edit" on an item fills it with the item's fields and turns it into
// "Save A2" until saved or cancelled. What was being typed for a new item is put aside meanwhile
// and comes back after.

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
/** The items last answered, to redraw the list when the item being edited changes. */
let shownItems: ActionItem[] = [];
/** The item the form edits, or null when it adds. */
let editing: string | null = null;
/** What was typed for a new item when an edit began: put back when the edit ends. */
let addDraft: FormValues | null = null;
let onSaved: () => void = () => {};

interface FormValues {
  title: string;
  kind: string;
  owner: string;
  ticket: string;
  due: string;
}

const DEFAULT_KIND: ActionKind = "prevent";

function message(e: unknown): string {
  return api.isIpcError(e) ? e.message : String(e);
}

function showActionError(text: string): void {
  byId("action-error").textContent = text;
  if (text) showActionNote("");
}

/** Not an error: what the core said when there was nothing to do. */
function showActionNote(text: string): void {
  byId("action-note").textContent = text;
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
    const slo = Number(byId<HTMLSelectElement>("export-slo").value);
    const written = await api.exportPostmortem(id, Number.isFinite(slo) && slo > 0 ? slo : null);
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

function editButton(item: ActionItem): HTMLButtonElement {
  const button = el("button", { class: "action-edit", text: "Edit", title: `Edit ${item.id} in the form below` });
  button.type = "button";
  button.id = `action-edit-${item.id}`;
  button.setAttribute("aria-label", `Edit ${item.id}`);
  button.addEventListener("click", () => startEdit(item));
  return button;
}

function itemRow(item: ActionItem, today: string): HTMLLIElement {
  const late = overdue(item, today);
  const classes = `action action-${item.status}${late ? " action-overdue" : ""}${item.id === editing ? " action-editing" : ""}`;
  return el("li", { class: classes, data: { id: item.id } }, [
    el("span", { class: "action-id", text: item.id }),
    el("span", { class: "action-title", text: item.title }),
    statusSelect(item),
    editButton(item),
    el("span", { class: "action-meta" }, [
      el("span", { class: "action-kind", text: item.kind }),
      el("span", { class: item.owner ? "action-owner" : "action-owner muted", text: item.owner ?? "no owner" }),
      item.ticket ? el("span", { class: "action-ticket", text: item.ticket, title: "ticket" }) : "",
      item.due ? el("span", { class: "action-due", text: `due ${item.due}${late ? " (overdue)" : ""}` }) : "",
    ]),
  ]);
}

function renderActions(items: ActionItem[]): void {
  const key = JSON.stringify([items, editing]);
  if (key === shownKey) return;
  shownKey = key;
  shownItems = items;
  const list = byId("action-list");
  // Keep the focused status select (or Edit button) focused across the rebuild.
  const keep = list.contains(document.activeElement) ? document.activeElement?.id : undefined;
  const now = new Date();
  const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
  list.replaceChildren(...items.map((item) => itemRow(item, today)));
  const open = items.filter((i) => i.status !== "done").length;
  byId("actions-count").textContent = items.length ? `${open} open of ${items.length}` : "none yet";
  if (keep) document.getElementById(keep)?.focus();
}

function form(): {
  title: HTMLInputElement;
  kind: HTMLSelectElement;
  owner: HTMLInputElement;
  ticket: HTMLInputElement;
  due: HTMLInputElement;
} {
  return {
    title: byId<HTMLInputElement>("action-title"),
    kind: byId<HTMLSelectElement>("action-kind"),
    owner: byId<HTMLInputElement>("action-owner"),
    ticket: byId<HTMLInputElement>("action-ticket"),
    due: byId<HTMLInputElement>("action-due"),
  };
}

function readForm(): FormValues {
  const f = form();
  return { title: f.title.value, kind: f.kind.value, owner: f.owner.value, ticket: f.ticket.value, due: f.due.value };
}

function fillForm(v: FormValues): void {
  const f = form();
  f.title.value = v.title;
  f.kind.value = v.kind;
  f.owner.value = v.owner;
  f.ticket.value = v.ticket;
  f.due.value = v.due;
}

const EMPTY_FORM: FormValues = { title: "", kind: DEFAULT_KIND, owner: "", ticket: "", due: "" };

/** Shows the form as adding (`editing` null) or as editing that item. */
function showMode(): void {
  byId("action-form-label").textContent = editing ? `Edit ${editing}` : "New action item";
  byId("action-submit").textContent = editing ? `Save ${editing}` : "Add action item";
  byId("action-cancel").hidden = editing === null;
  renderActions(shownItems);
}

/** Fills the form with `item`, to be changed and saved. */
function startEdit(item: ActionItem): void {
  if (editing === null) addDraft = readForm();
  editing = item.id;
  fillForm({ title: item.title, kind: item.kind, owner: item.owner ?? "", ticket: item.ticket ?? "", due: item.due ?? "" });
  showActionError("");
  showActionNote("");
  showMode();
  byId("action-title").focus();
}

/** Back to adding, with what was being typed for a new item before the edit. */
function stopEdit(): void {
  if (editing === null) return;
  editing = null;
  fillForm(addDraft ?? EMPTY_FORM);
  addDraft = null;
  showMode();
}

/** Shows the export button and the action items of `incident` (the live one, also in review). */
export function renderPostmortem(incident: Incident | null): void {
  const id = incident?.id ?? null;
  if (id !== incidentId) {
    incidentId = id;
    // What was written, and what failed, was about the incident before; so was an edit.
    const result = byId("export-result");
    result.textContent = "";
    result.title = "";
    showActionError("");
    showActionNote("");
    stopEdit();
  }
  byId("postmortem").hidden = incident === null;
  byId<HTMLButtonElement>("export-postmortem").disabled = incident === null;
  byId<HTMLSelectElement>("export-slo").disabled = incident === null;
  renderActions(incident?.actions ?? []);
}

/** Wires the export button and the add/edit form. What was typed stays in the form until the
 *  core has recorded it; `saved` re-reads the incident afterwards. */
export function wirePostmortem(saved: () => void): void {
  onSaved = saved;
  byId("export-postmortem").addEventListener("click", () => void exportPostmortem());
  const actionForm = byId<HTMLFormElement>("action-form");
  const submit = byId<HTMLButtonElement>("action-submit");
  const cancel = byId<HTMLButtonElement>("action-cancel");
  cancel.addEventListener("click", () => {
    showActionError("");
    showActionNote("");
    stopEdit();
    byId("action-title").focus();
  });
  actionForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const id = incidentId;
    if (!id) return;
    const target = editing;
    const v = readForm();
    submit.disabled = true;
    cancel.disabled = true;
    try {
      // The core trims and says what is wrong (an empty title, a bad date): no second set of
      // rules here. An edit sends every field as typed: an empty owner, ticket or due clears it.
      const edit: api.ActionEdit =
        target === null
          ? { id: null, title: v.title, kind: v.kind as ActionKind, owner: v.owner.trim() || null, ticket: v.ticket.trim() || null, status: null, due: v.due || null }
          : { id: target, title: v.title, kind: v.kind as ActionKind, owner: v.owner, ticket: v.ticket, status: null, due: v.due };
      const items = await api.setAction(id, edit);
      const same = id === incidentId;
      showActionError("");
      if (target === null) {
        // Recorded: the form is free for the next one (of the same type, likely). If an edit
        // began meanwhile, what it put aside is what was just added.
        const next = { ...EMPTY_FORM, kind: v.kind };
        if (editing === null) fillForm(next);
        else addDraft = next;
        showActionNote("");
      } else if (same) {
        showActionNote(`${target} saved.`);
        // Only if the form still edits that item (another Edit may have been clicked meanwhile).
        if (editing === target) stopEdit();
      }
      if (same) renderActions(items);
      onSaved();
    } catch (err) {
      if (target !== null && api.isIpcError(err) && err.code === "unchanged") {
        if (id !== incidentId) return;
        // Nothing to save: the item already says what the form says.
        showActionError("");
        showActionNote(`${target}: ${err.message}`);
        if (editing === target) stopEdit();
      } else {
        // The typed values stay, to be fixed and sent again.
        showActionError(`${target === null ? "Not added" : `${target} not saved`}: ${message(err)}`);
      }
    } finally {
      submit.disabled = false;
      cancel.disabled = false;
    }
  });
}
