/* sipgw - a PRI leg's B-channel audio: G.711 on the wire, 20 ms linear
 * frames on the bridge, and the DSP between: the echo canceller on the
 * PBX's audio (off for fax and modems), in-band DTMF watched and cut
 * out of the PBX's audio when it goes on as events, digits from the SIP side
 * played as tones (or sent as Keypad facility), music on hold, the span's
 * ringback while the SIP side rings without sending audio.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "dsp/dtmf.h"
#include "dsp/echo.h"
#include "dsp/fax_tone.h"
#include "dsp/moh.h"
#include "dsp/tonezone.h"

/* Above this ERL the line returns no echo worth the name (a 4-wire PBX,
 * the loopback span): the ERLE figure would measure noise, not echo. */
#define PM_NO_ECHO_ERL_DB 40

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
	rc = dtmf_play_take(&pl->med.dp);
	if (!rc)
		rc = ev->phase == MEDIA_DTMF_BEGIN ? dtmf_play_begin(pl->med.dp, ev->digit)
						   : dtmf_play_end(pl->med.dp, ev->digit, ev->duration_ms);
	if (rc) {
		static struct log_limit lim;	/* a peer flooding events: one line every 2 s */

		LOGW_LIMIT(&lim, LSS_DSP, "%s DTMF %c from %s dropped: %s", pm_desc(pl), ev->digit, peer_kind(pl),
			   rc == -ENOSPC ? "16 digits already waiting" :
			   rc == -ENOMEM ? "no memory for its player" : "not a DTMF digit");
	}
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
		media_late_drop(pl->span->late, 1);
		m->q_head = (m->q_head + 1) % PM_QUEUE;
		m->q_len--;
	}
	slot = (m->q_head + m->q_len) % PM_QUEUE;
	memcpy(m->outq[slot], frame, sizeof(m->outq[slot]));
	m->q_len++;
}

static void pm_fax_watch_done(struct pri_media *m)
{
	/* 9 KiB a call holds no longer than it needs them: a fax or modem is
	 * heard once (pm_fax_check), then nothing is fed to them */
	fax_tone_det_free(m->ft_in);
	fax_tone_det_free(m->ft_out);
	m->ft_in = m->ft_out = NULL;
}

/* G.164 / G.165 tone disabler: 2100 Hz (with or without phase reversals,
 * CED) or the V.21 preamble in either direction means fax or a modem, whose
 * own echo control a canceller would break. CNG alone does not: a fax
 * machine calling may still reach a voice. */
static void pm_fax_check(struct pri_leg *pl, struct fax_tone_det *det, const int16_t *amp,
			 const char *from)
{
	struct pri_media *m = &pl->med;
	enum fax_tone t = fax_tone_feed(det, amp, MEDIA_FRAME);

	if (t == FAX_TONE_NONE)
		return;
	if (t == FAX_TONE_CNG) {
		LOGI(LSS_DSP, "%s fax tone CNG %s: echo canceller stays on", pm_desc(pl), from);
		return;
	}
	m->fax = 1;
	if (m->ec && echo_can_enabled(m->ec)) {
		echo_can_disable(m->ec);
		LOGI(LSS_DSP, "%s echo canceller off: %s %s at %u.%02u s", pm_desc(pl), fax_tone_name(t), from,
		     m->ec_frames / 50, m->ec_frames % 50 * 2);
	} else {
		LOGI(LSS_DSP, "%s fax/modem tone %s %s", pm_desc(pl), fax_tone_name(t), from);
	}
	media_fax(&pl->port);	/* the SIP side keeps its audio as it is too */
	pm_fax_watch_done(m);
}

static void pm_db(char *buf, size_t len, double db)
{
	if (isnan(db))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f dB", db);
}

/* The leg's media summary at its end: what the canceller did to the echo.
 * "ERLE 38.2 dB ERL 9.1 dB"; "-" where nothing was measured; no ERLE where
 * the line returned no echo to speak of. */
static void pm_log_ec(struct pri_leg *pl)
{
	struct pri_media *m = &pl->med;
	double erl = echo_can_erl_db(m->ec), erle = echo_can_erle_db(m->ec);
	const char *state = echo_can_enabled(m->ec) ? "on" : "off";
	char s_erle[24], s_erl[24];

	if (!m->ec_frames)
		return;
	if (erl > PM_NO_ECHO_ERL_DB) {
		LOGI(LSS_DSP, "%s echo canceller %s: ERLE - ERL >%d dB (no echo heard)", pm_desc(pl), state,
		     PM_NO_ECHO_ERL_DB);
		return;
	}
	pm_db(s_erle, sizeof(s_erle), erle);
	pm_db(s_erl, sizeof(s_erl), erl);
	LOGI(LSS_DSP, "%s echo canceller %s: ERLE %s ERL %s%s", pm_desc(pl), state, s_erle, s_erl,
	     isnan(erl) ? " (the far end never talked alone)" : "");
}

/* media_port stats: the canceller's figures for the call's end line */
static void pm_stats(struct media_port *mp, struct media_stats *st)
{
	struct pri_media *m = &((struct pri_leg *)mp->owner)->med;

	if (!m->ec || (!m->ec_frames && !m->clear_channel))
		return;
	st->ec = echo_can_enabled(m->ec) ? 1 : 2;	/* a data call's is off from the start */
	st->ec_erle_db = echo_can_erle_db(m->ec);
	st->ec_erl_db = echo_can_erl_db(m->ec);
}

int pri_media_init(struct pri_leg *pl)
{
	struct pri_media *m = &pl->med;
	const struct cfg_span *cfg = pl->span->cfg;

	pl->port.kind = "pri";
	pl->port.codec = g711_law_name(span_law(pl->span));
	pl->port.play = pm_play;
	pl->port.dtmf = pm_dtmf;
	pl->port.stats = pm_stats;
	pl->port.clocked = 1;
	pl->port.owner = pl;
	/* the two DTMF players are taken at their first digit (dtmf_play_take) */
	if (dtmf_watch_alloc(&m->dw, pm_watch, pl)) {
		pri_media_cleanup(pl);
		return -ENOMEM;
	}
	/* the fax watch runs with or without a canceller: the SIP side's
	 * silence suppression and jitter buffer change for a fax too */
	if ((cfg->echo_cancel && echo_can_alloc(&m->ec, cfg->echo_tail_ms)) ||
	    fax_tone_det_alloc(&m->ft_in) || fax_tone_det_alloc(&m->ft_out)) {
		pri_media_cleanup(pl);
		return -ENOMEM;
	}
	/* the zone was checked at config load: failing here is memory */
	if (cfg->inband_ringback && tone_player_alloc(&m->ringback, cfg->tone_zone, TZ_RINGBACK)) {
		pri_media_cleanup(pl);
		return -ENOMEM;
	}
	return 0;
}

void pri_media_clear_channel(struct pri_leg *pl)
{
	struct pri_media *m = &pl->med;

	m->clear_channel = 1;
	if (m->ec)
		echo_can_disable(m->ec);
	LOGI(LSS_DSP, "%s clear-channel data bearer: echo canceller and DTMF detection off", pm_desc(pl));
}

void pri_media_cleanup(struct pri_leg *pl)
{
	struct pri_media *m = &pl->med;

	dtmf_watch_free(m->dw);
	dtmf_play_free(m->dp);
	dtmf_play_free(m->dp_in);
	m->dw = NULL;
	m->dp = m->dp_in = NULL;
	if (m->ec)
		pm_log_ec(pl);
	echo_can_free(m->ec);
	pm_fax_watch_done(m);
	tone_player_free(m->ringback);
	m->ec = NULL;
	m->ringback = NULL;
}

int pri_leg_tick(struct pri_leg *pl)
{
	struct pri_media *m = &pl->med;
	enum g711_law law = span_law(pl->span);
	int16_t out[MEDIA_FRAME];
	uint8_t wire[MEDIA_FRAME];
	int rc;

	if (pl->fi.state == PRI_ST_RELEASED)
		return 0;
	if (pl->held && pl->span->moh) {
		moh_frame(pl->span->moh, &pl->moh_pos, law, wire, sizeof(wire));
		g711_law_decode(law, wire, m->line_out, MEDIA_FRAME);
		rc = pl->span->hw_ops->b_write(pl->span->hw, pl->chan, wire, MEDIA_FRAME);
		return rc ? rc : 1;
	}
	if (pl->held || !media_pull(&pl->port, out)) {
		if (!pl->held && m->q_len) {
			memcpy(out, m->outq[m->q_head], sizeof(out));
			m->q_head = (m->q_head + 1) % PM_QUEUE;
			m->q_len--;
			m->heard_peer = 1;
		} else if (m->ringback && !m->heard_peer && pl->fi.state == PRI_ST_CALL_RECEIVED) {
			/* we sent ALERTING and the SIP side rings without audio
			 * (180 without SDP): the span's ringback, until it sends
			 * any audio of its own or answers */
			tone_player_fill(m->ringback, out, MEDIA_FRAME);
		} else {
			memset(out, 0, sizeof(out));
		}
	} else {
		m->heard_peer = 1;
	}
	/* A digit from the SIP side replaces the audio while it plays. */
	dtmf_play_fill(m->dp, out, MEDIA_FRAME);
	if (m->ft_out)	/* freed once a fax is heard */
		pm_fax_check(pl, m->ft_out, out, "to the PBX");
	memcpy(m->line_out, out, sizeof(out));
	g711_law_encode(law, out, wire, MEDIA_FRAME);
	rc = pl->span->hw_ops->b_write(pl->span->hw, pl->chan, wire, MEDIA_FRAME);
	return rc ? rc : 1;
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

/* A frame from the line in three steps, so a span can run the echo
 * canceller of a batch of frames on the DSP pool (span_rx.c): decoded and
 * watched for fax tones here; 1 when it waits for the canceller
 * (pri_leg_frame_ec) before pri_leg_frame_on, 0 when it goes straight on,
 * -1 when it is already delivered (a clear channel: data, untouched). */
int pri_leg_frame_pre(struct pri_leg *pl, const uint8_t *wire, size_t len, int16_t *in)
{
	struct pri_media *m = &pl->med;

	if (len > MEDIA_FRAME)
		len = MEDIA_FRAME;
	memset(in, 0, MEDIA_FRAME * sizeof(*in));
	g711_law_decode(span_law(pl->span), wire, in, len);
	/* The canceller's reference is the frame last played (line_out): an
	 * echo can come back no sooner than its frame went out, so this is
	 * causal however the two streams are clocked. On a card both share the
	 * TDM clock, so the echo stays put in the canceller's tail; a loopback
	 * far end must answer on our clock (the PBX simulator's --echo does)
	 * or the echo moves by a frame whenever their timers cross. Fax and
	 * modems turn the canceller off. */
	if (m->clear_channel) {
		media_deliver(&pl->port, in);
		return -1;
	}
	if (m->ft_in)
		pm_fax_check(pl, m->ft_in, in, "from the PBX");
	return m->ec && echo_can_enabled(m->ec);
}

/* The canceller on one frame: touches only this leg's canceller and reads
 * its line_out, so the frames of different legs may run at once. */
void pri_leg_frame_ec(struct pri_leg *pl, int16_t *in)
{
	struct pri_media *m = &pl->med;

	echo_can_process(m->ec, m->line_out, in, in, MEDIA_FRAME);
	m->ec_frames++;
}

void pri_leg_frame_on(struct pri_leg *pl, int16_t *in)
{
	struct pri_media *m = &pl->med;
	int on;

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
	memcpy(m->dl[m->dl_len], in, MEDIA_FRAME * sizeof(*in));
	m->dl_mute[m->dl_len++] = (uint8_t)on;
	if (m->dl_len > PM_DELAY)
		pm_deliver_oldest(pl);
}

void pri_leg_frame_in(struct pri_leg *pl, const uint8_t *wire, size_t len)
{
	int16_t in[MEDIA_FRAME];
	int rc = pri_leg_frame_pre(pl, wire, len, in);

	if (rc < 0)
		return;
	if (rc)
		pri_leg_frame_ec(pl, in);
	pri_leg_frame_on(pl, in);
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
		} else if (dtmf_play_take(&pl->med.dp_in)) {
			LOGW(LSS_DSP, "%s DTMF %c keypad dropped: no memory for its player", pm_desc(pl), *p);
		} else if (dtmf_play_end(pl->med.dp_in, *p, PM_KEYPAD_MS) == 0) {
			LOGI(LSS_DSP, "%s DTMF %c pri->%s keypad->inband %u ms", pm_desc(pl), *p, peer_kind(pl),
			     PM_KEYPAD_MS);
		}
	}
}
