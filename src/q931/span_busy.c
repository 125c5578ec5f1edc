/* sipgw - the operator's hands on a span (sipgwctl): busyout / unbusy of
 * B-channels, as Cisco's "busyout", with SERVICE (AT&T TR 41459 / NI-2
 * maintenance) telling the far end where the switch takes it; and debug
 * q931, libpri's own decoded dump of each message at notice level.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"

int span_chan_busied(const struct span *sp, int chan)
{
	return chan > 0 && chan < SPAN_MAX_CHANS && (sp->busied & (1u << chan));
}

/* SERVICE for one B-channel, when the span takes SERVICE messages and its
 * calls can be signalled; else nothing (span_busy_resend sends it at the
 * next D-channel up). 1 sent, 0 not. */
static int svc_send(struct span *sp, int chan, int status)
{
	/* NFAS: the channel's interface, as its calls name it (Q.931 4.5.13) */
	int iface = sp->nfas ? sp->cfg->nfas_int : 0;

	if (!sp->cfg->service_messages || !sp->pri || !sp->dchan_up)
		return 0;
	if (pri_maintenance_service(sp->pri, iface, chan, status)) {
		LOGW(LSS_Q931, "span %s: libpri would not send SERVICE for B-channel %d", sp->cfg->name, chan);
		return 0;
	}
	span_reschedule(sp);	/* Q.921 T200 for the I-frame it went in */
	return 1;
}

static void range_str(char *buf, size_t len, int lo, int hi)
{
	if (lo == hi)
		snprintf(buf, len, "B-channel %d", lo);
	else
		snprintf(buf, len, "B-channels %d-%d", lo, hi);
}

int span_busyout(struct span *sp, int lo, int hi, int busy, int partial, int *chanp)
{
	uint32_t mask = 0, clash;
	int in_calls = 0, sent = 0, n = 0;
	char what[40];

	if (!span_chan_valid(sp, lo) || !span_chan_valid(sp, hi) || lo > hi)
		return -EINVAL;
	for (int c = lo; c <= hi; c++)
		if (span_chan_valid(sp, c))
			mask |= 1u << c;
	clash = mask & (busy ? sp->busied : ~sp->busied);
	if (clash && (!partial || clash == mask)) {
		*chanp = __builtin_ctz(clash);
		return -EALREADY;
	}
	mask &= ~clash;
	for (int c = lo; c <= hi; c++) {
		if (!(mask & (1u << c)))
			continue;
		n++;
		if (busy) {
			sp->busied |= 1u << c;
			/* a call up goes on; the far end hears of it when it is over */
			if (sp->chans[c]) {
				in_calls++;
				sp->busied_svc |= 1u << c;
			} else {
				sent += svc_send(sp, c, SPAN_SERVICE_OUT);
			}
		} else {
			sp->busied &= ~(1u << c);
			sp->busied_svc &= ~(1u << c);
			sent += svc_send(sp, c, SPAN_SERVICE_IN);
		}
	}
	range_str(what, sizeof(what), lo, hi);
	if (busy)
		LOGN(LSS_Q931, "span %s: %s busied out by the operator (%d channel(s), %d with a call that goes on); "
		     "SERVICE out of service sent for %d%s", sp->cfg->name, what, n, in_calls, sent,
		     sp->cfg->service_messages ? "" : " (service_messages off)");
	else
		LOGN(LSS_Q931, "span %s: %s back in use by the operator (%d channel(s)); SERVICE in service sent "
		     "for %d%s", sp->cfg->name, what, n, sent, sp->cfg->service_messages ? "" : " (service_messages off)");
	return 0;
}

void span_busy_chan_idle(struct span *sp, int chan)
{
	if (chan <= 0 || chan >= SPAN_MAX_CHANS || !(sp->busied_svc & (1u << chan)))
		return;
	sp->busied_svc &= ~(1u << chan);
	if (svc_send(sp, chan, SPAN_SERVICE_OUT))
		LOGN(LSS_Q931, "span %s: B-channel %d (busied out) idle now: SERVICE out of service sent",
		     sp->cfg->name, chan);
}

void span_busy_resend(struct span *sp)
{
	int sent = 0;

	if (!sp->busied)
		return;
	for (int i = 0; i < sp->n_b; i++) {
		int c = sp->bchans[i];

		if (!span_chan_busied(sp, c))
			continue;
		if (sp->chans[c])
			sp->busied_svc |= 1u << c;
		else
			sent += svc_send(sp, c, SPAN_SERVICE_OUT);
	}
	if (sp->cfg->service_messages)
		LOGN(LSS_Q931, "span %s: %d B-channel(s) still busied out by the operator; SERVICE out of service "
		     "sent again for %d", sp->cfg->name, __builtin_popcount(sp->busied), sent);
	else
		LOGN(LSS_Q931, "span %s: %d B-channel(s) still busied out by the operator", sp->cfg->name,
		     __builtin_popcount(sp->busied));
}

void span_debug_apply(struct span *d)
{
	int flags = 0;

	if (!d->dpri)
		return;		/* span_pri_start applies it when it starts */
	if (log_get_level() >= LOG_LVL_DEBUG)
		flags |= PRI_DEBUG_Q921_STATE | PRI_DEBUG_Q921_DUMP;
	if (d->debug_q931)
		flags |= PRI_DEBUG_Q931_DUMP;
	pri_set_debug(d->dpri, flags);
}

void span_debug_q931(struct span *sp, int on)
{
	struct span *d[2];
	int n = span_nfas_dspans(sp, d, 2);

	sp->debug_q931 = on;
	/* NFAS: the messages of sp's calls go on its group's D-channels */
	for (int i = 0; i < n; i++) {
		d[i]->debug_q931 = on;
		d[i]->dbg_len = 0;
		span_debug_apply(d[i]);
	}
	LOGN(LSS_Q931, "span %s: debug q931 %s", sp->cfg->name, on ? "on" : "off");
}

/* libpri prints a dump in pieces ("[", the octets, "]\n"): one log line
 * per line it printed. */
int span_debug_msg(struct span *d, const char *s)
{
	if (!d || !d->debug_q931)
		return 0;
	for (; *s; s++) {
		if (*s != '\n' && d->dbg_len < sizeof(d->dbg_line) - 1) {
			d->dbg_line[d->dbg_len++] = *s;
			continue;
		}
		if (*s != '\n')
			continue;	/* an overlong line: its end is cut */
		d->dbg_line[d->dbg_len] = 0;
		if (d->dbg_len)
			LOGN(LSS_Q931, "span %s q931: %s", d->cfg->name, d->dbg_line);
		d->dbg_len = 0;
	}
	return 1;
}
