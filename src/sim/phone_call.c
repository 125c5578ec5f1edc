/* sipgw - phone simulator: calls on Sofia-SIP nua (answer, reject, hold, hang up).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone_pcall.h"
#include "sip/sip_addr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>

#include "core/log.h"


static const char *const pcall_event_names[PCE__COUNT] = {
	[PCE_REINVITE] = "REINVITE", [PCE_INVITE_RESP] = "INVITE_RESPONSE", [PCE_ACK] = "ACK",
	[PCE_CANCEL_IN] = "CANCEL", [PCE_BYE_IN] = "BYE", [PCE_TERMINATED] = "TERMINATED",
	[PCE_ANSWER_AT] = "ANSWER_AT", [PCE_HANGUP_AT] = "HANGUP_AT", [PCE_HOLD_AT] = "HOLD_AT",
	[PCE_UNHOLD_AT] = "UNHOLD_AT", [PCE_REFRESH_AT] = "REFRESH_AT", [PCE_CANCEL_AT] = "CANCEL_AT",
	[PCE_RELEASE] = "RELEASE",
};

/* What a nua event carries to the action. */
struct pcall_msg {
	int status;
	const sip_t *sip;
};

#define B(s) FSM_BIT(s)
#define GONE (B(PC_RELEASING) | B(PC_ENDED))
/* nua's events, in every live state */
#define NUA_EVENTS (B(PCE_REINVITE) | B(PCE_INVITE_RESP) | B(PCE_ACK) | B(PCE_CANCEL_IN) | \
		    B(PCE_BYE_IN) | B(PCE_TERMINATED) | B(PCE_RELEASE))
/* The BYE of --hangup-after, in every state after the answer. */
#define TALKING_EVENTS (NUA_EVENTS | B(PCE_HANGUP_AT))

/* Staying put (CALLING again on failover, a second 18x) is no move. */
static const struct fsm_state pcall_states[PC__COUNT] = {
	[PC_INCOMING] = { "INCOMING", B(PC_EARLY) | B(PC_ACTIVE) | GONE,
			  NUA_EVENTS | B(PCE_ANSWER_AT) },
	[PC_EARLY] = { "EARLY", B(PC_ACTIVE) | GONE, NUA_EVENTS | B(PCE_ANSWER_AT) },
	/* CALLING again: failover, a new INVITE to the backup proxy */
	[PC_CALLING] = { "CALLING", B(PC_PROCEEDING) | B(PC_CANCELLING) | B(PC_ACTIVE) | GONE,
			 NUA_EVENTS | B(PCE_CANCEL_AT) },
	[PC_PROCEEDING] = { "PROCEEDING", B(PC_CALLING) | B(PC_CANCELLING) | B(PC_ACTIVE) | GONE,
			    NUA_EVENTS | B(PCE_CANCEL_AT) },
	/* a 200 may cross our CANCEL (RFC 3261 9.1); CALLING: the next 3xx Contact */
	[PC_CANCELLING] = { "CANCELLING", B(PC_CALLING) | B(PC_ACTIVE) | GONE, NUA_EVENTS },
	[PC_ACTIVE] = { "ACTIVE", B(PC_HOLDING) | B(PC_REMOTE_HELD) | GONE,
			TALKING_EVENTS | B(PCE_HOLD_AT) | B(PCE_REFRESH_AT) },
	[PC_HOLDING] = { "HOLDING", B(PC_HELD) | B(PC_ACTIVE) | GONE, TALKING_EVENTS },
	[PC_HELD] = { "HELD", B(PC_RESUMING) | GONE, TALKING_EVENTS | B(PCE_UNHOLD_AT) },
	[PC_RESUMING] = { "RESUMING", B(PC_ACTIVE) | B(PC_HELD) | GONE, TALKING_EVENTS },
	[PC_REMOTE_HELD] = { "REMOTE_HELD", B(PC_ACTIVE) | GONE, TALKING_EVENTS },
	[PC_RELEASING] = { "RELEASING", B(PC_ENDED), NUA_EVENTS },
	/* the call is freed as it gets here */
	[PC_ENDED] = { "ENDED", 0, 0 },
};

static void pcall_action(struct fsm_inst *fi, int event, void *data);

static const char *pcall_describe(struct fsm_inst *fi)
{
	static char buf[48];

	snprintf(buf, sizeof(buf), "call %d [%s]", ((struct pcall *)fi->priv)->id,
		 fsm_state_name(fi->def, fi->state));
	return buf;
}

static const struct fsm_def pcall_fsm = {
	.name = "call", .ss = LSS_SIM, .states = pcall_states, .n_states = PC__COUNT,
	.event_names = pcall_event_names, .n_events = PCE__COUNT,
	.action = pcall_action, .describe = pcall_describe,
};

const char *pcall_state_name(enum pcall_state st)
{
	return fsm_state_name(&pcall_fsm, st);
}

/* A move the table refuses is logged there (fsm_state_chg) and returns -EPERM. */
int pcall_set_state(struct pcall *c, enum pcall_state st)
{
	return fsm_state_chg(&c->fi, st);
}

static int pcall_sends_media(const struct pcall *c)
{
	/* Our hold stops our RTP (figure B-2); the far end's hold does too
	 * (RFC 3264 8.4: a sendonly/inactive or 0.0.0.0 offer). */
	return (c->fi.state == PC_EARLY || c->fi.state == PC_ACTIVE) && c->pt >= 0;
}

int pcall_alloc(struct pcall **cp, struct phone *ph, int outgoing)
{
	struct pcall *c = calloc(1, sizeof(*c));
	_su_task_r task = su_root_task(ph->root);
	int rc;

	if (!c)
		return -ENOMEM;
	c->ph = ph;
	c->id = ph->next_call_id++;
	c->outgoing = outgoing;
	/* no state timers: the command line's clocks are su_timers, their expiry an event */
	fsm_inst_init(&c->fi, &pcall_fsm, outgoing ? PC_CALLING : PC_INCOMING, c, ph->root, NULL);
	c->pt = c->te_pt = -1;
	c->hold_dir = ph->o.hold_dir;
	c->hold_null = ph->o.hold_null;
	c->sess_id = (unsigned long)mono_ms() + (unsigned long)c->id;
	rc = pmedia_alloc(&c->media, ph, c->id);
	if (rc) {
		free(c);
		return rc;
	}
	c->t_answer = su_timer_create(task, 0);
	c->t_hangup = su_timer_create(task, 0);
	c->t_hold = su_timer_create(task, 0);
	c->t_unhold = su_timer_create(task, 0);
	c->t_refresh = su_timer_create(task, 0);
	c->t_cancel = su_timer_create(task, 0);
	c->next = ph->calls;
	ph->calls = c;
	*cp = c;
	return 0;
}

void pcall_free(struct pcall *c)
{
	struct pcall **pp;

	for (pp = &c->ph->calls; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	su_timer_destroy(c->t_answer);
	su_timer_destroy(c->t_hangup);
	su_timer_destroy(c->t_hold);
	su_timer_destroy(c->t_unhold);
	su_timer_destroy(c->t_refresh);
	su_timer_destroy(c->t_cancel);
	fsm_inst_cleanup(&c->fi);
	if (c->nh) {
		nua_handle_bind(c->nh, NULL);
		nua_handle_destroy(c->nh);
	}
	pdtmf_call_free(c);
	pmedia_free(c->media);
	free(c);
}

static void timer_after(su_timer_t *t, su_timer_f f, struct pcall *c, long ms)
{
	if (ms >= 0)
		su_timer_set_at(t, f, c, su_time_add(su_now(), (su_duration_t)ms));
}

static int reason_cause(const sip_t *sip)
{
	for (const sip_reason_t *r = sip ? sip->sip_reason : NULL; r; r = r->re_next)
		if (r->re_protocol && !strcasecmp(r->re_protocol, "Q.850") && r->re_cause)
			return atoi(r->re_cause);
	return 0;
}

/* --hangup-after: our BYE, in any state after the answer. */
static void pcall_hangup(struct pcall *c)
{
	nua_bye(c->nh, TAG_END());
	pcall_set_state(c, PC_RELEASING);
}

/* --hold-at (in ACTIVE), --unhold-at (in HELD): a re-INVITE with our hold
 * SDP, or with the normal one again. */
static void pcall_hold(struct pcall *c, int hold)
{
	char sdp[SDP_BUF_LEN];

	if (pcall_set_state(c, hold ? PC_HOLDING : PC_RESUMING))
		return;
	nua_invite(c->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		   SIPTAG_PAYLOAD_STR(pcall_sdp(c, sdp, hold)), TAG_END());
}

/* The caller gives up before the answer (figure B-18). */
static void pcall_cancel(struct pcall *c)
{
	pcall_set_state(c, PC_CANCELLING);
	nua_cancel(c->nh, TAG_END());
}

/* A session refresh (RFC 4028), in ACTIVE: same SDP, the call must stay as it is. */
static void pcall_refresh(struct pcall *c)
{
	char sdp[SDP_BUF_LEN];

	nua_invite(c->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		   SIPTAG_PAYLOAD_STR(pcall_sdp(c, sdp, 0)), TAG_END());
}

static void on_hangup_timer(struct phone *ph, su_timer_t *t, struct pcall *c)
{
	fsm_dispatch(&c->fi, PCE_HANGUP_AT, NULL);
}

static void on_hold_timer(struct phone *ph, su_timer_t *t, struct pcall *c)
{
	fsm_dispatch(&c->fi, PCE_HOLD_AT, NULL);
}

static void on_unhold_timer(struct phone *ph, su_timer_t *t, struct pcall *c)
{
	fsm_dispatch(&c->fi, PCE_UNHOLD_AT, NULL);
}

static void on_cancel_timer(struct phone *ph, su_timer_t *t, struct pcall *c)
{
	fsm_dispatch(&c->fi, PCE_CANCEL_AT, NULL);
}

static void on_refresh_timer(struct phone *ph, su_timer_t *t, struct pcall *c)
{
	fsm_dispatch(&c->fi, PCE_REFRESH_AT, NULL);
}

/* Talking: start the clocks that count from the answer. */
static void pcall_answered(struct pcall *c)
{
	const struct phone_opts *o = &c->ph->o;

	if (pcall_set_state(c, PC_ACTIVE))
		return;
	phone_out(c->ph, "EVENT", "call %d answered", c->id);
	c->ph->cur_call = c->id;
	pdtmf_call_answered(c);
	pfax_answered(c);
	timer_after(c->t_hangup, on_hangup_timer, c, o->hangup_after_ms);
	timer_after(c->t_hold, on_hold_timer, c, o->hold_at_ms);
	timer_after(c->t_unhold, on_unhold_timer, c, o->unhold_at_ms);
	timer_after(c->t_refresh, on_refresh_timer, c, o->refresh_at_ms);
}

/* --answer-after, in INCOMING or EARLY: our 200. */
static void pcall_answer(struct pcall *c)
{
	char sdp[SDP_BUF_LEN];

	c->final_status = 200;
	nua_respond(c->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(pcall_sdp(c, sdp, 0)), TAG_END());
	pcall_answered(c);
}

static void on_answer_timer(struct phone *ph, su_timer_t *t, struct pcall *c)
{
	fsm_dispatch(&c->fi, PCE_ANSWER_AT, NULL);
}

static void pcall_reject(struct pcall *c, int status)
{
	char reason[64];

	c->final_status = status;
	if (c->ph->o.reject_cause && status == c->ph->o.reject_status) {
		snprintf(reason, sizeof(reason), "Q.850;cause=%d", c->ph->o.reject_cause);
		c->cause = c->ph->o.reject_cause;
		nua_respond(c->nh, status, sip_status_phrase(status), SIPTAG_REASON_STR(reason),
			    TAG_END());
	} else {
		nua_respond(c->nh, status, sip_status_phrase(status), TAG_END());
	}
	pcall_set_state(c, PC_RELEASING);
}

static void display_of(const sip_from_t *f, char *out, size_t len)
{
	const char *d = f && f->a_display ? f->a_display : "";
	size_t n = strlen(d);

	if (n >= 2 && d[0] == '"' && d[n - 1] == '"')
		snprintf(out, len, "%.*s", (int)(n - 2), d + 1);
	else
		snprintf(out, len, "%s", d);
}

/* A call we place: "EVENT call N call-id=ID" once, at the first answer
 * to its INVITE (nua picks the Call-ID), as for a call that comes in. */
static void pcall_note_call_id(struct pcall *c, const sip_t *sip)
{
	if (c->call_id[0] || !sip || !sip->sip_call_id || !sip->sip_call_id->i_id)
		return;
	snprintf(c->call_id, sizeof(c->call_id), "%s", sip->sip_call_id->i_id);
	phone_out(c->ph, "EVENT", "call %d call-id=%s", c->id, c->call_id);
}

static void on_new_invite(struct phone *ph, nua_handle_t *nh, const sip_t *sip)
{
	const struct phone_opts *o = &ph->o;
	struct sdp_info si;
	struct pcall *c;
	char display[128], sdp[SDP_BUF_LEN];
	int has_sdp;

	if (pcall_alloc(&c, ph, 0) < 0) {
		nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	c->nh = nh;
	nua_handle_bind(nh, c);
	display_of(sip->sip_from, display, sizeof(display));
	phone_out(ph, "EVENT", "call %d incoming from=%s display=\"%s\" to=%s", c->id,
		  sip->sip_from && sip->sip_from->a_url->url_user ? sip->sip_from->a_url->url_user : "",
		  display,
		  sip->sip_request && sip->sip_request->rq_url->url_user
			  ? sip->sip_request->rq_url->url_user
			  : sip->sip_to && sip->sip_to->a_url->url_user ? sip->sip_to->a_url->url_user : "");
	phone_print_identity(ph, c->id, sip);
	if (sip->sip_call_id)	/* what sipgwctl show calls names the dialog by */
		phone_out(ph, "EVENT", "call %d call-id=%s", c->id, sip->sip_call_id->i_id);

	has_sdp = pcall_sdp_of(sip, &si) == 0;
	if (has_sdp && pcall_apply_remote(c, &si) < 0) {
		pcall_reject(c, 488);
		return;
	}
	c->offer_in_answer = !has_sdp;	/* RFC 3261 13.2.1: then the ACK carries the answer */
	if (o->reject_status) {
		pcall_reject(c, o->reject_status);
		return;
	}
	if (pxfer_new_invite(c, sip))
		return;
	if (o->ringing)
		nua_respond(nh, SIP_180_RINGING, TAG_END());
	if (pmid_call_waiting(c))
		return;
	if (o->early_media && has_sdp) {
		nua_respond(nh, SIP_183_SESSION_PROGRESS, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			    SIPTAG_PAYLOAD_STR(pcall_sdp(c, sdp, 0)), TAG_END());
		pcall_set_state(c, PC_EARLY);
	}
	if (!o->ring_forever)
		timer_after(c->t_answer, on_answer_timer, c, o->answer_after_ms);
}

/* A re-INVITE from the far end: hold, resume, or a refresh (DESIGN.md: tell
 * session-timer refreshes from holds by the SDP). */
static void on_reinvite(struct pcall *c, const sip_t *sip)
{
	struct sdp_info si;
	char sdp[SDP_BUF_LEN];
	int local_hold = c->fi.state == PC_HELD || c->fi.state == PC_HOLDING;

	if (pfax_reinvite(c, sip))
		return;
	if (pcall_sdp_of(sip, &si) < 0) {
		/* No offer: ours goes in the 200, the answer in the ACK. */
		c->offer_in_answer = 1;
		nua_respond(c->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			    SIPTAG_PAYLOAD_STR(pcall_sdp(c, sdp, local_hold)), TAG_END());
		return;
	}
	if (pcall_apply_remote(c, &si) < 0) {
		nua_respond(c->nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
		return;
	}
	if (local_hold) {
		nua_respond(c->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			    SIPTAG_PAYLOAD_STR(pcall_sdp(c, sdp, 1)), TAG_END());
		return;
	}
	nua_respond(c->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(pcall_sdp_answer(c, sdp, sdp_dir_answer(si.dir))), TAG_END());
	if (sdp_is_hold(&si) && c->fi.state == PC_ACTIVE) {
		pcall_set_state(c, PC_REMOTE_HELD);
		phone_out(c->ph, "EVENT", "call %d held", c->id);
	} else if (!sdp_is_hold(&si) && c->fi.state == PC_REMOTE_HELD) {
		pcall_set_state(c, PC_ACTIVE);
		phone_out(c->ph, "EVENT", "call %d resumed", c->id);
	}
}

static void pcall_end(struct pcall *c);

/* The same call again as a new INVITE to the backup proxy (figure B-21
 * step 8); the Cisco phone shows "Network Delay, Trying Backup". */
static void pcall_failover(struct pcall *c, int status)
{
	struct phone *ph = c->ph;

	phone_out(ph, "EVENT", "failover %s -> %s after %d tries", proute_name(c->route),
		  proute_name(PROUTE_BACKUP), c->tries);
	/* The phone remembers: later dials skip the primary. */
	ph->dial_route = PROUTE_BACKUP;
	nua_handle_bind(c->nh, NULL);
	nua_handle_destroy(c->nh);
	c->nh = NULL;
	su_timer_reset(c->t_cancel);
	c->route = PROUTE_BACKUP;
	c->tries = c->challenges = 0;
	c->pt = c->te_pt = -1;		/* forget an early answer from the primary */
	c->codec = NULL;
	if (proute_target(ph, c->number, c->route, c->target, sizeof(c->target)) < 0 ||
	    pcall_set_state(c, PC_CALLING) < 0 || pcall_invite(c) < 0) {
		c->final_status = status;
		pcall_end(c);
	}
}

/* A final error to our initial INVITE that the phone handles itself:
 * a challenge or a dead primary proxy. 1 if handled (c may be gone). */
static int pcall_final_error(struct pcall *c, int status, const sip_t *sip)
{
	int cancelling = c->fi.state == PC_CANCELLING;

	if (pxfer_follow_redirect(c, status, sip))
		return 1;
	if (status == 401 || status == 407) {
		if (!cancelling && !c->challenges++ && !pauth_answer(c->ph, c->nh, status, sip)) {
			c->tries = 0;	/* the INVITE with credentials is a new request */
			return 1;
		}
		/* nua would wait for credentials that do not come: end it here. */
		c->final_status = status;
		pcall_end(c);
		return 1;
	}
	if (!cancelling && proute_fails_over(c->ph, c->route, status)) {
		pcall_failover(c, status);
		return 1;
	}
	return 0;
}

/* Response to our INVITE: the initial one, or a hold/resume re-INVITE. */
static void on_invite_response(struct pcall *c, int status, const sip_t *sip)
{
	struct sdp_info si;
	int has_sdp = pcall_sdp_of(sip, &si) == 0;
	int initial = c->fi.state == PC_CALLING || c->fi.state == PC_PROCEEDING ||
		      c->fi.state == PC_CANCELLING;

	if (initial)
		pxfer_progress(c, status);
	else if (pfax_invite_response(c, status, sip))
		return;
	if (status >= 300 && initial && !c->final_status && pcall_final_error(c, status, sip))
		return;
	if (status < 200) {
		pxfer_nua_redirected(c, sip);
		if (status > 100 && (c->fi.state == PC_CALLING || c->fi.state == PC_PROCEEDING)) {
			pcall_set_state(c, PC_PROCEEDING);
			if (has_sdp)	/* early media: listen, do not talk (RFC 3960) */
				pcall_apply_remote(c, &si);
		}
		return;
	}
	/* The first final response is the initial INVITE's, even after our CANCEL. */
	if (!c->final_status) {
		c->final_status = status;
		if (status >= 300 && !c->cause)
			c->cause = reason_cause(sip);
	}
	switch (c->fi.state) {
	case PC_CALLING:
	case PC_PROCEEDING:
	case PC_CANCELLING:
		if (status >= 300) {
			pcall_set_state(c, PC_RELEASING);
			return;
		}
		if (has_sdp && pcall_apply_remote(c, &si) < 0) {
			fprintf(stderr, "call %d: no common codec in answer\n", c->id);
			nua_bye(c->nh, TAG_END());
			pcall_set_state(c, PC_RELEASING);
			return;
		}
		pcall_answered(c);
		break;
	case PC_HOLDING:
		if (status >= 300) {
			pcall_set_state(c, PC_ACTIVE);
			return;
		}
		pcall_set_state(c, PC_HELD);
		phone_out(c->ph, "EVENT", "call %d held", c->id);
		pmid_on_held(c);
		break;
	case PC_ACTIVE:
		/* a refresh, or --at codec:NAME: the answer may bring a new codec */
		if (status < 300 && has_sdp && pcall_apply_remote(c, &si) < 0) {
			fprintf(stderr, "call %d: no common codec in re-INVITE answer\n", c->id);
			nua_bye(c->nh, TAG_END());
			pcall_set_state(c, PC_RELEASING);
		}
		break;
	case PC_RESUMING:
		if (status >= 300) {
			pcall_set_state(c, PC_HELD);
			return;
		}
		if (has_sdp)
			pcall_apply_remote(c, &si);
		pcall_set_state(c, PC_ACTIVE);
		phone_out(c->ph, "EVENT", "call %d resumed", c->id);
		c->ph->cur_call = c->id;
		break;
	default:
		break;
	}
}

static void pcall_end(struct pcall *c)
{
	struct phone *ph = c->ph;
	int outgoing = c->outgoing;

	if (c->fi.state != PC_RELEASING)
		pcall_set_state(c, PC_RELEASING);
	pcall_set_state(c, PC_ENDED);
	phone_out(ph, "EVENT", "call %d ended status=%d cause=%d", c->id, c->final_status, c->cause);
	pmedia_print_stats(c->media);
	pmedia_print_t38_stats(c->media);
	pcall_free(c);
	phone_call_ended(ph, outgoing);
}

void pcall_nua_cb(nua_event_t event, int status, char const *phrase, nua_t *nua,
		  struct phone *ph, nua_handle_t *nh, struct pcall *c,
		  sip_t const *sip, tagi_t tags[])
{
	struct pcall_msg m = { .status = status, .sip = sip };
	int callstate = -1;

	if (preg_nua_event(ph, event, status, nh, sip) ||
	    pxfer_nua_event(ph, event, status, nh, c, sip, tags) ||
	    pdtmf_nua_event(ph, event, status, nh, c, sip))
		return;
	switch (event) {
	case nua_i_invite:
		if (!c)
			on_new_invite(ph, nh, sip);
		else
			fsm_dispatch(&c->fi, PCE_REINVITE, &m);
		break;
	case nua_r_invite:
		if (c) {
			pcall_note_call_id(c, sip);
			fsm_dispatch(&c->fi, PCE_INVITE_RESP, &m);
		}
		break;
	case nua_i_ack:
		if (c)
			fsm_dispatch(&c->fi, PCE_ACK, &m);
		break;
	case nua_i_cancel:
		if (c)
			fsm_dispatch(&c->fi, PCE_CANCEL_IN, &m);
		break;
	case nua_i_bye:
		if (c)
			fsm_dispatch(&c->fi, PCE_BYE_IN, &m);
		break;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(callstate), TAG_END());
		if (c && callstate == nua_callstate_terminated)
			fsm_dispatch(&c->fi, PCE_TERMINATED, &m);
		break;
	case nua_r_shutdown:
		if (status >= 200)
			su_root_break(ph->root);
		break;
	default:
		/* Requests outside a call (OPTIONS, MESSAGE...): nua has answered. */
		if (!c && nh && (event == nua_i_options || event == nua_i_message ||
				 event == nua_i_subscribe || event == nua_i_notify ||
				 event == nua_i_refer || event == nua_i_publish ||
				 event == nua_i_method || event == nua_i_info))
			nua_handle_destroy(nh);
		break;
	}
}

int pcall_invite(struct pcall *c)
{
	struct phone *ph = c->ph;
	const struct phone_opts *o = &ph->o;
	char from[256], to[PCALL_URI_MAX + 2], sdp[SDP_BUF_LEN], pai[256], hp[SIP_HOSTPORT_LEN];

	sip_hostport(hp, o->bind_addr, ph->sip_port);	/* [v6]:port (RFC 5118 4.1) */
	snprintf(from, sizeof(from), "%s%s%s<sip:%s@%s>", o->display ? "\"" : "",
		 o->display ? o->display : "", o->display ? "\" " : "",
		 o->from ? o->from : o->user, hp);
	/* --call's URI goes as given; ours carry ";user=phone", a URI
	 * parameter only inside <> (RFC 3261 20). */
	snprintf(to, sizeof(to), c->route == PROUTE_DIRECT ? "%s" : "<%s>", c->target);
	/* One retry per request: a challenge is answered once (figure B-19). */
	c->nh = nua_handle(ph->nua, c, SIPTAG_TO_STR(to), SIPTAG_FROM_STR(from),
			   NUTAG_RETRY_COUNT(1), TAG_END());
	if (!c->nh)
		return -ENOMEM;
	phone_out(ph, "EVENT", "call %d outgoing to=%s", c->id, c->target);
	if (o->pai)
		snprintf(pai, sizeof(pai), "P-Asserted-Identity: <sip:%s@%s>", o->pai, hp);
	nua_invite(c->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		   TAG_IF(o->privacy, SIPTAG_PRIVACY_STR(o->privacy)), TAG_IF(o->pai, SIPTAG_HEADER_STR(pai)),
		   TAG_IF(o->header, SIPTAG_HEADER_STR(o->header)),
		   TAG_IF(c->referred_by[0], SIPTAG_REFERRED_BY_STR(c->referred_by)),
		   TAG_IF(c->replaces[0], SIPTAG_REPLACES_STR(c->replaces)),
		   SIPTAG_PAYLOAD_STR(pcall_sdp(c, sdp, 0)), TAG_END());
	timer_after(c->t_cancel, on_cancel_timer, c, o->cancel_after_ms);
	return 0;
}

int pcall_dial(struct phone *ph, const struct phone_target *t)
{
	struct pcall *c;
	int rc;

	rc = pcall_alloc(&c, ph, 1);
	if (rc)
		return rc;
	if (t->uri) {
		c->route = PROUTE_DIRECT;
		rc = snprintf(c->target, sizeof(c->target), "%s", t->uri) < (int)sizeof(c->target)
			     ? 0 : -ENOSPC;
	} else {
		c->number = t->number;
		rc = proute_choose(ph, t->number, &c->route, c->target, sizeof(c->target));
	}
	if (!rc)
		rc = pcall_invite(c);
	if (rc)
		pcall_free(c);
	else
		ph->cur_call = c->id;
	return rc;
}

void pcall_note_sent(struct phone *ph, const char *summary)
{
	const char *uri;
	size_t n;

	if (strncmp(summary, "INVITE ", 7))
		return;
	uri = summary + 7;
	n = strcspn(uri, " ");
	/* Retransmissions are the same request line again (RFC 3261 17.1.1.2). */
	for (struct pcall *c = ph->calls; c; c = c->next)
		if (c->outgoing && c->fi.state == PC_CALLING && strlen(c->target) == n &&
		    !strncmp(c->target, uri, n)) {
			c->tries++;
			return;
		}
}

void pcall_tick_all(struct phone *ph)
{
	for (struct pcall *c = ph->calls; c; c = c->next) {
		if (pcall_sends_media(c))
			pmedia_tick(c->media, pmid_mix_for(c));
		pfax_tick(c);
	}
	/* after every send: the 3-way mix reads the frames of this tick */
	for (struct pcall *c = ph->calls; c; c = c->next)
		pmedia_rx_tick(c->media);
}

int pcall_release_all(struct phone *ph)
{
	int n = 0;

	for (struct pcall *c = ph->calls; c; c = c->next) {
		fsm_dispatch(&c->fi, PCE_RELEASE, NULL);
		n += c->fi.state != PC_ENDED;
	}
	return n;
}

/* The process stops: what ends the call depends on how far it got. */
static void pcall_release(struct pcall *c)
{
	switch (c->fi.state) {
	case PC_INCOMING:
	case PC_EARLY:
		pcall_reject(c, 480);
		break;
	case PC_CALLING:
	case PC_PROCEEDING:
		nua_cancel(c->nh, TAG_END());
		pcall_set_state(c, PC_RELEASING);
		break;
	case PC_CANCELLING:
	case PC_RELEASING:
	case PC_ENDED:
		break;
	default:
		nua_bye(c->nh, TAG_END());
		pcall_set_state(c, PC_RELEASING);
		break;
	}
}

/* The events the state permits (pcall_states); fsm_dispatch refused the others. */
static void pcall_action(struct fsm_inst *fi, int event, void *data)
{
	struct pcall *c = fi->priv;
	const struct pcall_msg *m = data;
	struct sdp_info si;

	switch (event) {
	case PCE_REINVITE:
		on_reinvite(c, m->sip);
		break;
	case PCE_INVITE_RESP:
		on_invite_response(c, m->status, m->sip);
		break;
	case PCE_ACK:
		if (c->offer_in_answer && pcall_sdp_of(m->sip, &si) == 0) {
			c->offer_in_answer = 0;
			pcall_apply_remote(c, &si);
		}
		break;
	case PCE_CANCEL_IN:
		c->final_status = 487;
		c->cause = reason_cause(m->sip);
		pcall_set_state(c, PC_RELEASING);
		break;
	case PCE_BYE_IN:
		c->cause = reason_cause(m->sip);
		pcall_set_state(c, PC_RELEASING);
		pxfer_on_bye(c, m->sip);
		break;
	case PCE_TERMINATED:
		pcall_end(c);		/* frees c */
		break;
	case PCE_ANSWER_AT:
		pcall_answer(c);
		break;
	case PCE_HANGUP_AT:
		pcall_hangup(c);
		break;
	case PCE_HOLD_AT:
		pcall_hold(c, 1);
		break;
	case PCE_UNHOLD_AT:
		pcall_hold(c, 0);
		break;
	case PCE_REFRESH_AT:
		pcall_refresh(c);
		break;
	case PCE_CANCEL_AT:
		pcall_cancel(c);
		break;
	case PCE_RELEASE:
		pcall_release(c);
		break;
	}
}

void pcall_free_all(struct phone *ph)
{
	/* nua_shutdown() may take calls down without a last nua_i_state. */
	while (ph->calls) {
		struct pcall *c = ph->calls;
		if (c->fi.state != PC_ENDED) {
			phone_out(ph, "EVENT", "call %d ended status=%d cause=%d", c->id,
				  c->final_status, c->cause);
			pmedia_print_stats(c->media);
		}
		pcall_free(c);
	}
}
