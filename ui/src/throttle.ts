// One fetch at a time, at most once per interval: pushes from the core can come many times a
// second, and a panel only needs the latest answer. Asked during a fetch, it fetches once more
// after it; asked `now` (another incident, a user's action), it does not wait for the interval.

export class Throttled {
  private busy = false;
  private again = false;
  private againNow = false;
  private last = 0;
  private timer: number | null = null;

  /** `fetch` does one fetch (it is never run twice at once); `everyMs` apart at most. */
  constructor(
    private readonly everyMs: number,
    private readonly fetch: () => Promise<void>,
  ) {}

  /** Asks for a fetch: at once when `now` or when the interval has passed, else when it has. */
  ask(now = false): void {
    if (this.busy) {
      this.again = true;
      this.againNow ||= now;
      return;
    }
    const wait = now ? 0 : this.last + this.everyMs - Date.now();
    if (wait <= 0) {
      if (this.timer !== null) window.clearTimeout(this.timer);
      this.timer = null;
      void this.run();
    } else if (this.timer === null) {
      this.timer = window.setTimeout(() => {
        this.timer = null;
        this.ask();
      }, wait);
    }
  }

  private async run(): Promise<void> {
    this.busy = true;
    this.last = Date.now();
    try {
      await this.fetch();
    } finally {
      this.busy = false;
      if (this.again) {
        const now = this.againNow;
        this.again = false;
        this.againNow = false;
        this.ask(now);
      }
    }
  }
}
