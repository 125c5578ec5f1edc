#!/usr/bin/env python3
"""sipgw - packaging tests (make test-package): what an admin installing the
gateway would check.

  make install   lays out the tree under PREFIX and DESTDIR, keeps a config
                 that is there; the unit names the installed paths
  man pages      render without a warning; sipgw.conf(5) has every key of
                 the config tables (and no key they lack), sipgw(8) every
                 option of sipgw -h, sipgwctl(8) every option of sipgwctl -h
  systemd unit   systemd-analyze verify; its exposure figure printed
  make deb       builds; lintian says no error; the package's files,
                 conffiles and dependencies
  clean root     a Debian root made from the archive (mmdebstrap) with only
                 the package's dependencies: dpkg -i runs the postinst (user
                 sipgw, group dialout, modes, unit enabled), sipgw -t and a
                 live gateway run there as user sipgw (READY=1, sipgwctl by
                 group), logrotate rotates a CDR export, an upgrade keeps the
                 admin's config, remove and purge leave what they should

Each step is timed; the last line is "package: N passed, N failed, N skipped".
SPDX-License-Identifier: GPL-2.0-only
"""
import argparse
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TESTS = []
STATE = {}          # what one step leaves the next (the .deb, the clean root)


class Fail(AssertionError):
    pass


class Skip(Exception):
    pass


def test(fn):
    TESTS.append(fn)
    return fn


def run(argv, check=True, **kw):
    """argv's (rc, stdout, stderr); a Fail with its output when check and rc != 0."""
    kw.setdefault("timeout", 600)
    r = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, **kw)
    if check and r.returncode != 0:
        raise Fail("%s: exit %d\n%s%s" % (" ".join(argv), r.returncode, r.stdout[-3000:], r.stderr[-3000:]))
    return r.returncode, r.stdout, r.stderr


def need(prog):
    if not shutil.which(prog):
        raise Skip("%s is not installed (make deps installs it)" % prog)


def make(*args, **kw):
    return run(["make", "-C", SRC, "--no-print-directory", "BUILD=" + STATE["build"]] + list(args), **kw)


def tmpdir(name):
    d = tempfile.mkdtemp(prefix="sipgw-pkg-%s-" % name)
    STATE.setdefault("tmp", []).append(d)
    return d


def mode(path):
    return os.stat(path).st_mode & 0o7777


# ---- make install ----

INSTALLED = {   # path under DESTDIR with PREFIX=/usr -> mode
    "usr/bin/sipgw": 0o755, "usr/bin/sipgwctl": 0o755,
    "usr/lib/sipgw/sipgw-pbx": 0o755, "usr/lib/sipgw/sipgw-phone": 0o755,
    "usr/lib/sipgw/sipgw-faxtiff": 0o755,
    "usr/share/man/man8/sipgw.8": 0o644, "usr/share/man/man8/sipgwctl.8": 0o644,
    "usr/share/man/man5/sipgw.conf.5": 0o644,
    "usr/share/doc/sipgw/README.md": 0o644,
    "usr/share/doc/sipgw/examples/sipgw.conf": 0o644,
    "usr/share/doc/sipgw/examples/sipgw-dahdi.conf": 0o644,
    "usr/share/doc/sipgw/examples/dahdi-system.conf": 0o644,
    "usr/share/doc/sipgw/examples/kamailio-sipgw.cfg": 0o644,
    "usr/share/doc/sipgw/examples/kamailio-dispatcher.cfg": 0o644,
    "usr/share/doc/sipgw/examples/kamailio-dispatcher.list": 0o644,
    "etc/sipgw/sipgw.conf": 0o640,
    "etc/logrotate.d/sipgw": 0o644,
    "usr/lib/systemd/system/sipgw.service": 0o644,
    "usr/lib/sysusers.d/sipgw.conf": 0o644,
    "usr/lib/tmpfiles.d/sipgw.conf": 0o644,
}


def check_installed_conf(path):
    """The installed config: no /tmp path (PrivateTmp would hide it from everyone), the
    service's directories instead, the control socket for group sipgw."""
    txt = open(path).read()
    live = "\n".join(ln.split("#", 1)[0] for ln in txt.splitlines())
    if "/tmp/" in live:
        raise Fail("%s names /tmp: %r" % (path, [ln for ln in live.splitlines() if "/tmp/" in ln]))
    for want in ('socket = "/run/sipgw/sipgw.ctl";', 'group = "sipgw";', 'path = "/run/sipgw/pbx-a";',
                 'database = "/var/lib/sipgw/registrar.db";'):
        if want not in live:
            raise Fail("%s lacks %s" % (path, want))


@test
def install_layout_prefix_usr():
    """make install DESTDIR=D PREFIX=/usr lays out the programs, the simulators off PATH in
    /usr/lib/sipgw, man pages, docs and examples, the config 0640 with the service's paths,
    the unit naming /usr/bin/sipgw, logrotate, sysusers and tmpfiles files; nothing else;
    make uninstall takes it all back but the config."""
    d = tmpdir("inst")
    make("install", "DESTDIR=" + d, "PREFIX=/usr")
    got = {}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            got[os.path.relpath(p, d)] = mode(p)
    if got != INSTALLED:
        missing = sorted(set(INSTALLED) - set(got))
        extra = sorted(set(got) - set(INSTALLED))
        modes = sorted("%s %o (want %o)" % (k, got[k], v) for k, v in INSTALLED.items()
                       if k in got and got[k] != v)
        raise Fail("installed tree differs: missing %r, extra %r, modes %r" % (missing, extra, modes))
    unit = open(os.path.join(d, "usr/lib/systemd/system/sipgw.service")).read()
    for want in ("ExecStart=/usr/bin/sipgw -c /etc/sipgw/sipgw.conf\n",
                 "ExecStartPre=/usr/bin/sipgw -t -c /etc/sipgw/sipgw.conf\n", "Type=notify\n"):
        if want not in unit:
            raise Fail("the unit lacks %r" % want)
    if re.search(r"@[A-Z]+@", unit):
        raise Fail("the unit has a placeholder left: %r" % re.findall(r".*@[A-Z]+@.*", unit))
    check_installed_conf(os.path.join(d, "etc/sipgw/sipgw.conf"))
    # make uninstall takes all of it back but the operator's config
    make("uninstall", "DESTDIR=" + d, "PREFIX=/usr")
    left = sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)
    if left != ["etc/sipgw/sipgw.conf"]:
        raise Fail("after make uninstall: %r (want the config alone)" % left)


@test
def install_default_prefix_keeps_config():
    """make install with the default PREFIX puts the programs in /usr/local/bin and the unit
    (in /usr/local/lib/systemd/system, where systemd looks) says so; the config still goes to
    /etc/sipgw, the sysusers and tmpfiles files to /etc (systemd reads no /usr/local/lib for
    them); a second make install over a config the admin changed keeps it, and says so."""
    d = tmpdir("local")
    make("install", "DESTDIR=" + d)
    for f in ("usr/local/bin/sipgw", "usr/local/bin/sipgwctl", "etc/sysusers.d/sipgw.conf", "etc/tmpfiles.d/sipgw.conf"):
        if not os.path.exists(os.path.join(d, f)):
            raise Fail("no %s under the default PREFIX" % f)
    unit = open(os.path.join(d, "usr/local/lib/systemd/system/sipgw.service")).read()
    if "ExecStart=/usr/local/bin/sipgw -c /etc/sipgw/sipgw.conf\n" not in unit:
        raise Fail("the unit under PREFIX=/usr/local: %r" % [ln for ln in unit.splitlines() if "Exec" in ln])
    conf = os.path.join(d, "etc/sipgw/sipgw.conf")
    with open(conf, "a") as f:
        f.write("# the admin's change\n")
    _, out, _ = make("install", "DESTDIR=" + d)
    if not open(conf).read().endswith("# the admin's change\n"):
        raise Fail("a second make install overwrote the admin's config")
    if "sipgw.conf exists: kept" not in out:
        raise Fail("make install did not say it kept the config: %r" % out[-500:])


# ---- man pages ----

def man_warnings(page):
    env = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
    rc, out, err = run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", page], check=False, env=env)
    return rc, err


@test
def man_pages_render_without_warnings():
    """man -l renders sipgw(8), sipgwctl(8) and sipgw.conf(5) with groff's warnings on and
    prints none."""
    need("man")
    for page in ("man/sipgw.8", "man/sipgwctl.8", "man/sipgw.conf.5"):
        rc, err = man_warnings(os.path.join(SRC, page))
        if rc != 0 or err.strip():
            raise Fail("%s: rc %d, warnings:\n%s" % (page, rc, err))


def table_keys():
    """{key} of every opt table in src/core/config*.c ({ "name", OPT_... } rows and
    O_STR(struct, field, ...)), the sections config_load and config_ops know, and the
    keys read by hand (trunk groups, lists inside groups)."""
    keys, sections = set(), set()
    for path in glob.glob(os.path.join(SRC, "src/core/config*.c")):
        txt = open(path).read()
        keys |= set(re.findall(r'\{\s*"([A-Za-z0-9_-]+)",\s*OPT_', txt))
        keys |= set(re.findall(r"O_STR\(\s*struct\s+\w+\s*,\s*(\w+)\s*,", txt))
        m = re.search(r"top\[\]\s*=\s*\{([^}]*)\}", txt)
        if m:
            sections |= set(re.findall(r'"([a-z_]+)"', m.group(1)))
        m = re.search(r"groups\[\]\s*=\s*\{(.*?)\};", txt, re.S)
        if m:
            sections |= set(re.findall(r'\{\s*"([a-z_]+)",', m.group(1)))
        # keys a loader reads itself: strcmp(nm, "name") and skip lists
        keys |= set(re.findall(r'strcmp\(nm,\s*"([a-z_]+)"\)', txt))
        for lst in re.findall(r"(?:skip|dirs|dp_skip)\[\]\s*=\s*\{([^}]*)\}", txt):
            keys |= set(re.findall(r'"([a-z_]+)"', lst))
    return keys, sections


def page_keys(path):
    """{section: {key}} of sipgw.conf(5): the .TP (and .TQ) tags under each .SS."""
    out, sec = {}, None
    lines = open(path).read().splitlines()
    for i, ln in enumerate(lines):
        if ln.startswith(".SH"):
            sec = None
        elif ln.startswith(".SS "):
            sec = ln[4:].strip()
            out.setdefault(sec, set())
        elif sec and ln in (".TP", ".TQ") and i + 1 < len(lines):
            m = re.match(r"^\.B\s+(\S+)\s*$", lines[i + 1])
            if m:
                out[sec].add(m.group(1))
    return out


@test
def man_page_has_every_config_key():
    """sipgw.conf(5) has a section for every section the loader takes and an entry for every
    key of its tables, and no entry for a key they do not have: a key added to the code
    without the page (or left in the page after the code dropped it) fails here."""
    keys, sections = table_keys()
    if len(keys) < 100 or "control" not in sections:
        raise Fail("read only %d keys, sections %r from src/core/config*.c" % (len(keys), sorted(sections)))
    page = page_keys(os.path.join(SRC, "man/sipgw.conf.5"))
    documented = set().union(*page.values())
    problems = []
    for s in sorted(sections - set(page)):
        problems.append("section %s has no .SS" % s)
    for k in sorted(keys - documented):
        problems.append("key %s is not in the page" % k)
    for k in sorted(documented - keys):
        problems.append("the page documents %s, which no table has" % k)
    if problems:
        raise Fail("sipgw.conf(5) and src/core/config*.c differ:\n  " + "\n  ".join(problems))
    print("    %d keys in %d sections, each documented" % (len(keys), len(sections)))


def usage_options(prog):
    """The options (-c, --json) a program's -h prints."""
    _, out, err = run([os.path.join(SRC, STATE["build"], prog), "-h"], check=False)
    return sorted(set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", out + err)) - {"-"})


@test
def man_pages_have_every_option():
    """Every option sipgw -h and sipgwctl -h print is in their man page's SYNOPSIS or
    OPTIONS."""
    for prog, page in (("sipgw", "man/sipgw.8"), ("sipgwctl", "man/sipgwctl.8")):
        txt = open(os.path.join(SRC, page)).read().replace("\\-", "-")
        opts = usage_options(prog)
        if not opts:
            raise Fail("%s -h prints no option" % prog)
        missing = [o for o in opts if not re.search(r"(?<![\w-])" + re.escape(o) + r"(?![\w-])", txt)]
        if missing:
            raise Fail("%s lacks %r (from %s -h)" % (page, missing, prog))


# ---- the systemd unit ----

@test
def unit_verifies():
    """systemd-analyze verify takes the installed unit (its programs and man pages where it
    says), and its security exposure figure is printed (lower is tighter; OK under 4)."""
    need("systemd-analyze")
    d = tmpdir("unit")
    make("install", "PREFIX=" + d, "SYSCONFDIR=" + d + "/etc")
    unit = os.path.join(d, "lib/systemd/system/sipgw.service")
    env = dict(os.environ, MANPATH=os.path.join(d, "share/man"), SYSTEMD_LOG_LEVEL="notice")
    rc, out, err = run(["systemd-analyze", "verify", unit], check=False, env=env)
    if rc != 0 or (out + err).strip():
        raise Fail("systemd-analyze verify: rc %d\n%s%s" % (rc, out, err))
    rc, out, err = run(["systemd-analyze", "security", "--offline=yes", unit], check=False, env=env)
    m = re.search(r"Overall exposure level for sipgw.service: ([0-9.]+) (\w+)", out + err)
    if not m:
        raise Fail("systemd-analyze security said: %s%s" % (out[-800:], err[-800:]))
    print("    systemd-analyze security: exposure %s %s" % (m.group(1), m.group(2)))
    if float(m.group(1)) >= 4.0:
        raise Fail("exposure %s: the hardening is gone" % m.group(1))


@test
def kamailio_example_checks():
    """The Kamailio examples in front of sipgw (one gateway; the dispatcher over several) are
    configs Kamailio takes (kamailio -c)."""
    need("kamailio")
    for cfg in ("dist/kamailio-sipgw.cfg", "dist/kamailio-dispatcher.cfg"):
        rc, out, err = run(["kamailio", "-c", "-f", os.path.join(SRC, cfg)], check=False)
        if rc != 0 or "config file ok" not in (out + err).lower():
            raise Fail("kamailio -c %s: rc %d\n%s%s" % (cfg, rc, out[-1500:], err[-1500:]))


# ---- the Debian package ----

def deb_path():
    if "deb" not in STATE:
        raise Skip("no package (deb_builds did not pass)")
    return STATE["deb"]


@test
def deb_builds():
    """make deb builds the package with dpkg-buildpackage into build/deb (nothing beside the
    tree): the programs, the unit in /lib/systemd/system, the config and logrotate file as
    conffiles, the config 0640, dependencies on the libraries it links and adduser; lintian
    reports no error (its warnings are printed)."""
    need("dpkg-buildpackage")
    need("dh")
    before = set(os.listdir(os.path.dirname(SRC)))
    t0 = time.monotonic()
    make("deb")
    STATE["t_deb"] = time.monotonic() - t0
    debs = glob.glob(os.path.join(SRC, "build/deb/sipgw_*_amd64.deb")) + \
        glob.glob(os.path.join(SRC, "build/deb/sipgw_*_*.deb"))
    if not debs:
        raise Fail("no build/deb/sipgw_*.deb")
    deb = sorted(set(debs))[0]
    after = set(os.listdir(os.path.dirname(SRC)))
    stray = [f for f in after - before if f.startswith("sipgw")]
    if stray:
        raise Fail("make deb wrote beside the tree: %r" % stray)
    _, listing, _ = run(["dpkg-deb", "-c", deb])
    files = {}
    for ln in listing.splitlines():
        parts = ln.split()
        files[parts[5].lstrip(".")] = parts[0]
    for f in ("/usr/bin/sipgw", "/usr/bin/sipgwctl", "/usr/lib/sipgw/sipgw-pbx", "/lib/systemd/system/sipgw.service",
              "/etc/sipgw/sipgw.conf", "/etc/logrotate.d/sipgw", "/usr/share/man/man8/sipgw.8.gz",
              "/usr/share/man/man8/sipgwctl.8.gz", "/usr/share/man/man5/sipgw.conf.5.gz",
              "/usr/share/doc/sipgw/copyright", "/usr/lib/tmpfiles.d/sipgw.conf", "/var/lib/sipgw/",
              "/var/log/sipgw/"):
        if f not in files:
            raise Fail("the package lacks %s" % f)
    if files["/etc/sipgw/sipgw.conf"] != "-rw-r-----":
        raise Fail("the package's config is %s, want -rw-r-----" % files["/etc/sipgw/sipgw.conf"])
    ctl = tmpdir("ctl")
    run(["dpkg-deb", "-e", deb, ctl])
    conffiles = open(os.path.join(ctl, "conffiles")).read().split()
    if sorted(conffiles) != ["/etc/logrotate.d/sipgw", "/etc/sipgw/sipgw.conf"]:
        raise Fail("conffiles: %r" % conffiles)
    _, deps, _ = run(["dpkg-deb", "-f", deb, "Depends"])
    # procps: /bin/kill, the unit's ExecReload (SIGHUP)
    for lib in ("adduser", "procps", "libpri1.4", "libsofia-sip-ua0", "libspandsp2", "libsystemd0", "libsqlite3-0"):
        if not re.search(r"(^|, )%s( |,|$)" % re.escape(lib), deps.strip()):
            raise Fail("Depends lacks %s: %s" % (lib, deps))
    STATE["deb"] = deb
    print("    %s, %d KiB, built in %.1f s" % (os.path.basename(deb), os.path.getsize(deb) // 1024, STATE["t_deb"]))
    if shutil.which("lintian"):
        t0 = time.monotonic()
        _, out, err = run(["lintian", os.path.join(SRC, "build/deb/sipgw.changes")], check=False)
        tags = [ln for ln in (out + err).splitlines() if re.match(r"^[EWIP]: ", ln)]
        print("    lintian (%.1f s): %s" % (time.monotonic() - t0, "; ".join(tags) or "no tags"))
        errors = [t for t in tags if t.startswith("E: ")]
        if errors:
            raise Fail("lintian errors: %r" % errors)


# ---- a clean root ----

def chroot(*argv, user=None, check=True, **kw):
    root = STATE["root"]
    groups = ["--groups=" + user.split(":")[0] + ",sipgw"] if user and user.startswith("oper") else []
    cmd = ["chroot"] + (["--userspec=" + user] if user else []) + groups + [root] + list(argv)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}
    env.update(kw.pop("env", {}))
    return run(cmd, check=check, env=env, **kw)


def clean_root():
    if "root" not in STATE:
        raise Skip("no clean root (clean_root_install did not pass)")
    return STATE["root"]


def deps_of(deb):
    """The package's Depends as bare names (the first of alternatives, versions dropped)."""
    _, out, _ = run(["dpkg-deb", "-f", deb, "Depends"])
    return [re.sub(r"\s*\(.*?\)", "", d.split("|")[0]).strip() for d in out.split(",") if d.strip()]


@test
def clean_root_install():
    """The package installs into a clean Debian root (mmdebstrap from the archive, the
    package's dependencies only, and its Recommends logrotate): the postinst makes the
    system user sipgw (no login shell, home /var/lib/sipgw) in group dialout, gives it
    /var/lib/sipgw and /var/log/sipgw (0750), the config root:sipgw 0640, and enables the
    unit; sipgw -t takes the installed config, as root and as user sipgw."""
    deb = deb_path()
    need("mmdebstrap")
    root = os.path.join(tmpdir("root"), "root")
    # the host's downloaded packages, hard-linked (same file system) or none: apt fetches
    # what it lacks from the archive, and mmdebstrap empties the cache it was given
    hook = ('mkdir -p "$1"/var/cache/apt/archives && '
            '{ cp -al /var/cache/apt/archives/*.deb "$1"/var/cache/apt/archives/ 2>/dev/null || true; }')
    t0 = time.monotonic()
    argv = ["mmdebstrap", "--mode=root", "--variant=apt", "--include=" + ",".join(deps_of(deb) + ["logrotate"]),
            "--setup-hook=" + hook, "bookworm", root, "deb http://deb.debian.org/debian bookworm main"]
    # the archive's indexes come over the network: one retry for a flake of it
    rc, out, err = run(argv, check=False, timeout=900)
    if rc != 0:
        print("    mmdebstrap failed (%s); once more" % (err.strip().splitlines() or ["?"])[-1])
        shutil.rmtree(root, ignore_errors=True)
        run(argv, timeout=900)
    STATE["t_root"] = time.monotonic() - t0
    STATE["root"] = root
    shutil.copy(deb, os.path.join(root, "tmp"))
    t0 = time.monotonic()
    chroot("dpkg", "-i", "/tmp/" + os.path.basename(deb))
    STATE["t_install"] = time.monotonic() - t0
    print("    clean root %.1f s (mmdebstrap), dpkg -i %.2f s" % (STATE["t_root"], STATE["t_install"]))
    _, pw, _ = chroot("getent", "passwd", "sipgw")
    f = pw.strip().split(":")
    if int(f[2]) >= 1000 or f[5] != "/var/lib/sipgw" or not f[6].endswith("nologin"):
        raise Fail("user sipgw: %r (want a system uid, home /var/lib/sipgw, no login)" % pw)
    _, groups, _ = chroot("id", "-nG", "sipgw")
    if set(groups.split()) != {"sipgw", "dialout"}:
        raise Fail("sipgw's groups: %r (want sipgw dialout)" % groups)
    uid, gid = int(f[2]), int(f[3])
    for path, want_mode, want_uid in (("var/lib/sipgw", 0o750, uid), ("var/log/sipgw", 0o750, uid),
                                      ("etc/sipgw/sipgw.conf", 0o640, 0)):
        st = os.stat(os.path.join(root, path))
        if (st.st_mode & 0o7777, st.st_uid) != (want_mode, want_uid) or (path.startswith("etc") and st.st_gid != gid):
            raise Fail("/%s is %o %d:%d" % (path, st.st_mode & 0o7777, st.st_uid, st.st_gid))
    link = os.path.join(root, "etc/systemd/system/multi-user.target.wants/sipgw.service")
    if os.readlink(link) != "/lib/systemd/system/sipgw.service":
        raise Fail("the unit is not enabled: %s" % link)
    check_installed_conf(os.path.join(root, "etc/sipgw/sipgw.conf"))
    for user in (None, "sipgw:sipgw"):
        _, out, _ = chroot("sipgw", "-t", "-c", "/etc/sipgw/sipgw.conf", user=user)
        if not re.match(r"/etc/sipgw/sipgw.conf: OK \(1 span\(s\), 23 B-channel\(s\), \d+ dial-peer\(s\), registrar", out):
            raise Fail("sipgw -t as %s: %r" % (user or "root", out))


def umount_proc():
    if STATE.get("proc"):
        run(["umount", STATE.pop("proc")], check=False)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def set_conf_port(root, port):
    """The admin's change to the installed config: SIP on another port."""
    path = os.path.join(root, "etc/sipgw/sipgw.conf")
    txt = open(path).read()
    txt, n = re.subn(r"(?m)^(  port = )\d+;", r"\g<1>%d;" % port, txt, count=1)
    if n != 1:
        raise Fail("no sip port line in the installed config")
    with open(path, "w") as f:
        f.write(txt)


@test
def clean_root_runs_as_service_user():
    """In the clean root the installed gateway runs as user sipgw with the installed config
    (its /run/sipgw made as systemd's RuntimeDirectory would): READY=1 on NOTIFY_SOCKET,
    the control socket /run/sipgw/sipgw.ctl in group sipgw; sipgwctl -c the config answers
    root and a member of group sipgw, and refuses a user outside it."""
    root = clean_root()
    port = free_port()
    set_conf_port(root, port)
    STATE["port"] = port
    run_dir = os.path.join(root, "run/sipgw")
    os.makedirs(run_dir, exist_ok=True)
    _, pw, _ = chroot("getent", "passwd", "sipgw")
    uid, gid = int(pw.split(":")[2]), int(pw.split(":")[3])
    os.chown(run_dir, uid, gid)
    os.chmod(run_dir, 0o750)
    chroot("useradd", "-M", "-G", "sipgw", "oper")
    chroot("useradd", "-M", "stranger")
    notify_path = os.path.join(run_dir, "notify")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(notify_path)
    os.chown(notify_path, uid, gid)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "NOTIFY_SOCKET": "/run/sipgw/notify"}
    # sipgw reads /proc/self/fd (which sockets Sofia opened); systemd gives every
    # service a /proc, the chroot gets its own here
    run(["mount", "-t", "proc", "proc", os.path.join(root, "proc")])
    STATE["proc"] = os.path.join(root, "proc")
    log_path = os.path.join(tmpdir("live"), "sipgw.err")
    log = open(log_path, "w")
    p = subprocess.Popen(["chroot", "--userspec=sipgw:sipgw", root, "/usr/bin/sipgw", "-c", "/etc/sipgw/sipgw.conf"],
                         stdout=subprocess.DEVNULL, stderr=log, env=env)

    def said():
        return open(log_path).read()[-1500:]
    try:
        ns.settimeout(15)
        try:
            first = ns.recv(4096).decode()
        except socket.timeout:
            raise Fail("no READY=1 from the installed gateway within 15 s; it said:\n%s" % said())
        if not first.startswith("READY=1\nSTATUS=running: 1 span(s), SIP on 127.0.0.1 port %d" % port):
            raise Fail("first notification %r" % first)
        st = os.stat(os.path.join(run_dir, "sipgw.ctl"))
        if st.st_gid != gid or st.st_mode & 0o777 != 0o660:
            raise Fail("/run/sipgw/sipgw.ctl is %o gid %d" % (st.st_mode & 0o777, st.st_gid))
        # /run/sipgw is 0750 sipgw:sipgw: the group's members reach the socket, no one else
        # (a login gives oper its supplementary groups; chroot is told them)
        for user, argv, want in ((None, ["-c", "/etc/sipgw/sipgw.conf"], 0),
                                 ("oper:oper", ["-c", "/etc/sipgw/sipgw.conf"], 0),
                                 ("stranger:stranger", ["-s", "/run/sipgw/sipgw.ctl"], 1)):
            rc, out, err = chroot("sipgwctl", *argv, "show", "version", check=False, user=user)
            if rc != want or (want == 0 and "pid" not in out) or (want and "ermission denied" not in err):
                raise Fail("sipgwctl as %s: rc %d (want %d) %r %r" % (user or "root", rc, want, out, err))
        # nor may the stranger read the config (the registrar's passwords)
        rc, _, err = chroot("sipgwctl", "-c", "/etc/sipgw/sipgw.conf", "show", "version", check=False,
                            user="stranger:stranger")
        if rc == 0:
            raise Fail("a user outside group sipgw read the config and used the socket")
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        ns.close()
        os.unlink(notify_path)
        umount_proc()
    if p.returncode != 0:
        raise Fail("the installed gateway exited %d at SIGTERM: %s" % (p.returncode, said()))


@test
def clean_root_logrotate_copytruncates_csv():
    """logrotate with the installed file rotates a CDR CSV export in /var/log/sipgw by
    copytruncate: the rows move to cdr.csv.1, cdr.csv stays (emptied) for the next export."""
    root = clean_root()
    _, pw, _ = chroot("getent", "passwd", "sipgw")
    uid, gid = int(pw.split(":")[2]), int(pw.split(":")[3])
    csv = os.path.join(root, "var/log/sipgw/cdr.csv")
    with open(csv, "w") as f:
        f.write("call_id,calling,called\n1,5551000,2001\n")
    os.chown(csv, uid, gid)
    chroot("logrotate", "-f", "-s", "/tmp/logrotate.state", "/etc/logrotate.d/sipgw")
    if open(csv).read() != "" or "5551000" not in open(csv + ".1").read():
        raise Fail("after logrotate: cdr.csv %r, cdr.csv.1 %s" % (open(csv).read(),
                   os.path.exists(csv + ".1") and open(csv + ".1").read()))


def repack(deb, version, conf_extra=None):
    """The package again as VERSION (a newer build), its config changed by conf_extra."""
    d = tmpdir("repack")
    tree = os.path.join(d, "tree")
    run(["dpkg-deb", "-R", deb, tree])
    ctl = os.path.join(tree, "DEBIAN/control")
    txt = re.sub(r"(?m)^Version: .*$", "Version: " + version, open(ctl).read())
    with open(ctl, "w") as f:
        f.write(txt)
    if conf_extra:
        conf = os.path.join(tree, "etc/sipgw/sipgw.conf")
        with open(conf, "a") as f:
            f.write(conf_extra)
        md5 = subprocess.run(["md5sum", "etc/sipgw/sipgw.conf"], cwd=tree, capture_output=True, text=True).stdout
        sums = os.path.join(tree, "DEBIAN/md5sums")
        lines = [ln for ln in open(sums).read().splitlines() if not ln.endswith(" etc/sipgw/sipgw.conf")]
        with open(sums, "w") as f:
            f.write("\n".join(lines + [md5.strip()]) + "\n")
    out = os.path.join(d, "sipgw_%s_amd64.deb" % version)
    run(["dpkg-deb", "--root-owner-group", "-b", tree, out])
    return out


@test
def clean_root_upgrade_keeps_config():
    """Upgrades keep the admin's config (a conffile): a newer package with the same shipped
    config installs without a question and leaves the changed port; one whose shipped config
    changed too keeps the admin's (--force-confold, as unattended upgrades run) and puts the
    new one beside it as sipgw.conf.dpkg-dist; sipgw -t takes the kept file, its mode stays."""
    root = clean_root()
    conf = os.path.join(root, "etc/sipgw/sipgw.conf")
    if "port" not in STATE:
        STATE["port"] = free_port()
        set_conf_port(root, STATE["port"])
    mine = open(conf).read()
    for version, extra, opts in (("0.13.1", None, []),
                                 ("0.13.2", "# shipped in 0.13.2\n", ["--force-confdef", "--force-confold"])):
        deb = repack(deb_path(), version, extra)
        shutil.copy(deb, os.path.join(root, "tmp"))
        chroot("dpkg", *opts, "-i", "/tmp/" + os.path.basename(deb))
        _, v, _ = chroot("dpkg-query", "-W", "-f", "${Version}", "sipgw")
        if v != version:
            raise Fail("after dpkg -i %s: version %s" % (version, v))
        if open(conf).read() != mine:
            raise Fail("the upgrade to %s changed the admin's config" % version)
        if mode(conf) != 0o640:
            raise Fail("the upgrade to %s left the config %o" % (version, mode(conf)))
    dist = conf + ".dpkg-dist"
    if not os.path.exists(dist) or "# shipped in 0.13.2" not in open(dist).read():
        raise Fail("no sipgw.conf.dpkg-dist with the new shipped config")
    _, out, _ = chroot("sipgw", "-t", "-c", "/etc/sipgw/sipgw.conf")
    if "OK" not in out:
        raise Fail("sipgw -t after the upgrades: %r" % out)


@test
def clean_root_remove_and_purge():
    """dpkg -r takes the programs and keeps the config, the user and the data; dpkg -P takes
    the config and the logs and keeps /var/lib/sipgw (CDR and registrar databases) and the
    user, as Debian leaves system users."""
    root = clean_root()
    with open(os.path.join(root, "var/lib/sipgw/cdr.db"), "w") as f:
        f.write("billing")
    chroot("dpkg", "-r", "sipgw")
    if os.path.exists(os.path.join(root, "usr/bin/sipgw")) or not os.path.exists(os.path.join(root, "etc/sipgw/sipgw.conf")):
        raise Fail("after dpkg -r: the program is there or the config is gone")
    if os.path.exists(os.path.join(root, "lib/systemd/system/sipgw.service")):
        raise Fail("after dpkg -r the unit file is still there")
    chroot("dpkg", "-P", "sipgw")
    for gone in ("etc/sipgw/sipgw.conf", "var/log/sipgw", "etc/systemd/system/multi-user.target.wants/sipgw.service",
                 "etc/logrotate.d/sipgw"):
        if os.path.lexists(os.path.join(root, gone)):
            raise Fail("after dpkg -P /%s is still there" % gone)
    if open(os.path.join(root, "var/lib/sipgw/cdr.db")).read() != "billing":
        raise Fail("dpkg -P took the CDR database")
    chroot("getent", "passwd", "sipgw")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", help="run only tests whose name contains this")
    ap.add_argument("--keep", action="store_true", help="keep the temp dirs (and the clean root)")
    ap.add_argument("--deb", help="test this package instead of building one (with -k clean_root)")
    a = ap.parse_args()
    STATE["build"] = a.build
    if a.deb:
        STATE["deb"] = os.path.abspath(a.deb)
    passed = failed = skipped = 0
    t_all = time.monotonic()
    for t in TESTS:
        if a.k and a.k not in t.__name__:
            continue
        t0 = time.monotonic()
        try:
            t()
            passed += 1
            print("PASS %-38s %6.1fs  %s" % (t.__name__, time.monotonic() - t0, t.__doc__.strip().splitlines()[0]),
                  flush=True)
        except Skip as e:
            skipped += 1
            print("SKIP %-38s         %s" % (t.__name__, e), flush=True)
        except Exception as e:  # a step's failure, with what it said
            failed += 1
            print("FAIL %-38s %6.1fs\n  %s" % (t.__name__, time.monotonic() - t0,
                  "".join(traceback.format_exception_only(type(e), e)).strip().replace("\n", "\n  ")), flush=True)
    umount_proc()
    if not a.keep:
        for d in STATE.get("tmp", []):
            shutil.rmtree(d, ignore_errors=True)
    print("package: all steps in %.1f s" % (time.monotonic() - t_all))
    print("package: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
