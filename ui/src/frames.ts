// Frames only when something moves.
//
// Cytoscape keeps a requestAnimationFrame loop running for as long as a graph exists, even
// with nothing to draw. At 60 callbacks a second WebKit keeps producing frames of an unchanged
// page: about 5 % of a core (`make bench-idle`), which a laptop on battery pays all night.
// While nothing moves, frame requests are served by a slow timer instead; a change to draw
// (`wakeFrames`) or a touch of the page brings full-rate frames back at once, with the frame
// that was waiting.

/** How long full-rate frames last after the last change or touch. */
const AWAKE_MS = 1500;
/** How often a waiting frame request is served while idle. */
const IDLE_MS = 500;

const native = window.requestAnimationFrame.bind(window);
const cancelNative = window.cancelAnimationFrame.bind(window);
let awakeUntil = 0;
let nextId = 1;
// Lists, not Maps: a frame request passes through them many times a second, and a Map that
// many entries pass through can keep them all in JavaScriptCore (see `read` in api.ts). At
// most a few wait at once.
/** Frame requests waiting on the slow timer. */
const waiting: { id: number; timer: number; callback: FrameRequestCallback }[] = [];
/** Requests handed to the browser: our id and its. */
const handed: { id: number; browser: number }[] = [];

/** Removes and returns the entry of `id` in `list`, if there is one. */
function take<T extends { id: number }>(list: T[], id: number): T | undefined {
  const i = list.findIndex((x) => x.id === id);
  return i < 0 ? undefined : list.splice(i, 1)[0];
}

function hand(id: number, callback: FrameRequestCallback): void {
  handed.push({
    id,
    browser: native((t) => {
      take(handed, id);
      callback(t);
    }),
  });
}

/** Full-rate frames for a while; the frames waiting are drawn now. */
export function wakeFrames(): void {
  awakeUntil = performance.now() + AWAKE_MS;
  for (const w of waiting.splice(0)) {
    window.clearTimeout(w.timer);
    hand(w.id, w.callback);
  }
}

/** Installs the governor over `requestAnimationFrame` (once, before the graph exists). */
export function governFrames(): void {
  window.requestAnimationFrame = (callback: FrameRequestCallback): number => {
    const id = nextId++;
    if (performance.now() < awakeUntil) {
      hand(id, callback);
    } else {
      const timer = window.setTimeout(() => {
        take(waiting, id);
        callback(performance.now());
      }, IDLE_MS);
      waiting.push({ id, timer, callback });
    }
    return id;
  };
  window.cancelAnimationFrame = (id: number): void => {
    const w = take(waiting, id);
    if (w) window.clearTimeout(w.timer);
    const h = take(handed, id);
    if (h) cancelNative(h.browser);
  };
  for (const type of ["pointerdown", "pointermove", "wheel", "keydown", "resize"]) {
    window.addEventListener(type, wakeFrames, { passive: true, capture: true });
  }
}
