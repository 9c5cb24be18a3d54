#!/usr/bin/env bash
# The window through a long night (issue 17): the app on the built-in drills looping at ×60
# (WARROOM_DRILL_LOOP: when one ends the next starts; an hour is two and a half days of incident),
# its memory and that of its WebKit processes sampled from /proc every INTERVAL seconds. Prints
# one line per sample (seconds, the app's memory, WebKit's, their sum, in MB: private memory, the
# pages only that process holds, so that other programs' WebKit sharing libraries with it do not
# move the figures as PSS does) and, at the end, the growth after the first WARMUP seconds. A benchmark, not a test:
# the figures go into the issue's notes (aim: under 5 % growth after the first ten minutes).
#
#   xvfb-run -a -s "-screen 0 1366x768x24" benches/soak.sh        # or: make bench-soak
#   DURATION=600 INTERVAL=10 benches/soak.sh                        # a shorter look
#   RECORD=1 benches/soak.sh     # the drills recorded on an incident, as in a real night: the
#                                # timeline, checks and kept state grow with it
set -euo pipefail

APP=${APP:-target/debug/warroom-desktop}
CLI=${CLI:-$(dirname "$APP")/warroom}
DURATION=${DURATION:-3600}
INTERVAL=${INTERVAL:-30}
WARMUP=${WARMUP:-600}
SPEED=${SPEED:-60}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; sleep 0.5; rm -rf "$work"' EXIT

[ -x "$APP" ] || { echo "$APP is missing: cargo build first" >&2; exit 1; }
[ -n "${DISPLAY:-}" ] || { echo "no DISPLAY: run under xvfb-run" >&2; exit 1; }

# The app's and its descendants' memory, in kB: "app webkit" (private pages, from smaps_rollup:
# Private_Clean + Private_Dirty; RSS where the kernel gives no rollup).
tree_memory() {
  python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1])
parent = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        raw = open(f"/proc/{pid}/stat").read()
    except OSError:
        continue
    parent[int(pid)] = int(raw[raw.rindex(")") + 2:].split()[1])
tree, grew = {root}, True
while grew:
    grew = False
    for pid, ppid in parent.items():
        if ppid in tree and pid not in tree:
            tree.add(pid); grew = True
def memory(pid):
    try:
        fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/smaps_rollup") if ":" in line)
        return sum(int(fields[k].split()[0]) for k in ("Private_Clean", "Private_Dirty"))
    except (OSError, KeyError, ValueError):
        pass
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
app = memory(root)
others = sum(memory(p) for p in tree if p != root)
print(app, others)
PY
}

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
  read -r app webkit < <(tree_memory "$pid")
  total=$((app + webkit))
  awk -v t="$now" -v a="$app" -v w="$webkit" 'BEGIN { printf "%6d s  %7.1f  %7.1f  %7.1f\n", t, a/1024, w/1024, (a+w)/1024 }'
  if [ -z "$base" ] && [ "$now" -ge "$WARMUP" ]; then base=$total; fi
  last=$total
  [ "$now" -ge "$DURATION" ] && break
done
if [ -n "$record_on" ]; then
  echo "# the incident: $("$CLI" --db "$work/soak.db" timeline "$record_on" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)), "events")')"
fi
if [ -n "$base" ]; then
  awk -v b="$base" -v l="$last" -v w="$WARMUP" \
    'BEGIN { printf "# after the first %d s: %.1f MB -> %.1f MB, %+.1f %%\n", w, b/1024, l/1024, 100*(l-b)/b }'
fi
