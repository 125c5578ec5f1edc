/* sipgw - unit tests: RTP packets (RFC 3550 5.1, RFC 4733). The header
 * parse on bytes made here; then, since sessions own a UDP socket, one
 * session on 127.0.0.1 port 0 talking to a plain socket of the test: the
 * header fields of what we send, what is dropped and counted on receipt,
 * ICMP port unreachable. No sleeping: the loop is stepped until the
 * expected event, with a bound. SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

#include "core/log.h"
#include "rtp/rtcp.h"
#include "rtp/rtp.h"
#include "unit.h"

/* ---- the parse, on bytes */

static size_t pkt(uint8_t *p, uint8_t b0, uint8_t b1, size_t plen)
{
	memset(p, 0, RTP_HDR_LEN + plen);
	p[0] = b0;
	p[1] = b1;
	p[2] = 0x12, p[3] = 0x34;				/* seq */
	p[4] = 0xde, p[5] = 0xad, p[6] = 0xbe, p[7] = 0xef;	/* ts */
	p[8] = 0x01, p[9] = 0x02, p[10] = 0x03, p[11] = 0x04;	/* ssrc */
	for (size_t i = 0; i < plen; i++)
		p[RTP_HDR_LEN + i] = (uint8_t)(i + 1);
	return RTP_HDR_LEN + plen;
}

static void test_parse_fields(void)
{
	uint8_t p[200];
	struct rtp_header h;
	size_t n = pkt(p, 0x80, 0x00, 160);

	CU_ASSERT_EQUAL_FATAL(rtp_parse(p, n, &h), 0);
	CU_ASSERT_EQUAL(h.pt, 0);
	CU_ASSERT_EQUAL(h.marker, 0);
	CU_ASSERT_EQUAL(h.seq, 0x1234);
	CU_ASSERT_EQUAL(h.ts, 0xdeadbeefu);
	CU_ASSERT_EQUAL(h.ssrc, 0x01020304u);
	CU_ASSERT_PTR_EQUAL(h.payload, p + RTP_HDR_LEN);
	CU_ASSERT_EQUAL(h.plen, 160);

	/* marker and a dynamic payload type share the second octet */
	n = pkt(p, 0x80, 0x80 | 101, 4);
	CU_ASSERT_EQUAL_FATAL(rtp_parse(p, n, &h), 0);
	CU_ASSERT_EQUAL(h.marker, 1);
	CU_ASSERT_EQUAL(h.pt, 101);
	CU_ASSERT_EQUAL(h.plen, 4);
	/* the fixed header alone: an empty payload, still RTP */
	n = pkt(p, 0x80, 8, 0);
	CU_ASSERT_EQUAL_FATAL(rtp_parse(p, n, &h), 0);
	CU_ASSERT_EQUAL(h.pt, 8);
	CU_ASSERT_EQUAL(h.plen, 0);
}

static void test_parse_csrc(void)
{
	uint8_t p[200];
	struct rtp_header h;
	size_t n = pkt(p, 0x82, 0, 8 + 160);	/* CC = 2 */

	CU_ASSERT_EQUAL_FATAL(rtp_parse(p, n, &h), 0);
	CU_ASSERT_PTR_EQUAL(h.payload, p + RTP_HDR_LEN + 8);
	CU_ASSERT_EQUAL(h.plen, 160);
	CU_ASSERT_EQUAL(h.payload[0], 9);
	/* 15 CSRCs and nothing else: fits exactly */
	n = pkt(p, 0x8f, 0, 60);
	CU_ASSERT_EQUAL(rtp_parse(p, n, &h), 0);
	CU_ASSERT_EQUAL(h.plen, 0);
	/* one octet short of its CSRC list */
	CU_ASSERT_EQUAL(rtp_parse(p, n - 1, &h), -EBADMSG);
	n = pkt(p, 0x81, 0, 3);
	CU_ASSERT_EQUAL(rtp_parse(p, n, &h), -EBADMSG);
}

static void test_parse_extension(void)
{
	uint8_t p[200];
	struct rtp_header h;
	size_t n = pkt(p, 0x90, 0, 4 + 8 + 20);	/* X, two words of extension, 20 of payload */

	p[12] = 0xbe, p[13] = 0xde, p[14] = 0, p[15] = 2;
	CU_ASSERT_EQUAL_FATAL(rtp_parse(p, n, &h), 0);
	CU_ASSERT_PTR_EQUAL(h.payload, p + RTP_HDR_LEN + 12);
	CU_ASSERT_EQUAL(h.plen, 20);
	/* the extension's own header cut off */
	CU_ASSERT_EQUAL(rtp_parse(p, RTP_HDR_LEN + 3, &h), -EBADMSG);
	/* a length past the datagram */
	p[15] = 9;
	CU_ASSERT_EQUAL(rtp_parse(p, n, &h), -EBADMSG);
	p[14] = 0xff, p[15] = 0xff;
	CU_ASSERT_EQUAL(rtp_parse(p, n, &h), -EBADMSG);
	/* CSRCs first, then the extension (RFC 3550 5.3.1) */
	n = pkt(p, 0x91, 0, 4 + 4 + 4 + 10);
	p[16] = 0x10, p[17] = 0x00, p[18] = 0, p[19] = 1;
	CU_ASSERT_EQUAL_FATAL(rtp_parse(p, n, &h), 0);
	CU_ASSERT_PTR_EQUAL(h.payload, p + RTP_HDR_LEN + 12);
	CU_ASSERT_EQUAL(h.plen, 10);
}

static void test_parse_padding(void)
{
	uint8_t p[200];
	struct rtp_header h;
	size_t n = pkt(p, 0xa0, 0, 160 + 4);

	p[n - 1] = 4;
	CU_ASSERT_EQUAL_FATAL(rtp_parse(p, n, &h), 0);
	CU_ASSERT_EQUAL(h.plen, 160);
	/* padding up to the header: an empty payload */
	p[n - 1] = 164;
	CU_ASSERT_EQUAL(rtp_parse(p, n, &h), 0);
	CU_ASSERT_EQUAL(h.plen, 0);
	/* into the header, past the datagram, or a count of 0: malformed */
	p[n - 1] = 165;
	CU_ASSERT_EQUAL(rtp_parse(p, n, &h), -EBADMSG);
	p[n - 1] = 255;
	CU_ASSERT_EQUAL(rtp_parse(p, n, &h), -EBADMSG);
	p[n - 1] = 0;
	CU_ASSERT_EQUAL(rtp_parse(p, n, &h), -EBADMSG);
	/* padding, CSRC and extension together */
	n = pkt(p, 0xb1, 0, 4 + 4 + 4 + 10 + 2);
	p[16] = 0, p[17] = 0, p[18] = 0, p[19] = 1;
	p[n - 1] = 2;
	CU_ASSERT_EQUAL_FATAL(rtp_parse(p, n, &h), 0);
	CU_ASSERT_EQUAL(h.plen, 10);
}

static void test_parse_not_rtp(void)
{
	uint8_t p[200];
	struct rtp_header h;

	pkt(p, 0x80, 0, 20);
	for (size_t n = 0; n < RTP_HDR_LEN; n++)
		CU_ASSERT_EQUAL(rtp_parse(p, n, &h), -EBADMSG);
	for (int v = 0; v < 4; v++) {
		p[0] = (uint8_t)(v << 6);
		CU_ASSERT_EQUAL(rtp_parse(p, 32, &h), v == 2 ? 0 : -EBADMSG);
	}
}

/* What we build is what we parse. */
static void test_build_round_trip(void)
{
	uint8_t p[RTP_HDR_LEN];
	struct rtp_header h;

	CU_ASSERT_EQUAL(rtp_header_build(p, 101, 1, 0xffff, 0xfffffff0u, 0xcafef00du), RTP_HDR_LEN);
	CU_ASSERT_EQUAL(p[0], 0x80);	/* version 2, no P, X or CSRC */
	CU_ASSERT_EQUAL_FATAL(rtp_parse(p, sizeof(p), &h), 0);
	CU_ASSERT_EQUAL(h.pt, 101);
	CU_ASSERT_EQUAL(h.marker, 1);
	CU_ASSERT_EQUAL(h.seq, 0xffff);
	CU_ASSERT_EQUAL(h.ts, 0xfffffff0u);
	CU_ASSERT_EQUAL(h.ssrc, 0xcafef00du);
	CU_ASSERT_EQUAL(h.plen, 0);
	/* a payload type is 7 bits: it cannot set the marker */
	rtp_header_build(p, 0xff, 0, 1, 2, 3);
	CU_ASSERT_EQUAL(p[1], 0x7f);
}

/* ---- a session on 127.0.0.1 */

static su_root_t *root;

struct rx_log {
	int n;
	int pt[16], marker[16];
	uint16_t seq[16];
	uint32_t ts[16];
	size_t len[16];
	uint8_t first[16];
	unsigned refused, refused_run;
};

static void on_rx(void *arg, int pt, const uint8_t *payload, size_t len, uint16_t seq, uint32_t ts,
		  int marker)
{
	struct rx_log *l = arg;

	if (l->n >= 16)
		return;
	l->pt[l->n] = pt;
	l->marker[l->n] = marker;
	l->seq[l->n] = seq;
	l->ts[l->n] = ts;
	l->len[l->n] = len;
	l->first[l->n] = len ? payload[0] : 0;
	l->n++;
}

static void on_refused(void *arg, unsigned run)
{
	struct rx_log *l = arg;

	l->refused++;
	l->refused_run = run;
}

static int rtp_suite_init(void)
{
	su_init();
	root = su_root_create(NULL);
	return root ? 0 : -1;
}

static int rtp_suite_cleanup(void)
{
	su_root_destroy(root);
	su_deinit();
	return 0;
}

/* A plain UDP socket on 127.0.0.1, kernel's port. */
static int udp_open(int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static void udp_send_to(int fd, int port, const uint8_t *p, size_t n)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	CU_ASSERT_EQUAL(sendto(fd, p, n, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)n);
}

/* The next datagram, waiting up to a second; -1 when none came. */
static ssize_t udp_recv(int fd, uint8_t *buf, size_t len, int wait_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, wait_ms) != 1)
		return -1;
	return recv(fd, buf, len, MSG_DONTWAIT);
}

/* Turn the loop until done() holds, at most 2 s of waiting for events. */
static int step_until(int (*done)(void *), void *arg)
{
	for (int i = 0; i < 20 && !done(arg); i++)
		su_root_step(root, 100);
	return done(arg);
}

static struct rtp_session *session(struct rx_log *l)
{
	struct rtp_params rp = { .local_ip = "127.0.0.1", .recv_h = on_rx, .refused_h = on_refused, .arg = l };
	struct rtp_session *rs = NULL;

	CU_ASSERT_EQUAL(rtp_alloc(&rs, root, &rp), 0);
	return rs;
}

/* Our packets: version 2, the marker on a talkspurt's first, seq one up per
 * packet, ts up by the samples sent, one SSRC; nothing while held, time
 * going on; the payload as given. */
static void test_send_headers(void)
{
	struct rx_log l = { 0 };
	struct rtp_session *rs = session(&l);
	struct rtp_header h[8];
	uint8_t buf[8][400], payload[160];
	struct rtp_stats st;
	int port, fd = udp_open(&port);

	CU_ASSERT_FATAL(rs != NULL && fd >= 0);
	CU_ASSERT(rtp_local_port(rs) > 0);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(0xd5 ^ i);
	/* no remote yet: nothing sent, no error */
	CU_ASSERT_EQUAL(rtp_send(rs, 0, payload, 160, 160), 0);
	CU_ASSERT_EQUAL(rtp_set_remote(rs, "127.0.0.1", port), 0);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(rtp_send(rs, 0, payload, 160, 160), 0);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL_FATAL(udp_recv(fd, buf[i], sizeof(buf[i]), 1000), RTP_HDR_LEN + 160);
		CU_ASSERT_EQUAL_FATAL(rtp_parse(buf[i], RTP_HDR_LEN + 160, &h[i]), 0);
		CU_ASSERT_EQUAL(buf[i][0], 0x80);
		CU_ASSERT_EQUAL(h[i].pt, 0);
		CU_ASSERT_EQUAL(h[i].marker, i == 0);
		CU_ASSERT_EQUAL(h[i].plen, 160);
		CU_ASSERT_EQUAL(memcmp(h[i].payload, payload, 160), 0);
		if (i) {
			CU_ASSERT_EQUAL((uint16_t)(h[i].seq - h[i - 1].seq), 1);
			CU_ASSERT_EQUAL(h[i].ts - h[i - 1].ts, 160);
			CU_ASSERT_EQUAL(h[i].ssrc, h[0].ssrc);
		}
	}
	/* held (RFC 3264 8.4): nothing goes out, the clock goes on */
	CU_ASSERT_EQUAL(rtp_set_remote(rs, "0.0.0.0", 0), 0);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(rtp_send(rs, 0, payload, 80, 80), 0);
	CU_ASSERT_EQUAL(udp_recv(fd, buf[4], sizeof(buf[4]), 0), -1);
	/* resumed: a new talkspurt, the next seq, ts past the gap */
	CU_ASSERT_EQUAL(rtp_set_remote(rs, "127.0.0.1", port), 0);
	CU_ASSERT_EQUAL(rtp_send(rs, 8, payload, 80, 80), 0);
	CU_ASSERT_EQUAL_FATAL(udp_recv(fd, buf[4], sizeof(buf[4]), 1000), RTP_HDR_LEN + 80);
	CU_ASSERT_EQUAL_FATAL(rtp_parse(buf[4], RTP_HDR_LEN + 80, &h[4]), 0);
	CU_ASSERT_EQUAL(h[4].pt, 8);
	CU_ASSERT_EQUAL(h[4].marker, 1);
	CU_ASSERT_EQUAL((uint16_t)(h[4].seq - h[3].seq), 1);
	CU_ASSERT_EQUAL(h[4].ts - h[3].ts, 160 + 3 * 80);
	CU_ASSERT_EQUAL(h[4].ssrc, h[0].ssrc);
	/* held by direction (a=sendonly): nothing, the clock on; resumed: a
	 * new talkspurt */
	rtp_set_held(rs, 1);
	CU_ASSERT_EQUAL(rtp_send(rs, 8, payload, 80, 80), 0);
	CU_ASSERT_EQUAL(rtp_send_event(rs, 101, '1', 160, 0), 0);
	CU_ASSERT_EQUAL(udp_recv(fd, buf[5], sizeof(buf[5]), 0), -1);
	rtp_set_held(rs, 0);
	CU_ASSERT_EQUAL(rtp_send(rs, 8, payload, 80, 80), 0);
	CU_ASSERT_EQUAL_FATAL(udp_recv(fd, buf[5], sizeof(buf[5]), 1000), RTP_HDR_LEN + 80);
	CU_ASSERT_EQUAL_FATAL(rtp_parse(buf[5], RTP_HDR_LEN + 80, &h[5]), 0);
	CU_ASSERT_EQUAL(h[5].marker, 1);
	CU_ASSERT_EQUAL((uint16_t)(h[5].seq - h[4].seq), 1);
	CU_ASSERT_EQUAL(h[5].ts - h[4].ts, 160);
	/* too big for one datagram of ours */
	CU_ASSERT_EQUAL(rtp_send(rs, 0, payload, 1500, 160), -EMSGSIZE);
	CU_ASSERT_EQUAL(rtp_set_remote(rs, "127.0.0.1", 70000), -EINVAL);
	CU_ASSERT_EQUAL(rtp_set_remote(rs, "no.such.address", 4000), -EINVAL);
	rtp_get_stats(rs, &st);
	CU_ASSERT_EQUAL(st.tx_packets, 6);
	rtp_free(rs);
	close(fd);
}

/* RFC 4733: one event's packets carry its start timestamp, the first the
 * marker, each a new seq; the end packet thrice with one seq; audio after
 * it does not go back in time. */
static void test_send_events(void)
{
	struct rx_log l = { 0 };
	struct rtp_session *rs = session(&l);
	struct rtp_header h[8], a;
	uint8_t buf[8][64], payload[160] = { 0 }, ab[400];
	struct rtp_stats st;
	int port, fd = udp_open(&port);

	CU_ASSERT_FATAL(rs != NULL && fd >= 0);
	CU_ASSERT_EQUAL(rtp_set_remote(rs, "127.0.0.1", port), 0);
	CU_ASSERT_EQUAL(rtp_send(rs, 0, payload, 160, 160), 0);
	CU_ASSERT_EQUAL_FATAL(udp_recv(fd, ab, sizeof(ab), 1000), RTP_HDR_LEN + 160);
	CU_ASSERT_EQUAL_FATAL(rtp_parse(ab, RTP_HDR_LEN + 160, &a), 0);
	CU_ASSERT_EQUAL(rtp_send_event(rs, 101, 'x', 160, 0), -EINVAL);
	CU_ASSERT_EQUAL(rtp_send_event(rs, 101, 'b', 160, 0), 0);
	CU_ASSERT_EQUAL(rtp_send_event(rs, 101, 'b', 320, 0), 0);
	CU_ASSERT_EQUAL(rtp_send_event(rs, 101, 'b', 1200, 1), 0);
	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL_FATAL(udp_recv(fd, buf[i], sizeof(buf[i]), 1000), RTP_HDR_LEN + 4);
		CU_ASSERT_EQUAL_FATAL(rtp_parse(buf[i], RTP_HDR_LEN + 4, &h[i]), 0);
		CU_ASSERT_EQUAL(h[i].pt, 101);
		CU_ASSERT_EQUAL(h[i].marker, i == 0);
		CU_ASSERT_EQUAL(h[i].ts, a.ts + 160);	/* where the event began */
		CU_ASSERT_EQUAL(h[i].ssrc, a.ssrc);
		CU_ASSERT_EQUAL(h[i].payload[0], 13);	/* 'B' (RFC 4733 3.2) */
		CU_ASSERT_EQUAL(h[i].payload[1] & 0x80, i >= 2 ? 0x80 : 0);	/* E */
		CU_ASSERT_EQUAL(h[i].payload[1] & 0x3f, 10);	/* volume */
	}
	CU_ASSERT_EQUAL((h[0].payload[2] << 8) | h[0].payload[3], 160);
	CU_ASSERT_EQUAL((h[1].payload[2] << 8) | h[1].payload[3], 320);
	CU_ASSERT_EQUAL((h[4].payload[2] << 8) | h[4].payload[3], 1200);
	CU_ASSERT_EQUAL((uint16_t)(h[0].seq - a.seq), 1);
	CU_ASSERT_EQUAL((uint16_t)(h[1].seq - h[0].seq), 1);
	CU_ASSERT_EQUAL((uint16_t)(h[2].seq - h[1].seq), 1);
	CU_ASSERT_EQUAL(h[3].seq, h[2].seq);
	CU_ASSERT_EQUAL(h[4].seq, h[2].seq);
	/* audio again: the next seq, the time past the whole event */
	CU_ASSERT_EQUAL(rtp_send(rs, 0, payload, 160, 160), 0);
	CU_ASSERT_EQUAL_FATAL(udp_recv(fd, ab, sizeof(ab), 1000), RTP_HDR_LEN + 160);
	CU_ASSERT_EQUAL_FATAL(rtp_parse(ab, RTP_HDR_LEN + 160, &h[5]), 0);
	CU_ASSERT_EQUAL((uint16_t)(h[5].seq - h[4].seq), 1);
	CU_ASSERT_EQUAL(h[5].ts, a.ts + 160 + 1200);
	CU_ASSERT_EQUAL(h[5].marker, 0);
	rtp_get_stats(rs, &st);
	CU_ASSERT_EQUAL(st.tx_packets, 7);
	rtp_free(rs);
	close(fd);
}

struct rx_wait {
	struct rtp_session *rs;
	unsigned long want;
};

static int rx_done(void *arg)
{
	struct rx_wait *w = arg;
	struct rtp_stats st;

	rtp_get_stats(w->rs, &st);
	return st.rx_packets + st.rx_dropped >= w->want;
}

/* Received: good packets reach the handler with their fields and payload;
 * too short, not version 2, a CSRC list, extension or padding past the
 * end, RTCP on the RTP port, an empty datagram: dropped and counted. */
static void test_receive_and_drop(void)
{
	struct rx_log l = { 0 };
	struct rtp_session *rs = session(&l);
	struct rx_wait w = { rs, 0 };
	struct rtp_stats st;
	uint8_t p[200];
	long long last_rx;
	unsigned run;
	int port, fd = udp_open(&port);
	size_t n;

	CU_ASSERT_FATAL(rs != NULL && fd >= 0);
	rtp_get_activity(rs, &last_rx, &run);
	CU_ASSERT_EQUAL(last_rx, 0);

	n = pkt(p, 0x80, 0x80, 160);		/* good, marker */
	udp_send_to(fd, rtp_local_port(rs), p, n);
	udp_send_to(fd, rtp_local_port(rs), p, 11);	/* too short */
	p[0] = 0x40;				/* version 1 */
	udp_send_to(fd, rtp_local_port(rs), p, n);
	n = pkt(p, 0x8f, 0, 10);		/* 15 CSRCs in 10 octets */
	udp_send_to(fd, rtp_local_port(rs), p, n);
	n = pkt(p, 0x90, 0, 8);			/* extension of 9 words in 8 octets */
	p[15] = 9;
	udp_send_to(fd, rtp_local_port(rs), p, n);
	n = pkt(p, 0xa0, 0, 8);			/* padding of 0 */
	p[n - 1] = 0;
	udp_send_to(fd, rtp_local_port(rs), p, n);
	n = pkt(p, 0x80, 200, 16);		/* RTCP SR (PT 200 = marker + 72) */
	udp_send_to(fd, rtp_local_port(rs), p, n);
	n = pkt(p, 0x80, 0x80 | 76, 16);	/* the top of RFC 5761's RTCP range */
	udp_send_to(fd, rtp_local_port(rs), p, n);
	udp_send_to(fd, rtp_local_port(rs), p, 0);	/* empty */
	n = pkt(p, 0xa1, 101, 4 + 4 + 3);	/* good: CSRC, event payload, 3 of padding */
	p[3] = 0x35;
	p[n - 1] = 3;
	udp_send_to(fd, rtp_local_port(rs), p, n);
	n = pkt(p, 0x80, 77, 8);		/* 77: past RTCP, RTP again */
	udp_send_to(fd, rtp_local_port(rs), p, n);
	w.want = 11;
	CU_ASSERT_FATAL(step_until(rx_done, &w));
	rtp_get_stats(rs, &st);
	CU_ASSERT_EQUAL(st.rx_packets, 3);
	CU_ASSERT_EQUAL(st.rx_dropped, 8);
	CU_ASSERT_EQUAL_FATAL(l.n, 3);
	CU_ASSERT_EQUAL(l.pt[0], 0);
	CU_ASSERT_EQUAL(l.marker[0], 1);
	CU_ASSERT_EQUAL(l.seq[0], 0x1234);
	CU_ASSERT_EQUAL(l.ts[0], 0xdeadbeefu);
	CU_ASSERT_EQUAL(l.len[0], 160);
	CU_ASSERT_EQUAL(l.first[0], 1);
	CU_ASSERT_EQUAL(l.pt[1], 101);
	CU_ASSERT_EQUAL(l.marker[1], 0);
	CU_ASSERT_EQUAL(l.seq[1], 0x1235);
	CU_ASSERT_EQUAL(l.len[1], 4);
	CU_ASSERT_EQUAL(l.first[1], 5);	/* past the CSRC */
	CU_ASSERT_EQUAL(l.pt[2], 77);
	rtp_get_activity(rs, &last_rx, &run);
	CU_ASSERT(last_rx > 0);
	CU_ASSERT_EQUAL(run, 0);
	rtp_free(rs);
	close(fd);
}

static int refused_once(void *arg)
{
	return ((struct rx_log *)arg)->refused >= 1;
}

static int refused_twice(void *arg)
{
	return ((struct rx_log *)arg)->refused >= 2;
}

static int got_one(void *arg)
{
	return ((struct rx_log *)arg)->n >= 1;
}

/* Sending to a port nobody listens on: ICMP port unreachable, counted, a
 * run the handler hears of; RTP from the far end ends the run. */
static void test_icmp_refused(void)
{
	struct rx_log l = { 0 };
	struct rtp_session *rs = session(&l);
	struct rtp_stats st;
	uint8_t payload[160] = { 0 }, p[200];
	long long last_rx;
	unsigned run;
	int closed, fd = udp_open(&closed);

	CU_ASSERT_FATAL(rs != NULL && fd >= 0);
	close(fd);			/* now nothing listens on closed */
	CU_ASSERT_EQUAL(rtp_set_remote(rs, "127.0.0.1", closed), 0);
	/* one at a time: the socket's pending error fails the next send until
	 * the loop has read the error queue */
	CU_ASSERT_EQUAL(rtp_send(rs, 0, payload, 160, 160), 0);
	CU_ASSERT_FATAL(step_until(refused_once, &l));
	CU_ASSERT_EQUAL(l.refused_run, 1);
	CU_ASSERT_EQUAL(rtp_send(rs, 0, payload, 160, 160), 0);
	CU_ASSERT_FATAL(step_until(refused_twice, &l));
	CU_ASSERT_EQUAL(l.refused_run, 2);
	rtp_get_stats(rs, &st);
	CU_ASSERT_EQUAL(st.icmp_refused, 2);
	rtp_get_activity(rs, &last_rx, &run);
	CU_ASSERT_EQUAL(run, 2);
	/* the far end speaks: the run is over */
	fd = udp_open(&closed);
	CU_ASSERT_FATAL(fd >= 0);
	udp_send_to(fd, rtp_local_port(rs), p, pkt(p, 0x80, 0, 160));
	CU_ASSERT_FATAL(step_until(got_one, &l));
	rtp_get_activity(rs, &last_rx, &run);
	CU_ASSERT_EQUAL(run, 0);
	CU_ASSERT(last_rx > 0);
	rtp_free(rs);
	close(fd);
}

/* RFC 3550 11: RTP even, RTCP the next port; a pair whose odd half is
 * taken is skipped for the next. */
static void test_rtcp_port_pair(void)
{
	struct rx_log l = { 0 };
	struct rtp_session *rs = session(&l);
	struct rtp_params rp = { .local_ip = "127.0.0.1" };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int odd = -1, fd, fds[16], nfd = 0, port;

	CU_ASSERT_FATAL(rs != NULL);
	port = rtp_local_port(rs);
	CU_ASSERT_EQUAL(port % 2, 0);
	/* the odd neighbour is ours: binding it again fails */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sin.sin_port = htons((uint16_t)(port + 1));
	CU_ASSERT_NOT_EQUAL(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	close(fd);
	rtp_free(rs);
	/* an odd port of the kernel's, kept, and a range starting just below it */
	while (nfd < 16 && odd < 0) {
		fds[nfd] = udp_open(&port);
		CU_ASSERT_FATAL(fds[nfd] >= 0);
		if (port & 1 && port < 65000)
			odd = port;
		nfd++;
	}
	CU_ASSERT_FATAL(odd > 0);
	rp.port_min = odd - 1;
	rp.port_max = odd + 40;
	rs = NULL;
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&rs, root, &rp), 0);
	CU_ASSERT(rtp_local_port(rs) > odd);
	CU_ASSERT_EQUAL(rtp_local_port(rs) % 2, 0);
	rtp_free(rs);
	/* a range of one pair whose odd half is taken: nothing */
	rp.port_max = odd - 1;
	rs = NULL;
	CU_ASSERT_EQUAL(rtp_alloc(&rs, root, &rp), -EADDRINUSE);
	CU_ASSERT_PTR_NULL(rs);
	while (nfd--)
		close(fds[nfd]);
}

/* port_next: each pick starts where the last left off, so a port given
 * back is not taken again at once, and the range wraps at its top. */
static void test_rtp_port_next(void)
{
	struct rtp_session *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	struct rtp_params rp = { .local_ip = "127.0.0.1" };
	int fd, port, next = 0;

	fd = udp_open(&port);	/* a port the kernel had free, and its neighbours likely are */
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	rp.port_min = port < 65000 ? port & ~1 : 40000;
	rp.port_max = rp.port_min + 5;	/* three pairs: min, min + 2, min + 4 */
	rp.port_next = &next;
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&a, root, &rp), 0);
	if (rtp_local_port(a) != rp.port_min) {
		rtp_free(a);	/* something else took the bottom pair: nothing to tell */
		return;
	}
	CU_ASSERT_EQUAL(next, rp.port_min + 2);
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&b, root, &rp), 0);
	CU_ASSERT_EQUAL(rtp_local_port(b), rp.port_min + 2);
	rtp_free(a);
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&c, root, &rp), 0);
	CU_ASSERT_EQUAL(rtp_local_port(c), rp.port_min + 4);	/* not the pair a gave back */
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&d, root, &rp), 0);
	CU_ASSERT_EQUAL(rtp_local_port(d), rp.port_min);	/* wrapped to the one free */
	CU_ASSERT_EQUAL(rtp_alloc(&a, root, &rp), -EADDRINUSE);	/* all three taken */
	rtp_free(b);
	rtp_free(c);
	rtp_free(d);
}

struct pair_wait {
	struct rtp_session *a, *b;
};

/* Both sides have heard the other's report on their own stream, with a
 * round trip from our SR's LSR, and B's report counts all of A's loss. */
static int reports_done(void *arg)
{
	struct pair_wait *w = arg;
	struct rtp_stats sa, sb;

	rtp_get_stats(w->a, &sa);
	rtp_get_stats(w->b, &sb);
	return sa.remote_lost == 19 && sa.rtt_ms >= 0 && sb.rtt_ms >= 0 && sb.remote_fraction >= 0;
}

/* Two sessions through the loop: A sends 200 packets with every 10th lost
 * on the way, B sends 200. B counts the loss (A.3) and reports it; A reads
 * it from B's RR/SR, and both get a round trip from LSR/DLSR. */
static void test_rtcp_exchange(void)
{
	struct rx_log la = { 0 }, lb = { 0 };
	struct rtp_params rp = { .local_ip = "127.0.0.1", .recv_h = on_rx, .rtcp_interval_ms = 200 };
	struct rtp_session *a = NULL, *b = NULL;
	struct pair_wait w;
	struct rtp_stats sa, sb;
	uint8_t payload[160] = { 0 };

	rp.arg = &la;
	rp.drop_every = 10;
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&a, root, &rp), 0);
	rp.arg = &lb;
	rp.drop_every = 0;
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&b, root, &rp), 0);
	CU_ASSERT_EQUAL(rtp_set_remote(a, "127.0.0.1", rtp_local_port(b)), 0);
	CU_ASSERT_EQUAL(rtp_set_remote(b, "127.0.0.1", rtp_local_port(a)), 0);
	rtp_get_stats(a, &sa);
	CU_ASSERT_EQUAL(sa.rtt_ms, -1);
	CU_ASSERT_EQUAL(sa.remote_fraction, -1);
	/* packets 10, 20 ... 200 of A's never leave */
	for (int i = 0; i < 200; i++) {
		CU_ASSERT_EQUAL(rtp_send(a, 0, payload, 160, 160), 0);
		CU_ASSERT_EQUAL(rtp_send(b, 0, payload, 160, 160), 0);
		if (i % 20 == 19)
			su_root_step(root, 0);	/* spread arrivals over the socket buffers */
	}
	w.a = a;
	w.b = b;
	/* reports every 200 ms +-50 %: run the loop until both have one, at
	 * most 3 s by the clock (the loop wakes on every packet) */
	for (long long end = mono_ms() + 3000; !reports_done(&w) && mono_ms() < end;)
		su_root_step(root, 100);
	CU_ASSERT(reports_done(&w));
	rtp_get_stats(a, &sa);
	rtp_get_stats(b, &sb);
	CU_ASSERT_EQUAL(sa.tx_packets, 200);
	CU_ASSERT_EQUAL(sa.tx_test_dropped, 20);
	/* B counts from A's 2nd packet (A.1 probation) to its last received,
	 * the 199th: 198 expected, 19 of them lost */
	CU_ASSERT_EQUAL(sb.rx_packets, 180);
	CU_ASSERT_EQUAL(sb.rx_expected, 198);
	CU_ASSERT_EQUAL(sb.rx_lost, 19);
	CU_ASSERT_EQUAL(sa.rx_expected, 199);
	CU_ASSERT_EQUAL(sa.rx_lost, 0);
	CU_ASSERT_EQUAL(sa.remote_lost, 19);
	CU_ASSERT_EQUAL(sb.remote_lost, 0);
	CU_ASSERT_EQUAL(sb.remote_fraction, 0);
	/* loopback: well under the 100 ms a real network might take */
	CU_ASSERT(sa.rtt_ms >= 0 && sa.rtt_ms < 100);
	CU_ASSERT(sb.rtt_ms >= 0 && sb.rtt_ms < 100);
	CU_ASSERT(sa.rtcp_rx >= 1 && sb.rtcp_rx >= 1 && sa.rtcp_tx >= 1 && sb.rtcp_tx >= 1);
	CU_ASSERT_EQUAL(sa.rtcp_dropped, 0);
	CU_ASSERT(sb.jitter_ms >= 0 && sb.jitter_ms < 1000);
	CU_ASSERT_EQUAL(lb.n, 16);	/* the handler saw RTP as before (its log keeps 16) */
	rtp_free(a);
	rtp_free(b);
}

/* A plain pair of sockets standing for the far end: RTP on an even port
 * (*fd, *port) and RTCP on the next one up (*fd2); *fd2 -1 when none. */
static void far_pair(int *fd, int *fd2, int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	*fd = *fd2 = -1;
	for (int i = 0; i < 64 && *fd2 < 0; i++) {
		if (*fd >= 0)
			close(*fd);
		*fd = udp_open(port);
		if (*port & 1)
			continue;
		*fd2 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		sin.sin_port = htons((uint16_t)(*port + 1));
		if (bind(*fd2, (struct sockaddr *)&sin, sizeof(sin))) {
			close(*fd2);
			*fd2 = -1;
		}
	}
}

/* RFC 3550 6.3.7: a participant that never sent RTP or RTCP must not send
 * a BYE: a session freed before any media (a call refused or cleared in
 * setup) leaves in silence. The BYE would be sent inside rtp_free (a
 * loopback datagram is in the far socket at once), so a read that does
 * not wait is enough. */
static void test_no_bye_without_media(void)
{
	struct rx_log l = { 0 };
	struct rtp_session *rs = session(&l);
	uint8_t buf[RTCP_MAX_PKT];
	int fd = -1, fd2 = -1, port = 0;

	CU_ASSERT_FATAL(rs != NULL);
	far_pair(&fd, &fd2, &port);
	CU_ASSERT_FATAL(fd2 >= 0);
	CU_ASSERT_EQUAL(rtp_set_remote(rs, "127.0.0.1", port), 0);
	rtp_free(rs);
	CU_ASSERT_EQUAL(udp_recv(fd2, buf, sizeof(buf), 0), -1);
	close(fd);
	close(fd2);
}

/* rtp_free says goodbye on the RTCP port (RFC 3550 6.3.7): RR, CNAME, BYE
 * for our SSRC; garbage on our RTCP port is counted, not taken. */
static void test_rtcp_bye_and_garbage(void)
{
	struct rx_log l = { 0 };
	struct rtp_session *rs = session(&l);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct rtp_header h;
	struct rtcp_info ri;
	struct rtp_stats st;
	uint8_t buf[RTCP_MAX_PKT], payload[160] = { 0 };
	int fd = -1, fd2 = -1, port = 0;
	ssize_t n;

	CU_ASSERT_FATAL(rs != NULL);
	far_pair(&fd, &fd2, &port);
	CU_ASSERT_FATAL(fd2 >= 0);
	CU_ASSERT_EQUAL(rtp_set_remote(rs, "127.0.0.1", port), 0);
	CU_ASSERT_EQUAL(rtp_send(rs, 0, payload, 160, 160), 0);
	CU_ASSERT_EQUAL_FATAL(udp_recv(fd, buf, sizeof(buf), 1000), RTP_HDR_LEN + 160);
	CU_ASSERT_EQUAL_FATAL(rtp_parse(buf, RTP_HDR_LEN + 160, &h), 0);
	/* garbage and an RTP packet on the RTCP port */
	sin.sin_port = htons((uint16_t)(rtp_local_port(rs) + 1));
	CU_ASSERT_EQUAL(sendto(fd2, payload, 20, 0, (struct sockaddr *)&sin, sizeof(sin)), 20);
	CU_ASSERT_EQUAL(sendto(fd2, buf, RTP_HDR_LEN + 160, 0, (struct sockaddr *)&sin, sizeof(sin)),
			RTP_HDR_LEN + 160);
	for (int i = 0; i < 20; i++) {
		rtp_get_stats(rs, &st);
		if (st.rtcp_dropped >= 2)
			break;
		su_root_step(root, 100);
	}
	CU_ASSERT_EQUAL(st.rtcp_dropped, 2);
	CU_ASSERT_EQUAL(st.rtcp_rx, 0);
	/* held by direction: no RTP, but RTCP goes on (RFC 3264 5.1) */
	rtp_set_held(rs, 1);
	CU_ASSERT_EQUAL(rtp_send(rs, 0, payload, 160, 160), 0);
	CU_ASSERT_EQUAL(udp_recv(fd, buf, sizeof(buf), 0), -1);
	rtp_free(rs);
	/* the report timer (5 s) has not fired: the BYE compound is the first */
	n = udp_recv(fd2, buf, sizeof(buf), 1000);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL_FATAL(rtcp_parse(buf, (size_t)n, &ri), 0);
	CU_ASSERT_EQUAL(ri.ssrc, h.ssrc);
	CU_ASSERT_EQUAL(ri.has_sr, 1);		/* we sent RTP */
	CU_ASSERT_EQUAL(ri.si.packets, 1);
	CU_ASSERT_EQUAL(ri.si.octets, 160);
	CU_ASSERT_EQUAL(ri.si.rtp_ts, h.ts + 320);	/* the held frame's time went by */
	CU_ASSERT_EQUAL(ri.n_rb, 0);		/* we heard no RTP */
	CU_ASSERT_EQUAL(strlen(ri.cname), 24);	/* 96 random bits (RFC 7022) */
	CU_ASSERT_EQUAL(ri.bye, 1);
	close(fd);
	close(fd2);
}

static const CU_TestInfo rtp_parse_tests[] = {
	{ "parse: header fields", test_parse_fields },
	{ "parse: CSRC count", test_parse_csrc },
	{ "parse: header extension", test_parse_extension },
	{ "parse: padding", test_parse_padding },
	{ "parse: too short, not version 2", test_parse_not_rtp },
	{ "build: our header parses back", test_build_round_trip },
	CU_TEST_INFO_NULL,
};

static const CU_TestInfo rtp_session_tests[] = {
	{ "send: seq, ts, SSRC, marker, hold", test_send_headers },
	{ "send: RFC 4733 events", test_send_events },
	{ "receive: malformed and RTCP dropped and counted", test_receive_and_drop },
	{ "ICMP port unreachable counted, RTP ends the run", test_icmp_refused },
	{ "RTCP: even/odd port pair", test_rtcp_port_pair },
	{ "RTP ports: the next pick starts where the last left off, wrapping", test_rtp_port_next },
	{ "RTCP: reports exchanged, loss, RTT", test_rtcp_exchange },
	{ "RTCP: BYE at free, garbage counted", test_rtcp_bye_and_garbage },
	{ "RTCP: no BYE from a session that never sent RTP or RTCP (RFC 3550 6.3.7)", test_no_bye_without_media },
	CU_TEST_INFO_NULL,
};

int suite_rtp_add(void)
{
	CU_pSuite s;

	if (unit_suite_add("rtp", rtp_parse_tests))
		return -1;
	/* the session tests need the loop */
	if (!(s = CU_add_suite("rtp_session", rtp_suite_init, rtp_suite_cleanup)))
		return -1;
	for (const CU_TestInfo *t = rtp_session_tests; t->pName; t++)
		if (!CU_add_test(s, t->pName, t->pTestFunc))
			return -1;
	return 0;
}
