// Holding a panel still while a person aims at it. A list that changes above a button moves the
// button: the click lands on what moved there (seen in the runbook panel during a drill, when the
// suggestions above the stage tabs changed as a node recovered). A change waits while the pointer
// moves over the panel and is drawn once it has rested for a moment or left.

/** How long the pointer must rest before a held change is drawn, in ms. A person's aim and click
 *  take well under this; a pointer left resting on the panel does not hold the panel for long. */
export const REST_MS = 1500;

/** How long to hold a change asked for at `now`, when the pointer last moved over the panel at
 *  `movedAt` (both in ms): 0 means draw it now. */
export function holdFor(now: number, movedAt: number | null, restMs = REST_MS): number {
  if (movedAt === null) return 0;
  return Math.max(0, movedAt + restMs - now);
}

/** Draws what it is given in `node`, holding changes while the pointer moves over `area`. Only
 *  the latest change is kept: a held one is replaced by a newer one. */
export class Steady {
  private movedAt: number | null = null;
  private pending: (() => void) | null = null;
  private timer: number | null = null;

  constructor(area: HTMLElement) {
    area.addEventListener("pointermove", () => {
      this.movedAt = performance.now();
    });
    area.addEventListener("pointerleave", () => {
      this.movedAt = null;
      this.flush();
    });
  }

  /** Runs `draw` now, or once the pointer has rested or left; `draw` must be the whole change. */
  draw(draw: () => void): void {
    const wait = holdFor(performance.now(), this.movedAt);
    if (wait === 0) {
      this.drop();
      draw();
      return;
    }
    this.pending = draw;
    if (this.timer === null) this.timer = window.setTimeout(() => this.retry(), wait);
  }

  /** Forgets a held change: what is drawn is what is wanted again. */
  drop(): void {
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }

  private retry(): void {
    this.timer = null;
    const draw = this.pending;
    this.pending = null;
    if (draw) this.draw(draw);
  }

  private flush(): void {
    const draw = this.pending;
    this.drop();
    draw?.();
  }
}
