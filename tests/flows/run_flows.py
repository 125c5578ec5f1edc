#!/usr/bin/env python3
# sipgw call-flow test runner: imports every tests/flows/flows_*.py (each
# registers its tests with @flow from flowlib.py), runs them, one line per
# test, and the programs' output of those that fail.
# SPDX-License-Identifier: GPL-2.0-only
import argparse
import glob
import importlib
import os
import re
import selectors
import shutil
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flowlib as fl  # noqa: E402
from flowlib import TESTS  # noqa: E402


def run_parallel(a, argv):
    """-j N: N runners, each taking every Nth test (--shard I/N), their output relayed one
    test's record at a time (a FAIL with the programs' output stays in one piece), the
    counts summed. Each test still runs alone in its runner; the flows are mostly waiting
    on real-time audio and timers, so two share a 2-core box without slowing each other."""
    procs, sel = [], selectors.DefaultSelector()
    for i in range(a.j):
        p = subprocess.Popen([sys.executable, os.path.abspath(__file__)] + argv + ["--shard", "%d/%d" % (i, a.j)],
                             stdout=subprocess.PIPE, text=True, bufsize=1)
        procs.append(p)
        sel.register(p.stdout, selectors.EVENT_READ, {"rec": [], "p": p})
    totals = [0, 0, 0]
    head = re.compile(r"^(PASS|FAIL|SKIP|flows)[: ]")
    open_n = len(procs)
    first = True
    while open_n:
        for key, _ in sel.select():
            st = key.data
            line = key.fileobj.readline()
            if not line or head.match(line):
                if st["rec"]:
                    sys.stdout.write("".join(st["rec"]))
                    sys.stdout.flush()
                st["rec"] = []
            if not line:
                sel.unregister(key.fileobj)
                open_n -= 1
                continue
            m = re.match(r"^flows: (\d+) passed, (\d+) failed, (\d+) skipped", line)
            if m:
                for k in range(3):
                    totals[k] += int(m.group(k + 1))
            elif line.startswith("flows on "):
                if first:
                    sys.stdout.write(line.rstrip("\n") + " (%d runners)\n" % a.j)
                first = False
            else:
                st["rec"].append(line)
    rcs = [p.wait() for p in procs]
    print("flows: %d passed, %d failed, %d skipped" % tuple(totals))
    return 1 if any(rcs) or totals[1] or not totals[0] else 0


def main():
    # Every test lives in a flows_*.py module named after its figures or
    # topic and registers with @flow on import; they run in file order.
    for path in sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "flows_*.py"))):
        importlib.import_module(os.path.basename(path)[:-3])
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", help="run only tests whose name contains this")
    ap.add_argument("--keep", action="store_true", help="keep temp dirs")
    ap.add_argument("--span-type", choices=("loopback", "dahdi"), default="loopback",
                    help="the spans the tests run on: loopback, or dahdi on the fake DAHDI")
    ap.add_argument("-j", type=int, default=1, help="run the tests in this many runners at once")
    ap.add_argument("--shard", help=argparse.SUPPRESS)	# I/N: this runner's share (-j)
    a = ap.parse_args()
    if a.j > 1 and not a.shard:
        argv = ["--build", a.build, "--span-type", a.span_type] + (["-k", a.k] if a.k else []) + \
            (["--keep"] if a.keep else [])
        return run_parallel(a, argv)
    shard = tuple(int(x) for x in a.shard.split("/")) if a.shard else (0, 1)
    fl.BUILD = a.build
    fl.SPAN_TYPE = a.span_type
    passed = failed = skipped = 0
    print("flows on %s spans" % a.span_type, flush=True)
    picked = [t for t in TESTS if not a.k or a.k in t.__name__]
    for n, t in enumerate(picked):
        if n % shard[1] != shard[0]:
            continue
        if a.span_type != "loopback" and getattr(t, "no_pri", False):
            skipped += 1
            print("SKIP %-32s        no PRI party in it: runs on loopback spans only" % t.__name__, flush=True)
            continue
        if a.span_type != "loopback" and getattr(t, "dsp_only", False):
            skipped += 1
            print("SKIP %-32s        DSP on the frames only: runs on loopback spans only" % t.__name__, flush=True)
            continue
        tb = fl.Testbed(t.__name__)
        t0 = time.monotonic()
        try:
            t(tb)
            tb.close()
            tb.check_cdr()      # every flow is a CDR test: one row per call, the right cause
            ok, why = True, ""
        except fl.FlowSkip as e:
            tb.close()
            shutil.rmtree(tb.dir, ignore_errors=True)
            skipped += 1
            print("SKIP %-32s        %s" % (t.__name__, e), flush=True)
            continue
        except Exception as e:  # a test's failure, reported with the programs' output
            ok, why = False, "".join(traceback.format_exception_only(type(e), e)).strip()
        finally:
            tb.close()
        dt = time.monotonic() - t0
        if ok:
            passed += 1
            print("PASS %-32s %5.1fs  %s" % (t.__name__, dt, t.__doc__.strip().splitlines()[0]), flush=True)
            if not a.keep:
                shutil.rmtree(tb.dir, ignore_errors=True)
        else:
            failed += 1
            print("FAIL %-32s %5.1fs  %s\n  %s\n%s" % (t.__name__, dt, t.__doc__.strip(), why,
                                                     tb.dump()), flush=True)
    print("flows: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
