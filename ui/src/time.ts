// One time format everywhere: "03:12:40" (with the date when it is not today), in the zone the
// responder chose: local (the default) or UTC, switched with `u` or the status bar. The zone is
// named once, in the status bar; every time shown carries the other zone in its hover title.

const KEY = "warroom.time-zone";
let utc = localStorage.getItem(KEY) === "utc";
const listeners: (() => void)[] = [];

/** Whether times are shown in UTC (else local time). */
export function inUtc(): boolean {
  return utc;
}

/** Switches between local time and UTC; everything that shows a time redraws. */
export function switchZone(): void {
  utc = !utc;
  localStorage.setItem(KEY, utc ? "utc" : "local");
  for (const l of listeners) l();
}

export function onZoneChange(listener: () => void): void {
  listeners.push(listener);
}

/** The zone, named: "local time (UTC+09:00)" or "UTC". */
export function zoneName(): string {
  if (utc) return "UTC";
  const minutes = -new Date().getTimezoneOffset();
  const sign = minutes >= 0 ? "+" : "−";
  const h = String(Math.floor(Math.abs(minutes) / 60)).padStart(2, "0");
  const m = String(Math.abs(minutes) % 60).padStart(2, "0");
  return `local time (UTC${sign}${h}:${m})`;
}

function parts(d: Date): { date: string; time: string } {
  const pad = (n: number) => String(n).padStart(2, "0");
  if (utc) {
    return {
      date: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
      time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
    };
  }
  return {
    date: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    time: `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`,
  };
}

/** An instant as every part of the window shows it: "03:12:40", or "2026-11-29 03:12:40" when
 *  it is not today (in the chosen zone). */
export function clock(iso: string | number): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "?";
  const then = parts(d);
  return then.date === parts(new Date()).date ? then.time : `${then.date} ${then.time}`;
}

/** The same instant in the other zone, for a hover title. */
export function otherZone(iso: string | number): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  utc = !utc;
  const other = parts(d);
  utc = !utc;
  return `${other.date} ${other.time} ${utc ? zoneNameLocal() : "UTC"}`;
}

function zoneNameLocal(): string {
  utc = false;
  const name = zoneName();
  utc = true;
  return name;
}
