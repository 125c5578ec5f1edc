/* sipgw - what a SIP leg says about itself (leg_ops.status): for
 * sipgwctl's show calls, the CDR and the ladder. The state is the leg's
 * dialog state (RFC 3261 12: EARLY, CONFIRMED; sip_internal.h), where the
 * far end as transport:host:port, the Call-ID that finds the dialog in the
 * far end's own logs and in a pcap. SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"

#include <stdio.h>
#include <string.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/su_alloc.h>

#include "dsp/codec.h"
#include "sip/sip_listen.h"

static void note_call_id(struct sip_leg *sl, const char *id)
{
	if (id && !sl->info.call_id[0])
		snprintf(sl->info.call_id, sizeof(sl->info.call_id), "%s", id);
}

void sip_status_incoming(struct sip_leg *sl, sip_t const *sip, const struct leg_setup_info *si)
{
	msg_t *m = nua_current_request(sl->ua->nua);
	su_addrinfo_t *ai = m ? msg_addrinfo(m) : NULL;

	note_call_id(sl, sip && sip->sip_call_id ? sip->sip_call_id->i_id : NULL);
	if (ai && ai->ai_addr)
		sl->info.src_port = ntohs(((su_sockaddr_t *)ai->ai_addr)->su_port);
	snprintf(sl->info.calling, sizeof(sl->info.calling), "%s", si->calling);
	snprintf(sl->info.called, sizeof(sl->info.called), "%s", si->called);
}

/* nua keeps the dialog's Call-ID in its leg, which exists once the stack
 * has sent the INVITE (nua_invite() only queues it for the loop); a
 * Replaces (RFC 3891) made of it is the public way to read it before any
 * response has come. */
static void ask_call_id(struct sip_leg *sl)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_replaces_t *rp;

	if (sl->info.call_id[0] || !sl->nh)
		return;
	if ((rp = nua_handle_make_replaces(sl->nh, home, 0)))
		note_call_id(sl, rp->rp_call_id);
	su_home_deinit(home);
}

void sip_status_outgoing(struct sip_leg *sl, const struct leg_setup_info *si)
{
	ask_call_id(sl);
	snprintf(sl->info.calling, sizeof(sl->info.calling), "%s", si->restricted ? "anonymous" : si->calling);
	snprintf(sl->info.called, sizeof(sl->info.called), "%s", si->called);
}

void sip_status_event(struct sip_leg *sl, nua_event_t event, int status, sip_t const *sip)
{
	if (sip && sip->sip_call_id)
		note_call_id(sl, sip->sip_call_id->i_id);
	/* The INVITE's final status: a response to ours (nua_r_invite), or the
	 * one we sent (nua_i_state carries it). A failure may be followed by a
	 * retry's answer (422, SRTP fallback); once answered, a re-INVITE's
	 * response changes nothing. */
	if ((event != nua_r_invite && event != nua_i_state) || status < 200 || status >= 700)
		return;
	if (sl->info.status == 0 || sl->info.status >= 300)
		if (event == nua_r_invite || sl->role == SIP_ROLE_UAS)
			sl->info.status = status;
}

void sip_leg_status(struct leg *leg, struct leg_status *st)
{
	struct sip_leg *sl = (struct sip_leg *)leg;
	char hp[SIP_HOSTPORT_LEN];
	int port = sl->role == SIP_ROLE_UAS ? sl->info.src_port : sl->port;

	ask_call_id(sl);
	snprintf(st->state, sizeof(st->state), "%s", fsm_state_name(sl->fi.def, sl->fi.state));
	if (sl->host[0] || !sl->ruri[0])
		snprintf(st->where, sizeof(st->where), "%s:%s", sip_tp_name(sl->transport),
			 sip_hostport(hp, sl->host, port));
	else	/* a registered contact called as it is */
		snprintf(st->where, sizeof(st->where), "%s:%.72s", sip_tp_name(sl->transport), sl->ruri);
	snprintf(st->call_id, sizeof(st->call_id), "%s", sl->info.call_id);
	snprintf(st->calling, sizeof(st->calling), "%s", sl->info.calling);
	snprintf(st->called, sizeof(st->called), "%s", sl->info.called);
	if (sip_t38_last_rx(sl))
		snprintf(st->codec, sizeof(st->codec), "T.38");
	else if (sl->pt >= 0 && sl->mport.codec)
		snprintf(st->codec, sizeof(st->codec), "%s", sl->mport.codec);
	st->cause = sl->info.cause;
	st->status = sl->info.status;
}
