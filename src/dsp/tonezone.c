/* sipgw - country tones from libtonezone, generated with SpanDSP. See tonezone.h.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "tonezone.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dahdi/tonezone.h>
#include <spandsp.h>

#define TZ_RATE 8000
#define TZ_MAX_SEGS 32
/* libtonezone's "f@/ms": the same tone quieter (its Australian congestion
 * alternates two levels); its parser plays it at about -20 dBm0. */
#define TZ_LOW_LEVEL_DBM0 -20

static const struct {
	const char *name;
	int dahdi;		/* DAHDI_TONE_* id in struct tone_zone */
} tz_tones[] = {
	[TZ_DIAL] = { "dial", DAHDI_TONE_DIALTONE },
	[TZ_RINGBACK] = { "ringback", DAHDI_TONE_RINGTONE },
	[TZ_BUSY] = { "busy", DAHDI_TONE_BUSY },
	[TZ_CONGESTION] = { "congestion", DAHDI_TONE_CONGESTION },
	[TZ_CALLWAIT] = { "callwait", DAHDI_TONE_CALLWAIT },
};
#define TZ_NTONES (sizeof(tz_tones) / sizeof(tz_tones[0]))

/* One comma-separated part of a tone string: "[!]f1[+f2|*f2|@][/ms]". */
struct tz_seg {
	tone_gen_descriptor_t *desc;	/* NULL: silence (frequency 0) */
	unsigned samples;		/* 0: for ever */
	int once;			/* '!': not part of the repeat */
};

struct tone_player {
	const char *spec;
	struct tz_seg seg[TZ_MAX_SEGS];
	unsigned nseg, loop;		/* the repeat starts at seg[loop] */
	unsigned cur, done;		/* segment playing, samples of it played */
	tone_gen_state_t *gen;
};

const char *tz_tone_name(enum tz_tone t)
{
	return (unsigned)t < TZ_NTONES ? tz_tones[t].name : "?";
}

static struct tone_zone *tz_find(const char *zone)
{
	char cc[sizeof(((struct tone_zone *)0)->country)];
	size_t i;

	if (!zone)
		return NULL;
	for (i = 0; zone[i] && i + 1 < sizeof(cc); i++)
		cc[i] = (char)tolower((unsigned char)zone[i]);
	if (zone[i])
		return NULL;
	cc[i] = '\0';
	if (!strcmp(cc, "gb"))
		strcpy(cc, "uk");
	return tone_zone_find(cc);
}

int tonezone_check(const char *zone)
{
	return tz_find(zone) ? 0 : -ENOENT;
}

static const char *tz_spec(const struct tone_zone *z, int dahdi)
{
	for (size_t i = 0; i < DAHDI_TONE_MAX; i++) {
		if (z->tones[i].toneid == dahdi && z->tones[i].data[0])
			return z->tones[i].data;
	}
	return NULL;
}

/* One part into seg (its descriptor made); 0 or -EINVAL / -ENOMEM. */
static int tz_parse_seg(const char *s, size_t len, struct tz_seg *seg)
{
	char buf[64], *p, *end;
	long f1, f2 = 0, ms = 0;
	int level = TZ_LEVEL_DBM0;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	p = buf;
	if (*p == '!') {
		seg->once = 1;
		p++;
	}
	f1 = strtol(p, &end, 10);
	if (end == p || f1 < 0)
		return -EINVAL;
	p = end;
	if (*p == '+' || *p == '*') {
		/* SpanDSP: a negative second frequency is an AM modulation */
		int am = *p == '*';

		f2 = strtol(p + 1, &end, 10);
		if (end == p + 1 || f2 < 0)
			return -EINVAL;
		f2 = am ? -f2 : f2;
		p = end;
	} else if (*p == '@') {
		level = TZ_LOW_LEVEL_DBM0;
		p++;
	}
	if (*p == '/') {
		ms = strtol(p + 1, &end, 10);
		if (end == p + 1 || ms <= 0 || ms > 60000)
			return -EINVAL;
		p = end;
	}
	if (*p)
		return -EINVAL;
	seg->samples = (unsigned)(ms * TZ_RATE / 1000);
	/* 8 kHz carries nothing from 4 kHz up (Thailand's call waiting says
	 * 10000 Hz, a slip in the table for 1000): that part is silence */
	if (f1 >= TZ_RATE / 2)
		f1 = 0;
	if (labs(f2) >= TZ_RATE / 2)
		f2 = 0;
	if (f1 == 0 && f2 != 0) {
		f1 = labs(f2);
		f2 = 0;
	}
	if (f1 == 0)
		return 0;
	/* one on-period as long as the part (or a minute, repeated, for ever);
	 * the cadence is walked here, part by part, since a tone string may
	 * change frequency between parts, which one descriptor cannot */
	seg->desc = make_tone_gen_descriptor(NULL, (int)f1, level, (int)f2,
					     f2 < 0 ? 50 : level, ms ? (int)ms : 60000, 0, 0, 0,
					     ms == 0);
	return seg->desc ? 0 : -ENOMEM;
}

static void tz_start_seg(struct tone_player *tp)
{
	tp->done = 0;
	if (tp->seg[tp->cur].desc)
		tone_gen_init(tp->gen, tp->seg[tp->cur].desc);
}

int tone_player_alloc(struct tone_player **tpp, const char *zone, enum tz_tone t)
{
	struct tone_zone *z = tz_find(zone);
	struct tone_player *tp;
	const char *s, *spec;
	int err = 0;

	if (!z)
		return -ENOENT;
	if ((unsigned)t >= TZ_NTONES || !(spec = tz_spec(z, tz_tones[t].dahdi)))
		return -EINVAL;
	tp = calloc(1, sizeof(*tp));
	if (!tp)
		return -ENOMEM;
	tp->spec = spec;
	for (s = spec; *s && !err; ) {
		size_t len = strcspn(s, ",");

		if (tp->nseg == TZ_MAX_SEGS)
			err = -EINVAL;
		else
			err = tz_parse_seg(s, len, &tp->seg[tp->nseg++]);
		s += len + (s[len] == ',');
	}
	/* the repeat goes back to the first part without '!' (tonezone.h) */
	while (!err && tp->loop < tp->nseg && tp->seg[tp->loop].once)
		tp->loop++;
	if (!err && tp->loop == tp->nseg) {
		/* all '!': played once, then silence for ever */
		if (tp->nseg == TZ_MAX_SEGS)
			err = -EINVAL;
		else
			tp->seg[tp->nseg++] = (struct tz_seg){ NULL, 0, 0 };
	}
	if (!err && !tp->nseg)
		err = -EINVAL;
	if (!err) {
		tone_gen_descriptor_t *any = NULL;

		for (unsigned i = 0; i < tp->nseg && !any; i++)
			any = tp->seg[i].desc;
		if (any && !(tp->gen = tone_gen_init(NULL, any)))
			err = -ENOMEM;
	}
	if (err) {
		tone_player_free(tp);
		return err;
	}
	tz_start_seg(tp);
	*tpp = tp;
	return 0;
}

void tone_player_free(struct tone_player *tp)
{
	if (!tp)
		return;
	if (tp->gen)
		tone_gen_free(tp->gen);
	for (unsigned i = 0; i < tp->nseg; i++) {
		if (tp->seg[i].desc)
			tone_gen_descriptor_free(tp->seg[i].desc);
	}
	free(tp);
}

void tone_player_fill(struct tone_player *tp, int16_t *amp, size_t n)
{
	while (n) {
		const struct tz_seg *seg = &tp->seg[tp->cur];
		size_t k = n;

		if (seg->samples && seg->samples - tp->done < k)
			k = seg->samples - tp->done;
		if (seg->desc) {
			int got = tone_gen(tp->gen, amp, (int)k);

			memset(amp + got, 0, (k - (size_t)got) * sizeof(*amp));
		} else {
			memset(amp, 0, k * sizeof(*amp));
		}
		amp += k;
		n -= k;
		if (!seg->samples)
			continue;		/* for ever */
		tp->done += (unsigned)k;
		if (tp->done == seg->samples) {
			tp->cur = tp->cur + 1 < tp->nseg ? tp->cur + 1 : tp->loop;
			tz_start_seg(tp);
		}
	}
}

const char *tone_player_spec(const struct tone_player *tp)
{
	return tp->spec;
}
