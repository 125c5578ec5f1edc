/* sipgw - PBX simulator: DTMF by the two ways a PBX has. --dtmf DIGITS goes as tones
 * on the B-channel (--dtmf-ms each, a gap as long) or, with --dtmf-mode keypad, as
 * one INFORMATION with a Keypad facility IE per digit (Q.931 4.5.18; libpri
 * pri_keypad_facility). Digits heard either way are printed with the way:
 * "AUDIO dtmf D inband ch=N", "AUDIO dtmf D keypad ch=N".
 * SPDX-License-Identifier: GPL-2.0-only */
#include "pbx.h"

#include <errno.h>
#include <libpri.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_dtmf.h"

#define PBX_DTMF_RATE 8		/* samples per ms */

static const char *const mode_names[] = {
	[PBX_DTMF_INBAND] = "inband", [PBX_DTMF_KEYPAD] = "keypad",
};

struct pbx_dtmf {
	enum pbx_dtmf_mode mode;
	const char *digits;
	long wait;			/* samples of --dtmf-after still to run */
	struct sim_dtmf_gen *gen;	/* in-band */
	long samples;			/* since the first digit */
	size_t said;			/* digits started (in-band) or sent (keypad) */
};

int pbx_dtmf_parse_mode(const char *s, enum pbx_dtmf_mode *mp)
{
	for (size_t m = 0; m < sizeof(mode_names) / sizeof(mode_names[0]); m++)
		if (!strcmp(s, mode_names[m])) {
			*mp = (enum pbx_dtmf_mode)m;
			return 0;
		}
	return -EINVAL;
}

int pbx_dtmf_start(struct pbx_call *c)
{
	const struct pbx_opts *o = &c->pbx->opt;
	struct pbx_dtmf *t;
	int rc = 0;

	c->media.dtmf = NULL;
	if (!o->dtmf || !*o->dtmf)
		return 0;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->mode = o->dtmf_mode;
	t->digits = o->dtmf;
	t->wait = lround(o->dtmf_after * 1000) * PBX_DTMF_RATE;
	if (t->mode == PBX_DTMF_INBAND)
		rc = sim_dtmf_gen_alloc(&t->gen, o->dtmf, o->dtmf_ms, o->dtmf_ms);
	if (rc) {
		free(t);
		return rc;
	}
	c->media.dtmf = t;
	return 0;
}

void pbx_dtmf_stop(struct pbx_call *c)
{
	struct pbx_dtmf *t = c->media.dtmf;

	if (!t)
		return;
	sim_dtmf_gen_free(t->gen);
	free(t);
	c->media.dtmf = NULL;
}

/* The digits whose start falls in the next n samples: one "send" line each, and
 * for keypad the INFORMATION itself (one digit a message, as a telephone keypad). */
static void dtmf_starts(struct pbx_call *c, struct pbx_dtmf *t, size_t n)
{
	long cycle = 2L * c->pbx->opt.dtmf_ms * PBX_DTMF_RATE;

	while (t->digits[t->said] && (long)t->said * cycle < t->samples + (long)n) {
		char d[2] = { t->digits[t->said++], '\0' };

		pbx_out(c->pbx, PBX_EVENT, "call %d dtmf send %c %s", c->id, d[0], mode_names[t->mode]);
		if (t->mode == PBX_DTMF_KEYPAD && pri_keypad_facility(c->d->pri, c->q, d) < 0)
			pbx_out(c->pbx, PBX_EVENT, "call %d keypad facility refused by libpri", c->id);
	}
	t->samples += (long)n;
}

int pbx_dtmf_fill(struct pbx_call *c, int16_t *amp, size_t n)
{
	struct pbx_dtmf *t = c->media.dtmf;

	if (!t)
		return 0;
	/* keypad digits are call control: only in an active call (Q.931 5.3 no earlier) */
	if (t->mode == PBX_DTMF_KEYPAD && (c->fi.state != PCALL_ACTIVE || !c->q ||
					   pbx_dchan_gone(c->d)))
		return 0;
	if (t->wait > 0) {
		t->wait -= (long)n;
		return 0;
	}
	dtmf_starts(c, t, n);
	if (t->mode == PBX_DTMF_KEYPAD) {
		if (!t->digits[t->said])
			pbx_dtmf_stop(c);
		return 0;
	}
	if (sim_dtmf_gen_fill(t->gen, amp, n))
		return 1;
	pbx_dtmf_stop(c);	/* the digits are over: the tone (or silence) goes on */
	return 0;
}

void pbx_dtmf_heard(struct pbx_call *c, char digit, const char *method)
{
	pbx_out(c->pbx, PBX_AUDIO, "dtmf %c %s %s", digit, method,
		pbx_chan_str(c->pbx, "ch", c->iface, c->chan).s);
}

void pbx_dtmf_inband_on(void *call, char digit, int ms)
{
	pbx_dtmf_heard(call, digit, "inband");
}

void pbx_dtmf_inband_end(void *call, char digit, int ms)
{
	struct pbx_call *c = call;

	pbx_out(c->pbx, PBX_AUDIO, "dtmf-end %c inband ms=%d %s", digit, ms,
		pbx_chan_str(c->pbx, "ch", c->iface, c->chan).s);
}

void pbx_dtmf_keypad_in(struct pbx_call *c, const char *digits)
{
	for (; *digits; digits++)
		pbx_dtmf_heard(c, *digits, "keypad");
}
