/* sipgw - RTCP (RFC 3550 6): compound packets, receiver statistics, RTT.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "rtp/rtcp.h"

#include <errno.h>
#include <string.h>

#define RTP_SEQ_MOD (1u << 16)
/* A.1: the gap still taken for loss, and the distance behind max_seq still
 * taken for reordering; between the two a jump, a restart if confirmed. */
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define MIN_SEQUENTIAL 2

/* ---- A.1 sequence tracking */

static void init_seq(struct rtcp_source *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1;	/* so seq == bad_seq never holds */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
}

void rtcp_source_init(struct rtcp_source *s, uint32_t ssrc, uint16_t seq)
{
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	init_seq(s, seq);
	s->max_seq = (uint16_t)(seq - 1);
	s->probation = MIN_SEQUENTIAL;
}

int rtcp_source_update(struct rtcp_source *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	if (s->probation) {
		/* A.1's "seq == max_seq + 1", in 16 bits so a wrap during
		 * probation is still in sequence */
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				init_seq(s, seq);
				s->valid = 1;
				s->received++;
				return 1;
			}
		} else {
			s->probation = MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return 0;
	} else if (udelta < MAX_DROPOUT) {
		/* in order, with a permissible gap */
		if (seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD;	/* wrapped */
		s->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		/* a very large jump: the source restarted if the next packet
		 * follows this one, else it is a stray */
		if (seq == s->bad_seq) {
			init_seq(s, seq);
		} else {
			s->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
			return 0;
		}
	}
	/* else a duplicate or a reordered packet: counted, max_seq kept */
	s->received++;
	return 1;
}

/* ---- A.8 interarrival jitter */

void rtcp_source_jitter(struct rtcp_source *s, uint32_t rtp_ts, uint32_t arrival)
{
	uint32_t transit = arrival - rtp_ts;
	int32_t d;

	if (!s->has_transit) {
		s->has_transit = 1;
		s->transit = transit;
		return;
	}
	d = (int32_t)(transit - s->transit);
	s->transit = transit;
	if (d < 0)
		d = -d;
	/* J += (|D| - J) / 16, J kept << 4 so the division is exact (A.8) */
	s->jitter += (uint32_t)d - ((s->jitter + 8) >> 4);
}

/* ---- A.3 loss */

uint32_t rtcp_source_ext_max(const struct rtcp_source *s)
{
	return s->cycles + s->max_seq;
}

uint32_t rtcp_source_expected(const struct rtcp_source *s)
{
	return s->valid ? rtcp_source_ext_max(s) - s->base_seq + 1 : 0;
}

int32_t rtcp_source_lost(const struct rtcp_source *s)
{
	int64_t lost = (int64_t)rtcp_source_expected(s) - s->received;

	/* 6.4.1: a 24-bit signed field, clamped */
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	return (int32_t)lost;
}

void rtcp_source_report(struct rtcp_source *s, struct rtcp_rb *rb)
{
	uint32_t expected = rtcp_source_expected(s);
	uint32_t exp_int = expected - s->expected_prior;
	uint32_t rcv_int = s->received - s->received_prior;
	int64_t lost_int = (int64_t)exp_int - rcv_int;

	s->expected_prior = expected;
	s->received_prior = s->received;
	memset(rb, 0, sizeof(*rb));
	rb->ssrc = s->ssrc;
	rb->fraction = exp_int == 0 || lost_int <= 0 ? 0 : (uint8_t)((lost_int << 8) / exp_int);
	rb->lost = rtcp_source_lost(s);
	rb->ext_max_seq = rtcp_source_ext_max(s);
	rb->jitter = s->jitter >> 4;
}

/* ---- build */

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* 6.1: V=2, no padding, the count, the type, the length in words minus one. */
static void put_hdr(uint8_t *p, int count, int pt, size_t len)
{
	p[0] = (uint8_t)(0x80 | count);
	p[1] = (uint8_t)pt;
	put16(p + 2, (uint32_t)(len / 4 - 1));
}

static void put_rb(uint8_t *p, const struct rtcp_rb *rb)
{
	put32(p, rb->ssrc);
	put32(p + 4, ((uint32_t)rb->fraction << 24) | ((uint32_t)rb->lost & 0xffffff));
	put32(p + 8, rb->ext_max_seq);
	put32(p + 12, rb->jitter);
	put32(p + 16, rb->lsr);
	put32(p + 20, rb->dlsr);
}

int rtcp_build(uint8_t *buf, size_t len, const struct rtcp_build_params *p)
{
	size_t cl = p->cname ? strlen(p->cname) : 0;
	size_t rr_len = 8 + (p->sr ? 20 : 0) + 24 * (size_t)p->n_rb;
	/* 6.5: chunk = SSRC, CNAME item, a zero octet at least, to a word */
	size_t sdes_len = 4 + ((4 + 2 + cl + 1 + 3) & ~(size_t)3);
	size_t bye_len = p->bye ? 8 : 0;
	uint8_t *q = buf;

	if (!cl || cl > 255 || p->n_rb < 0 || p->n_rb > RTCP_MAX_RB)
		return -EINVAL;
	if (rr_len + sdes_len + bye_len > len)
		return -ENOSPC;
	memset(buf, 0, rr_len + sdes_len + bye_len);
	/* 6.4.1 / 6.4.2 */
	put_hdr(q, p->n_rb, p->sr ? RTCP_SR : RTCP_RR, rr_len);
	put32(q + 4, p->ssrc);
	q += 8;
	if (p->sr) {
		put32(q, (uint32_t)(p->si.ntp >> 32));
		put32(q + 4, (uint32_t)p->si.ntp);
		put32(q + 8, p->si.rtp_ts);
		put32(q + 12, p->si.packets);
		put32(q + 16, p->si.octets);
		q += 20;
	}
	for (int i = 0; i < p->n_rb; i++, q += 24)
		put_rb(q, &p->rb[i]);
	/* 6.5.1 */
	put_hdr(q, 1, RTCP_SDES, sdes_len);
	put32(q + 4, p->ssrc);
	q[8] = RTCP_SDES_CNAME;
	q[9] = (uint8_t)cl;
	memcpy(q + 10, p->cname, cl);
	q += sdes_len;
	/* 6.6 */
	if (p->bye) {
		put_hdr(q, 1, RTCP_BYE, bye_len);
		put32(q + 4, p->ssrc);
		q += bye_len;
	}
	return (int)(q - buf);
}

/* ---- parse */

static void get_rb(const uint8_t *p, struct rtcp_rb *rb)
{
	uint32_t w = get32(p + 4);

	rb->ssrc = get32(p);
	rb->fraction = (uint8_t)(w >> 24);
	/* sign-extend the 24-bit cumulative loss */
	rb->lost = (int32_t)((w & 0xffffff) ^ 0x800000) - 0x800000;
	rb->ext_max_seq = get32(p + 8);
	rb->jitter = get32(p + 12);
	rb->lsr = get32(p + 16);
	rb->dlsr = get32(p + 20);
}

/* SR/RR body (past the 4-octet header), len octets. */
static int parse_report(const uint8_t *p, size_t len, int pt, int rc, struct rtcp_info *ri)
{
	size_t need = 4 + (pt == RTCP_SR ? 20 : 0) + 24 * (size_t)rc;

	if (len < need)
		return -EBADMSG;
	ri->ssrc = get32(p);
	p += 4;
	if (pt == RTCP_SR) {
		ri->has_sr = 1;
		ri->si.ntp = ((uint64_t)get32(p) << 32) | get32(p + 4);
		ri->si.rtp_ts = get32(p + 8);
		ri->si.packets = get32(p + 12);
		ri->si.octets = get32(p + 16);
		p += 20;
	}
	ri->n_rb = rc;
	for (int i = 0; i < rc; i++, p += 24)
		get_rb(p, &ri->rb[i]);
	return 0;
}

/* 6.5: rc chunks, each an SSRC and items up to a zero type, to a word. The
 * first CNAME is kept. */
static int parse_sdes(const uint8_t *p, size_t len, int rc, struct rtcp_info *ri)
{
	size_t off = 0;

	for (int c = 0; c < rc; c++) {
		if (off + 4 > len)
			return -EBADMSG;
		off += 4;
		for (;;) {
			size_t il;

			if (off >= len)
				return -EBADMSG;
			if (p[off] == 0) {	/* end of the item list */
				off = (off + 4) & ~(size_t)3;
				break;
			}
			if (off + 2 > len)
				return -EBADMSG;
			il = p[off + 1];
			if (off + 2 + il > len)
				return -EBADMSG;
			if (p[off] == RTCP_SDES_CNAME && !ri->cname[0]) {
				memcpy(ri->cname, p + off + 2, il);
				ri->cname[il] = 0;
			}
			off += 2 + il;
		}
	}
	return off <= len ? 0 : -EBADMSG;
}

/* 6.6: sc SSRCs, then an optional reason. */
static int parse_bye(const uint8_t *p, size_t len, int sc, struct rtcp_info *ri)
{
	if ((size_t)sc * 4 > len)
		return -EBADMSG;
	for (int i = 0; i < sc; i++)
		if (get32(p + 4 * i) == ri->ssrc)
			ri->bye = 1;
	return 0;
}

int rtcp_parse(const uint8_t *p, size_t n, struct rtcp_info *ri)
{
	size_t off = 0;

	memset(ri, 0, sizeof(*ri));
	while (off < n) {
		const uint8_t *h = p + off;
		size_t plen;
		int pt, count, rc = 0;

		if (n - off < 4 || (h[0] >> 6) != 2)
			return -EBADMSG;
		pt = h[1];
		count = h[0] & 0x1f;
		plen = ((size_t)((h[2] << 8) | h[3]) + 1) * 4;
		if (plen > n - off)
			return -EBADMSG;
		/* A.2: the first packet an SR or RR without padding; padding
		 * only on the last, and inside it */
		if (off == 0 && (pt != RTCP_SR && pt != RTCP_RR))
			return -EBADMSG;
		if (h[0] & 0x20) {
			if (off + plen != n || off == 0 ||
			    h[plen - 1] == 0 || h[plen - 1] > plen - 4)
				return -EBADMSG;
			plen -= h[plen - 1];
		}
		switch (pt) {
		case RTCP_SR:
		case RTCP_RR:
			/* the first report is the reporter's; later ones
			 * (more than 31 sources) add nothing we track */
			if (off == 0)
				rc = parse_report(h + 4, plen - 4, pt, count, ri);
			break;
		case RTCP_SDES:
			rc = parse_sdes(h + 4, plen - 4, count, ri);
			break;
		case RTCP_BYE:
			rc = parse_bye(h + 4, plen - 4, count, ri);
			break;
		default:	/* APP, XR, feedback: not ours to read */
			break;
		}
		if (rc)
			return rc;
		ri->n_pkts++;
		off += ((size_t)((h[2] << 8) | h[3]) + 1) * 4;
	}
	return off == n && n ? 0 : -EBADMSG;
}

/* ---- time */

int rtcp_rtt_ms(uint32_t arrival_mid, uint32_t lsr, uint32_t dlsr)
{
	uint32_t rtt;

	if (!lsr)
		return -1;
	rtt = arrival_mid - lsr - dlsr;
	/* more than a minute: a clock step or a block about someone else */
	if (rtt > 60u * 65536)
		return -1;
	return (int)(((uint64_t)rtt * 1000 + 32768) >> 16);
}

uint32_t rtcp_us_to_q16(long long us)
{
	if (us <= 0)
		return 0;
	return (uint32_t)(((unsigned long long)us << 16) / 1000000);
}

unsigned rtcp_interval_ms(unsigned tmin_ms, int members, int senders, int we_sent,
			  double bw, double avg_size, int initial, double rnd)
{
	/* A.7: RTCP gets 5 % of the session bandwidth (6.2), a quarter of
	 * that for the senders when they are few; e - 3/2 compensates the
	 * timer reconsideration's bias toward short intervals (6.3.1). */
	const double sender_frac = 0.25, compensation = 2.71828 - 1.5;
	double rtcp_bw = bw * 0.05, tmin = tmin_ms / 1000.0, t;
	int nm = members;

	if (initial)
		tmin /= 2;
	if (senders <= members * sender_frac) {
		if (we_sent) {
			rtcp_bw *= sender_frac;
			nm = senders;
		} else {
			rtcp_bw *= 1 - sender_frac;
			nm -= senders;
		}
	}
	t = rtcp_bw > 0 ? avg_size * nm / rtcp_bw : tmin;
	if (t < tmin)
		t = tmin;
	t = t * (rnd + 0.5) / compensation;
	return (unsigned)(t * 1000 + 0.5);
}
