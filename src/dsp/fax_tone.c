/* sipgw - fax and modem tone detection on SpanDSP. See fax_tone.h.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "fax_tone.h"

#include <errno.h>
#include <stdlib.h>
#include <spandsp.h>

#define FT_KINDS (FAX_TONE_V21 + 1)

/* Two SpanDSP detectors: one for CNG, one for the answering side, which
 * reports ANS (CED) after ~0.7 s of 2100 Hz, or ANS/ once it has seen a
 * reversal (~1.5 s: SpanDSP waits for one before saying plain ANS), ANSam
 * and ANSam/, or the V.21 preamble (flags). */
struct fax_tone_det {
	modem_connect_tones_rx_state_t *cng;
	modem_connect_tones_rx_state_t *ans;
	unsigned seen;			/* bit per enum fax_tone reported */
	enum fax_tone queue[FT_KINDS];	/* recognised, not yet returned */
	unsigned queued;
};

static const char *const ft_names[FT_KINDS] = {
	[FAX_TONE_NONE] = "none", [FAX_TONE_CNG] = "CNG", [FAX_TONE_CED] = "CED",
	[FAX_TONE_ANS_PR] = "ANS/PR", [FAX_TONE_V21] = "V.21",
};

const char *fax_tone_name(enum fax_tone t)
{
	return (unsigned)t < FT_KINDS ? ft_names[t] : "?";
}

static enum fax_tone ft_from_spandsp(int code)
{
	switch (code) {
	case MODEM_CONNECT_TONES_FAX_CNG:
		return FAX_TONE_CNG;
	case MODEM_CONNECT_TONES_ANS:
	case MODEM_CONNECT_TONES_ANSAM:
		return FAX_TONE_CED;
	case MODEM_CONNECT_TONES_ANS_PR:
	case MODEM_CONNECT_TONES_ANSAM_PR:
		return FAX_TONE_ANS_PR;
	case MODEM_CONNECT_TONES_FAX_PREAMBLE:
		return FAX_TONE_V21;
	default:			/* MODEM_CONNECT_TONES_NONE: a tone ended */
		return FAX_TONE_NONE;
	}
}

static void ft_report(void *arg, int code, int level, int delay)
{
	struct fax_tone_det *det = arg;
	enum fax_tone t = ft_from_spandsp(code);

	if (t == FAX_TONE_NONE || (det->seen & (1u << t)))
		return;
	det->seen |= 1u << t;
	det->queue[det->queued++] = t;
}

int fax_tone_det_alloc(struct fax_tone_det **detp)
{
	struct fax_tone_det *det = calloc(1, sizeof(*det));

	if (!det)
		return -ENOMEM;
	det->cng = modem_connect_tones_rx_init(NULL, MODEM_CONNECT_TONES_FAX_CNG, ft_report, det);
	det->ans = modem_connect_tones_rx_init(NULL, MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE,
					       ft_report, det);
	if (!det->cng || !det->ans) {
		fax_tone_det_free(det);
		return -ENOMEM;
	}
	*detp = det;
	return 0;
}

void fax_tone_det_free(struct fax_tone_det *det)
{
	if (!det)
		return;
	if (det->cng)
		modem_connect_tones_rx_free(det->cng);
	if (det->ans)
		modem_connect_tones_rx_free(det->ans);
	free(det);
}

enum fax_tone fax_tone_feed(struct fax_tone_det *det, const int16_t *amp, size_t n)
{
	enum fax_tone t;

	if (n) {
		modem_connect_tones_rx(det->cng, amp, (int)n);
		modem_connect_tones_rx(det->ans, amp, (int)n);
	}
	if (!det->queued)
		return FAX_TONE_NONE;
	/* two kinds in one call: the next call (even with n = 0) returns the second */
	t = det->queue[0];
	for (unsigned i = 1; i < det->queued; i++)
		det->queue[i - 1] = det->queue[i];
	det->queued--;
	return t;
}
