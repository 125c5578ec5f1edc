#!/bin/sh
# sipgw demo with no cards: the gateway on conf/sipgw.conf, a SIP phone
# simulator as extension 2001, and one PBX call through the loopback T1 span.
# The gateway and phone stay up afterwards so you can place more calls.
# SPDX-License-Identifier: GPL-2.0-only
set -e
cd "$(dirname "$0")/.."
B=${BUILD:-build}
CONF=conf/sipgw.conf
SPAN=/tmp/sipgw-pbx-a
PHONE_PORT=5062
RUN=$(mktemp -d /tmp/sipgw-demo.XXXXXX)

cleanup() {
	[ -n "$PHONE" ] && kill "$PHONE" 2>/dev/null
	[ -n "$GW" ] && kill "$GW" 2>/dev/null
	wait 2>/dev/null
	echo "demo stopped; logs were in $RUN"
}
trap cleanup EXIT INT TERM

echo "== sipgw demo: logs in $RUN"
"$B/sipgw" -c "$CONF" 2>"$RUN/sipgw.log" &
GW=$!
# Wait for each to be up (their own ready lines, not a fixed sleep).
wait_for() {	# file pattern pid
	for i in $(seq 1 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || { cat "$1"; exit 1; }
		sleep 0.1
	done
	echo "no '$2' in $1"; cat "$1"; exit 1
}
wait_for "$RUN/sipgw.log" "sipgw running" $GW
# Phone 2001 registers with the gateway (its backup proxy) with digest
# credentials from conf/sipgw.conf; PBX calls to 2xxx reach it there.
"$B/sipgw-phone" --port $PHONE_PORT --user 2001 --register sip:127.0.0.1:5070 --auth 2001:2001-demo \
	--answer-after 1 --tone 1000 --detect 2000 >"$RUN/phone.log" 2>&1 &
PHONE=$!
wait_for "$RUN/phone.log" "EVENT registered" $PHONE

echo "== PBX A (5551000, \"User A\") calls extension 2001 over the loopback T1; hangs up after 3 s"
"$B/sipgw-pbx" -s "$SPAN" --role cpe --call 2001 --calling 5551000 --name "User A" \
	--tone 2000 --detect 1000 --hangup-after 3 --exit-when-done --timeout 20 | sed 's/^/  pbx   | /'
echo "== what the phone saw"
sed 's/^/  phone | /' "$RUN/phone.log"
echo "== what the gateway logged"
grep -E "q931: span|sip: [<>]|bridge:" "$RUN/sipgw.log" | sed 's/^/  gw    | /'
cat <<TXT

The gateway (pid $GW) and phone 2001 (pid $PHONE) are still running. Place more calls:
  $B/sipgw-pbx -s $SPAN --role cpe --call 2001 --calling 5551234 --name "Another" --tone 2000 --detect 1000 --hangup-after 5 --exit-when-done
  $B/sipgw-pbx -s $SPAN --role cpe --call 9999 --exit-when-done     # no dial-peer: cause 1
A phone whose primary proxy is dead fails over to the gateway and calls the PSTN through the PBX
(start a PBX that answers first: $B/sipgw-pbx -s $SPAN --role cpe --answer-after 1 --exit-when-done):
  $B/sipgw-phone --user 2002 --auth 2002:2002-demo --proxy sip:127.0.0.1:9 --backup-proxy sip:127.0.0.1:5070 --t1 100 --dial 95551234 --hangup-after 3 --exit-after-calls 1
Gateway log: $RUN/sipgw.log   Phone log: $RUN/phone.log
Press Ctrl-C to stop.
TXT
wait $GW
