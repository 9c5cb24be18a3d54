// One fetch at a time, at most once per interval: pushes from the core can come many times a
// second, and a panel only needs the latest answer. Asked during a fetch, it fetches once more
// after it; asked `now` (another incident, a user's action), it does not wait for the interval.
// Whoever asks can wait for a fetch that started after the ask: a user's action awaits the
// answer that includes it, and never runs a fetch of its own beside one already under way (two
// at once could answer out of order, the older answer drawn last).

export class Throttled {
  private busy = false;
  private again = false;
  private againNow = false;
  private last = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Those who asked since the last fetch started: the next fetch's end answers them. */
  private waiting: (() => void)[] = [];

  /** `fetch` does one fetch (it is never run twice at once); `everyMs` apart at most. */
  constructor(
    private readonly everyMs: number,
    private readonly fetch: () => Promise<void>,
  ) {}

  /** Asks for a fetch: at once when `now` or when the interval has passed, else when it has.
   *  Resolves when a fetch that started after this ask has ended (a failed one included: `fetch`
   *  says its own errors). */
  ask(now = false): Promise<void> {
    const done = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.schedule(now);
    return done;
  }

  private schedule(now: boolean): void {
    if (this.busy) {
      this.again = true;
      this.againNow ||= now;
      return;
    }
    const wait = now ? 0 : this.last + this.everyMs - Date.now();
    if (wait <= 0) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      void this.run();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.schedule(false);
      }, wait);
    }
  }

  private async run(): Promise<void> {
    this.busy = true;
    this.last = Date.now();
    const answered = this.waiting;
    this.waiting = [];
    try {
      await this.fetch();
    } catch {
      // `fetch` shows its own errors; those waiting are answered all the same.
    } finally {
      this.busy = false;
      for (const resolve of answered) resolve();
      if (this.again) {
        const now = this.againNow;
        this.again = false;
        this.againNow = false;
        this.schedule(now);
      }
    }
  }
}
