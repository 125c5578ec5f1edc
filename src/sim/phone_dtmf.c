/* sipgw - phone simulator: DTMF by each method a SIP phone has. --dtmf DIGITS goes
 * in-band (tones in the audio), as RFC 4733 events (telephone-event packets, no
 * tone) or as SIP INFO application/dtmf-relay, --dtmf-ms each with a gap as long;
 * what comes in by any of them is printed "AUDIO dtmf D METHOD".
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone_pcall.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>

#include "rtp/rtp.h"
#include "sim/sim_dtmf.h"

#define PDTMF_TICK_MS 20		/* the media clock: one frame per call per tick */
#define PDTMF_TS_PER_MS 8		/* samples a millisecond of the 8 kHz in-band audio */
/* RFC 4733 2.5.1.2: updates of a long event "at the same rate as the audio", 50 ms
 * being the usual figure; ours go at the first tick past each 50 ms. */
#define PDTMF_UPDATE_MS 50

static const char *const mode_names[PDTMF__COUNT] = {
	[PDTMF_INBAND] = "inband", [PDTMF_RFC4733] = "rfc4733", [PDTMF_INFO] = "info",
};

const char *pdtmf_mode_name(enum pdtmf_mode m)
{
	return m < PDTMF__COUNT ? mode_names[m] : "?";
}

int pdtmf_parse_mode(const char *s, enum pdtmf_mode *mp)
{
	for (int m = 0; m < PDTMF__COUNT; m++)
		if (!strcmp(s, mode_names[m])) {
			*mp = (enum pdtmf_mode)m;
			return 0;
		}
	return -EINVAL;
}

/* ---- media: in-band tones and RFC 4733 events, one step per 20 ms tick */

struct pdtmf_tx {
	struct phone *ph;
	int call_id;
	enum pdtmf_mode mode;
	long wait_ms;			/* --dtmf-after still to run */
	struct sim_dtmf_gen *gen;	/* in-band */
	size_t next;			/* RFC 4733: digit being sent */
	int t_ms;			/* RFC 4733: time into its tone + gap */
	long samples;			/* in-band: played so far */
	int said;			/* in-band: "dtmf send" lines printed */
	int refused;			/* RFC 4733 without a telephone-event pt: said once */
};

int pdtmf_tx_alloc(struct pdtmf_tx **tp, struct phone *ph, int call_id)
{
	const struct phone_opts *o = &ph->o;
	struct pdtmf_tx *t;
	int rc = 0;

	*tp = NULL;
	if (!o->dtmf || !*o->dtmf || o->dtmf_mode == PDTMF_INFO)
		return 0;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ph = ph;
	t->call_id = call_id;
	t->mode = o->dtmf_mode;
	t->wait_ms = o->dtmf_after_ms > 0 ? o->dtmf_after_ms : 0;
	if (t->mode == PDTMF_INBAND)
		rc = sim_dtmf_gen_alloc(&t->gen, o->dtmf, o->dtmf_ms, o->dtmf_ms);
	if (rc) {
		free(t);
		return rc;
	}
	*tp = t;
	return 0;
}

void pdtmf_tx_free(struct pdtmf_tx *t)
{
	if (!t)
		return;
	sim_dtmf_gen_free(t->gen);
	free(t);
}

int pdtmf_tx_audio(struct pdtmf_tx *t, int16_t *amp, size_t n)
{
	const struct phone_opts *o = &t->ph->o;
	long cycle = 2L * o->dtmf_ms * PDTMF_TS_PER_MS;	/* samples per tone + gap */

	if (t->wait_ms > 0) {
		t->wait_ms -= PDTMF_TICK_MS;
		return 0;
	}
	if (!t->gen)
		return 0;
	/* a "send" line as each tone starts in this frame: what flows compare with */
	while ((size_t)t->said < strlen(o->dtmf) && t->said * cycle < t->samples + (long)n)
		phone_out(t->ph, "EVENT", "call %d dtmf send %c inband", t->call_id, o->dtmf[t->said++]);
	t->samples += (long)n;
	if (sim_dtmf_gen_fill(t->gen, amp, n))
		return 1;
	/* the digits are over: the tone (or silence) goes on as before */
	sim_dtmf_gen_free(t->gen);
	t->gen = NULL;
	return 0;
}

/* RFC 4733 2.5.1: a start packet (marker, the event's timestamp), updates with the
 * duration so far, then the end packet three times (rtp_send_event). The audio
 * keeps flowing meanwhile with no tone in it: RFC 4733 2.5.1.3 leaves the choice,
 * and a gateway that must cut the tone out of the audio it relays has the harder
 * case when audio continues. */
void pdtmf_tx_events(struct pdtmf_tx *t, struct rtp_session *rtp, int te_pt, int te_clock)
{
	const struct phone_opts *o = &t->ph->o;
	int on = o->dtmf_ms, el, per_ms = te_clock / 1000;	/* the event's clock: 8 or 48 a ms */
	char d;

	if (t->mode != PDTMF_RFC4733 || t->wait_ms > 0 || t->next >= strlen(o->dtmf))
		return;
	if (te_pt < 0) {
		if (!t->refused++)
			phone_out(t->ph, "EVENT", "call %d dtmf rfc4733 refused: no telephone-event "
				  "in the far end's SDP", t->call_id);
		return;
	}
	d = o->dtmf[t->next];
	el = t->t_ms + PDTMF_TICK_MS;	/* how long the event will have lasted after this tick */
	if (t->t_ms == 0) {
		phone_out(t->ph, "EVENT", "call %d dtmf send %c rfc4733", t->call_id, d);
		rtp_send_event(rtp, te_pt, d, (uint16_t)((el < on ? el : on) * per_ms),
			       el >= on);
	} else if (t->t_ms < on) {
		if (el >= on)
			rtp_send_event(rtp, te_pt, d, (uint16_t)(on * per_ms), 1);
		else if (el / PDTMF_UPDATE_MS > t->t_ms / PDTMF_UPDATE_MS)
			rtp_send_event(rtp, te_pt, d, (uint16_t)(el * per_ms), 0);
	}
	t->t_ms = el;
	if (t->t_ms >= 2 * on) {	/* the gap is over: the next digit is a new event */
		t->next++;
		t->t_ms = 0;
	}
}

/* ---- what we hear */

void pdtmf_inband_on(void *phone, char digit, int ms)
{
	phone_out(phone, "AUDIO", "dtmf %c inband", digit);
}

void pdtmf_inband_end(void *phone, char digit, int ms)
{
	phone_out(phone, "AUDIO", "dtmf-end %c inband ms=%d", digit, ms);
}

void pdtmf_rx_event(struct phone *ph, struct sim_te_rx *r, const uint8_t *p, size_t len,
		    uint32_t ts, int te_clock)
{
	unsigned dur;
	char d;

	switch (sim_te_rx_packet(r, p, len, ts, &d, &dur)) {
	case SIM_TE_START:
		phone_out(ph, "AUDIO", "dtmf %c rfc4733", d);
		break;
	case SIM_TE_START_END:
		phone_out(ph, "AUDIO", "dtmf %c rfc4733", d);
		/* fall through */
	case SIM_TE_END:
		phone_out(ph, "AUDIO", "dtmf-end %c rfc4733 ms=%u", d, dur / (unsigned)(te_clock / 1000));
		break;
	default:
		break;
	}
}

/* ---- SIP INFO: one request per digit, the next once the 200 is in and the
 * digit's tone + gap has passed (a phone sends as fast as keys are pressed) */

struct pdtmf_info {
	su_timer_t *t;
	size_t next;		/* digit to send next */
	int in_flight;		/* our INFO, not answered yet */
	int paced;		/* the tone + gap since the last INFO has passed */
};

static void info_send_next(struct pcall *c);

static void on_info_timer(struct phone *ph, su_timer_t *t, struct pcall *c)
{
	c->dtmf_info->paced = 1;
	info_send_next(c);
}

static void info_send_next(struct pcall *c)
{
	const struct phone_opts *o = &c->ph->o;
	struct pdtmf_info *in = c->dtmf_info;
	char body[64];

	if (in->in_flight || !in->paced || in->next >= strlen(o->dtmf))
		return;
	if (!pcall_is_talking(c) || c->fi.state == PC_RELEASING)
		return;
	snprintf(body, sizeof(body), "Signal=%c\r\nDuration=%d\r\n", o->dtmf[in->next], o->dtmf_ms);
	phone_out(c->ph, "EVENT", "call %d dtmf send %c info", c->id, o->dtmf[in->next]);
	nua_info(c->nh, SIPTAG_CONTENT_TYPE_STR("application/dtmf-relay"), SIPTAG_PAYLOAD_STR(body),
		 TAG_END());
	in->next++;
	in->in_flight = 1;
	in->paced = 0;
	su_timer_set_at(in->t, on_info_timer, c, su_time_add(su_now(), 2 * o->dtmf_ms));
}

void pdtmf_call_answered(struct pcall *c)
{
	const struct phone_opts *o = &c->ph->o;
	struct pdtmf_info *in;

	if (o->dtmf_mode != PDTMF_INFO) {
		pmedia_start_dtmf(c->media);
		return;
	}
	if (!o->dtmf || !*o->dtmf || c->dtmf_info)
		return;
	in = calloc(1, sizeof(*in));
	if (!in)
		return;
	in->t = su_timer_create(su_root_task(c->ph->root), 0);
	if (!in->t) {
		free(in);
		return;
	}
	c->dtmf_info = in;
	su_timer_set_at(in->t, on_info_timer, c,
			su_time_add(su_now(), o->dtmf_after_ms > 0 ? o->dtmf_after_ms : 0));
}

void pdtmf_call_free(struct pcall *c)
{
	if (!c->dtmf_info)
		return;
	su_timer_destroy(c->dtmf_info->t);
	free(c->dtmf_info);
	c->dtmf_info = NULL;
}

/* An INFO in a call: DTMF bodies printed and answered 200, a DTMF body we cannot
 * read 400; other packages 200 as nua answered them before (RFC 6086 legacy use). */
static void info_in(struct phone *ph, nua_handle_t *nh, struct pcall *c, const sip_t *sip)
{
	const char *ctype = sip && sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
	const sip_payload_t *pl = sip ? sip->sip_payload : NULL;
	char d;
	int ms, rc;

	if (!c) {	/* RFC 6086 4.2.2: INFO belongs to a dialog */
		nua_respond(nh, SIP_481_NO_TRANSACTION, NUTAG_WITH_THIS(ph->nua), TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	rc = sim_dtmf_info_parse(ctype, pl ? pl->pl_data : NULL, pl ? pl->pl_len : 0, &d, &ms);
	if (rc == -EINVAL) {
		phone_out(ph, "EVENT", "call %d info bad dtmf body (400)", c->id);
		nua_respond(nh, SIP_400_BAD_REQUEST, NUTAG_WITH_THIS(ph->nua), TAG_END());
		return;
	}
	nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(ph->nua), TAG_END());
	if (rc < 0)
		return;
	phone_out(ph, "AUDIO", "dtmf %c info", d);
	if (ms > 0)
		phone_out(ph, "AUDIO", "dtmf-end %c info ms=%d", d, ms);
}

int pdtmf_nua_event(struct phone *ph, nua_event_t event, int status, nua_handle_t *nh,
		    struct pcall *c, const sip_t *sip)
{
	if (event == nua_i_info) {
		info_in(ph, nh, c, sip);
		return 1;
	}
	if (event != nua_r_info)
		return 0;
	if (!c || !c->dtmf_info || status < 200)
		return 1;
	if (status >= 300)
		phone_out(ph, "EVENT", "call %d dtmf info refused %d", c->id, status);
	c->dtmf_info->in_flight = 0;
	info_send_next(c);
	return 1;
}
