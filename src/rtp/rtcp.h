/* sipgw - RTCP (RFC 3550 6): compound packets built and parsed, receiver
 * statistics (appendix A.1, A.3, A.8), round-trip time (6.4.1).
 * Pure packets and arithmetic: no socket, no clock (the caller passes times).
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_RTP_RTCP_H
#define SIPGW_RTP_RTCP_H

#include <stddef.h>
#include <stdint.h>

/* RFC 3550 12.1 packet types */
enum rtcp_pt { RTCP_SR = 200, RTCP_RR = 201, RTCP_SDES = 202, RTCP_BYE = 203, RTCP_APP = 204 };
#define RTCP_SDES_CNAME 1
#define RTCP_MAX_RB 31		/* 5-bit report count */
#define RTCP_MAX_PKT 1500

/* ---- receiver statistics of one source (RFC 3550 appendix A.1, A.3, A.8) */

struct rtcp_source {
	uint32_t ssrc;
	int valid;		/* past probation (A.1) */
	uint16_t max_seq;	/* highest seq seen */
	uint32_t cycles;	/* seq wraps, shifted by 16 */
	uint32_t base_seq;	/* first seq counted */
	uint32_t bad_seq;	/* the seq after a big jump: a restart if the next follows it */
	uint32_t probation;	/* sequential packets still needed */
	uint32_t received;	/* packets counted */
	uint32_t expected_prior, received_prior;	/* at the last report (A.3) */
	uint32_t transit;	/* of the last packet, RTP units (A.8) */
	int has_transit;
	uint32_t jitter;	/* interarrival jitter, RTP units << 4 (A.8) */
};

/** A new source whose first packet has seq; it must pass probation (A.1:
 * two packets in sequence) before it counts. */
void rtcp_source_init(struct rtcp_source *s, uint32_t ssrc, uint16_t seq);
/** One packet of the source (A.1 update_seq): 1 counted, 0 not (probation,
 * a jump too large, a packet far out of order). */
int rtcp_source_update(struct rtcp_source *s, uint16_t seq);
/** A.8: one packet's RTP timestamp and its arrival time in the same units. */
void rtcp_source_jitter(struct rtcp_source *s, uint32_t rtp_ts, uint32_t arrival);
/** A.3: the extended highest seq, packets expected and the cumulative loss
 * (negative when duplicates came). */
uint32_t rtcp_source_ext_max(const struct rtcp_source *s);
uint32_t rtcp_source_expected(const struct rtcp_source *s);
int32_t rtcp_source_lost(const struct rtcp_source *s);

/* One report block (RFC 3550 6.4.1). */
struct rtcp_rb {
	uint32_t ssrc;		/* the source reported on */
	uint8_t fraction;	/* lost since the last report, of 256 */
	int32_t lost;		/* cumulative, 24-bit signed on the wire */
	uint32_t ext_max_seq;
	uint32_t jitter;	/* RTP units */
	uint32_t lsr;		/* middle 32 bits of the last SR's NTP time, 0 = none */
	uint32_t dlsr;		/* since that SR, 1/65536 s */
};

/** The report block on s (A.3: the fraction is over the interval since the
 * previous call, which starts a new one); lsr/dlsr left 0 for the caller. */
void rtcp_source_report(struct rtcp_source *s, struct rtcp_rb *rb);

/* ---- compound packets (RFC 3550 6.1) */

struct rtcp_sender_info {
	uint64_t ntp;		/* NTP timestamp, 32.32 fixed point */
	uint32_t rtp_ts;	/* the same instant in RTP units */
	uint32_t packets, octets;	/* sent so far (payload octets) */
};

struct rtcp_build_params {
	uint32_t ssrc;
	int sr;				/* an SR (we sent RTP) rather than an RR */
	struct rtcp_sender_info si;
	const struct rtcp_rb *rb;	/* report blocks, n_rb <= RTCP_MAX_RB */
	int n_rb;
	const char *cname;		/* SDES CNAME, required (6.1); <= 255 octets */
	int bye;			/* end with a BYE for ssrc */
};
/** A compound packet: SR or RR, SDES CNAME, BYE when asked. Returns its
 * length, -ENOSPC if buf is too small, -EINVAL for no CNAME or too many blocks. */
int rtcp_build(uint8_t *buf, size_t len, const struct rtcp_build_params *p);

/* What one compound packet said. */
struct rtcp_info {
	uint32_t ssrc;		/* the reporter (SR/RR sender) */
	int has_sr;
	struct rtcp_sender_info si;
	int n_rb;
	struct rtcp_rb rb[RTCP_MAX_RB];	/* of the first SR/RR */
	char cname[256];	/* "" when none */
	int bye;		/* a BYE named ssrc */
	unsigned n_pkts;	/* packets in the compound, unknown types included */
};
/** Parse a compound packet with the checks of RFC 3550 A.2 (version 2,
 * the first an SR or RR, padding only on the last, lengths adding up to the
 * datagram); unknown packet types are skipped. 0 or -EBADMSG. */
int rtcp_parse(const uint8_t *p, size_t n, struct rtcp_info *ri);

/* ---- time */

/** The middle 32 bits of an NTP timestamp (the LSR field, 6.4.1). */
static inline uint32_t rtcp_ntp_mid(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}
/** 6.4.1: round-trip = A - LSR - DLSR, A the arrival time (middle 32 bits);
 * in ms, -1 when the block names no SR of ours or the sum is nonsense. */
int rtcp_rtt_ms(uint32_t arrival_mid, uint32_t lsr, uint32_t dlsr);
/** Microseconds as a 1/65536 s count (DLSR units). */
uint32_t rtcp_us_to_q16(long long us);

/** RFC 3550 6.3.1 / A.7: the next report interval in ms. tmin_ms is the
 * minimum (5 s, halved for the first report when initial); bw the session
 * bandwidth in octets/s (RTCP gets 5 %, senders a quarter of it); avg_size
 * the average compound size in octets; rnd in [0, 1) the randomisation.
 * The result lies in [0.5, 1.5] x T / (e - 3/2). */
unsigned rtcp_interval_ms(unsigned tmin_ms, int members, int senders, int we_sent,
			  double bw, double avg_size, int initial, double rnd);

#endif
