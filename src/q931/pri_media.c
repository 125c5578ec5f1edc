/* sipgw - a PRI leg's B-channel audio: G.711 on the wire, 20 ms linear
 * frames on the bridge, and the DSP between: in-band DTMF watched and cut
 * out of the PBX's audio when it goes on as events, digits from the SIP side
 * played as tones (or sent as Keypad facility), music on hold.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <errno.h>
#include <string.h>

#include "core/log.h"
#include "dsp/dtmf.h"
#include "dsp/moh.h"

static const char *pm_desc(struct pri_leg *pl)
{
	return pl->base.ops->describe(&pl->base);
}

/* The other party's side for log lines: "sip" for an RTP port. */
static const char *peer_kind(const struct pri_leg *pl)
{
	if (!pl->port.peer)
		return "none";
	return strcmp(pl->port.peer->kind, "rtp") ? pl->port.peer->kind : "sip";
}

/* The watcher heard a digit begin or end in the PBX's audio. */
static void pm_watch(void *arg, char digit, int begin, unsigned duration_ms)
{
	struct pri_leg *pl = arg;
	struct media_dtmf ev = { .digit = digit, .phase = begin ? MEDIA_DTMF_BEGIN : MEDIA_DTMF_END,
				 .duration_ms = duration_ms, .method = "inband" };

	if (pl->med.relay) {
		media_dtmf(&pl->port, &ev);	/* the far side logs it, with its method */
		return;
	}
	if (!begin)
		LOGI(LSS_DSP, "%s DTMF %c pri->%s inband->inband %u ms", pm_desc(pl), digit, peer_kind(pl),
		     duration_ms);
}

/* leg_ops: a digit from the SIP side. */
static void pm_dtmf(struct media_port *mp, const struct media_dtmf *ev)
{
	struct pri_leg *pl = mp->owner;
	struct span *sp = pl->span;
	char d[2] = { ev->digit, 0 };
	int rc;

	if (sp->cfg->dtmf_to_pbx == DTMF_PBX_KEYPAD) {
		if (ev->phase != MEDIA_DTMF_END)
			return;
		/* Q.931 4.5.18: Keypad facility in INFORMATION, one digit each */
		rc = pl->qc ? pri_keypad_facility(sp->pri, pl->qc, d) : -1;
		LOGI(LSS_DSP, "%s DTMF %c %s->pri %s->keypad %u ms%s", pm_desc(pl), ev->digit, peer_kind(pl),
		     ev->method, ev->duration_ms, rc ? " (not sent: no call)" : "");
		span_reschedule(sp);
		return;
	}
	if (ev->phase == MEDIA_DTMF_BEGIN)
		rc = dtmf_play_begin(pl->med.dp, ev->digit);
	else
		rc = dtmf_play_end(pl->med.dp, ev->digit, ev->duration_ms);
	if (rc)
		LOGW(LSS_DSP, "%s DTMF %c from %s dropped: %s", pm_desc(pl), ev->digit, peer_kind(pl),
		     rc == -ENOSPC ? "16 digits already waiting" : "not a DTMF digit");
	else if (ev->phase == MEDIA_DTMF_END)
		LOGI(LSS_DSP, "%s DTMF %c %s->pri %s->inband %u ms", pm_desc(pl), ev->digit, peer_kind(pl),
		     ev->method, ev->duration_ms);
}

/* Frames from the bridge wait here for the span's 20 ms clock. */
static void pm_play(struct media_port *mp, const int16_t *frame)
{
	struct pri_leg *pl = mp->owner;
	struct pri_media *m = &pl->med;
	unsigned slot;

	if (pl->held)
		return;	/* held by the SIP side: music or silence instead (pri_leg_tick) */
	if (m->q_len == PM_QUEUE) {	/* the far side runs fast: drop the oldest */
		m->q_head = (m->q_head + 1) % PM_QUEUE;
		m->q_len--;
	}
	slot = (m->q_head + m->q_len) % PM_QUEUE;
	memcpy(m->outq[slot], frame, sizeof(m->outq[slot]));
	m->q_len++;
}

int pri_media_init(struct pri_leg *pl)
{
	struct pri_media *m = &pl->med;

	pl->port.kind = "pri";
	pl->port.codec = g711_law_name(span_law(pl->span));
	pl->port.play = pm_play;
	pl->port.dtmf = pm_dtmf;
	pl->port.clocked = 1;
	pl->port.owner = pl;
	if (dtmf_watch_alloc(&m->dw, pm_watch, pl) || dtmf_play_alloc(&m->dp) ||
	    dtmf_play_alloc(&m->dp_in)) {
		pri_media_cleanup(pl);
		return -ENOMEM;
	}
	return 0;
}

void pri_media_cleanup(struct pri_leg *pl)
{
	struct pri_media *m = &pl->med;

	dtmf_watch_free(m->dw);
	dtmf_play_free(m->dp);
	dtmf_play_free(m->dp_in);
	m->dw = NULL;
	m->dp = m->dp_in = NULL;
}

void pri_leg_tick(struct pri_leg *pl)
{
	struct pri_media *m = &pl->med;
	enum g711_law law = span_law(pl->span);
	int16_t out[MEDIA_FRAME];
	uint8_t wire[MEDIA_FRAME];

	if (pl->fi.state == PRI_ST_RELEASED)
		return;
	if (pl->held && pl->span->moh) {
		moh_frame(pl->span->moh, &pl->moh_pos, law, wire, sizeof(wire));
		g711_law_decode(law, wire, m->line_out, MEDIA_FRAME);
		pl->span->hw_ops->b_write(pl->span->hw, pl->chan, wire, MEDIA_FRAME);
		return;
	}
	if (pl->held || !media_pull(&pl->port, out)) {
		if (!pl->held && m->q_len) {
			memcpy(out, m->outq[m->q_head], sizeof(out));
			m->q_head = (m->q_head + 1) % PM_QUEUE;
			m->q_len--;
		} else {
			memset(out, 0, sizeof(out));
		}
	}
	/* A digit from the SIP side replaces the audio while it plays. */
	dtmf_play_fill(m->dp, out, MEDIA_FRAME);
	memcpy(m->line_out, out, sizeof(out));
	g711_law_encode(law, out, wire, MEDIA_FRAME);
	pl->span->hw_ops->b_write(pl->span->hw, pl->chan, wire, MEDIA_FRAME);
}

/* Hand the oldest delayed frame on; a frame a digit touched goes as
 * silence, so the far end does not get the digit twice. */
static void pm_deliver_oldest(struct pri_leg *pl)
{
	struct pri_media *m = &pl->med;
	static const int16_t silence[MEDIA_FRAME];

	media_deliver(&pl->port, m->dl_mute[0] ? silence : m->dl[0]);
	m->dl_len--;
	memmove(m->dl[0], m->dl[1], sizeof(m->dl[0]) * m->dl_len);
	memmove(m->dl_mute, m->dl_mute + 1, m->dl_len);
}

void pri_leg_frame_in(struct pri_leg *pl, const uint8_t *wire, size_t len)
{
	struct pri_media *m = &pl->med;
	int16_t in[MEDIA_FRAME] = { 0 };
	int on;

	if (len > MEDIA_FRAME)
		len = MEDIA_FRAME;
	g711_law_decode(span_law(pl->span), wire, in, len);
	/* Digits the PBX sent as Keypad facility while the SIP side takes no
	 * events: played into the audio the SIP side hears. */
	dtmf_play_fill(m->dp_in, in, MEDIA_FRAME);
	m->relay = media_peer_takes_dtmf(&pl->port);
	on = dtmf_watch_feed(m->dw, in, MEDIA_FRAME);
	if (!m->relay) {
		while (m->dl_len)
			pm_deliver_oldest(pl);
		media_deliver(&pl->port, in);
		return;
	}
	/* The watcher confirms a digit some 30 ms into it: the audio waits
	 * PM_DELAY frames, so a digit's first frames can still be cut. */
	if (on)
		memset(m->dl_mute, 1, m->dl_len);
	memcpy(m->dl[m->dl_len], in, sizeof(in));
	m->dl_mute[m->dl_len++] = (uint8_t)on;
	if (m->dl_len > PM_DELAY)
		pm_deliver_oldest(pl);
}

/* INFORMATION with Keypad facility during the call (libpri's KEYPAD_DIGIT):
 * each digit goes on as an event of the usual 100 ms, or as a tone. */
void pri_media_keypad(struct pri_leg *pl, const char *digits)
{
	for (const char *p = digits; *p; p++) {
		struct media_dtmf ev = { .digit = *p, .phase = MEDIA_DTMF_BEGIN, .method = "keypad" };

		if (!dtmf_is_digit(*p))
			continue;
		if (media_peer_takes_dtmf(&pl->port)) {
			media_dtmf(&pl->port, &ev);
			ev.phase = MEDIA_DTMF_END;
			ev.duration_ms = PM_KEYPAD_MS;
			media_dtmf(&pl->port, &ev);
		} else if (dtmf_play_end(pl->med.dp_in, *p, PM_KEYPAD_MS) == 0) {
			LOGI(LSS_DSP, "%s DTMF %c pri->%s keypad->inband %u ms", pm_desc(pl), *p, peer_kind(pl),
			     PM_KEYPAD_MS);
		}
	}
}
