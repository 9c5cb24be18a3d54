// The window's shape: side panels that collapse (and stay so across restarts), a layout that
// adapts below 1200 px (the left panel starts collapsed) and below 1000 px (both do),
// presentation mode for the shared screen, and zoom (Ctrl + / − / 0) of the whole webview.

import { getCurrentWebview } from "@tauri-apps/api/webview";
import { byId } from "./dom";

type Side = "left" | "right";

const stored = (side: Side): boolean | null => {
  const v = localStorage.getItem(`warroom.panel-${side}`);
  return v === null ? null : v === "collapsed";
};

/** Collapses (or opens) a side panel; remembered. */
export function setCollapsed(side: Side, collapsed: boolean, remember = true): void {
  const layout = byId("layout");
  layout.classList.toggle(`${side}-collapsed`, collapsed);
  const toggle = byId(`${side}-toggle`);
  toggle.setAttribute("aria-expanded", String(!collapsed));
  toggle.textContent = (side === "left") === collapsed ? "⟩" : "⟨";
  if (remember) localStorage.setItem(`warroom.panel-${side}`, collapsed ? "collapsed" : "open");
}

export function isCollapsed(side: Side): boolean {
  return byId("layout").classList.contains(`${side}-collapsed`);
}

export function togglePanel(side: Side): void {
  setCollapsed(side, !isCollapsed(side));
}

/** Below these widths a panel starts collapsed, and collapses when the window narrows past it:
 *  the graph keeps room. Above, the panel is as the responder left it. */
const NARROW: Record<Side, number> = { left: 1200, right: 1000 };

function fitPanels(width: number): void {
  for (const side of ["left", "right"] as Side[]) {
    setCollapsed(side, width < NARROW[side] || (stored(side) ?? false), false);
  }
}

/** The panels as last left, or as the window's width suits. */
export function wireLayout(): void {
  let width = window.innerWidth;
  fitPanels(width);
  window.addEventListener("resize", () => {
    const now = window.innerWidth;
    const crossed = (["left", "right"] as Side[]).some((side) => (width < NARROW[side]) !== (now < NARROW[side]));
    width = now;
    if (crossed) fitPanels(now);
  });
  byId("left-toggle").addEventListener("click", () => togglePanel("left"));
  byId("right-toggle").addEventListener("click", () => togglePanel("right"));
  byId("present-toggle").addEventListener("click", togglePresenting);
  applyZoom();
}

/** Presentation mode: the graph, the banner, stage and elapsed time, large. */
export function togglePresenting(): void {
  const on = document.body.classList.toggle("presenting");
  byId("present-toggle").setAttribute("aria-pressed", String(on));
}

export function presenting(): boolean {
  return document.body.classList.contains("presenting");
}

const ZOOMS = [0.67, 0.75, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2];
let zoom = Number(localStorage.getItem("warroom.zoom")) || 1;

function applyZoom(): void {
  localStorage.setItem("warroom.zoom", String(zoom));
  void getCurrentWebview()
    .setZoom(zoom)
    .catch(() => undefined);
}

/** One step bigger (+1), smaller (−1), or back to 100 % (0). */
export function zoomBy(step: -1 | 0 | 1): void {
  const i = ZOOMS.findIndex((z) => Math.abs(z - zoom) < 0.01);
  zoom = step === 0 ? 1 : (ZOOMS[Math.max(0, Math.min(ZOOMS.length - 1, (i === -1 ? 4 : i) + step))] ?? 1);
  applyZoom();
}

export function zoomLevel(): number {
  return zoom;
}
