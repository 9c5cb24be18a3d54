// The outage banner: what users see, and why, in names. Every entrypoint down or impacted, each
// path from it down to a failing node with that node's reason, and the degraded nodes upstream
// that the failing ones depend on (the cause is often there). With no incident active it offers
// to declare one from the outage, filled in. The what-if banner is its own, beside it: a
// hypothesis never replaces the truth.

import type { Outage, OutageHop } from "../api";
import { byId, el, rebuildOn, redrawOn, setText } from "../dom";
import { clock } from "../time";

function hop(h: OutageHop): Node[] {
  const parts: Node[] = [el("span", { class: "hop-name", text: h.name })];
  const state = h.state === "group_down" ? "down (too few members)" : h.state;
  parts.push(el("span", { class: `hop-state state-${h.state === "group_down" ? "down" : h.state}`, text: ` — ${state}` }));
  if (h.reason) parts.push(el("span", { class: "hop-reason", text: `: ${h.reason}` }));
  return parts;
}

/** One line per failing node under an entrypoint: the path's names, then the failing node
 *  with its state and reason. */
function entries(outage: Outage, withEntrypoint: boolean): Node[] {
  const rows: Node[] = [];
  for (const e of outage.entrypoints) {
    if (withEntrypoint) rows.push(el("div", { class: "outage-entry", data: { entrypoint: e.entrypoint.id } }, hop(e.entrypoint)));
    for (const path of e.paths) {
      const parts: Node[] = [];
      path.forEach((h, i) => {
        parts.push(document.createTextNode(i === 0 ? "← " : " ← "));
        if (i < path.length - 1) parts.push(el("span", { class: "hop-name", text: h.name }));
        else parts.push(...hop(h));
      });
      rows.push(el("div", { class: "outage-path" }, parts));
    }
  }
  if (outage.contributors.length) {
    const parts: Node[] = [el("span", { text: "Upstream: " })];
    outage.contributors.forEach((c, i) => {
      if (i > 0) parts.push(document.createTextNode("; "));
      parts.push(...hop(c));
    });
    rows.push(el("div", { class: "outage-contributors" }, parts));
  }
  return rows;
}

/** The banner's parts that live as long as the window: the declare button in particular is
 *  never rebuilt, so a click that starts while the numbers move still lands. */
let parts: { title: HTMLElement; entry: HTMLElement; declare: HTMLButtonElement; body: HTMLElement } | null = null;
let onDeclare: () => void = () => {};

function skeleton(banner: HTMLElement): NonNullable<typeof parts> {
  if (parts) return parts;
  const title = el("strong", {});
  const entry = el("span", {});
  const declare = el("button", { text: "Declare from this outage", class: "primary" });
  declare.type = "button";
  declare.id = "outage-declare";
  declare.addEventListener("click", () => onDeclare());
  const body = el("div", { class: "outage-body" });
  banner.replaceChildren(el("div", { class: "outage-head" }, [title, entry, declare]), body);
  parts = { title, entry, declare, body };
  return parts;
}

/** The banner of the outage users see now (`null`: none). `offerDeclare` when no incident is
 *  active: the draft is shown and one click declares it. */
export function renderOutage(outage: Outage | null, since: string | null, offerDeclare: boolean, declare: () => void): void {
  const banner = byId("outage");
  if (banner.hidden !== (outage === null)) banner.hidden = outage === null;
  const p = skeleton(banner);
  onDeclare = declare;
  // Gone from the page when not offered: an incident is active, or there is no outage.
  const offered = outage !== null && offerDeclare;
  if (p.declare.isConnected !== offered) {
    if (offered) p.title.parentElement?.append(p.declare);
    else p.declare.remove();
  }
  if (!outage) return;
  setText(p.title, `USER-VISIBLE OUTAGE${since ? ` since ${clock(since)}` : ""}`);
  const d = outage.draft;
  p.declare.title = `No incident is active. Declares ${d.severity} "${d.title}" (affected: ${d.affected.join(", ")}) and records on it.`;
  p.declare.dataset.title = d.title;
  // One entrypoint: on the title's line. Several: each on its own.
  const single = outage.entrypoints.length === 1 ? outage.entrypoints[0] : undefined;
  redrawOn(p.entry, JSON.stringify(single?.entrypoint ?? null), () => (single ? hop(single.entrypoint) : []));
  p.entry.className = single ? "outage-entry" : "";
  if (single) p.entry.dataset.entrypoint = single.entrypoint.id;
  else delete p.entry.dataset.entrypoint;
  // Its reasons' figures move on every push: redrawn in place.
  redrawOn(p.body, JSON.stringify([outage.entrypoints, outage.contributors, Boolean(single)]), () => entries(outage, !single));
}

/** The what-if banner, beside the real one: what users would see if `picked` failed. */
export function renderWhatIf(active: boolean, picked: string[], names: (id: string) => string, outage: Outage | null): void {
  const banner = byId("whatif-banner");
  if (banner.hidden !== !active) banner.hidden = !active;
  if (!active) return;
  const who = picked.length ? picked.map(names).join(", ") : "nothing picked yet: click nodes on the graph";
  const head = picked.length
    ? outage
      ? `WHAT IF ${who} failed: users would see an outage`
      : `WHAT IF ${who} failed: every entrypoint would still serve`
    : `WHAT IF… ${who}`;
  rebuildOn(banner, JSON.stringify([head, outage]), () => [
    el("div", { class: "outage-head" }, [el("strong", { text: head })]),
    ...(outage ? entries(outage, true) : []),
  ]);
}
