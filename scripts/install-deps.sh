#!/bin/sh
# Install the Debian packages sipgw needs to build, run and test, plus any
# named as arguments (install-bench-deps.sh adds the benchmark's peers).
# clang and its runtime (libclang_rt.fuzzer, ASan, UBSan) build tests/fuzz.
# dahdi-dkms ships DAHDI's userspace header (dahdi/user.h, under
# /usr/src/dahdi-*/include) that hw/dahdi.c and the fake DAHDI build on; with
# no kernel headers its module build is skipped, which the tests do not need.
# libopus-dev (BSD) is the Opus codec; libtonezone-dev (LGPL-2.1, DAHDI tools)
# holds the country tone tables (dial, ringback, busy) sipgw plays.
# tshark decodes the Q.931 the PBX simulator writes as pcap (tests/flows).
# libsrtp2-dev (BSD-3-Clause) is SRTP; openssl makes the tests' TLS
# certificates. The real SIP peers the flows run beside sipgw's own
# simulators: SIPp (sip-tester), Kamailio (with its TLS module) and baresip.
# Debian's SIPp has no TLS: the TLS flows put a TLS relay of the tests' own
# in front of it (tests/flows/tlsrelay.py) or use baresip. libssl-dev: the
# certificate checks of sipgw -t (libcrypto). curl scrapes the metrics
# endpoint in the flows as Prometheus would, and the Prometheus project's own
# Python client parses the whole exposition (python3-prometheus-client; not
# the prometheus package, whose server a test box does not need running).
# libsystemd-dev (LGPL-2.1+) is sd_notify for the systemd unit (Type=notify,
# watchdog). The packaging tests (make test-package): debhelper and dpkg-dev
# build the .deb, lintian checks it, mmdebstrap makes the clean Debian root
# it is installed in, man-db renders the man pages, systemd's
# systemd-analyze verifies the unit; python3-seccomp (libseccomp, LGPL-2.1)
# builds the unit's seccomp sandbox for a flow to run sipgw in
# (tests/flows/sandbox.py).
# Runs apt-get only when something is missing. SPDX-License-Identifier: GPL-2.0-only
set -e
PKGS="build-essential pkg-config python3 libpri-dev libsofia-sip-ua-dev libspandsp-dev
libspeexdsp-dev libsqlite3-dev libconfig-dev libcunit1-dev libtiff-dev sqlite3
libopus-dev libtonezone-dev
clang libclang-rt-14-dev dahdi-dkms tshark
libsrtp2-dev openssl sip-tester kamailio kamailio-tls-modules baresip-core
libssl-dev curl python3-prometheus-client libsystemd-dev debhelper dpkg-dev lintian mmdebstrap
man-db systemd python3-seccomp $*"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps: installing:$missing"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
fi
