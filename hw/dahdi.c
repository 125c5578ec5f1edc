/* sipgw - DAHDI span back end: a T1/E1 PRI on a card, through DAHDI's
 * userspace API (dahdi/user.h) as chan_dahdi drives it. The channel layout
 * comes from DAHDI's system.conf (config checked it against the span); each
 * channel is /dev/dahdi/channel bound by DAHDI_SPECIFY. In tests the same
 * code runs on the fake DAHDI (hw/fakedahdi.c). SPDX-License-Identifier: GPL-2.0-only */
#include "span_hw.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <dahdi/user.h>

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"

#define DH_DEV "/dev/dahdi/channel"
/* 160 samples = 20 ms at 8 kHz: a B-channel read returns once per 20 ms of
 * the card's clock, which is the span's media tick. */
#define DH_BLOCK 160
/* Four blocks each way (80 ms): room for the loop's jitter, a bounded delay. */
#define DH_B_BUFS 4
/* D-channel buffers as chan_dahdi's: a Q.921 frame is at most 260 octets
 * (Q.921 5.9.3, N201) + address, control, FCS. */
#define DH_D_BUFS 16
#define DH_D_BUFSIZE 1024
/* Q.921 2.2: the shortest frame (address, control) + the 2 FCS bytes. */
#define DH_DCHAN_MIN (2 + 1 + 2)

struct dh_chan {
	struct span_hw *hw;
	int ts;				/* timeslot = Q.931 channel number */
	int fd;
	struct loop_fd *w;
};

struct span_hw {
	struct su_root_s *root;
	const struct cfg_span *cfg;
	const struct span_hw_cbs *cbs;
	void *arg;
	int d_fd;			/* -1: none (NFAS, nfas_d none) */
	int ev_fd;			/* whose alarm events move the span: the
					 * D-channel's, else the first B-channel's */
	struct loop_fd *dw;
	uint8_t pend[DH_D_BUFSIZE];	/* a frame read to learn that one came */
	size_t pend_len;
	struct dh_chan b[32];
	int n_b;
	struct dh_chan *by_ts[32];
	int clock_ts;			/* the B-channel whose reads clock the span */
	int alarms;			/* DAHDI_ALARM_* bits, from DAHDI_SPANSTAT */
	int down;			/* an alarm holds the span down */
	unsigned long runts, bad_reads, tx_full;
	struct log_limit lim_event, lim_runt, lim_read, lim_tx;
};

static const struct { int bit; const char *name; } dh_alarm_names[] = {
	{ DAHDI_ALARM_RED, "red" }, { DAHDI_ALARM_YELLOW, "yellow" }, { DAHDI_ALARM_BLUE, "blue" },
	{ DAHDI_ALARM_LOOPBACK, "loopback" }, { DAHDI_ALARM_RECOVER, "recovering" },
	{ DAHDI_ALARM_NOTOPEN, "not open" }, { DAHDI_ALARM_LOS, "loss of signal" },
	{ DAHDI_ALARM_LFA, "loss of frame alignment" },
	{ DAHDI_ALARM_LMFA, "loss of multiframe alignment" }, { 0, NULL },
};

static const char *dh_alarm_str(int alarms, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (int i = 0; dh_alarm_names[i].name; i++)
		if ((alarms & dh_alarm_names[i].bit) && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", dh_alarm_names[i].name);
	if (!alarms)
		snprintf(buf, len, "none");
	else if (!buf[0])
		snprintf(buf, len, "0x%x", alarms);
	return buf;
}

static const char *dh_event_name(int ev)
{
	switch (ev) {
	case DAHDI_EVENT_ALARM: return "alarm";
	case DAHDI_EVENT_NOALARM: return "no alarm";
	case DAHDI_EVENT_ABORT: return "HDLC abort";
	case DAHDI_EVENT_OVERRUN: return "HDLC overrun";
	case DAHDI_EVENT_BADFCS: return "HDLC bad FCS";
	default: return "other";
	}
}

/* An alarm came (down = 1) or went (0), by DAHDI_EVENT_ALARM / NOALARM;
 * DAHDI_SPANSTAT says which (for the log). The event, not the state read
 * afterwards, decides, so a line that came and went before we looked is
 * still seen to come and go. Any alarm (red: we lost the line; yellow: the
 * far end lost ours; blue: all ones; loopback) means no D-channel and no
 * B-channels: the span goes down as when a loopback far end vanishes (calls
 * cleared towards SIP with cause 38, none hunted to it); when it clears the
 * span comes up again and Q.921 starts. */
static void dh_alarm_change(struct span_hw *hw, int down)
{
	struct dahdi_spaninfo si = { .spanno = hw->cfg->dahdi_span };
	char was[96], now[96];

	if (ioctl(hw->ev_fd, DAHDI_SPANSTAT, &si)) {
		LOGW(LSS_Q931, "span %s: DAHDI_SPANSTAT of span %d: %s", hw->cfg->name,
		     hw->cfg->dahdi_span, strerror(errno));
		si.alarms = hw->alarms;
	}
	if (down == hw->down && si.alarms == hw->alarms)
		return;
	LOGN(LSS_Q931, "span %s: DAHDI span %d alarms: %s (were %s)%s", hw->cfg->name,
	     hw->cfg->dahdi_span, dh_alarm_str(si.alarms, now, sizeof(now)),
	     dh_alarm_str(hw->alarms, was, sizeof(was)),
	     down == hw->down ? "" : down ? ": span down" : ": span up");
	hw->alarms = si.alarms;
	if (down == hw->down)
		return;
	hw->down = down;
	hw->cbs->link(hw->arg, down ? SPAN_HW_LINK_DOWN : SPAN_HW_LINK_RESTORED);
}

/* A read said ELAST: an event waits on the channel. DAHDI queues an alarm
 * change on every channel of the span; the D-channel's copy is the one that
 * moves the span (a B-channel read later than the D-channel's could bring
 * an old one), the B-channels' are only taken off their queue. */
static void dh_event(struct span_hw *hw, int fd, int ts)
{
	int is_d = fd == hw->ev_fd;
	int ev = DAHDI_EVENT_NONE;

	if (ioctl(fd, DAHDI_GETEVENT, &ev)) {
		LOGW_LIMIT(&hw->lim_event, LSS_Q931, "span %s: DAHDI_GETEVENT on timeslot %d: %s",
			   hw->cfg->name, ts, strerror(errno));
		return;
	}
	if (ev == DAHDI_EVENT_ALARM || ev == DAHDI_EVENT_NOALARM) {
		if (is_d)
			dh_alarm_change(hw, ev == DAHDI_EVENT_ALARM);
	} else if (ev != DAHDI_EVENT_NONE)
		LOGN_LIMIT(&hw->lim_event, LSS_Q931, "span %s: DAHDI event %s (%d) on timeslot %d",
			   hw->cfg->name, dh_event_name(ev), ev, ts);
}

/* One D-channel frame (with its 2 FCS bytes, as DAHDI's HDLC gives it), or
 * -1 with nothing to read; events on the way are taken. */
static ssize_t dh_d_fetch(struct span_hw *hw, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = read(hw->d_fd, buf, len);

		if (n < 0 && errno == ELAST) {
			dh_event(hw, hw->d_fd, hw->cfg->dahdi_dchan);
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			LOGW_LIMIT(&hw->lim_read, LSS_Q931, "span %s: D-channel read: %s", hw->cfg->name,
				   strerror(errno));
		if (n <= 0)
			return -1;
		if (n < DH_DCHAN_MIN) {
			hw->runts++;
			LOGW_LIMIT(&hw->lim_runt, LSS_Q931, "span %s: D-channel frame of %zd bytes dropped "
				   "(%lu so far)", hw->cfg->name, n, hw->runts);
			continue;
		}
		return n;
	}
}

/* The D-channel is readable or has an event. Only a frame wakes the span:
 * an alarm alone must not start Q.921 (span_dchan.c starts libpri on the far
 * end's first frame), so the frame is read here and handed over by d_read. */
static void dh_d_cb(void *arg, int fd)
{
	struct span_hw *hw = arg;

	if (!hw->pend_len) {
		ssize_t n = dh_d_fetch(hw, hw->pend, sizeof(hw->pend));
		if (n <= 0)
			return;
		hw->pend_len = (size_t)n;
	}
	hw->cbs->d_readable(hw->arg);
}

static ssize_t dh_d_read(struct span_hw *hw, void *buf, size_t len)
{
	if (hw->pend_len) {
		size_t n = hw->pend_len < len ? hw->pend_len : len;
		memcpy(buf, hw->pend, n);
		hw->pend_len = 0;
		return (ssize_t)n;
	}
	return dh_d_fetch(hw, buf, len);
}

static ssize_t dh_d_write(struct span_hw *hw, const void *buf, size_t len)
{
	/* libpri's frame carries 2 bytes for the FCS, which DAHDI's HDLC fills.
	 * A frame the card cannot take now is lost on the line, as a
	 * corrupted one would be; Q.921 retransmits it (T200). That includes
	 * ELAST: DAHDI refuses writes while an event waits, and the event is
	 * taken by dh_d_cb, not here, inside libpri (it may take the span down). */
	if (write(hw->d_fd, buf, len) < 0 && errno != EAGAIN && errno != ELAST)
		LOGW_LIMIT(&hw->lim_tx, LSS_Q931, "span %s: D-channel write: %s", hw->cfg->name,
			   strerror(errno));
	return (ssize_t)len;
}

/* 20 ms of one B-channel. Every channel of the card is read as it fills, in
 * a call or not (DAHDI keeps receiving either way); the clock channel's read
 * is the span's tick, so audio runs at the line's rate: if the loop was late,
 * the blocks that piled up are read one after another, each with its tick. */
static void dh_b_cb(void *arg, int fd)
{
	struct dh_chan *ch = arg;
	struct span_hw *hw = ch->hw;
	uint8_t buf[DH_BLOCK];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == ELAST) {
			dh_event(hw, fd, ch->ts);
			continue;
		}
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				LOGW_LIMIT(&hw->lim_read, LSS_Q931, "span %s: B-channel %d read: %s",
					   hw->cfg->name, ch->ts, strerror(errno));
			return;
		}
		if (n != DH_BLOCK) {
			hw->bad_reads++;
			LOGW_LIMIT(&hw->lim_read, LSS_Q931, "span %s: B-channel %d read %zd bytes, not %d "
				   "(%lu so far)", hw->cfg->name, ch->ts, n, DH_BLOCK, hw->bad_reads);
			continue;
		}
		hw->cbs->b_frame(hw->arg, ch->ts, buf, DH_BLOCK);
		if (ch->ts == hw->clock_ts)
			hw->cbs->tick(hw->arg);
	}
}

static int dh_b_write(struct span_hw *hw, int chan, const uint8_t *frame, size_t len)
{
	struct dh_chan *ch = chan > 0 && chan < 32 ? hw->by_ts[chan] : NULL;

	if (!ch)
		return -EINVAL;
	ssize_t n = write(ch->fd, frame, len);

	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && errno == ELAST)
		return -EAGAIN;	/* an event waits; dh_b_cb takes it, the block is lost */
	if (n < 0 && errno == EAGAIN) {
		/* all DH_B_BUFS transmit buffers full: we run ahead of the card */
		hw->tx_full++;
		LOGW_LIMIT(&hw->lim_tx, LSS_Q931, "span %s: B-channel %d transmit buffers full, "
			   "20 ms dropped (%lu so far)", hw->cfg->name, chan, hw->tx_full);
		return -EAGAIN;
	}
	return n < 0 ? -errno : -EIO;
}

/* A DAHDI channel of this span, bound and checked; 0 or -errno, logged. */
static int dh_chan_open(struct span_hw *hw, int ts, int *fdp, struct dahdi_params *pp)
{
	const struct cfg_span *cfg = hw->cfg;
	int channo = cfg->dahdi_base + ts - 1;
	const char *what = "open " DH_DEV;
	int fd = open(DH_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC), rc;

	if (fd < 0) {
		rc = -errno;
		LOGE(LSS_Q931, "span %s: cannot open %s: %s (DAHDI not loaded, or no card?)", cfg->name,
		     DH_DEV, strerror(-rc));
		return rc;
	}
	memset(pp, 0, sizeof(*pp));
	if (ioctl(fd, DAHDI_SPECIFY, &channo) ? (what = "DAHDI_SPECIFY", 1) :
	    ioctl(fd, DAHDI_GET_PARAMS, pp) ? (what = "DAHDI_GET_PARAMS", 1) : 0) {
		rc = -errno;
		LOGE(LSS_Q931, "span %s: DAHDI channel %d (span %d timeslot %d): %s: %s (did "
		     "dahdi_cfg run?)", cfg->name, channo, cfg->dahdi_span, ts, what, strerror(-rc));
		close(fd);
		return rc;
	}
	if (pp->spanno != cfg->dahdi_span || pp->chanpos != ts) {
		LOGE(LSS_Q931, "span %s: DAHDI channel %d is span %d timeslot %d, but system.conf "
		     "makes it span %d timeslot %d: system.conf does not match the cards", cfg->name,
		     channo, pp->spanno, pp->chanpos, cfg->dahdi_span, ts);
		close(fd);
		return -ENXIO;
	}
	*fdp = fd;
	return 0;
}

static int dh_ioctl(struct span_hw *hw, int fd, int ts, unsigned long req, void *val,
		    const char *what)
{
	int rc;

	if (ioctl(fd, req, val) == 0)
		return 0;
	rc = -errno;
	LOGE(LSS_Q931, "span %s: timeslot %d: %s: %s", hw->cfg->name, ts, what, strerror(-rc));
	return rc;
}

/* The D-channel: HDLC with FCS done by DAHDI (dchan=) or by the card
 * (hardhdlc=); either way reads and writes are whole frames + 2 FCS bytes. */
static int dh_dchan_open(struct span_hw *hw)
{
	struct dahdi_params p;
	struct dahdi_bufferinfo bi = {
		.txbufpolicy = DAHDI_POLICY_IMMEDIATE, .rxbufpolicy = DAHDI_POLICY_IMMEDIATE,
		.numbufs = DH_D_BUFS, .bufsize = DH_D_BUFSIZE,
	};
	int ts = hw->cfg->dahdi_dchan, rc;

	if ((rc = dh_chan_open(hw, ts, &hw->d_fd, &p)))
		return rc;
	if (p.sigtype != DAHDI_SIG_HDLCFCS && p.sigtype != DAHDI_SIG_HARDHDLC) {
		LOGE(LSS_Q931, "span %s: DAHDI channel %d is no HDLC D-channel (signalling 0x%x): "
		     "system.conf wants %s=%d; run dahdi_cfg", hw->cfg->name, p.channo, p.sigtype,
		     hw->cfg->dahdi_hardhdlc ? "hardhdlc" : "dchan", p.channo);
		return -ENXIO;
	}
	return dh_ioctl(hw, hw->d_fd, ts, DAHDI_SET_BUFINFO, &bi, "DAHDI_SET_BUFINFO");
}

/* A B-channel: 160-byte blocks in the span's law, the card's echo canceller
 * off (echo cancelling is ours, on the media path). */
static int dh_bchan_open(struct span_hw *hw, struct dh_chan *ch)
{
	struct dahdi_params p;
	struct dahdi_bufferinfo bi = {
		.txbufpolicy = DAHDI_POLICY_IMMEDIATE, .rxbufpolicy = DAHDI_POLICY_IMMEDIATE,
		.numbufs = DH_B_BUFS, .bufsize = DH_BLOCK,
	};
	struct dahdi_echocanparams ec = { .tap_length = 0 };
	int block = DH_BLOCK;
	int law = hw->cfg->framing == FRAMING_E1 ? DAHDI_LAW_ALAW : DAHDI_LAW_MULAW;
	int rc;

	if ((rc = dh_chan_open(hw, ch->ts, &ch->fd, &p)))
		return rc;
	if (p.sigtype != DAHDI_SIG_CLEAR) {
		LOGE(LSS_Q931, "span %s: DAHDI channel %d is no clear B-channel (signalling 0x%x): "
		     "system.conf wants bchan=%d; run dahdi_cfg", hw->cfg->name, p.channo, p.sigtype,
		     p.channo);
		return -ENXIO;
	}
	if ((rc = dh_ioctl(hw, ch->fd, ch->ts, DAHDI_SET_BLOCKSIZE, &block, "DAHDI_SET_BLOCKSIZE")) ||
	    (rc = dh_ioctl(hw, ch->fd, ch->ts, DAHDI_SET_BUFINFO, &bi, "DAHDI_SET_BUFINFO")) ||
	    (rc = dh_ioctl(hw, ch->fd, ch->ts, DAHDI_SETLAW, &law, "DAHDI_SETLAW")) ||
	    (rc = dh_ioctl(hw, ch->fd, ch->ts, DAHDI_ECHOCANCEL_PARAMS, &ec, "DAHDI_ECHOCANCEL_PARAMS (off)")))
		return rc;
	return loop_fd_alloc(&ch->w, hw->root, ch->fd, dh_b_cb, ch);
}

static void dh_close(struct span_hw *hw)
{
	if (!hw)
		return;
	for (int i = 0; i < hw->n_b; i++) {
		loop_fd_free(hw->b[i].w);
		if (hw->b[i].fd >= 0)
			close(hw->b[i].fd);
	}
	loop_fd_free(hw->dw);
	if (hw->d_fd >= 0)
		close(hw->d_fd);
	free(hw);
}

static int dh_open(struct span_hw **hwp, const struct cfg_span *cfg, struct su_root_s *root,
		   const struct span_hw_cbs *cbs, void *arg)
{
	struct span_hw *hw = calloc(1, sizeof(*hw));
	char alarms[96];
	int rc;

	if (!hw)
		return -ENOMEM;
	hw->root = root;
	hw->cfg = cfg;
	hw->cbs = cbs;
	hw->arg = arg;
	hw->d_fd = hw->ev_fd = -1;
	/* NFAS, nfas_d none: the span's calls are signalled on another span's
	 * D-channel; all 24 timeslots are B-channels */
	if (cfg->dahdi_dchan && (rc = dh_dchan_open(hw)))
		goto err;
	hw->ev_fd = hw->d_fd;
	for (int ts = 1; ts < 32; ts++) {
		struct dh_chan *ch;

		if (!(cfg->dahdi_bchans & (1u << ts)))
			continue;
		ch = &hw->b[hw->n_b++];
		ch->hw = hw;
		ch->ts = ts;
		ch->fd = -1;
		hw->by_ts[ts] = ch;
		if (!hw->clock_ts)
			hw->clock_ts = ts;
		if ((rc = dh_bchan_open(hw, ch)))
			goto err;
		if (hw->ev_fd < 0)
			hw->ev_fd = ch->fd;
	}
	if (hw->d_fd >= 0 && (rc = loop_fd_alloc_pri(&hw->dw, root, hw->d_fd, dh_d_cb, hw)))
		goto err;
	/* Where the line stands now; later changes come as events. Until an
	 * alarm-free span says so, it is down, like a loopback span with no
	 * far end. */
	hw->alarms = -1;
	hw->down = 1;
	{
		struct dahdi_spaninfo si = { .spanno = cfg->dahdi_span };
		if ((rc = dh_ioctl(hw, hw->ev_fd, cfg->dahdi_dchan, DAHDI_SPANSTAT, &si, "DAHDI_SPANSTAT")))
			goto err;
		hw->alarms = si.alarms;
		hw->down = si.alarms != DAHDI_ALARM_NONE;
	}
	if (cfg->dahdi_dchan)
		LOGN(LSS_Q931, "span %s: DAHDI span %d, D-channel %d (%s), %d B-channels from channel %d, "
		     "audio clocked by timeslot %d, alarms: %s", cfg->name, cfg->dahdi_span,
		     cfg->dahdi_base + cfg->dahdi_dchan - 1, cfg->dahdi_hardhdlc ? "hardhdlc" : "dchan",
		     hw->n_b, cfg->dahdi_base, hw->clock_ts, dh_alarm_str(hw->alarms, alarms, sizeof(alarms)));
	else
		LOGN(LSS_Q931, "span %s: DAHDI span %d, no D-channel (NFAS), %d B-channels from channel %d, "
		     "audio clocked by timeslot %d, alarms: %s", cfg->name, cfg->dahdi_span, hw->n_b,
		     cfg->dahdi_base, hw->clock_ts, dh_alarm_str(hw->alarms, alarms, sizeof(alarms)));
	*hwp = hw;
	if (!hw->down)
		cbs->link(arg, SPAN_HW_LINK_UP);
	return 0;
err:
	dh_close(hw);
	return rc;
}

static void dh_alarms(struct span_hw *hw, char *buf, size_t len)
{
	dh_alarm_str(hw->alarms, buf, len);
}

const struct span_hw_ops dahdi_hw_ops = {
	.name = "dahdi",
	.clocks_media = 1,
	.open = dh_open,
	.close = dh_close,
	.d_read = dh_d_read,
	.d_write = dh_d_write,
	.b_write = dh_b_write,
	.alarms = dh_alarms,
};
