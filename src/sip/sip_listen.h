/* sipgw - SIP transports and what the stack really listens on (sip_listen.c).
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_SIP_LISTEN_H
#define SIPGW_SIP_SIP_LISTEN_H

/* The SIP transports, RFC 3261 18 (udp, tcp) and 26.2 (tls). Values are
 * enum dp_transport's (core/dialpeer.h): a dial-peer's session_transport. */
enum sip_tp { SIP_TP_UDP, SIP_TP_TCP, SIP_TP_TLS, SIP_TP__COUNT };

/** "udp", "tcp", "tls". */
const char *sip_tp_name(enum sip_tp tp);

/** The process's sockets bound to bind: a datagram one at port (udp), listening
 * stream ones at port (tcp) and tls_port (tls; 0: none), into fds (-1: none);
 * returns the set found, bit (1 << enum sip_tp) each. */
unsigned sip_listen_fds(const char *bind, int port, int tls_port, int fds[SIP_TP__COUNT]);
/** Log "listening on sip:ADDR:PORT (udp)", "(tcp)", "sips:ADDR:TLS_PORT (tls)"
 * for each socket of the process really bound there (tls_port 0: none);
 * returns the set found, bit (1 << enum sip_tp) each. */
unsigned sip_listen_report(const char *bind, int port, int tls_port);

#endif
