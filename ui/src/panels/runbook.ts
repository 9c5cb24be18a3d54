// The runbook panel: suggestions for what is failing, and each attached runbook with one tab per
// stage, its steps (checkbox, live check result, commands to copy, links), and the stage progress.
// Keys inside the steps: j/k move, space checks. Runbook text is shown as text, never as HTML.

import * as api from "../api";
import type { Stage } from "../api";
import { byId, el, elapsed, rebuildOn, setText } from "../dom";
import { Steady } from "../steady";
import { clock, inUtc } from "../time";
import { thisDevice } from "./sync";

/** Which stage tab each runbook shows; by default the incident's current stage. */
const tabs = new Map<string, Stage>();
/** What the panel shows; `readOnly` in review, where the runbooks are as they stood at an
 *  instant of a resolved incident and nothing may be checked or attached. */
let current: { id: string; stage: Stage; furthest: Stage; views: api.RunbookView[]; readOnly: boolean } | null = null;
let onChange: (() => void) | null = null;
/** Holds the suggestions still while the pointer moves over the panel: they sit above the stage
 *  tabs and the steps, and their changing moved what a person was about to click. */
let steady: Steady | null = null;

/** The steps of `stage` not done in any attached runbook, as `runbook/step`. */
export function undone(stage: Stage): string[] {
  if (!current) return [];
  return current.views.flatMap((v) =>
    (v.runbook.stages.find((s) => s.stage === stage)?.steps ?? [])
      .filter((s) => !(s.id in v.done))
      .map((s) => `${v.runbook.id}/${s.id}`),
  );
}

async function toggle(runbook: string, step: string, done: boolean): Promise<void> {
  if (!current || current.readOnly) return;
  try {
    current.views = await api.checkStep(current.id, runbook, step, done);
    onChange?.();
  } catch (e) {
    byId("runbook-error").textContent = api.isIpcError(e) ? e.message : String(e);
    // The box was ticked by the click but nothing changed: draw the steps as they stand.
    delete byId("runbooks").dataset.key;
    onChange?.();
  }
}

/** A step's check: what it sees now (recorded or not), and, for a stage the incident has not
 *  reached, that it is not recorded yet (failing there is expected, not news). */
function checkBadge(recorded: api.CheckMark | undefined, live: api.CheckMark | undefined, check: api.RunbookCheck, reached: boolean): HTMLElement {
  const expect = `expect ${check.condition.op} ${check.condition.value}`;
  const mark = live ?? recorded;
  const later = reached ? "" : " · not recorded before this stage";
  if (!mark) return el("span", { class: "check check-pending", text: `check: waiting (${expect})${later}`, title: check.query });
  const state = mark.passed === true ? "passed" : mark.passed === false ? "failed" : "no answer";
  const cls = !reached ? "check-pending" : mark.passed === true ? "check-ok" : mark.passed === false ? "check-failed" : "check-pending";
  return el("span", { class: `check ${cls}`, text: `check ${state}: ${mark.observed} (${expect})${later}`, title: `${check.query}\nseen ${clock(mark.at)}` });
}

function stepItem(view: api.RunbookView, step: api.RunbookStep, reached: boolean): HTMLLIElement {
  const done = step.id in view.done;
  const box = el("input", {});
  box.type = "checkbox";
  box.checked = done;
  box.tabIndex = -1;
  box.disabled = current?.readOnly ?? false;
  box.setAttribute("aria-label", step.text);
  box.addEventListener("change", () => void toggle(view.runbook.id, step.id, box.checked));
  const children: (Node | string)[] = [box, el("span", { class: "step-text", text: step.text })];
  const mark = view.done[step.id];
  if (mark) {
    const me = thisDevice();
    const where = me !== null && mark.device !== "" && mark.device !== me ? ` @ ${mark.device}` : "";
    children.push(el("span", { class: "muted step-by", text: ` done${mark.by ? ` by ${mark.by}${where}` : where}` }));
  }
  if (view.skipped.includes(step.id) && !done) children.push(el("span", { class: "event-tag tag-skipped", text: "skipped" }));
  if (step.check) children.push(checkBadge(view.checks[step.id], view.live[step.id], step.check, reached));
  for (const command of step.commands) children.push(commandBlock(command));
  step.links.forEach((link, index) => {
    const open = el("button", { text: `↗ ${link.text || link.url}`, class: "link", title: link.url });
    open.type = "button";
    open.addEventListener("click", () => {
      if (current) void api.openRunbookLink(current.id, view.runbook.id, step.id, index).catch(() => undefined);
    });
    children.push(open);
  });
  const li = el("li", { class: `step${done ? " step-done" : ""}`, data: { runbook: view.runbook.id, step: step.id } }, children);
  li.tabIndex = 0;
  return li;
}

function runbookBlock(view: api.RunbookView, stages: Stage[]): HTMLElement {
  const shownStage = tabs.get(view.runbook.id) ?? current?.stage ?? "detect";
  const tabRow = el(
    "div",
    { class: "stage-tabs", title: "steps done per stage" },
    stages.map((stage) => {
      const steps = view.runbook.stages.find((s) => s.stage === stage)?.steps ?? [];
      const doneCount = steps.filter((s) => s.id in view.done).length;
      const tab = el("button", { text: `${stage} ${doneCount}/${steps.length}`, class: stage === shownStage ? "tab tab-on" : "tab" });
      tab.type = "button";
      tab.disabled = steps.length === 0;
      tab.addEventListener("click", () => {
        tabs.set(view.runbook.id, stage);
        onChange?.();
      });
      return tab;
    }),
  );
  const shown = view.runbook.stages.find((s) => s.stage === shownStage);
  const steps = shown?.steps ?? [];
  const reached = stages.indexOf(shownStage) <= stages.indexOf(current?.furthest ?? "detect");
  const references = [...(shown?.references ?? []), ...view.runbook.references];
  return el("section", { class: "runbook", data: { runbook: view.runbook.id } }, [
    el("h3", { text: `${view.runbook.title}${view.node ? ` · ${view.node}` : ""}` }),
    tabRow,
    el("ol", { class: "steps" }, steps.map((s) => stepItem(view, s, reached))),
    ...references.map(referenceBlock),
  ]);
}

/** A command as written, with a button that copies it (never run). */
function commandBlock(command: string): HTMLElement {
  const copy = el("button", { text: "Copy", class: "link" });
  copy.type = "button";
  copy.addEventListener("click", () => void navigator.clipboard?.writeText(command).catch(() => undefined));
  return el("div", { class: "command" }, [el("pre", { text: command }), copy]);
}

/** A section of the runbook that names no stage (Notes, Troubleshooting, Escalation): text to
 *  read, folded under its title; its commands can be copied. Rendered as text, never as HTML. */
function referenceBlock(reference: api.RunbookReference): HTMLElement {
  const body: (Node | string)[] = [];
  if (reference.text) body.push(el("div", { class: "reference-text", text: reference.text }));
  for (const command of reference.commands) body.push(commandBlock(command));
  for (const link of reference.links) body.push(el("div", { class: "muted reference-link", text: `${link.text} <${link.url}>` }));
  return el("details", { class: "reference" }, [el("summary", { text: `${reference.title} · for reference` }), ...body]);
}

/** How long each stage took, from the incident's stage log. */
function stageTimes(incident: api.Incident, now: number): string {
  return incident.stage_log
    .map((visit, i) => {
      const next = incident.stage_log[i + 1];
      const end = next ? Date.parse(next.at) : incident.resolved_at ? Math.max(Date.parse(incident.resolved_at), Date.parse(visit.at)) : now;
      return `${visit.stage} ${elapsed(visit.at, end)}`;
    })
    .join(" · ");
}

/** A suggested runbook, with the button that attaches it. */
function suggestionRow(s: api.Suggestion): HTMLElement {
  const attach = el("button", { text: "Attach" });
  attach.type = "button";
  attach.dataset.runbook = s.runbook;
  attach.addEventListener("click", async () => {
    try {
      if (current) current.views = await api.attachRunbook(current.id, s.runbook, s.node);
      onChange?.();
    } catch (e) {
      byId("runbook-error").textContent = api.isIpcError(e) ? e.message : String(e);
    }
  });
  // The strongest reason says why; all of them on hover.
  const first = s.why.reasons[0];
  const why = first ? `${first.by} ${first.value}` : "";
  const all = s.why.reasons.map((r) => `${r.by} ${r.value}`).join(", ");
  return el("div", { class: "suggestion", title: all }, [attach, el("span", { text: ` ${s.title}` }), el("span", { class: "muted", text: ` · ${s.node} (${why})` })]);
}

export function renderRunbooks(
  incident: api.Incident | null,
  views: api.RunbookView[],
  suggestions: api.Suggestion[],
  stages: Stage[],
  review: { now: number } | null = null,
): void {
  // Nothing is attached to or checked on a resolved incident (reopen it first), nor on the past.
  const readOnly = review !== null || incident?.status === "resolved";
  const section = byId("runbooks-section");
  section.hidden = !incident;
  if (!incident) {
    current = null;
    return;
  }
  const order = stages;
  const furthest = incident.stage_log.reduce<Stage>((far, v) => (order.indexOf(v.stage) > order.indexOf(far) ? v.stage : far), incident.stage);
  current = { id: incident.id, stage: incident.stage, furthest, views, readOnly };
  section.classList.toggle("read-only", readOnly);
  setText(byId("stage-times"), `time in stages: ${stageTimes(incident, review?.now ?? Date.now())}`);
  // Both lists are built again only when what they show changed: the window renders several
  // times a second in a drill, and each rebuild folded the reference being read and built every
  // step again.
  const shownSuggestions = readOnly ? [] : suggestions;
  const suggested = byId("runbook-suggestions");
  const suggestedKey = JSON.stringify(shownSuggestions);
  steady ??= new Steady(section);
  if (suggested.dataset.key === suggestedKey) steady.drop();
  // A change waits while the pointer moves over the panel (see `Steady`).
  else steady.draw(() => rebuildOn(suggested, suggestedKey, () => shownSuggestions.map(suggestionRow)));
  const list = byId("runbooks");
  const key = JSON.stringify([views, stages, [...tabs], current.stage, furthest, readOnly, thisDevice(), inUtc()]);
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  // Keep the focused step focused across a re-render (j/k and space stay where they were).
  const focused = (document.activeElement as HTMLElement | null)?.dataset;
  const keep = focused?.runbook && focused.step ? { runbook: focused.runbook, step: focused.step } : null;
  list.replaceChildren(...views.map((v) => runbookBlock(v, stages)));
  if (keep) {
    list
      .querySelector<HTMLElement>(`li[data-runbook="${CSS.escape(keep.runbook)}"][data-step="${CSS.escape(keep.step)}"]`)
      ?.focus();
  }
}

export function wireRunbooks(changed: () => void): void {
  onChange = changed;
  byId("runbooks").addEventListener("keydown", (e) => {
    const li = (e.target as HTMLElement).closest<HTMLLIElement>("li.step");
    if (!li || e.ctrlKey || e.metaKey || e.altKey) return;
    const items = [...byId("runbooks").querySelectorAll<HTMLLIElement>("li.step")];
    const i = items.indexOf(li);
    if (e.key === "j" || e.key === "k") {
      items[Math.min(items.length - 1, Math.max(0, i + (e.key === "j" ? 1 : -1)))]?.focus();
    } else if (e.key === " ") {
      const box = li.querySelector<HTMLInputElement>("input[type=checkbox]");
      if (box && li.dataset.runbook && li.dataset.step) void toggle(li.dataset.runbook, li.dataset.step, !box.checked);
    } else {
      return;
    }
    // These keys belong to the steps here, not to the incident list.
    e.preventDefault();
    e.stopPropagation();
  });
}
