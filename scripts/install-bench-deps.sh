#!/bin/sh
# Install what `make bench` needs beyond the build: SIPp (sip-tester) as the
# load generator and Kamailio as the reference proxy/registrar. Runs apt-get
# (and apt-get update) only when something is missing. Kamailio is only run
# in the foreground by bench/proxy_bench.py; this script never starts it.
# SPDX-License-Identifier: GPL-2.0-only
exec "$(dirname "$0")/install-deps.sh" sip-tester kamailio
