# A TLS front for a SIP peer that speaks TCP only (Debian's SIPp 3.6.1 is
# built without OpenSSL): "serve" takes TLS connections with a certificate
# and key and relays each to a TCP address (sipgw -> TLS -> here -> TCP ->
# SIPp UAS); "client" takes TCP connections and relays each over TLS to
# sipgw, checking sipgw's certificate against a CA (SIPp UAC -> TCP -> here
# -> TLS -> sipgw). Bytes pass unchanged both ways, so the SIP messages are
# SIPp's and sipgw's own. Prints READY, then one line per connection and
# handshake, for the flows to wait on.
# SPDX-License-Identifier: GPL-2.0-only
import argparse
import socket
import ssl
import sys
import threading

import flowlib as fl


def say(*a):
    print(*a, flush=True)


def pump(src, dst, what):
    n = 0
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
            n += len(b)
    except OSError:
        pass
    finally:
        say("CLOSED %s %d bytes" % (what, n))
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def relay(tls, tcp):
    """Both ways; when one side closes, the line says how many bytes came from the TLS side."""
    threading.Thread(target=pump, args=(tls, tcp, "tls->tcp"), daemon=True).start()
    threading.Thread(target=pump, args=(tcp, tls, "tcp->tls"), daemon=True).start()


def serve(args, lsock):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    host, port = args.to.rsplit(":", 1)
    while True:
        c, peer = lsock.accept()
        say("ACCEPT from %s:%d" % peer)
        try:
            t = ctx.wrap_socket(c, server_side=True)
            say("HANDSHAKE ok %s" % t.version())
        except (ssl.SSLError, OSError) as e:
            say("HANDSHAKE failed: %s" % e)
            c.close()
            continue
        u = socket.create_connection((host, int(port)))
        relay(t, u)


def client(args, lsock):
    ctx = ssl.create_default_context(cafile=args.ca)
    host, port = args.to.rsplit(":", 1)
    while True:
        c, peer = lsock.accept()
        say("ACCEPT from %s:%d" % peer)
        try:
            t = ctx.wrap_socket(socket.create_connection((host, int(port))), server_hostname=host)
            say("HANDSHAKE ok %s" % t.version())
        except (ssl.SSLError, OSError) as e:
            say("HANDSHAKE failed: %s" % e)
            c.close()
            continue
        relay(t, c)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("serve", "client"))
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--to", required=True, help="HOST:PORT to relay to")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--ca")
    args = p.parse_args()
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", args.port))
    lsock.listen(8)
    say("READY %d" % args.port)
    (serve if args.mode == "serve" else client)(args, lsock)


class TlsRelay(fl.Proc):
    """This file run by a flow: a process of tb's (stopped by pid with the rest)."""

    def __init__(self, tb, name, mode, to, cert=None, key=None, ca=None):
        import os
        self.port = fl.free_port()
        argv = [sys.executable, os.path.abspath(__file__), mode, "--port", str(self.port), "--to", to]
        for k, v in (("--cert", cert), ("--key", key), ("--ca", ca)):
            if v:
                argv += [k, v]
        super().__init__(name, argv, tb.dir)
        tb.procs.append(self)
        self.wait_line(r"^READY ")


if __name__ == "__main__":
    main()
