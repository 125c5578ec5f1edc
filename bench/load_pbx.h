/* sipgw - load rig, PBX side (bench/load_pbx.c): its state, shared with the
 * command line and the summary (bench/load_pbx_cli.c).
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_BENCH_LOAD_PBX_H
#define SIPGW_BENCH_LOAD_PBX_H

#include <libpri.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "hw/loopback.h"
#include "sim/sim_stream.h"

#define LP_MAX_SPANS	128	/* DAHDI's limit, a full chassis */
#define LP_MAX_CHAN	32	/* timeslots 0-31 by number; 0 and 16 (E1) unused */
#define LP_RX_BATCH	64	/* datagrams per recvmmsg() */
#define LP_RESTART_WAIT_MS 1000	/* after D-channel up, the gateway's RESTARTs (Q.931 5.5) */
#define LP_CLEAR_WAIT_MS 5000	/* after the last DISCONNECT, for the RELEASEs */
#define LP_BURST_AFTER_US 1000000	/* --burst: this long after full load */

enum lp_state { LP_IDLE, LP_SETUP, LP_ALERTED, LP_ACTIVE, LP_CLEARING };

struct lp_span;

struct lp_call {
	struct lp_span *sp;
	int chan;
	enum lp_state state;
	q931_call *q;
	long long setup_us, alert_us, connect_us, hangup_at_us;
	int cause;
	int listening;			/* ACTIVE and not clearing: its frames are timed */
	int burst;			/* one of --burst's calls */
	struct sim_stream rx;
	long long tx_frames;
};

struct lp_span {
	int idx;
	const char *path;
	int dfd, bfd;
	struct pri *pri;
	int got_frame, closed;
	int up;
	long long up_ms;
	int restarted;			/* RESTART events seen (one per channel, or 'all') */
	int ready;			/* calls may be placed */
	int n_chans;
	int chans[LP_MAX_CHAN];		/* B-channel numbers of the span */
	struct lp_call calls[LP_MAX_CHAN];	/* by B-channel number */
	int next_free;			/* index into chans[] of the next channel to use */
	/* the tick's send batch: one datagram per active channel, its
	 * channel byte then one of the noise frames */
	unsigned char chan_byte[LP_MAX_CHAN];
	struct iovec txiov[LP_MAX_CHAN][2];
	struct mmsghdr txmsg[LP_MAX_CHAN];
	long long rx_unknown;		/* frames on a channel with no call of ours, or malformed */
	long long tx_errors;
};

struct lp_opts {
	const char *spans[LP_MAX_SPANS];
	int n_spans;
	int e1;
	int switchtype;
	int calls;
	double rate;			/* calls per second */
	double hold;			/* seconds of audio after CONNECT */
	int hold_after_full;		/* ... after every call is up (--hold-after-full) */
	int burst;			/* --burst K: calls placed more at full load */
	double burst_rate;
	int rx_wakeup;			/* --rx-wakeup: read B sockets when readable, not once a tick */
	const char *number, *calling;
	double timeout;
	int quiet;
};

struct lp {
	struct lp_opts o;
	struct lp_span *sp;
	int epfd, tfd, sfd;
	struct sim_clock clk;
	int clock_on;
	int placed, connected, alerted, failed, ended;
	long long next_place_us;
	long long *pdd_us, *s2c_us;	/* SETUP -> ALERTING, SETUP -> CONNECT, one a call */
	int n_pdd, n_s2c;
	int causes[128];		/* clearing causes of calls that never connected */
	long long start_us;
	int stop;
	int full;			/* every call placed is connected or failed */
	long long full_us;
	int burst_started, burst_connected;
	long long *bpdd_us;		/* --burst's SETUP -> ALERTING */
	int n_bpdd;
	int clearing;			/* the first of our DISCONNECTs is out */
	/* receive batch, shared by every span */
	unsigned char rxbuf[LP_RX_BATCH][LB_AUDIO_DGRAM + 8];
	char rxctl[LP_RX_BATCH][CMSG_SPACE(sizeof(struct timespec))];
	struct iovec rxiov[LP_RX_BATCH];
	struct mmsghdr rxmsg[LP_RX_BATCH];
	/* totals of ended streams */
	struct sim_stream_tot {
		long long streams, frames, late, lost, max_gap_us, late_streams, tx;
	} tot;
	uint8_t noise[SIM_NOISE_FRAMES][LB_AUDIO_SAMPLES];	/* what the channels send, cycled */
	long long tick;
};

/* epoll tags: a span's D or B socket, or the clock / signals */
#define TAG_TIMER	0xffff0001u
#define TAG_SIGNAL	0xffff0002u
#define TAG_D(i)	((uint32_t)(i) << 1)
#define TAG_B(i)	((uint32_t)(i) << 1 | 1u)

/** The stream of an ending call goes into the totals (load_pbx.c). */
void lp_stream_done(struct lp *lp, struct lp_call *c);
/** Parse the command line into o: 0, or -EINVAL after the usage (load_pbx_cli.c). */
int lp_parse(struct lp_opts *o, int argc, char **argv);
/** The one JSON line at the end, on stdout (load_pbx_cli.c). */
void lp_summary(struct lp *lp);

#endif
