#!/usr/bin/env python3
# sipgw call-flow test runner: imports every tests/flows/flows_*.py (each
# registers its tests with @flow from flowlib.py), runs them, one line per
# test, and the programs' output of those that fail.
# SPDX-License-Identifier: GPL-2.0-only
import argparse
import glob
import importlib
import os
import shutil
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flowlib as fl  # noqa: E402
from flowlib import TESTS  # noqa: E402


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
    a = ap.parse_args()
    fl.BUILD = a.build
    fl.SPAN_TYPE = a.span_type
    passed = failed = skipped = 0
    print("flows on %s spans" % a.span_type, flush=True)
    for t in TESTS:
        if a.k and a.k not in t.__name__:
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
