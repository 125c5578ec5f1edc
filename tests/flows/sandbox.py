#!/usr/bin/python3
# sipgw tests: run a program under the seccomp part of dist/sipgw.service.in's
# sandbox, as systemd would set it up (no systemd is PID 1 here):
# SystemCallFilter= (groups expanded by systemd-analyze syscall-filter) with
# SystemCallErrorNumber=, RestrictAddressFamilies= and MemoryDenyWriteExecute=,
# on the native architecture only (SystemCallArchitectures=native), with
# NoNewPrivileges. Built with libseccomp (python3-seccomp), loaded, then exec.
#
#   sandbox.py UNIT -- PROGRAM ARGS...
# SPDX-License-Identifier: GPL-2.0-only
import errno
import os
import re
import socket
import subprocess
import sys

import seccomp

PROT_WRITE, PROT_EXEC = 0x2, 0x4
SHM_EXEC = 0o100000


def unit_settings(path):
    """{key: [values]} of the [Service] section (a key given twice keeps both)."""
    out = {}
    for ln in open(path):
        ln = ln.strip()
        if not ln or ln.startswith("#") or "=" not in ln:
            continue
        k, v = ln.split("=", 1)
        out.setdefault(k, []).append(v)
    return out


def syscall_groups():
    """{"@group": [names and @groups]} as systemd 252 defines them."""
    r = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True, check=True)
    groups, cur = {}, None
    for ln in r.stdout.splitlines():
        if ln.startswith("@"):
            cur = ln.strip()
            groups[cur] = []
        elif cur and ln.strip() and not ln.strip().startswith("#"):
            groups[cur].append(ln.strip())
    return groups


def expand(names, groups, seen=None):
    seen = set() if seen is None else seen
    out = set()
    for n in names:
        if n.startswith("@"):
            if n in seen:
                continue
            seen.add(n)
            out |= expand(groups.get(n, []), groups, seen)
        else:
            out.add(n)
    return out


def build(unit):
    s = unit_settings(unit)
    allow = expand(" ".join(s.get("SystemCallFilter", [])).split(), syscall_groups())
    err = getattr(errno, s.get("SystemCallErrorNumber", ["EPERM"])[-1])
    f = seccomp.SyscallFilter(defaction=seccomp.ERRNO(err))
    special = {"socket", "mmap", "mprotect", "pkey_mprotect", "shmat"}
    for name in sorted(allow - special):
        try:
            f.add_rule(seccomp.ALLOW, name)
        except (RuntimeError, ValueError, OSError):
            pass        # a name this architecture has no such call for
    # RestrictAddressFamilies=: socket() only for these families
    fams = " ".join(s.get("RestrictAddressFamilies", [])).split()
    for fam in fams or ["AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET"]:
        f.add_rule(seccomp.ALLOW, "socket", seccomp.Arg(0, seccomp.EQ, getattr(socket, fam)))
    mdwe = s.get("MemoryDenyWriteExecute", ["no"])[-1] == "yes"
    if mdwe:
        # no mapping both writable and executable, nothing made executable later
        for val in (0, PROT_WRITE, PROT_EXEC):
            f.add_rule(seccomp.ALLOW, "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_WRITE | PROT_EXEC, val))
        for name in ("mprotect", "pkey_mprotect"):
            if name in allow:
                f.add_rule(seccomp.ALLOW, name, seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, 0))
        if "shmat" in allow:
            f.add_rule(seccomp.ALLOW, "shmat", seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, 0))
    else:
        for name in special - {"socket"}:
            if name in allow:
                f.add_rule(seccomp.ALLOW, name)
    return f, len(allow)


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print("usage: sandbox.py UNIT -- PROGRAM ARGS...", file=sys.stderr)
        return 2
    f, n = build(sys.argv[1])
    print("sandbox: %d system calls allowed (%s)" % (n, os.path.basename(sys.argv[1])), file=sys.stderr, flush=True)
    f.load()
    os.execv(sys.argv[3], sys.argv[3:])


if __name__ == "__main__":
    sys.exit(main())
