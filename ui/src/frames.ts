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
/** Frame requests waiting on the slow timer: our id → (timer, callback). */
const waiting = new Map<number, { timer: number; callback: FrameRequestCallback }>();
/** Our ids of requests handed to the browser → its ids. */
const handed = new Map<number, number>();

function hand(id: number, callback: FrameRequestCallback): void {
  handed.set(
    id,
    native((t) => {
      handed.delete(id);
      callback(t);
    }),
  );
}

/** Full-rate frames for a while; the frames waiting are drawn now. */
export function wakeFrames(): void {
  awakeUntil = performance.now() + AWAKE_MS;
  for (const [id, w] of waiting) {
    window.clearTimeout(w.timer);
    waiting.delete(id);
    hand(id, w.callback);
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
        waiting.delete(id);
        callback(performance.now());
      }, IDLE_MS);
      waiting.set(id, { timer, callback });
    }
    return id;
  };
  window.cancelAnimationFrame = (id: number): void => {
    const w = waiting.get(id);
    if (w) {
      window.clearTimeout(w.timer);
      waiting.delete(id);
    }
    const browser = handed.get(id);
    if (browser !== undefined) {
      cancelNative(browser);
      handed.delete(id);
    }
  };
  for (const type of ["pointerdown", "pointermove", "wheel", "keydown", "resize"]) {
    window.addEventListener(type, wakeFrames, { passive: true, capture: true });
  }
}
