#!/bin/sh
# Install what `make bench` needs beyond the build: SIPp (sip-tester) as the
# load generator, Kamailio as the reference proxy/registrar, and perf (linux-perf)
# for the load rig's count of sipgw's system calls. Runs apt-get
# (and apt-get update) only when something is missing. Kamailio is only run
# in the foreground by bench/proxy_bench.py; this script never starts it.
# SPDX-License-Identifier: GPL-2.0-only
exec "$(dirname "$0")/install-deps.sh" sip-tester kamailio linux-perf
