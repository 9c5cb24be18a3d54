#!/usr/bin/env bash
# The window's cost at rest, measured from /proc: the app and its WebKit processes together, as a
# share of one core, over a fixed span (60 s by default) after a warm-up. Two cases:
#   live  no drill, one live source (a real Prometheus on 127.0.0.1) polled every 15 s
#   drill the built-in drill at ×4, no sources
# Run by `make bench-idle` under Xvfb; prints one line per case. A benchmark, not a test: the
# figures go into issue notes (targets: live < 1 %, drill < 5 %).
set -euo pipefail

APP=${APP:-target/debug/warroom-desktop}
SPAN=${SPAN:-60}
WARMUP=${WARMUP:-15}
CASES=${CASES:-"live drill"}
TICK=$(getconf CLK_TCK)
here=$(dirname "$0")
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; sleep 0.5; rm -rf "$work"' EXIT

[ -x "$APP" ] || { echo "$APP is missing: cargo build first" >&2; exit 1; }
[ -n "${DISPLAY:-}" ] || { echo "no DISPLAY: run under xvfb-run (make bench-idle does)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

measure() {
  local name=$1; shift
  env "$@" WARROOM_DB="$work/$name.db" "$APP" >"$work/$name.log" 2>&1 &
  local pid=$!
  sleep "$WARMUP"
  kill -0 "$pid" 2>/dev/null || { echo "$name: the app exited; see its log:" >&2; cat "$work/$name.log" >&2; exit 1; }
  local before after procs
  read -r before procs < <(python3 "$here/proc_tree.py" ticks "$pid" ${DETAIL:+detail})
  sleep "$SPAN"
  read -r after procs < <(python3 "$here/proc_tree.py" ticks "$pid" ${DETAIL:+detail})
  awk -v n="$name" -v d=$((after - before)) -v t="$TICK" -v s="$SPAN" -v p="$procs" \
    'BEGIN { printf "%-6s %5.2f %% of a core over %d s (app + %d WebKit/helper processes)\n", n, 100 * d / t / s, s, p - 1 }'
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}

for case in $CASES; do
  case $case in
    live)
      port=$(free_port)
      mkdir -p "$work/prom"
      printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' > "$work/prom.yml"
      prometheus --config.file="$work/prom.yml" --storage.tsdb.path="$work/prom" \
        --web.listen-address=127.0.0.1:$port >"$work/prom.log" 2>&1 &
      for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break; sleep 0.1; done
      cat > "$work/warroom.toml" <<TOML
[topology]
file = "$PWD/assets/topology/reference.toml"
[[source]]
name = "prom"
kind = "prometheus"
url = "http://127.0.0.1:$port"
interval_secs = 15
[[signal]]
metric = "http_5xx_ratio"
source = "prom"
query = 'max by (service) (up)'
label = "service"
TOML
      measure live WARROOM_DRILL=off WARROOM_CONFIG="$work/warroom.toml"
      ;;
    drill)
      measure drill WARROOM_DRILL=db-pool-exhaustion WARROOM_DRILL_SPEED=4
      ;;
    *) echo "unknown case $case (live, drill)" >&2; exit 1 ;;
  esac
done
