/* sipgw - the media path of a call. SPDX-License-Identifier: GPL-2.0-only */
#include "rtp/media.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void media_join(struct media_port *a, struct media_port *b)
{
	media_part(a);
	media_part(b);
	a->peer = b;
	b->peer = a;
}

void media_part(struct media_port *p)
{
	if (!p)
		return;
	if (p->peer && p->peer->peer == p)
		p->peer->peer = NULL;
	p->peer = NULL;
}

void media_deliver(struct media_port *from, const int16_t *frame)
{
	struct media_port *to = from->peer;

	from->frames_in++;
	if (!to || !to->play)
		return;
	to->frames_out++;
	to->play(to, frame);
}

int media_peer_takes_dtmf(const struct media_port *from)
{
	return from->peer && from->peer->dtmf;
}

int media_dtmf(struct media_port *from, const struct media_dtmf *ev)
{
	struct media_port *to = from->peer;

	if (!to || !to->dtmf)
		return 0;
	to->dtmf(to, ev);
	return 1;
}

void media_fax(struct media_port *from)
{
	if (from->peer && from->peer->fax)
		from->peer->fax(from->peer);
}

int media_pull(struct media_port *to, int16_t *frame)
{
	struct media_port *from = to->peer;

	return from && from->pull ? from->pull(from, frame) : 0;
}

void media_get_stats(struct media_port *mp, struct media_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (mp && mp->stats)
		mp->stats(mp, st);
}

/* " ec=on erle=41.4dB erl=7.6dB"; "-" not measured; ERL past 40 dB is no echo */
static void ec_format(char *buf, size_t len, const struct media_stats *st)
{
	char erle[16] = "-", erl[16] = "-";

	if (!isnan(st->ec_erle_db))
		snprintf(erle, sizeof(erle), "%.1fdB", st->ec_erle_db);
	if (st->ec_erl_db > 40)
		snprintf(erl, sizeof(erl), ">40dB");
	else if (!isnan(st->ec_erl_db))
		snprintf(erl, sizeof(erl), "%.1fdB", st->ec_erl_db);
	snprintf(buf, len, " ec=%s erle=%s erl=%s", st->ec == 1 ? "on" : "off", erle, erl);
}

const char *media_stats_format(char *buf, size_t len, const struct media_stats *st)
{
	char rtt[16] = "?", far[32] = "?", ec[64] = "";

	if (st->ec)
		ec_format(ec, sizeof(ec), st);
	if (!st->valid) {
		snprintf(buf, len, "%s", ec);
		return buf;
	}
	if (st->rtt_ms >= 0)
		snprintf(rtt, sizeof(rtt), "%dms", st->rtt_ms);
	if (st->remote_fraction >= 0)
		snprintf(far, sizeof(far), "%ld (%.1f%%)", st->remote_lost, st->remote_fraction * 100.0 / 256);
	snprintf(buf, len, " rtp rx=%lu tx=%lu lost=%ld/%lu (%.1f%%) jitter=%.1fms rtt=%s far-lost=%s"
		 " jb late=%lu plc=%lu cn=%lu overflow=%lu%s", st->rx_packets, st->tx_packets, st->rx_lost,
		 st->rx_expected, st->rx_expected ? st->rx_lost * 100.0 / st->rx_expected : 0.0,
		 st->jitter_ms, rtt, far, st->jb_late, st->jb_plc, st->jb_cn, st->jb_overflow, ec);
	return buf;
}
