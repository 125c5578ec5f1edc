/* sipgw - fuzz target: Q.931 from the PBX through libpri into sipgw's span
 * code (src/q931/span*.c, pri_leg.c, q931_trace.c).
 *
 * A span is made with a fake back end (struct span_hw_ops, hw/span_hw.h):
 * its d_read hands libpri one frame from the input (plus the 2 FCS bytes a
 * DAHDI D-channel gives), its d_write watches what libpri sends and throws it
 * away. Q.921 is brought up first (the far end's SABME, then UA), so that
 * I-frames reach Q.931, and each Q.931 message of the input goes into an
 * I-frame with the sequence numbers libpri expects: random bytes would never
 * hit those, and libpri (not built for coverage) gives the fuzzer no hint.
 * A small stand-in for the bridge takes every incoming call and drives legs
 * as the input says, so sipgw's handling of whatever libpri makes of the
 * frames is fuzzed too: SETUP, glare, answers, clearing, the far end going.
 *
 * Input: byte 0 is the span: bit 0 cpe (else network), bit 1 E1 (else T1),
 * bits 2-4 the switch type, bits 5-6 the hunt order, bit 7 refuse incoming
 * calls (cause 1) instead of taking them. E1 with switch type 7 (euroisdn_t1,
 * a T1 switch) is instead a T1 in an NFAS group (primary D-channel, interface
 * 0): Channel identification's interface identifier is then read too. Then records, one after another:
 *   0x00-0xdf N   a Q.931 message of N bytes follows (sent in an I-frame)
 *   0xe0-0xef N   a raw Q.921 frame of N bytes follows (address, control...)
 *   0xf0 a        place a call to the PBX (pri_leg_alloc_outgoing + setup), number 2000+a
 *   0xf1 a        alert the call a>>1 (in-band when a & 1)
 *   0xf2 a        progress (in-band audio) on call a
 *   0xf3 a        answer call a
 *   0xf4 a        release call a with cause a & 0x7f (0: 16)
 *   0xf5 a        the PBX goes away (its calls clear with cause 38) and comes back
 *   0xf6 a        (a + 1) * 250 ms pass for libpri: its expired timers run (T200, T303...)
 * FUZZ_VERBOSE=1 prints the frames both ways as sipgw's tracer decodes them.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <libpri.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <sofia-sip/su_wait.h>

#include "bridge/cause.h"
#include "bridge/leg.h"
#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "q931/q931_trace.h"
#include "core/trace.h"
#include "q931/pri_internal.h"
#include "q931/span.h"
#include "span_hw.h"

#include "pri_arena.h"

#define FRAME_MAX 512
#define MAX_LEGS 32

static su_root_t *root;
static int verbose;

/* ---- the fake back end ---- */

struct span_hw {
	const struct span_hw_cbs *cbs;
	void *arg;
};

static struct span_hw the_hw;
static uint8_t rx[FRAME_MAX + 2];
static size_t rx_len;
static int rx_pending;

/* What libpri sent: Q.921 state the next I-frame must agree with. */
static unsigned our_vs, our_vr;		/* N(S) of our next I-frame, N(R) = libpri's next N(S) */
static int link_primed, peer_sabme, peer_poll;

static void trace(const char *dir, const uint8_t *buf, size_t len)
{
	char line[256];
	int rc = q931_trace_frame(buf, len, line, sizeof(line));

	if (!verbose)
		return;
	if (rc == 0) {
		fprintf(stderr, "fuzz_q931 %s %s\n", dir, line);
	} else {
		fprintf(stderr, "fuzz_q931 %s Q.921", dir);
		for (size_t i = 0; i < len && i < 16; i++)
			fprintf(stderr, " %02x", buf[i]);
		fprintf(stderr, "\n");
	}
}

static int fz_open(struct span_hw **hwp, const struct cfg_span *cfg, struct su_root_s *r,
		   const struct span_hw_cbs *cbs, void *arg)
{
	the_hw.cbs = cbs;
	the_hw.arg = arg;
	*hwp = &the_hw;
	return 0;
}

static void fz_close(struct span_hw *hw)
{
	hw->cbs = NULL;
}

static ssize_t fz_d_read(struct span_hw *hw, void *buf, size_t len)
{
	size_t n = rx_len < len ? rx_len : len;

	if (!rx_pending)
		return 0;
	rx_pending = 0;
	memcpy(buf, rx, n);
	trace("<", rx, n);
	return (ssize_t)n;
}

static ssize_t fz_d_write(struct span_hw *hw, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	trace(">", b, len);
	if (len >= 4 && !(b[2] & 1))
		our_vr = ((b[2] >> 1) + 1) & 0x7f;	/* an I-frame: acknowledge it */
	else if (len >= 3 && (b[2] & 0xef) == 0x6f)
		peer_sabme = 1;				/* SABME: libpri (re)starts the link */
	else if (len >= 4 && (b[2] & 3) == 1 && (b[3] & 1))
		peer_poll = 1;				/* RR/RNR/REJ with P=1: T200 ran out */
	return (ssize_t)len;
}

static int fz_b_write(struct span_hw *hw, int chan, const uint8_t *frame, size_t len)
{
	return 0;
}

static const struct span_hw_ops fuzz_hw_ops = {
	.name = "fuzz",
	.open = fz_open,
	.close = fz_close,
	.d_read = fz_d_read,
	.d_write = fz_d_write,
	.b_write = fz_b_write,
};

/* ---- a stand-in for the bridge: it only keeps the legs ---- */

static struct leg *legs[MAX_LEGS];
static int refuse_incoming;

static void leg_keep(struct leg *leg)
{
	for (int i = 0; i < MAX_LEGS; i++)
		if (!legs[i]) {
			legs[i] = leg;
			return;
		}
}

static struct leg *leg_pick(unsigned a)
{
	int n = 0;
	struct leg *live[MAX_LEGS];

	for (int i = 0; i < MAX_LEGS; i++)
		if (legs[i])
			live[n++] = legs[i];
	return n ? live[a % (unsigned)n] : NULL;
}

/* pri_leg.c tells the call a leg is done; these legs have no call, so the
 * real call_leg_gone() destroys them: forget them first. */
void __real_call_leg_gone(struct leg *leg);
void __wrap_call_leg_gone(struct leg *leg)
{
	for (int i = 0; i < MAX_LEGS; i++)
		if (legs[i] == leg)
			legs[i] = NULL;
	__real_call_leg_gone(leg);
}

static int incoming(void *arg, struct leg *leg, const struct leg_setup_info *si, int *causep)
{
	if (strnlen(si->called, sizeof(si->called)) >= sizeof(si->called) ||
	    strnlen(si->calling, sizeof(si->calling)) >= sizeof(si->calling) ||
	    strnlen(si->display, sizeof(si->display)) >= sizeof(si->display))
		abort();
	if (refuse_incoming) {
		*causep = CAUSE_UNALLOCATED;
		return -EPERM;
	}
	leg_keep(leg);
	return 0;
}

/* The B-channel table and the legs agree: each channel held by one leg
 * that knows it holds it, no leg on a channel it does not hold (two calls
 * on one B-channel would cross their audio). */
static void check_chans(const struct span *sp)
{
	const struct pri_leg *pl;

	for (int c = 0; c < SPAN_MAX_CHANS; c++) {
		if (!sp->chans[c])
			continue;
		if (!span_chan_valid(sp, c) || sp->chans[c]->chan != c)
			abort();
	}
	LIST_FOREACH(pl, &sp->legs, entry)
		if (pl->chan && sp->chans[pl->chan] != pl)
			abort();
}

/* ---- driving ---- */

static void run_loop(void)
{
	/* zero-delay timers: the route timer that hands a SETUP to the bridge */
	su_root_step(root, 0);
	su_root_step(root, 0);
}

static void deliver(const uint8_t *frame, size_t len)
{
	if (len > FRAME_MAX || !the_hw.cbs)
		return;
	memcpy(rx, frame, len);
	rx[len] = rx[len + 1] = 0;	/* FCS placeholder */
	rx_len = len + 2;
	rx_pending = 1;
	the_hw.cbs->d_readable(the_hw.arg);
	rx_pending = 0;
	run_loop();
}

/* Q.921 address octets of the PBX's commands and responses (C/R, Q.921 3.3.2). */
static uint8_t cmd_addr(int cpe)
{
	return cpe ? 0x02 : 0x00;	/* C/R = 1: a command from the network side */
}

static uint8_t resp_addr(int cpe)
{
	return cpe ? 0x00 : 0x02;
}

static void prime(int cpe)
{
	const uint8_t sabme[] = { cmd_addr(cpe), 0x01, 0x7f };
	const uint8_t ua[] = { resp_addr(cpe), 0x01, 0x73 };

	our_vs = our_vr = 0;
	peer_sabme = peer_poll = 0;
	deliver(sabme, sizeof(sabme));
	deliver(ua, sizeof(ua));	/* answers libpri's own SABME, if it sent one */
	peer_sabme = 0;
	link_primed = 1;
}

static void send_q931(int cpe, const uint8_t *msg, size_t len)
{
	uint8_t f[FRAME_MAX];

	if (len + 4 > sizeof(f))
		return;
	if (peer_sabme) {
		/* libpri restarted the link: answer its SABME */
		const uint8_t ua[] = { resp_addr(cpe), 0x01, 0x73 };
		peer_sabme = 0;
		our_vs = our_vr = 0;
		deliver(ua, sizeof(ua));
	}
	f[0] = cmd_addr(cpe);
	f[1] = 0x01;
	f[2] = (uint8_t)(our_vs << 1);
	f[3] = (uint8_t)(our_vr << 1);
	memcpy(f + 4, msg, len);
	our_vs = (our_vs + 1) & 0x7f;
	deliver(f, len + 4);
}

/* Time passes for libpri (pri_arena.c moves its clock): run each timer that
 * has expired through the span's own timer callback, as the loop would. The
 * PBX answers libpri's polls (RR F=1, Q.921 5.5.3), so the link stays up
 * and Q.931's own timers (T303, T305, T308, T310...) get their turn. */
static void time_passes(struct span *span, int cpe, unsigned ms)
{
	pri_clock_advance(ms);
	for (int k = 0; k < 64 && span->pri; k++) {
		struct timeval *next = pri_schedule_next(span->pri), now;
		pri_clock_now(&now);
		if (!next || timercmp(next, &now, >))
			break;
		loop_timer_start(span->pri_timer, 0);
		run_loop();
		if (peer_poll) {
			const uint8_t rr[] = { resp_addr(cpe), 0x01, 0x01, (uint8_t)(our_vr << 1 | 1) };
			peer_poll = 0;
			deliver(rr, sizeof(rr));
		}
	}
}

static const enum span_switch switches[] = { SWITCH_NI2, SWITCH_EUROISDN_E1, SWITCH_DMS100,
					    SWITCH_4ESS, SWITCH_5ESS, SWITCH_NI1,
					    SWITCH_QSIG, SWITCH_EUROISDN_T1 };
static const char *const switch_names[] = { "ni2", "euroisdn_e1", "dms100", "4ess", "5ess", "ni1",
					    "qsig", "euroisdn_t1" };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	log_set_level(getenv("FUZZ_LOG") ? LOG_LVL_DEBUG : LOG_LVL_ERROR);
	su_init();
	root = su_root_create(NULL);
	if (!root)
		exit(1);
	return 0;
}

/* Overlap receiving: four digits make a number (a stand-in for routing's rule). */
static int number_complete(void *arg, const char *number)
{
	return strlen(number) >= 4;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg_span cfg;
	struct span_params sp = { .cfg = &cfg, .incoming_h = incoming, .number_h = number_complete,
				  .t302_ms = 100 };
	struct span *span;
	struct trace *tr = NULL;	/* every frame to a call's ladder (span_trace.c, core/ladder.c) */
	size_t i = 1;
	int cpe;

	if (size < 1)
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.name, sizeof(cfg.name), "fuzz");
	cfg.type = SPAN_LOOPBACK;
	cpe = data[0] & 1;
	cfg.role = cpe ? ROLE_CPE : ROLE_NETWORK;
	cfg.framing = data[0] & 2 ? FRAMING_E1 : FRAMING_T1;
	cfg.switchtype = switches[(data[0] >> 2) & 7];
	if (cfg.framing == FRAMING_E1 && cfg.switchtype == SWITCH_EUROISDN_T1) {
		cfg.framing = FRAMING_T1;
		cfg.nfas_group = 1;
		cfg.nfas_d = NFAS_D_PRIMARY;
		cfg.nfas_int = 0;
	}
	snprintf(cfg.switch_name, sizeof(cfg.switch_name), "%s", switch_names[(data[0] >> 2) & 7]);
	cfg.hunt = (enum hunt_order)(((data[0] >> 5) & 3) % 3);
	/* hunt 3 (ascending again): overlap both ways and SERVICE messages too */
	cfg.overlap_receive = cfg.overlap_send = cfg.service_messages = ((data[0] >> 5) & 3) == 3;
	refuse_incoming = data[0] >> 7;
	sp.root = root;
	sp.hw_ops = &fuzz_hw_ops;
	if (trace_alloc(&tr, &(struct trace_params){ .root = root }))
		abort();
	sp.trace = tr;
	memset(legs, 0, sizeof(legs));
	link_primed = 0;
	pri_clock_reset();
	if (span_alloc(&span, &sp) || span_nfas_link(&span, 1))
		abort();

	while (i < size) {
		uint8_t t = data[i++];
		size_t n;

		if (t < 0xf0) {
			n = t < 0xe0 ? t : (i < size ? data[i++] : 0);
			if (n > size - i)
				n = size - i;
			if (!link_primed)
				prime(cpe);
			if (t < 0xe0)
				send_q931(cpe, data + i, n);
			else
				deliver(data + i, n);
			i += n;
			continue;
		}
		{
			uint8_t a = i < size ? data[i++] : 0;
			struct leg *leg = leg_pick(a >> 1);
			struct leg *out;
			struct leg_setup_info si = { .law = cfg.framing == FRAMING_E1 ? LAW_ALAW : LAW_ULAW };
			char called[16];

			switch (t) {
			case 0xf0: {
				int cause;

				if (!link_primed)
					prime(cpe);
				snprintf(si.calling, sizeof(si.calling), "5551000");
				snprintf(si.display, sizeof(si.display), "Fuzz");
				snprintf(called, sizeof(called), "%u", 2000u + a);
				si.emergency = a & 1;
				struct pri_leg_params pp = { .called = called, .plan = PRI_UNKNOWN | 0x1 };

				if (pri_leg_alloc_outgoing(&out, span, &pp))
					break;
				if (out->ops->setup(out, &si, &cause) == 0)
					leg_keep(out);
				else
					out->ops->destroy(out);
				break;
			}
			case 0xf1:
				if (leg)
					leg->ops->alert(leg, a & 1);
				break;
			case 0xf2:
				if (leg)
					leg->ops->progress(leg);
				break;
			case 0xf3:
				if (leg)
					leg->ops->answer(leg);
				break;
			case 0xf4:
				if (leg)
					leg->ops->release(leg, (a & 0x7f) ? (a & 0x7f) : 16);
				break;
			case 0xf6:
				time_passes(span, cpe, (a + 1u) * 250);
				break;
			case 0xf5:
				if (the_hw.cbs)
					the_hw.cbs->link(the_hw.arg, 0);
				link_primed = 0;	/* the next frame starts a fresh libpri */
				break;
			default:
				break;
			}
			run_loop();
		}
		check_chans(span);
	}

	/* The PBX vanishes: every call clears (cause 38) and every B-channel is
	 * free again, or waits for the RESTART ACKNOWLEDGE it is owed at the
	 * next D-channel up (Q.931 5.5). Then the span goes. */
	if (the_hw.cbs)
		the_hw.cbs->link(the_hw.arg, 0);
	run_loop();
	if (!LIST_EMPTY(&span->legs)) {
		if (verbose) {
			const struct pri_leg *pl;
			LIST_FOREACH(pl, &span->legs, entry)
				fprintf(stderr, "fuzz_q931: left behind: %s\n", pl->base.ops->describe((struct leg *)&pl->base));
		}
		abort();
	}
	for (int i = 0; i < span->n_b; i++)
		if (span->chans[span->bchans[i]])
			abort();
	span_free(span);
	run_loop();
	trace_free(tr);
	for (int k = 0; k < MAX_LEGS; k++)
		if (legs[k])
			abort();	/* a leg outlived its span */
	pri_arena_reset();
	return 0;
}
