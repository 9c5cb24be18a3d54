#!/usr/bin/env bash
# The window through a long night (issue 17): the app on the built-in drills looping at ×60
# (WARROOM_DRILL_LOOP: when one ends the next starts; an hour is two and a half days of incident),
# its memory and that of its WebKit processes sampled from /proc every INTERVAL seconds. Prints
# one line per sample (seconds, the app's memory, WebKit's, their sum, in MB: the pages only that
# process maps and has written, see proc_tree.py) and, at the end, the growth after the first
# WARMUP seconds, from sample to sample and from the medians of the first and last WINDOW
# seconds. A benchmark, not a test: the figures go into the issue's notes (aim: under 5 % growth
# after the first ten minutes).
#
#   xvfb-run -a -s "-screen 0 1366x768x24" benches/soak.sh        # or: make bench-soak
#   DURATION=600 INTERVAL=10 benches/soak.sh                        # a shorter look
#   RECORD=1 benches/soak.sh     # the drills recorded on an incident, as in a real night: the
#                                # timeline, checks and kept state grow with it
#   WARROOM_WEB_MEMORY=keep benches/soak.sh   # WebKit's own memory defaults, to compare
#                                # (src-tauri/memory.rs, release_web_memory)
#   WEBKIT_INSPECTOR_HTTP_SERVER=127.0.0.1:9310 benches/soak.sh   # and meanwhile
#   python3 benches/inspect.py 9310 heap        # the page's JS heap (one port per soak)
set -euo pipefail

APP=${APP:-target/debug/warroom-desktop}
CLI=${CLI:-$(dirname "$APP")/warroom}
DURATION=${DURATION:-3600}
INTERVAL=${INTERVAL:-30}
WARMUP=${WARMUP:-600}
SPEED=${SPEED:-60}
WINDOW=${WINDOW:-300}
here=$(dirname "$0")
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; sleep 0.5; rm -rf "$work"' EXIT

[ -x "$APP" ] || { echo "$APP is missing: cargo build first" >&2; exit 1; }
[ -n "${DISPLAY:-}" ] || { echo "no DISPLAY: run under xvfb-run" >&2; exit 1; }

record_on=""
if [ "${RECORD:-0}" = 1 ]; then
  [ -x "$CLI" ] || { echo "$CLI is missing: cargo build first" >&2; exit 1; }
  record_on=$("$CLI" --db "$work/soak.db" incident declare --title "soak: drills through the night" --severity sev3)
fi
WARROOM_DB="$work/soak.db" WARROOM_DRILL_LOOP=1 WARROOM_DRILL_SPEED="$SPEED" WARROOM_DRILL_RECORD_ON="$record_on" \
  XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache" \
  "$APP" >"$work/app.log" 2>&1 &
pid=$!
echo "# soak: $APP, drills looping at x$SPEED${record_on:+, recorded on incident $record_on}, $DURATION s, a sample every $INTERVAL s (MB: app webkit total)"
start=$(date +%s)
base=""
last=""
while :; do
  sleep "$INTERVAL"
  kill -0 "$pid" 2>/dev/null || { echo "the app exited; its log:" >&2; cat "$work/app.log" >&2; exit 1; }
  now=$(( $(date +%s) - start ))
  read -r app webkit < <(python3 "$here/proc_tree.py" memory "$pid")
  total=$((app + webkit))
  awk -v t="$now" -v a="$app" -v w="$webkit" 'BEGIN { printf "%6d s  %7.1f  %7.1f  %7.1f\n", t, a/1024, w/1024, (a+w)/1024 }'
  if [ -z "$base" ] && [ "$now" -ge "$WARMUP" ]; then base=$total; fi
  [ -n "$base" ] && echo "$now $total" >>"$work/after-warmup"
  last=$total
  [ "$now" -ge "$DURATION" ] && break
done
# A web process that died and was started again (lib.rs reloads the page) starts from nothing:
# the figures after it are not the same window's.
ended=$(grep -c "web process ended" "$work/app.log" || true)
echo "# the window's web process ended $ended time(s)"
grep "web process ended" "$work/app.log" | sed 's/\x1b\[[0-9;]*m//g; s/^/#   /' || true
if [ -n "$record_on" ]; then
  echo "# the incident: $("$CLI" --db "$work/soak.db" timeline "$record_on" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)), "events")')"
fi
if [ -n "$base" ]; then
  awk -v b="$base" -v l="$last" -v w="$WARMUP" \
    'BEGIN { printf "# after the first %d s: %.1f MB -> %.1f MB, %+.1f %%\n", w, b/1024, l/1024, 100*(l-b)/b }'
  # WebKit's memory swings by tens of MB between its collections: two samples say little. The
  # medians (and highest) of the first and the last WINDOW seconds after the warm-up say more.
  python3 - "$work/after-warmup" "$WINDOW" <<'PY'
import statistics, sys
samples = [tuple(map(int, line.split())) for line in open(sys.argv[1])]
window = int(sys.argv[2])
first_t, last_t = samples[0][0], samples[-1][0]
first = [m for t, m in samples if t < first_t + window]
last = [m for t, m in samples if t > last_t - window]
a, b = statistics.median(first), statistics.median(last)
print(f"# medians of the first and last {window} s after it: {a/1024:.1f} MB -> {b/1024:.1f} MB, "
      f"{100*(b-a)/a:+.1f} %; highest {max(first)/1024:.1f} -> {max(last)/1024:.1f} MB")
PY
fi
