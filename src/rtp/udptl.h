/* sipgw - UDPTL (ITU-T T.38 9.1, the UDPTLPacket of T.38 Annex A's ASN.1):
 * IFP packets over UDP with redundancy, on the su_root loop.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_RTP_UDPTL_H
#define SIPGW_RTP_UDPTL_H

#include <stddef.h>
#include <stdint.h>

struct su_root_s;

/* T.38 9.1: the error recovery of a UDPTLPacket. */
enum udptl_ec {
	UDPTL_EC_NONE,		/* secondary-ifp-packets, always empty */
	UDPTL_EC_REDUNDANCY,	/* secondary-ifp-packets: the previous IFPs, newest first */
	UDPTL_EC_FEC,		/* fec-info: XOR parity of earlier IFPs */
};
const char *udptl_ec_name(enum udptl_ec ec);

#define UDPTL_MAX_IFP 1024		/* one IFP packet; T38FaxMaxDatagram is far below */
#define UDPTL_MAX_DATAGRAM 1500		/* what we read and write */
#define UDPTL_MAX_SECONDARY 16		/* secondary IFPs (or FEC entries) in one packet */
#define UDPTL_MAX_REDUNDANCY 8		/* our own redundancy depth */

/* One UDPTLPacket as decoded; the pointers point into the datagram. */
struct udptl_ifp {
	const uint8_t *p;
	size_t len;
};
struct udptl_packet {
	uint16_t seq;
	struct udptl_ifp primary;
	enum udptl_ec ec;		/* REDUNDANCY also for an empty list (NONE never decoded) */
	int n;				/* secondary IFPs (seq - 1, seq - 2, ...) or FEC entries */
	struct udptl_ifp sec[UDPTL_MAX_SECONDARY];
	int fec_span;			/* FEC: packets XORed into each entry */
};

/** Decode one datagram; 0, or -EBADMSG for anything that is not a whole
 * UDPTLPacket (lengths past the end, fragmented lengths, bytes left over,
 * an empty primary IFP, more than UDPTL_MAX_SECONDARY entries). */
int udptl_decode(const uint8_t *buf, size_t n, struct udptl_packet *pkt);
/** Encode pkt (ec NONE or REDUNDANCY: pkt->sec newest first; FEC is not
 * written); the length, or -EMSGSIZE when it does not fit in len. */
int udptl_encode(uint8_t *buf, size_t len, const struct udptl_packet *pkt);

/** One IFP in order: seq its sequence number; recovered when it came from a
 * later packet's redundancy. */
typedef void (udptl_recv_h)(void *arg, const uint8_t *ifp, size_t len, uint16_t seq, int recovered);

struct udptl_stats {
	unsigned long tx_packets, rx_packets;
	unsigned long rx_dropped;	/* not UDPTL */
	unsigned long rx_late;		/* duplicates and packets older than what was delivered */
	unsigned long rx_jumped;	/* far ahead with no successor yet: held back */
	unsigned long rx_recovered;	/* IFPs rebuilt from redundancy */
	unsigned long rx_lost;		/* sequence numbers never seen, not recovered */
};

/* The receiving half without a socket (the session's, and tests'): puts
 * IFPs in sequence order and fills gaps from the secondary IFPs. */
struct udptl_rx {
	int started;
	uint16_t next;			/* the sequence number due next */
	int probation;			/* a far jump seen: its successor must follow */
	uint16_t jump_next;		/* ... with this sequence number */
	struct udptl_stats *st;
	udptl_recv_h *recv_h;
	void *arg;
};
/** Feed one datagram; 0 or -EBADMSG (counted as dropped). */
int udptl_rx_feed(struct udptl_rx *rx, const uint8_t *buf, size_t n);

/* The sending half without a socket: the last IFPs for redundancy. */
struct udptl_tx {
	uint16_t seq;
	int depth;			/* secondary IFPs per packet, 0..UDPTL_MAX_REDUNDANCY */
	enum udptl_ec ec;
	uint8_t hist[UDPTL_MAX_REDUNDANCY][UDPTL_MAX_IFP];
	size_t hist_len[UDPTL_MAX_REDUNDANCY];
	int n_hist;
	size_t max_datagram;		/* the peer's T38FaxMaxDatagram, 0 = UDPTL_MAX_DATAGRAM */
};
/** Build the next packet for ifp into buf; its length or -errno. Older
 * IFPs that would pass max_datagram are left out (T.38 D.2.3). */
int udptl_tx_build(struct udptl_tx *tx, const uint8_t *ifp, size_t len, uint8_t *buf, size_t cap);

struct udptl_params {
	const char *local_ip;	/* address to bind */
	int port_min, port_max;	/* port picked in [min, max] (the RTP range); both 0 = kernel's */
	enum udptl_ec ec;	/* what we send: NONE or REDUNDANCY (FEC is sent as REDUNDANCY) */
	int redundancy;		/* secondary IFPs per packet with REDUNDANCY, 1..UDPTL_MAX_REDUNDANCY */
	udptl_recv_h *recv_h;
	void *arg;
};

struct udptl_session;
/** Bind a UDP socket and register it on root; 0 or -errno. */
int udptl_alloc(struct udptl_session **usp, struct su_root_s *root, const struct udptl_params *p);
void udptl_free(struct udptl_session *us);
int udptl_local_port(const struct udptl_session *us);
/** Where to send; ip NULL or port 0 stops sending. */
int udptl_set_remote(struct udptl_session *us, const char *ip, int port);
/** The peer's T38FaxMaxDatagram (0 = no limit beyond ours). */
void udptl_set_max_datagram(struct udptl_session *us, size_t max);
/** Send one IFP packet with the redundancy configured; 0 or -errno, no-op
 * without remote. count: the copies T.38's sender asks for (SpanDSP's
 * repetition for unreliable paths): with redundancy one packet is enough;
 * without, count copies of the same datagram (one sequence number, so the
 * receiver takes one). */
int udptl_send(struct udptl_session *us, const uint8_t *ifp, size_t len, int count);
void udptl_get_stats(const struct udptl_session *us, struct udptl_stats *st);

#endif
