/* sipgw - fuzz target: UDPTL (src/rtp/udptl.c, T.38 9.1).
 *
 * The input is a stream of datagrams as they arrive on a T.38 port, each
 * prefixed by one length octet. Each is decoded; a packet that decodes is
 * encoded again (redundancy, FEC entries dropped) and must decode to the
 * same IFPs; every datagram is then fed to one receiver, which must deliver
 * IFPs in strictly increasing sequence order, never an empty one.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtp/udptl.h"

struct order {
	int any;
	uint16_t last;
};

static void on_ifp(void *arg, const uint8_t *ifp, size_t len, uint16_t seq, int recovered)
{
	struct order *o = arg;

	if (!len || len > UDPTL_MAX_DATAGRAM)
		abort();
	/* the next one, or past a gap: never back, never more than half the
	 * sequence space ahead (then it would be behind) */
	if (o->any && ((uint16_t)(seq - o->last) == 0 || (uint16_t)(seq - o->last) > 0x8000))
		abort();
	o->any = 1;
	o->last = seq;
	(void)ifp[len - 1];	/* inside the datagram (ASan) */
}

static void round_trip(const struct udptl_packet *p)
{
	uint8_t out[UDPTL_MAX_DATAGRAM * 2];
	struct udptl_packet again;
	int n;

	n = udptl_encode(out, sizeof(out), p);
	if (n < 0)
		abort();	/* what decoded from 255 octets always fits */
	if (udptl_decode(out, (size_t)n, &again))
		abort();
	if (again.seq != p->seq || again.primary.len != p->primary.len ||
	    memcmp(again.primary.p, p->primary.p, p->primary.len))
		abort();
	if (p->ec == UDPTL_EC_REDUNDANCY) {
		if (again.n != p->n)
			abort();
		for (int i = 0; i < p->n; i++)
			if (again.sec[i].len != p->sec[i].len ||
			    memcmp(again.sec[i].p, p->sec[i].p, p->sec[i].len))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct udptl_stats st = { 0 };
	struct order o = { 0 };
	struct udptl_rx rx = { .st = &st, .recv_h = on_ifp, .arg = &o };
	size_t off = 0;

	while (off < size) {
		size_t n = data[off++];
		struct udptl_packet p;
		uint8_t *d;

		if (n > size - off)
			n = size - off;
		/* a copy of its own size, so ASan sees any read past the datagram */
		d = malloc(n ? n : 1);
		if (!d)
			return 0;
		memcpy(d, data + off, n);
		if (udptl_decode(d, n, &p) == 0)
			round_trip(&p);
		(void)udptl_rx_feed(&rx, d, n);
		free(d);
		off += n;
	}
	return 0;
}
