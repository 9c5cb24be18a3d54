#!/usr/bin/env bash
# The .deb as a user gets it (issue 16): unpacked with dpkg-deb -x, not installed, and checked for
# what an install needs (the window, the `warroom` CLI in /usr/bin, the desktop entry, the icon,
# the dependencies apt must pull). Then the packaged CLI runs from the unpacked tree on a fresh
# log; the packaged window and CLI are driven by two end-to-end tests (tests/e2e.rs, through
# WebDriver under Xvfb) with WARROOM_E2E_BIN pointing at the unpacked usr/bin.
#
#   tests/package.sh path/to/warroom_0.1.0_amd64.deb
set -euo pipefail

deb=${1:?usage: tests/package.sh DEB}
[ -f "$deb" ] || { echo "no package at $deb: run make package first"; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

fail() { echo "package check: $*" >&2; exit 1; }

dpkg-deb -x "$deb" "$root/pkg"
control=$(dpkg-deb -f "$deb")
echo "$control" | grep -q '^Package: warroom$' || fail "the package is not named warroom: $control"
echo "$control" | grep -q '^Depends:.*libwebkit2gtk-4.1-0' || fail "Depends does not name WebKitGTK: $control"

bin=$root/pkg/usr/bin
[ -x "$bin/warroom-desktop" ] || fail "no window binary at /usr/bin/warroom-desktop"
[ -x "$bin/warroom" ] || fail "no CLI at /usr/bin/warroom"

entry=$root/pkg/usr/share/applications/warroom.desktop
[ -f "$entry" ] || fail "no desktop entry at /usr/share/applications/warroom.desktop"
grep -q '^Exec=warroom-desktop' "$entry" || fail "the desktop entry does not start warroom-desktop: $(cat "$entry")"
grep -q '^Name=warroom$' "$entry" || fail "the desktop entry is not named warroom: $(cat "$entry")"
icon=$(sed -n 's/^Icon=//p' "$entry")
[ -n "$icon" ] || fail "the desktop entry names no icon: $(cat "$entry")"
icons=$(find "$root/pkg/usr/share/icons" -name "$icon.png" | wc -l)
[ "$icons" -ge 1 ] || fail "no $icon.png under /usr/share/icons for the desktop entry's Icon=$icon"

# The packaged CLI, from the unpacked tree, with nothing of the source tree around it, in a home
# of its own (where the log goes by default).
cd "$root"
mkdir -p "$root/home"
warroom() { HOME=$root/home WARROOM_USER=package "$bin/warroom" "$@"; }
warroom --version | grep -q '^warroom ' || fail "warroom --version"
id=$(warroom incident declare --title "Packaged checkout outage" --severity SEV2 --commander Mina)
warroom incident note "$id" "from the packaged CLI" >/dev/null
events=$(warroom timeline "$id" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$events" = 2 ] || fail "the packaged CLI recorded $events events, expected 2"
[ -f "$root/home/.local/share/warroom/warroom.db" ] || fail "the log is not in ~/.local/share/warroom"
warroom drill list | grep -q '^db-pool-exhaustion ' || fail "the packaged CLI does not know the built-in drills"
echo "package check: $(basename "$deb"): layout, desktop entry, icon and the packaged CLI are right"

# The packaged window and CLI through WebDriver.
cd - >/dev/null
WARROOM_E2E_BIN=$bin cargo test --test e2e -- --exact \
  declare_stage_and_note_in_the_window_then_the_cli_reads_the_same_log \
  a_drill_breaks_the_graph_and_records_on_the_incident
