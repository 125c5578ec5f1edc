/* sipgw - phone simulator: the user's mid-call keys as a timed list (--at SEC:ACTION):
 * hold, resume, a second call, switching calls, transfers, 3-way calling, hangup;
 * and call waiting (--answer-waiting). Cisco SIP phone admin guide, figures B-3..B-13.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone_pcall.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PMID_FRAME 160		/* one 20 ms frame, as phone_media.c sends */

/* The actions, one row each: name, whether an argument follows ':' */
enum pmid_act { PA_HOLD, PA_RESUME, PA_CALL, PA_SWITCH, PA_TRANSFER, PA_ATTENDED,
		PA_CONFERENCE, PA_HANGUP, PA_CODEC, PA__COUNT };

static const struct {
	const char *name;
	int arg;		/* 0 none, 1 optional, 2 required */
} acts[PA__COUNT] = {
	[PA_HOLD] = { "hold", 1 }, [PA_RESUME] = { "resume", 1 }, [PA_CALL] = { "call", 2 },
	[PA_SWITCH] = { "switch", 2 }, [PA_TRANSFER] = { "transfer", 2 },
	[PA_ATTENDED] = { "attended", 2 }, [PA_CONFERENCE] = { "conference", 0 },
	[PA_HANGUP] = { "hangup", 1 }, [PA_CODEC] = { "codec", 2 },
};

/* "hold=sendonly:2" -> PA_HOLD, style "sendonly", arg "2"; NULL parts absent. */
static int pmid_split(const char *action, char *buf, size_t len, const char **stylep,
		      const char **argp)
{
	char *colon, *eq;

	if (snprintf(buf, len, "%s", action) >= (int)len)
		return -EINVAL;
	*stylep = *argp = NULL;
	colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		*argp = colon + 1;
	}
	eq = strchr(buf, '=');
	if (eq) {
		*eq = '\0';
		*stylep = eq + 1;
	}
	for (int a = 0; a < PA__COUNT; a++) {
		if (strcmp(buf, acts[a].name))
			continue;
		if ((acts[a].arg == 0 && *argp) || (acts[a].arg == 2 && (!*argp || !**argp)) ||
		    (*stylep && a != PA_HOLD))
			return -EINVAL;
		return a;
	}
	return -EINVAL;
}

static int hold_style(const char *style, enum sdp_dir *dirp, int *nullp)
{
	if (!style || !strcmp(style, "null"))
		*dirp = SDP_SENDRECV, *nullp = 1;
	else if (!strcmp(style, "sendonly"))
		*dirp = SDP_SENDONLY, *nullp = 0;
	else if (!strcmp(style, "inactive"))
		*dirp = SDP_INACTIVE, *nullp = 0;
	else
		return -EINVAL;
	return 0;
}

int pmid_parse_at(struct phone_opts *o, const char *arg)
{
	const char *colon = strchr(arg, ':'), *style, *rest;
	char buf[PCALL_URI_MAX + 32], *end, num[32];
	enum sdp_dir dir;
	int null, i;
	double sec;

	if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof(num))
		goto bad;
	snprintf(num, sizeof(num), "%.*s", (int)(colon - arg), arg);
	sec = strtod(num, &end);
	if (*end || sec < 0 || o->n_ats == PHONE_MAX_ATS)
		goto bad;
	i = pmid_split(colon + 1, buf, sizeof(buf), &style, &rest);
	if (i < 0 || (i == PA_HOLD && style && hold_style(style, &dir, &null) < 0) ||
	    (i == PA_CODEC && !pmedia_codec_by_name(rest)))
		goto bad;
	/* sorted by time, equal times in the order given */
	for (i = o->n_ats; i > 0 && o->ats[i - 1].at_ms > lround(sec * 1000); i--)
		o->ats[i] = o->ats[i - 1];
	o->ats[i] = (struct phone_at){ .at_ms = lround(sec * 1000), .action = colon + 1 };
	o->n_ats++;
	return 0;
bad:
	fprintf(stderr, "sipgw-phone: bad --at '%s' (SEC:ACTION, see --help)\n", arg);
	return -EINVAL;
}

/* hold:N, resume:N, hangup:N name a call; without N, the current one. */
static struct pcall *pmid_call_arg(struct phone *ph, const char *arg)
{
	return arg ? pcall_by_id(ph, atoi(arg)) : pcall_current(ph);
}

static void pmid_conference(struct phone *ph)
{
	char ids[64] = "";
	int list[8], k = 0;
	size_t n = 0;

	/* Figure B-13 step 12: the held party comes back, and we bridge. */
	for (struct pcall *c = ph->calls; c && k < 8; c = c->next) {
		if (!pcall_is_talking(c) || c->fi.state == PC_RELEASING)
			continue;
		if (c->fi.state == PC_HELD)
			pcall_user(c, PCE_UNHOLD_AT);
		list[k++] = c->id;
	}
	/* ph->calls is newest first: print them oldest first */
	for (int j = k - 1; j >= 0 && n < sizeof(ids); j--)
		n += (size_t)snprintf(ids + n, sizeof(ids) - n, "%s%d", j == k - 1 ? "" : ",",
				      list[j]);
	if (k < 2) {
		phone_out(ph, "EVENT", "conference refused calls=%s", k ? ids : "-");
		return;
	}
	ph->conference = 1;
	phone_out(ph, "EVENT", "conference calls=%s", ids);
}

static void pmid_run(struct phone *ph, const char *action)
{
	char buf[PCALL_URI_MAX + 32];
	const char *style, *arg;
	struct pcall *c, *d;
	int a = pmid_split(action, buf, sizeof(buf), &style, &arg);

	phone_out(ph, "EVENT", "at %s", action);
	switch (a) {
	case PA_HOLD:
		if (!(c = pmid_call_arg(ph, arg)))
			break;
		if (style)
			hold_style(style, &c->hold_dir, &c->hold_null);
		pcall_user(c, PCE_HOLD_AT);
		return;
	case PA_RESUME:
		if (!(c = pmid_call_arg(ph, arg)))
			break;
		pcall_user(c, PCE_UNHOLD_AT);
		return;
	case PA_HANGUP:
		if (!(c = pmid_call_arg(ph, arg)))
			break;
		pcall_user(c, PCE_HANGUP_AT);
		return;
	case PA_CALL: {
		struct phone_target t = { .uri = action + strlen("call:") };
		if (pcall_dial(ph, &t) < 0)
			break;
		return;
	}
	case PA_SWITCH:
		/* Figure B-5 steps 12-17: the current call goes on hold first. */
		if (!(d = pcall_by_id(ph, atoi(arg))))
			break;
		c = pcall_current(ph);
		ph->cur_call = d->id;
		if (c && c != d && c->fi.state == PC_ACTIVE && !pcall_user(c, PCE_HOLD_AT)) {
			ph->pending_resume = d->id;
			return;
		}
		pcall_user(d, PCE_UNHOLD_AT);
		return;
	case PA_TRANSFER:
		if (!(c = pcall_current(ph)) || pxfer_blind(c, arg) < 0)
			break;
		return;
	case PA_ATTENDED: {
		/* attended:N[,M]: call M (default: the current) to call N's peer */
		const char *comma = strchr(arg, ',');
		d = pcall_by_id(ph, atoi(arg));
		c = comma ? pcall_by_id(ph, atoi(comma + 1)) : pcall_current(ph);
		if (!c || !d || c == d || pxfer_attended(c, d) < 0)
			break;
		return;
	}
	case PA_CONFERENCE:
		pmid_conference(ph);
		return;
	case PA_CODEC:
		/* a re-INVITE offering that codec alone (RFC 3264 8.3.2: a new
		 * codec mid-call); the answer switches both ways */
		if (!(c = pcall_current(ph)) || c->fi.state != PC_ACTIVE)
			break;
		c->offer_codec = pmedia_codec_by_name(arg);
		if (pcall_user(c, PCE_REFRESH_AT) < 0) {
			c->offer_codec = NULL;
			break;
		}
		return;
	default:
		break;
	}
	phone_out(ph, "EVENT", "at %s failed", action);
}

static void on_at(struct phone *ph, su_timer_t *t, struct pcall *unused)
{
	long now = (long)su_duration(su_now(), ph->started);

	if (ph->phase != PH_RUNNING)
		return;		/* the phone is going: the user's keys no longer count */
	while (ph->next_at < ph->o.n_ats && ph->o.ats[ph->next_at].at_ms <= now)
		pmid_run(ph, ph->o.ats[ph->next_at++].action);
	if (ph->next_at < ph->o.n_ats)
		su_timer_set_at(t, on_at, NULL,
				su_time_add(ph->started, ph->o.ats[ph->next_at].at_ms));
}

void pmid_start(struct phone *ph)
{
	if (!ph->o.n_ats)
		return;
	ph->at_timer = su_timer_create(su_root_task(ph->root), 0);
	su_timer_set_at(ph->at_timer, on_at, NULL, su_time_add(ph->started, ph->o.ats[0].at_ms));
}

void pmid_stop(struct phone *ph)
{
	su_timer_destroy(ph->at_timer);
	ph->at_timer = NULL;
}

void pmid_on_held(struct pcall *c)
{
	struct phone *ph = c->ph;
	struct pcall *d;

	if (ph->pending_resume && (d = pcall_by_id(ph, ph->pending_resume))) {
		ph->pending_resume = 0;
		pcall_user(d, PCE_UNHOLD_AT);
	}
	if (ph->pending_answer && (d = pcall_by_id(ph, ph->pending_answer))) {
		ph->pending_answer = 0;
		pcall_user(d, PCE_ANSWER_AT);
	}
}

int pmid_call_waiting(struct pcall *c)
{
	struct phone *ph = c->ph;
	struct pcall *talking = NULL;

	if (!ph->o.answer_waiting)
		return 0;
	for (struct pcall *o = ph->calls; o; o = o->next)
		if (o != c && o->fi.state == PC_ACTIVE)
			talking = o;
	if (!talking)
		return 0;
	/* Figure B-5 steps 6-10: 180 to the new caller, hold the first, then 200. */
	phone_out(ph, "EVENT", "call %d waiting, holding call %d", c->id, talking->id);
	ph->pending_answer = c->id;
	if (pcall_user(talking, PCE_HOLD_AT) < 0) {
		ph->pending_answer = 0;
		return 0;
	}
	return 1;
}

const int16_t *pmid_mix_for(struct pcall *c)
{
	static int16_t mix[PMID_FRAME];
	int any = 0;

	if (!c->ph->conference)
		return NULL;
	/* each hears the sum of the others (figure B-13: B bridges A and C) */
	memset(mix, 0, sizeof(mix));
	for (struct pcall *o = c->ph->calls; o; o = o->next) {
		const int16_t *rx;

		if (o == c || o->fi.state != PC_ACTIVE || !(rx = pmedia_last_rx(o->media)))
			continue;
		for (int i = 0; i < PMID_FRAME; i++) {
			int v = mix[i] + rx[i];

			mix[i] = (int16_t)(v > INT16_MAX ? INT16_MAX
						     : v < INT16_MIN ? INT16_MIN : v);
		}
		any = 1;
	}
	return any ? mix : NULL;
}
