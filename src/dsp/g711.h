/* sipgw - G.711 helpers over SpanDSP. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_DSP_G711_H
#define SIPGW_DSP_G711_H

#include <stddef.h>
#include <stdint.h>

enum g711_law { LAW_ULAW = 0, LAW_ALAW = 1 };

/* RTP static payload types of RFC 3551. */
#define RTP_PT_PCMU 0
#define RTP_PT_PCMA 8

int g711_law_pt(enum g711_law law);          /* LAW_ULAW -> 0, LAW_ALAW -> 8 */
int g711_pt_law(int pt, enum g711_law *lawp); /* -EINVAL for other payload types */
const char *g711_law_name(enum g711_law law); /* "PCMU" / "PCMA" */
uint8_t g711_silence(enum g711_law law);      /* the idle code: 0xff mu-law, 0xd5 A-law */
void g711_law_decode(enum g711_law law, const uint8_t *in, int16_t *out, size_t n);
void g711_law_encode(enum g711_law law, const int16_t *in, uint8_t *out, size_t n);
/** Convert n samples in place from one law to the other (SpanDSP's tables). */
void g711_law_transcode(enum g711_law from, enum g711_law to, uint8_t *buf, size_t n);

#endif
