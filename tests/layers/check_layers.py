#!/usr/bin/env python3
"""sipgw - the layering rules of DESIGN.md, checked on the tree's #include lines.

  core/    includes nothing of ours but core/ (and not libpri);
  bridge/  includes nothing from q931/, sip/ or route/ (it carries calls,
           it does not know the protocols or where calls go);
  q931/, sip/  never include route/ (routing sits above both protocols);
  and no circle runs across folders (folder A includes B, B includes A,
  directly or through others).

Prints the folder graph; exits 1 naming every include that breaks a rule.
SPDX-License-Identifier: GPL-2.0-only
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SRC = os.path.join(ROOT, "src")
INC = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]')

# folder -> folders (or system headers) it must not include
FORBIDDEN = {
    "core": {"bridge", "q931", "sip", "route", "rtp", "dsp", "sim", "<libpri.h>"},
    "bridge": {"q931", "sip", "route"},
    "q931": {"route"},
    "sip": {"route"},
}
# folders whose graph must have no circle (the simulators are programs on
# top of everything, and hw/ is a back end the span module plugs in)
LAYERED = {"core", "dsp", "rtp", "bridge", "q931", "sip", "route"}


def scan():
    """(folder, file, line number, included folder or <system header>) for every include."""
    for folder in sorted(os.listdir(SRC)):
        path = os.path.join(SRC, folder)
        if not os.path.isdir(path):
            continue
        for name in sorted(os.listdir(path)):
            if not name.endswith((".c", ".h")):
                continue
            with open(os.path.join(path, name), encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    m = INC.match(line)
                    if not m:
                        continue
                    if m.group(1) == "<":
                        yield folder, f"{folder}/{name}", n, f"<{m.group(2)}>"
                    elif "/" in m.group(2):
                        yield folder, f"{folder}/{name}", n, m.group(2).split("/")[0]
                    else:
                        yield folder, f"{folder}/{name}", n, folder


def cycles(graph):
    """Every folder that lies on a circle, with one circle through it."""
    found = {}
    for start in graph:
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    found.setdefault(start, path + [start])
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
    return found


def main():
    bad = []
    graph = {}
    for folder, where, n, target in scan():
        if target in FORBIDDEN.get(folder, ()):
            bad.append(f"{where}:{n}: {folder}/ must not include {target}")
        if not target.startswith("<") and target != folder and folder in LAYERED and target in LAYERED:
            graph.setdefault(folder, set()).add(target)
    for folder in sorted(graph):
        print(f"  {folder:7} -> {', '.join(sorted(graph[folder]))}")
    for folder, path in sorted(cycles(graph).items()):
        bad.append(f"circle across folders: {' -> '.join(path)}")
    for b in bad:
        print(b, file=sys.stderr)
    print("layers: " + ("OK" if not bad else f"{len(bad)} problem(s)"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
