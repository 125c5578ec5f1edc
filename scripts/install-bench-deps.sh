#!/bin/sh
# Install what `make bench` needs beyond the build: SIPp (sip-tester) as the
# load generator and Kamailio as the reference proxy/registrar. Runs apt-get
# (and apt-get update) only when something is missing. Kamailio is only run
# in the foreground by bench/proxy_bench.py; this script never starts it.
# SPDX-License-Identifier: GPL-2.0-only
set -e
PKGS="sip-tester kamailio python3"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-bench-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
