/* sipgw - G.711 helpers over SpanDSP. SPDX-License-Identifier: GPL-2.0-only */
#include "g711.h"

#include <errno.h>
#include <spandsp.h>

int g711_law_pt(enum g711_law law) { return law == LAW_ALAW ? RTP_PT_PCMA : RTP_PT_PCMU; }

int g711_pt_law(int pt, enum g711_law *lawp)
{
	if (pt == RTP_PT_PCMU)
		*lawp = LAW_ULAW;
	else if (pt == RTP_PT_PCMA)
		*lawp = LAW_ALAW;
	else
		return -EINVAL;
	return 0;
}

const char *g711_law_name(enum g711_law law) { return law == LAW_ALAW ? "PCMA" : "PCMU"; }

uint8_t g711_silence(enum g711_law law) { return law == LAW_ALAW ? 0xd5 : 0xff; }

void g711_law_decode(enum g711_law law, const uint8_t *in, int16_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = law == LAW_ALAW ? alaw_to_linear(in[i]) : ulaw_to_linear(in[i]);
}

void g711_law_encode(enum g711_law law, const int16_t *in, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = law == LAW_ALAW ? linear_to_alaw(in[i]) : linear_to_ulaw(in[i]);
}

void g711_law_transcode(enum g711_law from, enum g711_law to, uint8_t *buf, size_t n)
{
	if (from == to)
		return;
	for (size_t i = 0; i < n; i++)
		buf[i] = from == LAW_ULAW ? ulaw_to_alaw(buf[i]) : alaw_to_ulaw(buf[i]);
}
