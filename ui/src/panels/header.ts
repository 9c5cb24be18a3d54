// The incident header: severity (changed here), title, status, the five stages, the live clocks,
// the commander, and resolve or reopen. Live and the past never look alike: under review the
// header says "REVIEW — as of 03:12:40" and shows none of the live badges; a resolved incident
// shows when it was resolved, not clocks that tick. The countdown to the next stakeholder update
// ("next update in 12:34", red "update overdue 3:12") is a live badge too. Drawn on every tick of the
// window's clock: only what changed is written.

import type { Incident, Severity, Term } from "../api";
import { byId, el, elapsed, setText } from "../dom";
import { clock, otherZone } from "../time";
import { fillSeverities } from "./incidents";
import type { UpdateDue } from "./updates";

export interface HeaderActions {
  changeSeverity: (severity: Severity) => void;
  toggleResolved: () => void;
  review: () => void;
}

export function wireHeader(severities: Term[], actions: HeaderActions): void {
  const select = byId<HTMLSelectElement>("hdr-severity");
  fillSeverities(select, severities, "SEV2", true);
  select.addEventListener("change", () => actions.changeSeverity(select.value as Severity));
  byId("resolve-toggle").addEventListener("click", actions.toggleResolved);
  byId("review-enter").addEventListener("click", actions.review);
}

/** "12:34" (m:ss) under an hour, "1:02:03" (h:mm:ss) over. */
function countdown(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** "15 min", "1 h", "1 h 30 min", "45 s". */
function every(secs: number): string {
  if (secs < 60) return `${secs} s`;
  const m = Math.round(secs / 60);
  const h = Math.floor(m / 60);
  if (h === 0) return `${m} min`;
  return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
}

/** The countdown to the next stakeholder update: live and active incidents only. */
function renderNextUpdate(incident: Incident | null, now: number, live: boolean, due: UpdateDue | null): void {
  const item = byId("hdr-next-update");
  const show = live && incident?.status === "active" && due !== null;
  if (item.hidden === show) item.hidden = !show;
  // While it shows, a narrow header makes room for it (style.css): the badge "active" goes
  // without saying, the stages passed and the brand give way.
  document.body.classList.toggle("update-countdown", show);
  if (!show || !due || !incident) return;
  const left = Date.parse(due.due) - now;
  const overdue = left <= 0;
  // Counted down to the second it is due (ceil), then how long past it (floor). "in" says it is
  // a countdown, not a time of day ("next update 14:57" read as a clock).
  const text = overdue ? `update overdue ${countdown(-left)}` : `next update in ${countdown(Math.ceil(left / 1000) * 1000)}`;
  if (item.textContent !== text) {
    // A narrow header drops the first word: "update in 12:34", "overdue 3:12" (the title says
    // all). Its two parts are kept and rewritten: the countdown moves every second.
    const space = text.indexOf(" ") + 1;
    if (!(item.firstChild instanceof HTMLSpanElement) || item.childNodes.length !== 2) {
      item.replaceChildren(el("span", { class: "hdr-wordy" }), document.createTextNode(""));
    }
    setText(item.firstChild as HTMLSpanElement, text.slice(0, space));
    const rest = item.lastChild;
    if (rest && rest.textContent !== text.slice(space)) rest.textContent = text.slice(space);
  }
  const className = overdue ? "hdr-item clock overdue" : "hdr-item clock";
  if (item.className !== className) item.className = className;
  const cadence = due.everySecs !== null ? ` (${incident.severity}: every ${every(due.everySecs)})` : "";
  const title = `${overdue ? "Stakeholder update overdue since" : "Next stakeholder update due"} ${clock(due.due)}${cadence}`;
  if (item.title !== title) item.title = title;
}

/** The header's badge while reviewing: "REVIEW — as of 04:45:12". The instant is its own span:
 *  on a narrow window the review bar under the header says it, and the header keeps the word
 *  (and its room for the incident's title). */
function renderMode(reviewAt: string | null): void {
  const mode = byId("hdr-mode");
  if (mode.hidden === (reviewAt !== null)) mode.hidden = reviewAt === null;
  let when = mode.querySelector<HTMLElement>(".mode-when");
  if (!when) {
    when = document.createElement("span");
    when.className = "mode-when";
    mode.replaceChildren("REVIEW", when);
    mode.className = "mode-badge mode-review";
  }
  setText(when, reviewAt ? ` — as of ${clock(reviewAt)}` : "");
}

/** Draws `incident` as of `now`; `reviewAt` is the instant under review, if reviewing; `due`
 *  when its next stakeholder update is due, if one is. */
export function renderHeader(incident: Incident | null, now: number, reviewAt: string | null, due: UpdateDue | null = null): void {
  const reviewing = reviewAt !== null;
  renderMode(reviewAt);
  const header = byId("incident-header");
  if (header.hidden !== (incident === null)) header.hidden = incident === null;
  renderNextUpdate(incident, now, !reviewing, due);
  if (!incident) return;
  const sev = byId<HTMLSelectElement>("hdr-severity");
  if (document.activeElement !== sev && sev.value !== incident.severity) sev.value = incident.severity;
  const sevClass = `sev sev-${incident.severity.toLowerCase()}`;
  if (sev.className !== sevClass) sev.className = sevClass;
  const resolved = incident.status === "resolved";
  sev.disabled = reviewing || resolved;
  setText(byId("hdr-title"), incident.title);
  byId("hdr-title").title = incident.title;
  // Under review: the incident as it was then, no badge that reads as now.
  const status = byId("hdr-status");
  status.hidden = reviewing;
  setText(status, incident.status, `status status-${incident.status}`);
  setText(byId("hdr-stage"), incident.stage);
  const stageClock = byId("hdr-stage-clock");
  const declared = byId("hdr-declared-clock");
  if (reviewing) {
    setText(stageClock, `since ${clock(incident.stage_entered_at)}`);
    setText(declared, `at ${clock(incident.declared_at)}`);
  } else if (resolved && incident.resolved_at) {
    setText(stageClock, "");
    setText(declared, `at ${clock(incident.declared_at)}, resolved ${clock(incident.resolved_at)} (lasted ${elapsed(incident.declared_at, Date.parse(incident.resolved_at))})`);
  } else {
    setText(stageClock, `for ${elapsed(incident.stage_entered_at, now)}`);
    setText(declared, `${elapsed(incident.declared_at, now)} ago`);
  }
  // The current stage's pill says how long it has lasted (live only).
  const pill = document.getElementById(`stage-${incident.stage}`);
  if (pill) {
    const n = Number(pill.dataset.n ?? "0");
    setText(pill, `${n}. ${incident.stage}${!reviewing && !resolved ? ` · ${elapsed(incident.stage_entered_at, now)}` : ""}`);
  }
  stageClock.title = otherZone(incident.stage_entered_at);
  declared.title = otherZone(incident.declared_at);
  setText(byId("hdr-commander"), incident.roles.commander ?? "nobody yet");
  const toggle = byId<HTMLButtonElement>("resolve-toggle");
  toggle.hidden = reviewing;
  setText(toggle, resolved ? "Reopen" : "Resolve");
  byId("review-enter").hidden = reviewing || !resolved;
}

/** The five stages: done ones marked ✓ (not struck through: they are not cancelled), the
 *  current one outlined with how long it has lasted; a click moves there. */
export function renderStages(incident: Incident | null, stages: Term[], disabled: boolean, enter: (stage: string) => void): void {
  if (!incident) return;
  const current = stages.findIndex((s) => s.name === incident.stage);
  const visited = new Set(incident.stage_log.map((v) => v.stage));
  const key = JSON.stringify([incident.stage, [...visited], disabled]);
  const list = byId("stages");
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren(
    ...stages.map((s, i) => {
      // The name in its own part: a narrow header shows the other stages by number (style.css).
      const button = el("button", { class: "stage-button", title: `${s.name}: ${s.meaning}`, data: { n: String(i + 1) } }, [
        `${i + 1}.`,
        el("span", { class: "stage-name", text: ` ${s.name}` }),
      ]);
      // Read out whole even when shown by number (the current one's text is whole, with its time).
      if (i !== current) button.setAttribute("aria-label", `${i + 1}. ${s.name}`);
      button.id = `stage-${s.name}`;
      button.type = "button";
      const state = i === current ? "current" : visited.has(s.name as Incident["stage"]) && i < current ? "done" : "todo";
      button.classList.add(`stage-${state}`);
      button.setAttribute("aria-current", String(i === current));
      button.disabled = disabled;
      button.addEventListener("click", () => enter(s.name));
      return el("li", { class: i === current ? "now" : i < current ? "past" : "" }, [button]);
    }),
  );
}
