/* sipgw - fax and modem tone detection on SpanDSP. See fax_tone.h.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "fax_tone.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <spandsp.h>

#define FT_KINDS (FAX_TONE_V21 + 1)

/* Two SpanDSP detectors: one for CNG, one for the answering side, which
 * reports ANS (CED) after ~0.7 s of 2100 Hz, or ANS/ once it has seen a
 * reversal (~1.5 s: SpanDSP waits for one before saying plain ANS), ANSam
 * and ANSam/, or the V.21 preamble (flags). */
/* The gate. SpanDSP's two detectors cost some 4.5 us per 20 ms frame, and
 * a B-channel runs them both ways: most of a channel's DSP when its echo
 * canceller is off (issue 14). Every tone they look for is narrowband:
 * CNG 1100 Hz, CED / ANS / ANSam 2100 Hz, the V.21 channel 2 preamble
 * 1650 / 1850 Hz FSK. So a frame is first measured at those frequencies
 * (one Goertzel pass for five, ~0.5 us), and SpanDSP sees only frames where
 * one holds a real share of the frame's energy, and everything for
 * FT_HANG_FRAMES after, so it sees a tone whole and its end. Below
 * FT_FLOOR_MEANSQ (-50 dBm0; SpanDSP's own floor is -43) nothing opens it.
 * A pure tone at a bin puts ~0.9 of its energy there through G.711; white
 * noise puts 2/N (0.0125) in each, so the thresholds leave a fax tone
 * mixed with noise a wide margin and noise about 1e-7 a frame.
 * SpanDSP's state is started afresh when the gate opens again after a
 * silence of the tones, so it never joins audio seconds apart. */
#define FT_GATE_MIN 80			/* shorter blocks go straight in */
#define FT_GATE_ONE 0.2			/* share of energy at one frequency */
#define FT_GATE_V21 0.3			/* at the three V.21 frequencies together */
#define FT_HANG_FRAMES 25		/* 500 ms */
#define FT_FLOOR_MEANSQ (2.6e8 * 1e-5)	/* -50 dBm0 (0 dBm0: 2.6e8, tone.c) */
#define FT_GATE_N 5
#define FT_LANES 8
static const double ft_gate_hz[FT_GATE_N] = { 1100, 1650, 1750, 1850, 2100 };

struct fax_tone_det {
	modem_connect_tones_rx_state_t *cng;
	modem_connect_tones_rx_state_t *ans;
	float coef[FT_LANES];		/* 2 cos(2 pi f / 8000); 0 past FT_GATE_N */
	unsigned hang;			/* frames the gate stays open */
	unsigned long fed, skipped;	/* frames, for fax_tone_det_counts() */
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
	for (int i = 0; i < FT_GATE_N; i++)
		det->coef[i] = (float)(2.0 * cos(2.0 * M_PI * ft_gate_hz[i] / 8000.0));
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

/* 1: SpanDSP must see this block (see "The gate" above). */
static int ft_gate(struct fax_tone_det *det, const int16_t *amp, size_t n)
{
	/* FT_LANES wide so the compiler runs the five filters as vectors;
	 * float is plenty for 160 samples of 16-bit audio */
	float s1[FT_LANES] = { 0 }, s2[FT_LANES] = { 0 }, e = 0;
	double share[FT_GATE_N];
	int open = 0;

	if (n < FT_GATE_MIN)
		return 1;
	for (size_t k = 0; k < n; k++) {
		float x = amp[k];

		e += x * x;
		for (int i = 0; i < FT_LANES; i++) {
			float s0 = x + det->coef[i] * s1[i] - s2[i];

			s2[i] = s1[i];
			s1[i] = s0;
		}
	}
	if (e / (double)n >= FT_FLOOR_MEANSQ) {
		/* |X(f)|^2 of a sine at f is (A n / 2)^2 and its energy A^2 n / 2:
		 * the share is |X|^2 / (e n / 2), 1 for a pure tone at f */
		for (int i = 0; i < FT_GATE_N; i++) {
			share[i] = ((double)s1[i] * s1[i] + (double)s2[i] * s2[i] -
				    (double)det->coef[i] * s1[i] * s2[i]) / ((double)e * (double)n / 2.0);
			if (share[i] >= FT_GATE_ONE)
				open = 1;
		}
		if (share[1] + share[2] + share[3] >= FT_GATE_V21)
			open = 1;
	}
	if (open) {
		if (!det->hang) {	/* the tones were silent: SpanDSP starts afresh */
			modem_connect_tones_rx_init(det->cng, MODEM_CONNECT_TONES_FAX_CNG, ft_report, det);
			modem_connect_tones_rx_init(det->ans, MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE,
						    ft_report, det);
		}
		det->hang = FT_HANG_FRAMES;
		return 1;
	}
	if (det->hang) {
		det->hang--;
		return 1;
	}
	return 0;
}

void fax_tone_det_counts(const struct fax_tone_det *det, unsigned long *fed, unsigned long *skipped)
{
	*fed = det->fed;
	*skipped = det->skipped;
}

enum fax_tone fax_tone_feed(struct fax_tone_det *det, const int16_t *amp, size_t n)
{
	enum fax_tone t;

	if (n && ft_gate(det, amp, n)) {
		det->fed++;
		modem_connect_tones_rx(det->cng, amp, (int)n);
		modem_connect_tones_rx(det->ans, amp, (int)n);
	} else if (n) {
		det->skipped++;
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
