/* sipgw - DAHDI's /etc/dahdi/system.conf as data: which spans exist, their
 * framing, and which of their channels are B-channels and the D-channel.
 * Read by config (a dahdi span is checked against it), and by the fake DAHDI
 * of the tests (hw/fakedahdi.c), which plays the kernel for those spans.
 * Needs no DAHDI header. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_DAHDI_CONF_H
#define SIPGW_CORE_DAHDI_CONF_H

#include <stddef.h>
#include <stdint.h>

#define DAHDI_CONF_MAX_SPANS 128	/* DAHDI_MAX_SPANS */
#define DAHDI_CONF_MAX_CHANNO 1024	/* DAHDI_MAX_CHANNELS: channels of all spans */
#define DAHDI_CONF_T1_CHANS 24
#define DAHDI_CONF_E1_CHANS 31

enum dahdi_conf_line { DAHDI_LINE_T1, DAHDI_LINE_E1 };

/* One span= line and the channel lines that fall in its channels. Timeslots
 * are the span's own channel numbers (1..24 on a T1, 1..31 on an E1), which
 * are also Q.931's channel numbers; DAHDI numbers channels across all spans,
 * span after span, so global channel = base + timeslot - 1. */
struct dahdi_conf_span {
	int num;			/* span=N */
	int line;			/* of its span= line */
	enum dahdi_conf_line kind;	/* esf/d4: T1, ccs/cas: E1 */
	char framing[8], coding[8];	/* as written: "esf", "b8zs" */
	int base;			/* global channel number of timeslot 1 */
	int n_chans;			/* 24 or 31 */
	uint32_t bchans;		/* bchan= timeslots, bit per timeslot */
	uint32_t odd_law;		/* timeslots alaw= (T1) or mulaw= (E1) turned away from
					 * the line's own law: mu-law on a T1, A-law on an E1 */
	int dchan;			/* timeslot of dchan= or hardhdlc=, 0: none */
	int hardhdlc;			/* the D-channel is hardhdlc= (HDLC on the card) */
	int dchan_line;			/* of the dchan=/hardhdlc= line */
	int bchan_line;			/* of the last bchan= line naming this span */
};

struct dahdi_conf {
	char file[256];
	struct dahdi_conf_span spans[DAHDI_CONF_MAX_SPANS];
	int n_spans;
};

/** Parse a system.conf. 0, -errno when the file cannot be read, or -EINVAL
 * with "file:line: what" in err. Keys sipgw has no use for (loadzone,
 * echocanceller, fxs...) are skipped, as dahdi_cfg would apply them. */
int dahdi_conf_load(struct dahdi_conf *dc, const char *path, char *err, size_t errlen);
/** The same on text already in memory; name stands for the file in errors. */
int dahdi_conf_parse(struct dahdi_conf *dc, const char *name, const char *text, char *err,
		     size_t errlen);
/** Span num, or NULL when system.conf has no span= line for it. */
const struct dahdi_conf_span *dahdi_conf_span(const struct dahdi_conf *dc, int num);
/** The span and timeslot of a global channel number; 0 or -ENOENT. */
int dahdi_conf_chan(const struct dahdi_conf *dc, int channo, const struct dahdi_conf_span **spp,
		    int *tsp);
/** The timeslots a PRI of this kind uses: B-channels as bits, the D-channel
 * in *dchanp (T1: 1-23 + 24; E1: 1-15, 17-31 + 16). */
uint32_t dahdi_conf_pri_bchans(enum dahdi_conf_line kind, int *dchanp);

#endif
