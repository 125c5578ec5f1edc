/* sipgw - a fake DAHDI for tests (DESIGN.md "Fake DAHDI"): an LD_PRELOAD
 * shim that answers open/read/write/ioctl/close on /dev/dahdi/... as the
 * kernel would for the spans of a system.conf, paced at 20 ms like a card,
 * so hw/dahdi.c runs unchanged without a card.
 *
 * Each /dev/dahdi fd the program gets is one end of a SOCK_SEQPACKET
 * socketpair; the shim's own thread holds the other end and plays the card,
 * so poll, select and epoll (Sofia's su_root uses epoll) work on it as they
 * are. The line's far end is a loopback span's far end: with FAKE_DAHDI_DIR=DIR,
 * span N's D-channel is DIR/spanN (one Q.921 frame + 2 FCS bytes a datagram)
 * and its audio DIR/spanN-b (1 byte timeslot + 160 bytes G.711 a datagram),
 * so sipgw-pbx is the PBX on it. A line with no far end connected is in red
 * alarm, as a card with no cable; DIR/ctl takes "alarm N red|yellow|blue|clear"
 * (answered "ok" or "error: ...") for alarms on a line that is plugged in.
 *
 * Where it differs from the kernel: an event (alarm) makes the fd readable
 * (POLLIN), where DAHDI raises POLLPRI; a read fails with ELAST when the
 * event is next, in order with the frames around it (the kernel puts events
 * first, which only matters on a line that comes and goes faster than any
 * line can), and writes fail with ELAST while one waits; DAHDI_GETEVENT takes
 * it. Only 160-byte blocks
 * (DAHDI_SET_BLOCKSIZE 160) carry audio. The system.conf is
 * FAKE_DAHDI_CONF or DIR/system.conf. FAKE_DAHDI_BLOCK_US (20000) is the
 * card's clock, one block per that many microseconds: a card running slow
 * or fast, to show whose clock the audio follows. SPDX-License-Identifier: GPL-2.0-only */
#include "fake.h"

static struct fk_chan *fk_chan_of(int fd)
{
	return fd >= 0 && fd < FK_MAX_FDS ? fk.chans[fd] : NULL;
}

static int fk_specify(struct fk_chan *ch, int channo)
{
	const struct dahdi_conf_span *cs;
	int ts;

	if (ch->channo)
		return -EINVAL;
	if (dahdi_conf_chan(&fk.dc, channo, &cs, &ts))
		return -ENXIO;
	if (fk.spans[cs - fk.dc.spans].by_ts[ts])
		return -EBUSY;	/* DAHDI: one open per channel */
	ch->channo = channo;
	ch->sp = &fk.spans[cs - fk.dc.spans];
	ch->ts = ts;
	ch->sigtype = ts == cs->dchan ? (cs->hardhdlc ? DAHDI_SIG_HARDHDLC : DAHDI_SIG_HDLCFCS)
		    : (cs->bchans & (1u << ts)) ? DAHDI_SIG_CLEAR : 0;
	ch->blocksize = DAHDI_DEFAULT_BLOCKSIZE;
	ch->bi = (struct dahdi_bufferinfo){ .numbufs = DAHDI_DEFAULT_NUM_BUFS,
					    .bufsize = DAHDI_DEFAULT_BLOCKSIZE };
	ch->sp->by_ts[ts] = ch;
	fk_wake();
	return 0;
}

static int fk_open_dev(const char *path, int flags)
{
	struct fk_chan *ch;
	int sv[2], rc, channo = 0;
	const char *name = path + strlen("/dev/dahdi/");

	pthread_mutex_lock(&fk.lock);
	if ((rc = fk_init()))
		goto out;
	if (strcmp(name, "channel")) {
		char *end;
		channo = (int)strtol(name, &end, 10);
		if (*end || channo <= 0) {
			fk_log("%s is not faked (only /dev/dahdi/channel and /dev/dahdi/N)", path);
			rc = -ENOENT;
			goto out;
		}
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		goto out;
	}
	if (sv[0] >= FK_MAX_FDS || !(ch = calloc(1, sizeof(*ch)))) {
		real_close(sv[0]);
		real_close(sv[1]);
		rc = -EMFILE;
		goto out;
	}
	if (flags & O_NONBLOCK)
		fcntl(sv[0], F_SETFL, O_NONBLOCK);
	if (!(flags & O_CLOEXEC))
		fcntl(sv[0], F_SETFD, 0);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	ch->app_fd = sv[0];
	ch->our_fd = sv[1];
	fk.chans[sv[0]] = ch;
	if (channo && (rc = fk_specify(ch, channo))) {
		fk.chans[sv[0]] = NULL;
		real_close(sv[0]);
		real_close(sv[1]);
		free(ch);
		goto out;
	}
	rc = sv[0];
out:
	pthread_mutex_unlock(&fk.lock);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

static int fk_is_dev(const char *path)
{
	return path && !strncmp(path, "/dev/dahdi/", strlen("/dev/dahdi/"));
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	fk_syms();
	if (fk_is_dev(path))
		return fk_open_dev(path, flags);
	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	fk_syms();
	if (fk_is_dev(path))
		return fk_open_dev(path, flags);
	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return real_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));

/* _FORTIFY_SOURCE's open */
int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

int __open64_2(const char *path, int flags) __attribute__((alias("__open_2")));

int close(int fd)
{
	struct fk_chan *ch;

	fk_syms();
	if (fd >= 0 && fd < FK_MAX_FDS && fk.chans[fd]) {
		pthread_mutex_lock(&fk.lock);
		ch = fk.chans[fd];
		fk.chans[fd] = NULL;
		if (ch) {
			if (ch->sp && ch->sp->by_ts[ch->ts] == ch)
				ch->sp->by_ts[ch->ts] = NULL;
			real_close(ch->our_fd);
			free(ch);
		}
		fk_wake();
		pthread_mutex_unlock(&fk.lock);
	}
	return real_close(fd);
}

ssize_t read(int fd, void *buf, size_t len)
{
	struct fk_chan *ch;
	uint8_t tmp[FK_DGRAM + 1];
	ssize_t n;

	fk_syms();
	if (!(ch = fk_chan_of(fd)))
		return real_read(fd, buf, len);
	if (!ch->channo) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		int ev_n;

		/* what comes next, waiting for it as the fd's blocking mode says */
		n = recv(fd, tmp, 1, MSG_PEEK);
		if (n < 0)
			return -1;
		pthread_mutex_lock(&fk.lock);
		ev_n = ch->ev_n;
		pthread_mutex_unlock(&fk.lock);
		if (n == 1 && tmp[0] == FK_EVENT && ev_n) {
			errno = ELAST;	/* DAHDI_GETEVENT takes it */
			return -1;
		}
		n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);
		if (n < 0)
			return -1;
		if (n < 1 || tmp[0] != FK_FRAME)
			continue;	/* the wake-up of an event already taken */
		pthread_mutex_lock(&fk.lock);
		if (ch->sigtype == DAHDI_SIG_CLEAR && ch->rx_queued > 0)
			ch->rx_queued--;
		pthread_mutex_unlock(&fk.lock);
		n--;
		if ((size_t)n > len)
			n = (ssize_t)len;
		memcpy(buf, tmp + 1, (size_t)n);
		return n;
	}
}

ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	return read(fd, buf, len < buflen ? len : buflen);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	struct fk_chan *ch;
	uint8_t tmp[FK_DGRAM + 1];
	int err = 0;

	fk_syms();
	if (!(ch = fk_chan_of(fd)))
		return real_write(fd, buf, len);
	pthread_mutex_lock(&fk.lock);
	if (!ch->channo)
		err = EINVAL;
	else if (ch->ev_n)
		err = ELAST;
	else if (len > (size_t)ch->bi.bufsize || len > FK_DGRAM)
		err = EINVAL;
	else if (ch->sigtype == DAHDI_SIG_CLEAR && ch->tx_queued >= ch->bi.numbufs)
		err = EAGAIN;	/* every transmit buffer is full */
	else if (ch->sigtype == DAHDI_SIG_CLEAR)
		ch->tx_queued++;
	pthread_mutex_unlock(&fk.lock);
	if (err) {
		errno = err;
		return -1;
	}
	tmp[0] = FK_FRAME;
	memcpy(tmp + 1, buf, len);
	if (send(fd, tmp, len + 1, MSG_NOSIGNAL) < 0)
		return -1;
	return (ssize_t)len;
}

/* The kernel's answers to the ioctls a PRI back end makes. */
static int fk_ioctl(struct fk_chan *ch, unsigned long req, void *arg)
{
	struct fk_span *sp = ch->sp;

	if (req == DAHDI_SPECIFY)
		return fk_specify(ch, *(int *)arg);
	if (!ch->channo)
		return -EINVAL;	/* DAHDI: every other ioctl needs a channel */
	switch (req) {
	case DAHDI_GET_PARAMS: {
		struct dahdi_params *p = arg;
		struct fk_chan *of = ch;
		int channo = p->channo & ~DAHDI_GET_PARAMS_RETURN_MASTER;
		const struct dahdi_conf_span *cs;
		int ts;

		if (channo && channo != ch->channo) {
			if (dahdi_conf_chan(&fk.dc, channo, &cs, &ts))
				return -EINVAL;
			of = NULL;
		} else {
			cs = sp->cs;
			ts = ch->ts;
		}
		memset(p, 0, sizeof(*p));
		p->channo = of ? of->channo : channo;
		p->spanno = cs->num;
		p->chanpos = ts;
		p->sigtype = ts == cs->dchan ? (cs->hardhdlc ? DAHDI_SIG_HARDHDLC : DAHDI_SIG_HDLCFCS)
			   : (cs->bchans & (1u << ts)) ? DAHDI_SIG_CLEAR : 0;
		p->sigcap = DAHDI_SIG_CLEAR | DAHDI_SIG_HDLCFCS | DAHDI_SIG_HARDHDLC;
		p->curlaw = of && of->law ? of->law : cs->kind == DAHDI_LINE_E1 ? DAHDI_LAW_ALAW : DAHDI_LAW_MULAW;
		p->chan_alarms = (uint32_t)fk.spans[cs - fk.dc.spans].alarms;
		snprintf(p->name, sizeof(p->name), "FAKE/%d/%d", cs->num, ts);
		return 0;
	}
	case DAHDI_SPANSTAT: {
		struct dahdi_spaninfo *si = arg;
		int num = si->spanno ? si->spanno : sp->cs->num;
		struct fk_span *s = num >= 1 && num <= fk.n_spans ? &fk.spans[num - 1] : NULL;

		if (!s)
			return -EINVAL;
		memset(si, 0, sizeof(*si));
		si->spanno = num;
		snprintf(si->name, sizeof(si->name), "FAKE/%d", num);
		snprintf(si->desc, sizeof(si->desc), "fake DAHDI span %d (%s)", num, s->d_path);
		si->alarms = s->alarms;
		si->numchans = s->cs->n_chans;
		si->totalchans = s->cs->n_chans;
		si->totalspans = fk.n_spans;
		snprintf(si->spantype, sizeof(si->spantype), "%s", s->cs->kind == DAHDI_LINE_E1 ? "E1" : "T1");
		return 0;
	}
	case DAHDI_GETEVENT: {
		uint8_t tag;

		if (!ch->ev_n) {
			*(int *)arg = DAHDI_EVENT_NONE;
			return 0;
		}
		*(int *)arg = ch->events[ch->ev_head];
		ch->ev_head = (ch->ev_head + 1) % FK_EVENTS;
		ch->ev_n--;
		/* take its wake-up, when it is next (never a frame) */
		if (recv(ch->app_fd, &tag, 1, MSG_PEEK | MSG_DONTWAIT) == 1 && tag == FK_EVENT &&
		    recv(ch->app_fd, &tag, 1, MSG_DONTWAIT) < 0)
			return 0;
		return 0;
	}
	case DAHDI_SET_BLOCKSIZE: {
		int b = *(int *)arg;
		if (b < 16 || b > DAHDI_MAX_BLOCKSIZE)
			return -EINVAL;
		ch->blocksize = b;
		return 0;
	}
	case DAHDI_GET_BLOCKSIZE:
		*(int *)arg = ch->blocksize;
		return 0;
	case DAHDI_SET_BUFINFO: {
		const struct dahdi_bufferinfo *bi = arg;
		if (bi->numbufs < 1 || bi->numbufs > DAHDI_MAX_NUM_BUFS || bi->bufsize < 16 ||
		    bi->bufsize > DAHDI_MAX_BLOCKSIZE || bi->numbufs * bi->bufsize > DAHDI_MAX_BUF_SPACE ||
		    bi->txbufpolicy < 0 || bi->txbufpolicy > DAHDI_POLICY_HALF_FULL ||
		    bi->rxbufpolicy < 0 || bi->rxbufpolicy > DAHDI_POLICY_WHEN_FULL)
			return -EINVAL;
		ch->bi = *bi;
		return 0;
	}
	case DAHDI_GET_BUFINFO: {
		struct dahdi_bufferinfo *bi = arg;
		*bi = ch->bi;
		bi->readbufs = ch->rx_queued;
		bi->writebufs = ch->tx_queued;
		return 0;
	}
	case DAHDI_SETLAW: {
		int law = *(int *)arg;
		if (law < DAHDI_LAW_DEFAULT || law > DAHDI_LAW_ALAW)
			return -EINVAL;
		ch->law = law;
		return 0;
	}
	case DAHDI_ECHOCANCEL:
		ch->ec_taps = *(int *)arg;
		return 0;
	case DAHDI_ECHOCANCEL_PARAMS:
		ch->ec_taps = (int)((struct dahdi_echocanparams *)arg)->tap_length;
		return 0;
	case DAHDI_AUDIOMODE:
		ch->audiomode = *(int *)arg;
		return 0;
	case DAHDI_FLUSH:
		return 0;
	case DAHDI_CHANNO:
		*(int *)arg = ch->channo;
		return 0;
	default:
		return -ENOTTY;
	}
}

int ioctl(int fd, unsigned long req, ...)
{
	struct fk_chan *ch;
	va_list ap;
	void *arg;
	int rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	fk_syms();
	if (!(ch = fk_chan_of(fd)))
		return real_ioctl(fd, req, arg);
	pthread_mutex_lock(&fk.lock);
	rc = fk_ioctl(ch, req, arg);
	pthread_mutex_unlock(&fk.lock);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

