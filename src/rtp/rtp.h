/* sipgw - RTP sessions (RFC 3550) on the su_root loop.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_RTP_RTP_H
#define SIPGW_RTP_RTP_H

#include <stddef.h>
#include <stdint.h>

struct su_root_s;
struct rtp_srtp;

/** Called for every RTP packet received from the current remote. */
typedef void (rtp_recv_h)(void *arg, int pt, const uint8_t *payload, size_t len,
			  uint16_t seq, uint32_t ts, int marker);

/** An ICMP port unreachable came back for our RTP; run: how many in a row
 * with no RTP received in between. */
typedef void (rtp_refused_h)(void *arg, unsigned run);

struct rtp_params {
	const char *local_ip;	/* address to bind, e.g. "127.0.0.1" */
	int port_min, port_max;	/* even port picked in [min, max]; both 0 = kernel's choice */
	int *port_next;		/* where the last pick of these sessions left off, the next
				 * starts there (wrapping): a range with 1,000 calls up is not
				 * scanned from its bottom at every call, and a port just
				 * given back is not taken again at once. NULL: from port_min */
	rtp_recv_h *recv_h;
	rtp_refused_h *refused_h;	/* NULL: only counted */
	void *arg;
	int clock_rate;		/* RTP clock, Hz, for the jitter in ms; 0 = 8000 */
	unsigned rtcp_interval_ms;	/* RFC 3550 6.2 minimum report interval; 0 = 5000 */
	const char *cname;	/* RTCP SDES CNAME; NULL = random (RFC 7022 5) */
	unsigned drop_every;	/* tests (the phone simulator): every Nth audio packet is
				 * not sent, as if the network lost it; 0 = none */
};

/* Counters and the RTCP figures of one session (RFC 3550 6.4), over every
 * source the far end used in turn (a new SSRC adds to the totals). */
struct rtp_stats {
	unsigned long tx_packets, rx_packets, rx_dropped;
	unsigned long icmp_refused;	/* ICMP port unreachable for our packets */
	long rx_lost;			/* A.3 cumulative: expected - received (< 0: duplicates) */
	unsigned long rx_expected;	/* A.3: from the sequence numbers */
	double jitter_ms;		/* A.8 interarrival jitter of the current source */
	int rtt_ms;			/* 6.4.1 from the far end's LSR/DLSR; -1 unknown */
	long remote_lost;		/* what the far end reports about our stream: cumulative */
	int remote_fraction;		/* fraction lost in its last interval, of 256; -1 none */
	double remote_jitter_ms;	/* its jitter figure for our stream */
	unsigned long rtcp_tx, rtcp_rx, rtcp_dropped;	/* compound packets */
	unsigned long tx_test_dropped;	/* rtp_params.drop_every: counted in tx_packets too */
};

/* One RTP packet as received (RFC 3550 5.1). */
#define RTP_HDR_LEN 12		/* the fixed header */
struct rtp_header {
	int pt, marker;
	uint16_t seq;
	uint32_t ts, ssrc;
	const uint8_t *payload;	/* past the CSRCs and the header extension, padding cut off */
	size_t plen;
};
/** Parse one datagram: skip CSRCs, header extension and padding; 0, or
 * -EBADMSG for anything that is not RTP version 2 or whose CSRC list,
 * extension or padding runs past the datagram (the receiver drops and counts it). */
int rtp_parse(const uint8_t *p, size_t n, struct rtp_header *h);
/** Write our fixed header (version 2, no padding, extension or CSRC) into
 * h[RTP_HDR_LEN]; returns RTP_HDR_LEN. */
size_t rtp_header_build(uint8_t *h, int pt, int marker, uint16_t seq, uint32_t ts, uint32_t ssrc);

struct rtp_session;
/** Bind a pair of UDP sockets, RTP on an even port and RTCP on the next
 * (RFC 3550 11), register them on root and start the RTCP reports; 0 or
 * -errno. */
int rtp_alloc(struct rtp_session **rsp, struct su_root_s *root, const struct rtp_params *p);
/** Sends an RTCP BYE (RFC 3550 6.6) when there is a remote, then frees. */
void rtp_free(struct rtp_session *rs);
int rtp_local_port(const struct rtp_session *rs);
/** Where to send; RTCP goes to port + 1. ip NULL or "0.0.0.0" or port 0
 * stops sending, RTCP too (hold, RFC 3264 8.4). */
int rtp_set_remote(struct rtp_session *rs, const char *ip, int port);
/** RTCP multiplexed on the RTP port (RFC 5761, agreed by a=rtcp-mux): our
 * reports go to the RTP remote, and datagrams of payload type 64-95 on the
 * RTP port are taken as RTCP (RFC 5761 4); off: port + 1, those dropped. */
void rtp_set_mux(struct rtp_session *rs, int on);
/** Hold by direction (a=sendonly/inactive from the far end, RFC 3264 8.4):
 * held, no RTP goes out but RTCP goes on to the remote (RFC 3264 5.1: RTCP
 * is sent whatever the direction); resumed, a new talkspurt. */
void rtp_set_held(struct rtp_session *rs, int held);
/** Send one packet; timestamp advances by ts_inc samples. No-op without
 * remote or while held. */
int rtp_send(struct rtp_session *rs, int pt, const uint8_t *payload, size_t len, uint32_t ts_inc);
/** debug rtp: a log line per packet sent and received on this session,
 * named label (NULL: off). */
void rtp_set_debug(struct rtp_session *rs, const char *label);
/** ... on every session (for the sessions with no label of their own). */
void rtp_debug_all(int on);
/** RFC 4733 event packet (digit 0-9,*,#,A-D) for duration in samples; end sets the E bit. */
int rtp_send_event(struct rtp_session *rs, int pt, char digit, uint16_t duration, int end);
/** Time goes on without a packet (silence suppressed, RFC 3389): ts_inc samples. */
void rtp_skip(struct rtp_session *rs, uint32_t ts_inc);
/** The next packet starts a talkspurt anew (RFC 3551 4.1: marker bit), as after a codec change. */
void rtp_mark(struct rtp_session *rs);
/** SRTP (RFC 3711, rtp/srtp.h) on what is sent and received from now on,
 * RTCP too; the session owns s (and frees the one it had); NULL: plain. */
void rtp_set_srtp(struct rtp_session *rs, struct rtp_srtp *s);
/** The session's SRTP context, or NULL (a re-offer's new key goes there). */
struct rtp_srtp *rtp_get_srtp(const struct rtp_session *rs);
void rtp_get_stats(const struct rtp_session *rs, struct rtp_stats *st);
/** When RTP last arrived (CLOCK_MONOTONIC ms, 0 = never) and the ICMP port
 * unreachable count since then (the RTP inactivity watch, sip_timers.c). */
void rtp_get_activity(const struct rtp_session *rs, long long *last_rx_ms, unsigned *refused_run);

#endif
