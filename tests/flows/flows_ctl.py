# sipgw call-flow tests: the control socket itself (sipgwctl over
# control.socket): who may use it, what it says when nothing runs, bad
# requests; the views of spans, calls, ... have their own files.
# SPDX-License-Identifier: GPL-2.0-only
import json
import os
import pwd
import socket
import subprocess

from flowlib import FlowError, flow, no_pri, voip_peer


def raw_request(path, data, timeout=5):
    """Send bytes on a fresh connection; everything the gateway answers."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall(data)
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:		# closed with our bytes unread
            break
        if not chunk:
            break
        out += chunk
    s.close()
    return out


@flow
@no_pri
def ctl_show_version_text_and_json(tb):
    """sipgwctl show version names the running gateway (its pid, its config), aligned for a
    person and as JSON for scripts; help lists the commands; an unknown one says what there is."""
    gw = tb.gateway(tb.config([voip_peer(100, "2...", 5999)]))
    rc, out, err = tb.ctl("show", "version")
    if rc != 0 or "pid" not in out:
        raise FlowError("show version: rc %d out %r err %r" % (rc, out, err))
    rows = dict(ln.split(None, 1) for ln in out.splitlines() if ln.strip())
    if rows.get("pid") != str(gw.p.pid) or rows.get("config") != os.path.join(tb.dir, "sipgw.conf"):
        raise FlowError("show version says %r, the gateway is pid %d" % (rows, gw.p.pid))
    j = tb.ctl("show", "version", json=True)
    if j["gateway"]["pid"] != gw.p.pid or j["gateway"]["dial_peers"] != 1 or j["gateway"]["state"] != "running":
        raise FlowError("show version --json: %r" % j)
    rc, out, _ = tb.ctl("help")
    if rc != 0 or "show version" not in out.splitlines():
        raise FlowError("help does not list show version: %r" % out)
    rc, out, err = tb.ctl("show", "nothing-like-this")
    if rc != 1 or "unknown command 'show nothing-like-this'; try:" not in err or "show version" not in err:
        raise FlowError("an unknown command: rc %d err %r" % (rc, err))
    gw.wait_line(r"control: show version$", stream="err")


@flow
@no_pri
def ctl_no_gateway_running(tb):
    """sipgwctl with no gateway on the socket says so, exit status 3; with a config that has no
    control.socket it says the config takes no commands."""
    path = os.path.join(tb.dir, "none.sock")
    rc, out, err = tb.ctl("show", "calls", sock=path)
    if rc != 3 or "no sipgw is running on %s" % path not in err:
        raise FlowError("no gateway: rc %d err %r" % (rc, err))
    conf = os.path.join(tb.dir, "bare.conf")
    with open(conf, "w") as f:
        f.write('sip = { port = 5999; };\n')
    r = subprocess.run([tb.bin("sipgwctl"), "-c", conf, "show", "calls"], capture_output=True, text=True)
    if r.returncode != 2 or "has no control.socket" not in r.stderr:
        raise FlowError("a config without control.socket: rc %d err %r" % (r.returncode, r.stderr))


def as_nobody():
    nobody = pwd.getpwnam("nobody")
    os.setgid(nobody.pw_gid)
    os.setgroups([])
    os.setuid(nobody.pw_uid)


@flow
@no_pri
def ctl_other_users_refused(tb):
    """The socket is mode 0660 and the gateway's: another user cannot connect; and even when the
    file is opened up by mistake the gateway checks the peer's credentials and refuses it."""
    if os.geteuid() != 0:
        raise FlowError("this flow runs as root (it becomes nobody to knock)")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", 5999)]))
    mode = os.stat(tb.ctl_path).st_mode & 0o777
    if mode != 0o660:
        raise FlowError("control socket mode %o, want 660" % mode)
    os.chmod(tb.dir, 0o755)
    argv = [tb.bin("sipgwctl"), "-s", tb.ctl_path, "show", "version"]
    r = subprocess.run(argv, capture_output=True, text=True, preexec_fn=as_nobody)
    if r.returncode != 1 or "permission denied" not in r.stderr:
        raise FlowError("nobody through the file's mode: rc %d err %r" % (r.returncode, r.stderr))
    os.chmod(tb.ctl_path, 0o666)		# a mistake on the box: the gateway still says no
    r = subprocess.run(argv, capture_output=True, text=True, preexec_fn=as_nobody)
    if r.returncode != 1 or "not an operator of this sipgw" not in r.stderr:
        raise FlowError("nobody on an open socket: rc %d out %r err %r" % (r.returncode, r.stdout, r.stderr))
    gw.wait_line(r"control socket: uid %d \(pid \d+\) refused" % pwd.getpwnam("nobody").pw_uid, stream="err")
    rc, out, _ = tb.ctl("show", "version")
    if rc != 0:
        raise FlowError("root is refused after nobody was")


@flow
@no_pri
def ctl_bad_requests_answered_gateway_goes_on(tb):
    """Garbage, an HTTP request, a request over 4 KiB, a NUL and a silent client each get an
    error or are closed; the gateway keeps answering."""
    gw = tb.gateway(tb.config([voip_peer(100, "2...", 5999)]))
    for data in (b"hello\n", b"GET / HTTP/1.0\r\n\r\n", b"sipgwctl/1 text\tshow\t\tversion\n"):
        out = raw_request(tb.ctl_path, data)
        if not out.startswith(b"error\n"):
            raise FlowError("%r answered %r" % (data, out))
    out = raw_request(tb.ctl_path, b"sipgwctl/1 text\t" + b"x" * 5000)
    if out:
        raise FlowError("an oversized request answered %r" % out)
    out = raw_request(tb.ctl_path, b"sipgwctl/1 text\tshow\x00\tversion\n")
    if out:
        raise FlowError("a request with a NUL answered %r" % out)
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.connect(tb.ctl_path)		# says nothing: must not hold the others up
    j = tb.ctl("show", "version", json=True)
    if j["gateway"]["pid"] != gw.p.pid:
        raise FlowError("show version after bad requests: %r" % j)
    silent.close()
    gw.wait_line(r"control socket: a request over 4096 bytes; closed", stream="err")
