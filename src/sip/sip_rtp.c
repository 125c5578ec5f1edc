/* sipgw - the SIP leg's RTP: 20 ms linear frames on the bridge, packets of
 * the far end's ptime on the wire; DTMF as RFC 4733 events, SIP INFO or
 * tones, whichever the leg's dtmf-relay list and the far end's SDP allow.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/media_late.h"
#include "core/loop.h"
#include "dsp/cn.h"
#include "dsp/codec.h"
#include "dsp/dtmf.h"
#include "dsp/g711.h"
#include "rtp/jbuf.h"
#include "rtp/rtp.h"

#define SAMPLES_PER_MS (MEDIA_RATE / 1000)
/* RFC 4733 2.5.1.2: an update while the digit lasts, about every 50 ms;
 * our frames are 20 ms, so every other one. */
#define EV_UPDATE_FRAMES 2
/* An event whose end never came (all three end packets lost): over after
 * this long without a packet of it. */
#define EV_RX_LOST_MS 600

static const char *const relay_names[] = {
	[DTMF_RELAY_INBAND] = "inband", [DTMF_RELAY_RTP_NTE] = "rfc4733", [DTMF_RELAY_SIP_INFO] = "info",
};

/* The other party's side for log lines: "sip" for an RTP port. */
static const char *peer_kind(const struct sip_leg *sl)
{
	if (!sl->mport.peer)
		return "none";
	return strcmp(sl->mport.peer->kind, "rtp") ? sl->mport.peer->kind : "sip";
}


static int sl_pull(struct media_port *mp, int16_t *frame);
static void sl_stats(struct media_port *mp, struct media_stats *st);

/* media_port.fax: a fax or modem on the call (the B-channel heard its
 * tone): no more silence suppression, a modem's quiet moments are signal. */
static void sl_fax(struct media_port *mp)
{
	struct sip_leg *sl = mp->owner;

	if (sl->rm.fax)
		return;
	sl->rm.fax = 1;
	if (sl->rm.cn_pt > 0)
		LOGI(LSS_DSP, "%s fax on the call: silence suppression off", sip_leg_describe(sl));
	if (sl->rm.in_cn) {
		sl->rm.in_cn = 0;
		rtp_mark(sl->rtp);
	}
	/* a modem's demodulator does not survive a delay change: the jitter
	 * buffer holds its delay from now on */
	if (sl->rm.jb) {
		if (jbuf_freeze(sl->rm.jb))
			LOGW(LSS_DSP, "%s fax on the call: jitter buffer delay not held (no memory)",
			     sip_leg_describe(sl));
		else
			LOGI(LSS_DSP, "%s fax on the call: jitter buffer delay held", sip_leg_describe(sl));
	}
}

int sip_rtp_init(struct sip_leg *sl, const struct cfg_enum_list *relay)
{
	struct sip_rtp *r = &sl->rm;

	sl->mport.kind = "rtp";
	sl->mport.play = sl_play;
	sl->mport.pull = sl_pull;
	sl->mport.stats = sl_stats;
	sl->mport.fax = sl_fax;
	sl->mport.owner = sl;
	r->law = LAW_ULAW;
	r->ptime = 20;
	r->relay = *relay;
	r->method = DTMF_RELAY_INBAND;
	r->cn_pt = -1;
	r->te_clock = 8000;
	r->last_pt = -1;
	/* the DTMF players are taken at their first digit (dtmf_play_take) */
	if (jbuf_alloc(&r->jb, SIP_JB_MIN_MS, SIP_JB_MAX_MS)) {
		sip_rtp_cleanup(sl);
		return -ENOMEM;
	}
	return 0;
}

void sip_rtp_cleanup(struct sip_leg *sl)
{
	codec_free(sl->rm.codec);
	sl->rm.codec = NULL;
	dtmf_play_free(sl->rm.dp_in);
	dtmf_play_free(sl->rm.dp_out);
	jbuf_free(sl->rm.jb);
	sl->rm.dp_in = sl->rm.dp_out = NULL;
	sl->rm.jb = NULL;
}

/* The first method of the leg's dtmf-relay list the far end's SDP allows
 * (Cisco: rtp-nte needs telephone-event in the SDP; sip-info and in-band
 * always can). An in-band leg takes no events: digits stay in the audio. */
void sip_rtp_media_changed(struct sip_leg *sl, int ptime, int maxptime)
{
	struct sip_rtp *r = &sl->rm;
	enum dtmf_relay m = DTMF_RELAY_INBAND;

	for (int i = 0; i < r->relay.n; i++) {
		if (r->relay.v[i] == DTMF_RELAY_RTP_NTE && sl->te_pt < 0)
			continue;
		m = (enum dtmf_relay)r->relay.v[i];
		break;
	}
	r->method = m;
	if (sl->pt != r->last_pt) {	/* a new codec: a new talkspurt for the far end's decoder */
		if (r->last_pt >= 0)
			rtp_mark(sl->rtp);	/* the jitter buffer: sip_rtp_set_codec */
		r->last_pt = sl->pt;
	}
	sl->mport.dtmf = m == DTMF_RELAY_INBAND ? NULL : sl_dtmf;
	sl->mport.codec = r->codec ? codec_desc(r->codec)->name : g711_law_name(r->law);
	/* RFC 4566 6: a=ptime is how long the far end wants our packets;
	 * RFC 3551 4.5: 20 ms when it says nothing. */
	r->ptime = ptime >= 10 && ptime <= SIP_RTP_MAX_PTIME && ptime % 10 == 0 ? ptime : 20;
	/* a=maxptime: never longer packets than it takes */
	if (maxptime >= 10 && r->ptime > maxptime)
		r->ptime = maxptime / 10 * 10;
	/* in whole frames of the codec: GSM's are 20 ms (RFC 3551 4.5.8) */
	while (r->codec && r->ptime < SIP_RTP_MAX_PTIME &&
	       !codec_frame_ok(codec_desc(r->codec), (size_t)r->ptime * SAMPLES_PER_MS))
		r->ptime += 10;
	r->tx_n = 0;
	r->rx_n = 0;
}

int sip_rtp_set_codec(struct sip_leg *sl, const struct sdp_choice *ch)
{
	struct sip_rtp *r = &sl->rm;
	const struct codec_desc *old = r->codec ? codec_desc(r->codec) : NULL;
	struct codec *c;
	int rc;

	if (old == ch->codec && sl->pt == ch->pt)
		return 0;
	if ((rc = codec_alloc(&c, ch->codec, ch->fmtp[0] ? ch->fmtp : NULL))) {
		LOGW(LSS_RTP, "%s codec %s: %s", sip_leg_describe(sl), ch->codec->name, strerror(-rc));
		return rc;
	}
	/* A new codec mid-call (a re-INVITE, RFC 3264 8.3.2): a fresh state
	 * both ways; what is half a packet of the old one is dropped. The far
	 * end's timeline goes on (RFC 3550 5.1) unless the RTP clock changes
	 * (Opus's 48 kHz): only then is the jitter buffer started over, which
	 * costs the ~60 ms it takes to refill (a tone detector hears the gap). */
	if (old && r->jb && codec_ts_per_sample(old) != codec_ts_per_sample(ch->codec))
		jbuf_reset(r->jb);
	codec_free(r->codec);
	r->codec = c;
	r->law = ch->codec->static_pt == RTP_PT_PCMA ? LAW_ALAW : LAW_ULAW;
	r->tx_n = r->rx_n = 0;
	LOGI(LSS_RTP, "%s codec %s%s%s/%d pt %d%s%s", sip_leg_describe(sl), old ? old->name : "",
	     old ? " -> " : "", ch->codec->name, ch->codec->clock, ch->pt, ch->fmtp[0] ? " fmtp " : "",
	     ch->fmtp);
	return 0;
}

const char *sip_rtp_dtmf_method(const struct sip_leg *sl)
{
	return relay_names[sl->rm.method];
}

/* --- From the far end: audio and events towards the bridge ------------ */

/* A digit from the far end, as an event: on to the other party if it takes
 * events, else played into the audio we hand it. */
static void rx_digit(struct sip_leg *sl, char digit, int begin, unsigned ms, const char *method)
{
	struct media_dtmf ev = { .digit = digit, .phase = begin ? MEDIA_DTMF_BEGIN : MEDIA_DTMF_END,
				 .duration_ms = ms, .method = method };

	if (media_dtmf(&sl->mport, &ev))
		return;
	if (dtmf_play_take(&sl->rm.dp_in))
		LOGW(LSS_DSP, "%s DTMF %c from %s dropped: no memory for its player", sip_leg_describe(sl), digit,
		     method);
	else if (begin)
		dtmf_play_begin(sl->rm.dp_in, digit);
	else if (dtmf_play_end(sl->rm.dp_in, digit, ms) == 0)
		LOGI(LSS_DSP, "%s DTMF %c sip->%s %s->inband %u ms", sip_leg_describe(sl), digit, peer_kind(sl),
		     method, ms);
}

/* RFC 4733 2.5: an event is known by its timestamp; its end packet comes
 * three times (2.5.1.4) and a retransmission is no new digit. */
static void rx_event(struct sip_leg *sl, const uint8_t *p, size_t len, uint32_t ts)
{
	static const char codes[] = "0123456789*#ABCD";
	struct sip_rtp *r = &sl->rm;
	int end;
	unsigned dur;

	if (len < 4 || p[0] >= 16)	/* not a DTMF event (flash, tones): ignored */
		return;
	end = (p[1] & 0x80) != 0;
	/* the duration is in the event's clock: 8 or 48 samples a millisecond */
	dur = ((unsigned)p[2] << 8 | p[3]) / (unsigned)(r->te_clock / 1000);
	if (r->ev_seen && ts == r->ev_ts) {
		r->ev_last_ms = mono_ms();
		if (end && r->ev_on) {
			r->ev_on = 0;
			rx_digit(sl, r->ev_digit, 0, dur, "rfc4733");
		}
		return;
	}
	if (r->ev_on)	/* a new event before the old one's end: the end was lost */
		rx_digit(sl, r->ev_digit, 0, r->ev_dur, "rfc4733");
	r->ev_seen = 1;
	r->ev_ts = ts;
	r->ev_digit = codes[p[0]];
	r->ev_dur = dur;
	r->ev_last_ms = mono_ms();
	r->ev_on = !end;
	rx_digit(sl, r->ev_digit, 1, 0, "rfc4733");
	if (end)	/* its start packets all lost: a digit all the same */
		rx_digit(sl, r->ev_digit, 0, dur, "rfc4733");
}

/* A clocked peer (a B-channel) pulls frames from the jitter buffer at its
 * own pace; any other peer gets them pushed as they come. */
static int pulled(const struct sip_leg *sl)
{
	return sl->mport.peer && sl->mport.peer->clocked && sl->rm.jb;
}

/* Frames for the bridge: packets of any length cut into 20 ms frames, each
 * keyed by the RTP timestamp of its first sample. */
/* Frames a full jitter buffer threw away (as a frame went in, or as the
 * tick took one out past max_ms): due to the B-channel and never sent, for
 * the media thread's dropped count. */
static void jb_dropped(struct sip_leg *sl)
{
	struct sip_rtp *r = &sl->rm;
	unsigned long ov = jbuf_overflows(r->jb);

	if (ov < r->jb_ov_seen)		/* a new buffer */
		r->jb_ov_seen = 0;
	if (ov != r->jb_ov_seen)
		media_late_drop(sl->ua->late, (unsigned)(ov - r->jb_ov_seen));
	r->jb_ov_seen = ov;
}

static void rx_audio(struct sip_leg *sl, const uint8_t *payload, size_t len, uint32_t ts)
{
	struct sip_rtp *r = &sl->rm;
	int16_t pcm[CODEC_MAX_FRAME];
	int n = r->codec ? codec_decode(r->codec, payload, len, pcm, CODEC_MAX_FRAME) : -EINVAL;

	if (n <= 0)	/* a payload the codec refuses: dropped, like a lost packet */
		return;
	len = (size_t)n;
	/* 10 ms packets fill a frame in two: a gap between them (a loss,
	 * reordering) leaves half a frame that belongs nowhere */
	if (r->rx_n && ts != r->rx_ts + r->rx_n)
		r->rx_n = 0;
	for (size_t i = 0; i < len;) {
		size_t k = MEDIA_FRAME - r->rx_n;

		if (!r->rx_n)
			r->rx_ts = ts + (uint32_t)i;
		if (k > len - i)
			k = len - i;
		memcpy(r->rx + r->rx_n, pcm + i, k * sizeof(pcm[0]));
		r->rx_n += k;
		i += k;
		if (r->rx_n < MEDIA_FRAME)
			continue;
		r->rx_n = 0;
		if (pulled(sl)) {
			jbuf_put(r->jb, r->rx_ts, r->rx);
			jb_dropped(sl);
			continue;
		}
		dtmf_play_fill(r->dp_in, r->rx, MEDIA_FRAME);
		media_deliver(&sl->mport, r->rx);
	}
}

/* media_port.pull: the B-channel's tick takes the next frame; a digit
 * from the far end replaces the audio while it plays. */
static int sl_pull(struct media_port *mp, int16_t *frame)
{
	struct sip_leg *sl = mp->owner;

	if (sip_t38_pull(sl, frame))	/* T.38: the gateway's audio, not RTP's */
		return 1;
	if (!sl->rm.jb)
		return 0;
	jbuf_get(sl->rm.jb, frame);
	jb_dropped(sl);
	sip_t38_heard(sl, frame);	/* a fax from SIP? */
	dtmf_play_fill(sl->rm.dp_in, frame, MEDIA_FRAME);
	mp->frames_in++;
	if (mp->peer)
		mp->peer->frames_out++;
	return 1;
}

static void sl_stats(struct media_port *mp, struct media_stats *st)
{
	struct sip_leg *sl = mp->owner;
	struct rtp_stats rs;
	struct jbuf_stats js = { 0 };

	if (!sl->rtp)
		return;
	rtp_get_stats(sl->rtp, &rs);
	if (sl->rm.jb)
		jbuf_get_stats(sl->rm.jb, &js);
	*st = (struct media_stats){
		.valid = 1, .rx_packets = rs.rx_packets, .tx_packets = rs.tx_packets,
		.rx_lost = rs.rx_lost, .rx_expected = rs.rx_expected, .jitter_ms = rs.jitter_ms,
		.rtt_ms = rs.rtt_ms, .remote_lost = rs.remote_lost, .remote_fraction = rs.remote_fraction,
		.jb_late = js.late, .jb_plc = js.plc, .jb_cn = js.cn, .jb_overflow = js.overflow,
	};
}

void sl_rtp_in(void *arg, int pt, const uint8_t *payload, size_t len, uint16_t seq,
	       uint32_t ts, int marker)
{
	struct sip_leg *sl = arg;

	/* Held with a=sendonly the far end may still send (music on hold):
	 * take it; only our sending stops. */
	if (sl->te_pt >= 0 && pt == sl->te_pt) {
		rx_event(sl, payload, len, ts);
		return;
	}
	/* The jitter buffer counts in 8 kHz samples; Opus's RTP clock is
	 * 48 kHz (RFC 7587 4.1). At the 32-bit wrap (every 24.9 h at 48 kHz)
	 * the divided time jumps once, which the buffer takes as a new timeline. */
	if (sl->rm.codec)
		ts /= (uint32_t)codec_ts_per_sample(codec_desc(sl->rm.codec));
	/* RFC 3389 CN (its static payload type, RFC 3551): the silence that
	 * follows is comfort noise at its level, not loss */
	if (pt == CN_PT && pt != sl->pt) {
		int level;

		if (pulled(sl) && !cn_parse(payload, len, &level))
			jbuf_put_cn(sl->rm.jb, ts, level);
		return;
	}
	if (pt != sl->pt)	/* anything we did not agree on */
		return;
	rx_audio(sl, payload, len, ts);
}

/* --- To the far end: audio and events from the bridge ------------------ */

/* Silence suppression (rtp.vad, Cisco's vad; RFC 3389): after VAD_HANG_FRAMES
 * of frames below VAD_SILENT_DBOV a CN packet with the level goes instead of
 * audio, again every CN_REFRESH_FRAMES while the silence lasts (RFC 3389 4
 * leaves the rate to us), and RTP time goes on without packets; speech again
 * starts a talkspurt with the marker bit. 1 when the frame was taken as silence. */
#define VAD_SILENT_DBOV (-55)
#define VAD_HANG_FRAMES 5
#define CN_REFRESH_FRAMES 10
static int tx_silence(struct sip_leg *sl, const int16_t *frame, uint32_t ts_inc)
{
	struct sip_rtp *r = &sl->rm;
	int level = cn_level_dbov(frame, MEDIA_FRAME);
	uint8_t cn[1];

	if (level >= VAD_SILENT_DBOV) {
		r->silent = 0;
		if (r->in_cn) {
			r->in_cn = 0;
			rtp_mark(sl->rtp);
		}
		return 0;
	}
	if (++r->silent < VAD_HANG_FRAMES)
		return 0;
	if (!r->in_cn || ++r->cn_age >= CN_REFRESH_FRAMES) {
		r->in_cn = 1;
		r->cn_age = 0;
		/* audio short of a packet: part of the silence, its time passed */
		rtp_skip(sl->rtp, (uint32_t)(r->tx_n * (size_t)codec_ts_per_sample(codec_desc(r->codec))));
		r->tx_n = 0;
		cn_build(cn, level);
		rtp_send(sl->rtp, r->cn_pt, cn, sizeof(cn), ts_inc);
		r->cn_sent++;
	} else {
		rtp_skip(sl->rtp, ts_inc);
	}
	return 1;
}

static void tx_audio(struct sip_leg *sl, const int16_t *frame)
{
	struct sip_rtp *r = &sl->rm;
	size_t want = (size_t)r->ptime * SAMPLES_PER_MS;
	uint8_t pkt[CODEC_MAX_PAYLOAD];

	if (r->cn_pt > 0 && !r->fax && tx_silence(sl, frame, (uint32_t)(MEDIA_FRAME *
							   codec_ts_per_sample(codec_desc(r->codec)))))
		return;

	memcpy(r->tx + r->tx_n, frame, MEDIA_FRAME * sizeof(*frame));
	r->tx_n += MEDIA_FRAME;
	/* 10 ms: two packets a frame; 30 ms: one every 1.5 frames. */
	while (r->tx_n >= want) {
		int n = codec_encode(r->codec, r->tx, want, pkt, sizeof(pkt));

		/* RTP time in the codec's clock: 48 kHz for Opus (RFC 7587 4.1) */
		/* a send that fails (a full socket buffer) is a frame due and not sent */
		if (n > 0 && rtp_send(sl->rtp, sl->pt, pkt, (size_t)n,
				      (uint32_t)(want * (size_t)codec_ts_per_sample(codec_desc(r->codec)))) < 0)
			media_late_drop(sl->ua->late, 1);
		r->tx_n -= want;
		memmove(r->tx, r->tx + want, r->tx_n * sizeof(r->tx[0]));
	}
}

static void ev_log(struct sip_leg *sl, const struct sip_ev_out *e)
{
	LOGI(LSS_DSP, "%s DTMF %c %s->sip %s->%s %u ms", sip_leg_describe(sl), e->digit, peer_kind(sl),
	     e->method, relay_names[sl->rm.method], e->target_ms);
}

/* The digit at the head of the queue, one 20 ms frame on: RFC 4733 start,
 * updates and the end sent three times (rtp_send_event). */
static void tx_event_step(struct sip_leg *sl)
{
	struct sip_rtp *r = &sl->rm;
	struct sip_ev_out *e = &r->evq[r->evq_head];
	unsigned samples, per_ms = (unsigned)(r->te_clock / 1000);	/* the event's clock */

	if (!r->evq_len)
		return;
	e->frames++;
	samples = e->frames * (MEDIA_FRAME / SAMPLES_PER_MS) * per_ms;
	if (e->target_ms && samples >= e->target_ms * per_ms) {
		samples = e->target_ms * per_ms;
		if (samples > 0xffff)
			samples = 0xffff;
		rtp_send_event(sl->rtp, sl->te_pt, e->digit, (uint16_t)samples, 1);
		ev_log(sl, e);
		r->evq_head = (r->evq_head + 1) % SIP_EV_QUEUE;
		r->evq_len--;
		return;
	}
	if (samples > 0xffff)	/* RFC 4733 2.5.1.3: a long event is cut in segments; we stop at the top */
		samples = 0xffff;
	if (e->frames == 1 || e->frames % EV_UPDATE_FRAMES == 0)
		rtp_send_event(sl->rtp, sl->te_pt, e->digit, (uint16_t)samples, 0);
}

void sl_play(struct media_port *mp, const int16_t *frame)
{
	struct sip_leg *sl = mp->owner;
	struct sip_rtp *r = &sl->rm;
	int16_t buf[MEDIA_FRAME];

	if (r->ev_on && mono_ms() - r->ev_last_ms > EV_RX_LOST_MS) {
		r->ev_on = 0;
		rx_digit(sl, r->ev_digit, 0, r->ev_dur, "rfc4733");
	}
	/* Held, the session sends nothing (rtp_set_held) but its
	 * timestamps go on with the clock, so the resumed stream (marker bit
	 * set) does not jump back in time (RFC 3550 5.1). In T.38 the
	 * gateway takes the frame instead. */
	if (sl->pt < 0 || !r->codec || sip_t38_play(sl, frame))
		return;
	if (dtmf_play_busy(r->dp_out)) {	/* in-band method: the digit replaces the audio */
		memcpy(buf, frame, sizeof(buf));
		dtmf_play_fill(r->dp_out, buf, MEDIA_FRAME);
		frame = buf;
	}
	tx_audio(sl, frame);
	if (r->method == DTMF_RELAY_RTP_NTE)
		tx_event_step(sl);
}

static void tx_info(struct sip_leg *sl, char digit, unsigned ms)
{
	char body[64];

	/* The de facto application/dtmf-relay body (Cisco, RFC 6086's legacy
	 * INFO usage): sent once the digit's length is known. */
	snprintf(body, sizeof(body), "Signal=%c\r\nDuration=%u\r\n", digit, ms);
	nua_info(sl->nh, SIPTAG_CONTENT_TYPE_STR("application/dtmf-relay"), SIPTAG_PAYLOAD_STR(body), TAG_END());
}

/* media_port.dtmf: a digit from the other party. */
/* An event's length as we send it: at least DTMF_MIN_MS (Q.24's shortest digit). */
static unsigned ev_len_ms(const struct media_dtmf *ev)
{
	return ev->duration_ms < DTMF_MIN_MS ? DTMF_MIN_MS : ev->duration_ms;
}

void sl_dtmf(struct media_port *mp, const struct media_dtmf *ev)
{
	struct sip_leg *sl = mp->owner;
	struct sip_rtp *r = &sl->rm;

	if (!sl->nh || !(sl_is(sl, SIP_ST_CONFIRMED) || sl_is(sl, SIP_ST_HELD))) {
		if (ev->phase == MEDIA_DTMF_END)
			LOGI(LSS_DSP, "%s DTMF %c from %s dropped: no answered dialog", sip_leg_describe(sl),
			     ev->digit, peer_kind(sl));
		return;
	}
	switch (r->method) {
	case DTMF_RELAY_SIP_INFO:
		if (ev->phase != MEDIA_DTMF_END)
			return;
		tx_info(sl, ev->digit, ev->duration_ms);
		LOGI(LSS_DSP, "%s DTMF %c %s->sip %s->info %u ms", sip_leg_describe(sl), ev->digit, peer_kind(sl),
		     ev->method, ev->duration_ms);
		return;
	case DTMF_RELAY_RTP_NTE:
		if (ev->phase == MEDIA_DTMF_END) {
			for (unsigned i = 0; i < r->evq_len; i++) {
				struct sip_ev_out *e = &r->evq[(r->evq_head + i) % SIP_EV_QUEUE];

				if (!e->target_ms && e->digit == ev->digit) {
					e->target_ms = ev_len_ms(ev);
					return;
				}
			}
		}
		if (r->evq_len == SIP_EV_QUEUE) {
			static struct log_limit lim;	/* a flood: one line every 2 s */

			LOGW_LIMIT(&lim, LSS_DSP, "%s DTMF %c dropped: %d digits already waiting",
				   sip_leg_describe(sl), ev->digit, SIP_EV_QUEUE);
			return;
		}
		r->evq[(r->evq_head + r->evq_len++) % SIP_EV_QUEUE] = (struct sip_ev_out){
			.digit = ev->digit, .method = ev->method,
			.target_ms = ev->phase == MEDIA_DTMF_END ? ev_len_ms(ev) : 0,	/* 0: open */
		};
		return;
	default:	/* in-band: the port takes no events, but a caller may still hand one */
		if (dtmf_play_take(&r->dp_out))
			LOGW(LSS_DSP, "%s DTMF %c dropped: no memory for its player", sip_leg_describe(sl),
			     ev->digit);
		else if (ev->phase == MEDIA_DTMF_BEGIN)
			dtmf_play_begin(r->dp_out, ev->digit);
		else
			dtmf_play_end(r->dp_out, ev->digit, ev->duration_ms);
		return;
	}
}

/* An INFO carrying a digit (sip_hold.c's sip_info_in): as an event. */
void sip_rtp_info_digit(struct sip_leg *sl, char digit, unsigned ms)
{
	rx_digit(sl, digit, 1, 0, "info");
	rx_digit(sl, digit, 0, ms, "info");
}
