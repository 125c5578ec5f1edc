#!/bin/sh
# SIPp with TLS for the flow tests (tests/flows/peers_sipp.py, transport "l1").
# Debian's sip-tester 3.6.1 is built without OpenSSL ("To use a TLS transport
# you must compile SIPp with OpenSSL"), so this builds upstream SIPp with
# -DUSE_SSL=1 and installs it as $PREFIX/bin/sipp-tls beside the packaged sipp,
# which stays what every other flow runs. v3.7.7, not 3.6.1: 3.6.1's TLS
# against OpenSSL 3 stops at the handshake ("Problem EAGAIN on socket", the
# call never starts) and its -tls_ca insists on a CRL file.
#   scripts/build-sipp-tls.sh [SRC]
# SRC: a SIPp git repository, local or remote (default the upstream one);
# PREFIX: default /usr/local. Needs cmake, g++, libssl-dev, libncurses-dev.
# Does nothing when $PREFIX/bin/sipp-tls already runs. SPDX-License-Identifier: GPL-2.0-only
set -e
SRC=${1:-https://github.com/SIPp/sipp.git}
TAG=${TAG:-v3.7.7}
PREFIX=${PREFIX:-/usr/local}
if "$PREFIX/bin/sipp-tls" -v 2>/dev/null | grep -q -- "-TLS"; then
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q --depth 1 --branch "$TAG" "$SRC" "$work/sipp" 2>/dev/null ||
	git clone -q --branch "$TAG" "$SRC" "$work/sipp"
mkdir "$work/build"
cd "$work/build"
# its version target writes version.h only when the build dir holds .git (in-tree builds)
printf '#define SIPP_VERSION VERSION\n#define VERSION "%s"\n' "$(git -C "$work/sipp" describe --tags --always)" >version.h
cmake -DUSE_SSL=1 -DUSE_PCAP=0 -DUSE_SCTP=0 -DUSE_GSL=0 -DCMAKE_BUILD_TYPE=Release "$work/sipp" >cmake.log 2>&1
make -j2 sipp >make.log 2>&1 || { tail -20 make.log; exit 1; }
./sipp -v | grep -q -- "-TLS"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO install -D -m 0755 sipp "$PREFIX/bin/sipp-tls"
echo "build-sipp-tls: $("$PREFIX/bin/sipp-tls" -v | grep -o 'SIPp v[^ ]*') installed as $PREFIX/bin/sipp-tls"
