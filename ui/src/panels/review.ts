// Review mode: a resolved incident replayed from its log. The review bar holds a scrubber from
// the declaration to the last event, marks for the stages entered, the alerts fired, the
// resolutions and reopenings, play at 1× to 300×, and a jump to the peak of the blast radius. Every frame comes
// from `review_at`, which reads only the log: a review works with every source unreachable.
//
// Frames are asked for one at a time. While the scrubber is dragged (or playing) the instant
// wanted is only remembered; when the request in flight answers, the latest one is asked for.
// The core is never queued up behind a drag, and the last instant always wins.

import * as api from "../api";
import type { ReviewFrame, ReviewInfo, ReviewMark } from "../api";
import { byId, el, elapsed } from "../dom";
import { clock, otherZone } from "../time";

export interface ReviewHooks {
  /** A frame arrived: every panel draws it instead of the live state. */
  frame: (frame: ReviewFrame) => void;
  error: (e: unknown) => void;
  /** Review of `id` ended without the window asking (Back to live, or it could not start). */
  exit: (id: string) => void;
}

/** One incident under review. `start`, `end` and `at` are milliseconds since the epoch. */
interface Session {
  id: string;
  info: ReviewInfo | null;
  start: number;
  end: number;
  at: number;
  frame: ReviewFrame | null;
  /** The incident's event count the info was read at: more events, a longer span. */
  events: number;
}

const STEP_MS = 10_000;
const BIG_STEP_MS = 60_000;
const PLAY_TICK_MS = 200;

let session: Session | null = null;
let hooks: ReviewHooks | null = null;
/** The instant to fetch once the request in flight answers. */
let wanted: number | null = null;
let inFlight = false;
let playing: { timer: number; last: number } | null = null;

/** An instant under review, in the window's one time format. */
function utc(ms: number): string {
  return clock(ms);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The incident under review, or null when the window is live. */
export function reviewedId(): string | null {
  return session?.id ?? null;
}

/** The frame to draw, once one arrived for the incident under review. */
export function reviewFrame(): ReviewFrame | null {
  return session?.frame ?? null;
}

/** Opens `id` for review, at its declaration or at its last event. Resolves false when it could
 *  not (the error is reported and the window stays live) or another review replaced it. */
export async function enterReview(id: string, from: "start" | "end", events: number): Promise<boolean> {
  stopPlaying();
  const s: Session = { id, info: null, start: 0, end: 0, at: 0, frame: null, events };
  session = s;
  wanted = null;
  const bar = byId("review-bar");
  bar.hidden = false;
  bar.classList.add("loading");
  delete bar.dataset.frame;
  byId("review-time").textContent = "reading the log…";
  byId("review-offset").textContent = "";
  byId("review-marks").replaceChildren();
  try {
    const info = await api.reviewIncident(id);
    if (session !== s) return false;
    setInfo(s, info);
    seek(from === "end" ? s.end : s.start);
    return true;
  } catch (e) {
    if (session !== s) return false;
    leaveReview();
    hooks?.error(e);
    hooks?.exit(id);
    return false;
  }
}

/** Back to the live state: the bar goes, the panels draw what the sources say. */
export function leaveReview(): void {
  stopPlaying();
  session = null;
  wanted = null;
  const bar = byId("review-bar");
  bar.hidden = true;
  delete bar.dataset.frame;
  byId("review-marks").replaceChildren();
}

/** Tells the review how many events the incident has now: an action item or a note written
 *  after the resolution lengthens the span, so the scrubber and marks are read again. */
export function noteEvents(id: string, events: number): void {
  const s = session;
  if (!s || s.id !== id || !s.info || s.events === events) return;
  s.events = events;
  void api
    .reviewIncident(id)
    .then((info) => {
      if (session !== s) return;
      setInfo(s, info);
      seek(s.at);
    })
    .catch((e) => session === s && hooks?.error(e));
}

function setInfo(s: Session, info: ReviewInfo): void {
  s.info = info;
  s.start = Date.parse(info.start);
  s.end = Math.max(s.start, Date.parse(info.end));
  const scrubber = byId<HTMLInputElement>("review-scrubber");
  scrubber.min = String(s.start);
  scrubber.max = String(s.end);
  byId("review-bar").classList.remove("loading");
  const peak = byId<HTMLButtonElement>("review-peak");
  peak.hidden = info.peak === null;
  peak.title = info.peak ? `The widest blast radius, at ${utc(Date.parse(info.peak))}` : "";
  byId("review-marks").replaceChildren(...info.marks.map((m) => markButton(s, m)));
}

/** A mark under the scrubber, where it happened; clicking it goes there. */
function markButton(s: Session, mark: ReviewMark): HTMLButtonElement {
  const at = Date.parse(mark.at);
  const title = `${mark.label} — ${utc(at)} (${otherZone(at)})`;
  const button = el("button", { class: `review-mark review-mark-${mark.kind}`, title, data: { at: mark.at } });
  button.type = "button";
  button.setAttribute("aria-label", title);
  const span = s.end - s.start;
  // Positioned through the style object (CSSOM), which the CSP allows; no style attribute.
  button.style.left = `${span > 0 ? ((at - s.start) / span) * 100 : 0}%`;
  button.addEventListener("click", () => seek(at));
  return button;
}

/** Moves the instant under review (clamped to the span) and asks for its frame. */
function seek(at: number): void {
  const s = session;
  if (!s?.info) return;
  s.at = Math.min(s.end, Math.max(s.start, at));
  const scrubber = byId<HTMLInputElement>("review-scrubber");
  scrubber.value = String(s.at);
  scrubber.setAttribute("aria-valuetext", utc(s.at));
  byId("review-time").textContent = utc(s.at);
  byId("review-offset").textContent = `T+${elapsed(iso(s.start), s.at)} of ${elapsed(iso(s.start), s.end)}`;
  wanted = s.at;
  if (!inFlight) void fetchFrames();
}

/** Fetches the wanted instant, then the one wanted meanwhile, until none is left. */
async function fetchFrames(): Promise<void> {
  inFlight = true;
  try {
    while (wanted !== null && session) {
      const s = session;
      const at = wanted;
      wanted = null;
      try {
        const frame = await api.reviewAt(s.id, iso(at));
        // Left review, or moved to another incident, while it was asked for.
        if (session !== s) continue;
        s.frame = frame;
        byId("review-bar").dataset.frame = frame.at;
        hooks?.frame(frame);
      } catch (e) {
        if (session !== s) continue;
        stopPlaying();
        hooks?.error(e);
      }
    }
  } finally {
    inFlight = false;
  }
}

function speed(): number {
  return Number(byId<HTMLSelectElement>("review-speed").value) || 1;
}

/** Plays from the instant (from the start when at the end), `speed` × the real time elapsed. */
function play(): void {
  const s = session;
  if (!s?.info || playing) return;
  if (s.at >= s.end) seek(s.start);
  playing = { timer: window.setInterval(advance, PLAY_TICK_MS), last: performance.now() };
  showPlaying();
}

function advance(): void {
  const s = session;
  if (!s || !playing) return stopPlaying();
  const now = performance.now();
  const next = s.at + (now - playing.last) * speed();
  playing.last = now;
  seek(next);
  if (next >= s.end) stopPlaying();
}

function stopPlaying(): void {
  if (playing) window.clearInterval(playing.timer);
  playing = null;
  showPlaying();
}

/** Moves the instant under review by `ms` (the review keys: ← → 10 s, Shift 1 min). */
export function stepBy(ms: number): void {
  const s = session;
  if (s?.info) seek(s.at + ms);
}

/** The review keys' steps. */
export const STEPS = { small: STEP_MS, big: BIG_STEP_MS };

/** Plays or pauses the review (space). */
export function togglePlay(): void {
  if (playing) stopPlaying();
  else play();
}

function showPlaying(): void {
  const button = byId("review-play");
  button.textContent = playing ? "❚❚ Pause" : "▶ Play";
  button.setAttribute("aria-pressed", String(playing !== null));
}

export function wireReview(h: ReviewHooks): void {
  hooks = h;
  const scrubber = byId<HTMLInputElement>("review-scrubber");
  scrubber.step = "1";
  scrubber.addEventListener("input", () => seek(Number(scrubber.value)));
  byId("review-play").addEventListener("click", togglePlay);
  byId("review-peak").addEventListener("click", () => {
    const peak = session?.info?.peak;
    if (peak) seek(Date.parse(peak));
  });
  byId("review-exit").addEventListener("click", () => {
    const id = session?.id;
    leaveReview();
    if (id) hooks?.exit(id);
  });
  showPlaying();
}
