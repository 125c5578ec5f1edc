/* sipgw - a PRI span on libpri over a span back end, driven by su_root
 * (DESIGN.md "One event loop"): its lifetime, its config, and the back
 * end's callbacks wired to the D-channel (span_dchan.c), libpri's events
 * (span_event.c) and the B-channels (span_chan.c).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/loop.h"

static void tick_cb(void *arg)
{
	span_media_tick(arg);
}

static const struct span_hw_cbs hw_cbs = {
	.d_readable = d_readable,
	.link = link_cb,
	.b_frame = b_frame,
	.b_rx_batch = span_rx_batch,
	.tick = tick_cb,
	.b_waited = span_media_waited,
};

static void pri_msg_cb(struct pri *pri, char *s)
{
	size_t n = strlen(s);

	if (pri && span_debug_msg(pri_get_userdata(pri), s))
		return;
	LOGD(LSS_Q931, "libpri: %.*s", (int)(n && s[n - 1] == '\n' ? n - 1 : n), s);
}

/* libpri reports what a far end does wrong, once per frame: a far end
 * that repeats it at frame rate must not flood the log. pri is NULL for
 * messages not tied to an instance. */
static void pri_err_cb(struct pri *pri, char *s)
{
	static struct log_limit lim_global;
	struct span *sp = pri ? pri_get_userdata(pri) : NULL;
	size_t n = strlen(s);

	LOGW_LIMIT(sp ? &sp->lim_pri_err : &lim_global, LSS_Q931, "libpri%s%s: %.*s",
		   sp ? " span " : "", sp ? sp->cfg->name : "",
		   (int)(n && s[n - 1] == '\n' ? n - 1 : n), s);
}

int span_alloc(struct span **spp, const struct span_params *p)
{
	struct span *sp = calloc(1, sizeof(*sp));
	int rc;

	if (!sp)
		return -ENOMEM;
	sp->own_cfg = *p->cfg;
	sp->cfg = &sp->own_cfg;
	sp->root = p->root;
	sp->incoming_h = p->incoming_h;
	sp->number_h = p->number_h;
	sp->pl_timer_ms[PL_T_T302] = p->t302_ms;
	sp->arg = p->arg;
	sp->reserved = p->reserved;
	sp->moh = p->moh;
	sp->trace = p->trace;
	sp->late = p->late;
	LIST_INIT(&sp->legs);
	/* T1: 23 B + D on 24; E1: 30 B on timeslots 1-15, 17-31, D on 16. */
	for (int c = 1; c <= (p->cfg->framing == FRAMING_E1 ? 31 : 23); c++)
		if (p->cfg->framing != FRAMING_E1 || c != 16)
			sp->bchans[sp->n_b++] = c;
	/* NFAS without a D-channel of its own: timeslot 24 is a B-channel */
	if (p->cfg->nfas_group && p->cfg->nfas_d == NFAS_D_NONE)
		sp->bchans[sp->n_b++] = 24;
	sp->hw_ops = p->hw_ops ? p->hw_ops : p->cfg->type == SPAN_LOOPBACK ? &loopback_hw_ops
		   : p->cfg->type == SPAN_DAHDI ? &dahdi_hw_ops : NULL;
	if (!sp->hw_ops) {
		free(sp);
		return -ENOTSUP;
	}
	pri_set_message(pri_msg_cb);
	pri_set_error(pri_err_cb);
	if ((rc = sp->hw_ops->open(&sp->hw, sp->cfg, p->root, &hw_cbs, sp)))
		goto err;
	if ((rc = loop_timer_alloc(&sp->pri_timer, p->root, "libpri", pri_timer_cb, sp)) ||
	    (rc = loop_timer_alloc(&sp->t316, p->root, "T316", span_t316_cb, sp)) ||
	    (rc = loop_timer_alloc(&sp->t_establish, p->root, "T200", t_establish_cb, sp)) ||
	    /* a card clocks its span's audio itself (span_hw_ops.clocks_media) */
	    (!sp->hw_ops->clocks_media && (rc = loop_ticker_alloc(&sp->tick, p->root, 20, tick_cb, sp))))
		goto err;
	span_media_clock_start(sp);
	LOGN(LSS_Q931, "span %s: %s %s %s, %d B-channels, %s law, at %s", p->cfg->name,
	     span_framing_name(p->cfg->framing), p->cfg->switch_name,
	     p->cfg->role == ROLE_NETWORK ? "network" : "cpe", sp->n_b,
	     span_law(sp) == LAW_ALAW ? "A" : "mu", p->cfg->path);
	*spp = sp;
	return 0;
err:
	span_free(sp);
	return rc;
}

void span_free(struct span *sp)
{
	if (!sp)
		return;
	while (!LIST_EMPTY(&sp->legs)) {
		struct pri_leg *pl = LIST_FIRST(&sp->legs);
		pl->base.ops->destroy(&pl->base);	/* leaves the list */
	}
	loop_ticker_free(sp->tick);
	loop_timer_free(sp->pri_timer);
	loop_timer_free(sp->t316);
	loop_timer_free(sp->t_establish);
	span_nfas_leave(sp);
	if (sp->hw)
		sp->hw_ops->close(sp->hw);
	/* sp->pri: libpri offers no way to free it; it lives until exit. */
	free(sp);
}

const char *span_name(const struct span *sp) { return sp->cfg->name; }
enum g711_law span_law(const struct span *sp) { return sp->cfg->framing == FRAMING_E1 ? LAW_ALAW : LAW_ULAW; }
