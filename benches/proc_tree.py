#!/usr/bin/env python3
"""A process and its descendants, read from /proc alone (no procps or psmisc needed), for the
benchmark scripts (benches/idle.sh, benches/soak.sh).

  proc_tree.py ticks PID [detail]   utime + stime in clock ticks of the tree, then how many
                                    processes that was ("detail": each one on stderr)
  proc_tree.py memory PID           "app webkit": the memory the root holds and that its
                                    descendants hold, in kB: the pages only that process
                                    maps and has written (Private_Dirty + Swap from
                                    smaps_rollup; RSS where the kernel gives no rollup)

Not RSS or PSS: other programs' WebKit sharing libraries with it would move the figures. Not
Private_Clean either: those are pages of files (the app's own binary) that the kernel drops and
reads again as it likes; in one soak the app's figure went from 78 to 39 MB with nothing freed.
"""
import os
import sys


def processes():
    """pid -> (parent pid, utime + stime) of every process alive now."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            raw = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        found[int(pid)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return found


def tree(root, found):
    members, grew = {root}, True
    while grew:
        grew = False
        for pid, (ppid, _) in found.items():
            if ppid in members and pid not in members:
                members.add(pid)
                grew = True
    return {p for p in members if p in found}


def private_kb(pid):
    try:
        fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/smaps_rollup") if ":" in line)
        return sum(int(fields[k].split()[0]) for k in ("Private_Dirty", "Swap"))
    except (OSError, KeyError, ValueError):
        pass
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    what, root = sys.argv[1], int(sys.argv[2])
    found = processes()
    members = tree(root, found)
    if what == "ticks":
        if len(sys.argv) > 3:
            for p in sorted(members):
                try:
                    name = open(f"/proc/{p}/comm").read().strip()
                except OSError:
                    name = "(gone)"
                print(f"{p} {name} {found[p][1]}", file=sys.stderr)
        print(sum(found[p][1] for p in members), len(members))
    elif what == "memory":
        print(private_kb(root), sum(private_kb(p) for p in members if p != root))
    else:
        sys.exit(f"proc_tree.py: unknown question {what!r} (ticks or memory)")


main()
