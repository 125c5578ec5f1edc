# sipgw - conf/sipgw.conf -> /etc/sipgw/sipgw.conf for `make install`: the
# demo's /tmp paths where the service keeps them (sipgw.service: /run/sipgw
# RuntimeDirectory, /var/lib/sipgw StateDirectory, /var/log/sipgw
# LogsDirectory; PrivateTmp hides /tmp from everyone else). Databases go to
# /var/lib/sipgw, traces and ladders to /var/log/sipgw, sockets to
# /run/sipgw. A path this leaves in /tmp fails tests/package (the installed
# config names no /tmp).
# SPDX-License-Identifier: GPL-2.0-only
s|"/tmp/sipgw[-.]\([^"]*\.db\)"|"/var/lib/sipgw/\1"|g
s|"/tmp/sipgw[-.]\([^"]*\.pcap\(ng\)*\)"|"/var/log/sipgw/\1"|g
s|"/tmp/\(sipgw[^"/]*\.pcap\(ng\)*\)"|"/var/log/sipgw/\1"|g
s|"/tmp/\(sipgw[^"/]*\.db\)"|"/var/lib/sipgw/\1"|g
s|"/tmp/sipgw[-.]\(ladders*\)"|"/var/log/sipgw/\1"|g
s|"/tmp/sipgw-|"/run/sipgw/|g
s|"/tmp/sipgw\.|"/run/sipgw/sipgw.|g
# the control socket's group: operators added to group sipgw may use sipgwctl
/^control = {/,/^};/s|^\(  mode = "0660";\).*$|\1\n  group = "sipgw";   # operators in group sipgw may use sipgwctl (adduser NAME sipgw)|
