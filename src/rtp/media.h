/* sipgw - the media path of a call: two ports that hand each other 20 ms
 * frames of 16-bit linear audio at 8 kHz, and DTMF events. Each port turns
 * frames into its own wire format (G.711 on a B-channel, a codec in RTP).
 * The bridge joins and parts ports; it never sees sockets.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_RTP_MEDIA_H
#define SIPGW_RTP_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "dsp/g711.h"

#define MEDIA_FRAME 160		/* samples in 20 ms at 8 kHz */
#define MEDIA_RATE 8000

struct media_port;

/* A DTMF digit as it crosses the bridge, whatever method brought it: it
 * begins (duration_ms unknown yet, 0) and ends (duration_ms its length). A
 * method that only tells of a digit once (SIP INFO, Q.931 keypad) sends
 * both at once. method is the way it came ("inband", "rfc4733", "info",
 * "keypad"), for the log line that names each digit once. */
enum media_dtmf_phase { MEDIA_DTMF_BEGIN, MEDIA_DTMF_END };
struct media_dtmf {
	char digit;			/* 0-9 * # A-D */
	enum media_dtmf_phase phase;
	unsigned duration_ms;
	const char *method;
};

/** Play one frame of MEDIA_FRAME samples out of this port (towards its
 * B-channel or RTP peer). */
typedef void (media_play_h)(struct media_port *mp, const int16_t *frame);
/** Send a DTMF event out of this port, the port's own way. */
typedef void (media_dtmf_h)(struct media_port *mp, const struct media_dtmf *ev);
/** A port on its own 20 ms clock (a B-channel) asks its peer for the next
 * frame (the peer's jitter buffer): fill frame, return 1; 0 when the peer
 * has no frame buffered for pulling (then it pushes with play). */
typedef int (media_pull_h)(struct media_port *mp, int16_t *frame);

/* What a port heard and what RTCP told of its stream (RFC 3550 6.4), taken
 * when its leg ends: the call's end log line and the CDR (issue 13). */
struct media_stats {
	int valid;			/* 0: the port has none (a B-channel) */
	unsigned long rx_packets, tx_packets;
	long rx_lost;			/* A.3 cumulative: expected - received */
	unsigned long rx_expected;
	double jitter_ms;		/* A.8 */
	int rtt_ms;			/* 6.4.1; -1 unknown */
	long remote_lost;		/* the far end's report on our stream */
	int remote_fraction;		/* of 256 in its last report; -1 no report */
	/* the jitter buffer: frames late, concealed (PLC), comfort noise */
	unsigned long jb_late, jb_plc, jb_cn, jb_overflow;
	/* a B-channel's echo canceller (q931/pri_media.c), whatever valid says:
	 * ec 0 none, 1 on, 2 turned off (fax/modem); ERLE and ERL in dB, NAN
	 * not measured, ERL INFINITY when no echo came back (dsp/echo.h) */
	int ec;
	double ec_erle_db, ec_erl_db;
};
/** A fax or modem was heard on the call (CED, ANS/, V.21): keep the audio as
 * it is from now on (no silence suppression). */
typedef void (media_fax_h)(struct media_port *mp);
typedef void (media_stats_h)(struct media_port *mp, struct media_stats *st);

struct media_port {
	const char *kind;		/* "pri" / "rtp", for logs */
	const char *codec;		/* its wire format, for logs ("PCMU", "G722", ...) */
	media_play_h *play;
	media_dtmf_h *dtmf;		/* NULL: digits stay in the audio */
	media_pull_h *pull;		/* NULL: it only pushes */
	media_stats_h *stats;		/* NULL: no figures */
	media_fax_h *fax;		/* NULL: it changes nothing for a fax */
	int clocked;			/* it plays on its own 20 ms clock and may pull */
	void *owner;
	struct media_port *peer;	/* where frames heard on this port go */
	unsigned long frames_in, frames_out;
};

/** Join two ports both ways; audio flows at once (cut-through). */
void media_join(struct media_port *a, struct media_port *b);
/** Undo media_join for whichever pair p belongs to. */
void media_part(struct media_port *p);
/** A frame of MEDIA_FRAME samples was heard on port from: pass it to its peer. */
void media_deliver(struct media_port *from, const int16_t *frame);
/** A DTMF event was heard on port from: pass it to its peer. 1 when the
 * peer takes digits as events, 0 when they must stay in the audio. */
int media_dtmf(struct media_port *from, const struct media_dtmf *ev);
/** Whether from's peer takes DTMF as events (else in-band stays in-band). */
int media_peer_takes_dtmf(const struct media_port *from);
/** A fax was heard on port from's call: tell its peer. */
void media_fax(struct media_port *from);
/** The port's clock asks its peer for a frame: 1 filled, 0 none to pull. */
int media_pull(struct media_port *to, int16_t *frame);
/** The port's figures (st->valid 0 when it keeps none). */
void media_get_stats(struct media_port *mp, struct media_stats *st);
/** " rtp rx=N lost=L/E (P%) jitter=Jms rtt=Rms far-lost=F (P%) jb late=.. plc=.. cn=.."
 * for a log line; "" when st is not valid. Returns buf. */
const char *media_stats_format(char *buf, size_t len, const struct media_stats *st);

#endif
