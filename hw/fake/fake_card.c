/* sipgw - the fake DAHDI's card: one thread that plays the line. Every 20 ms
 * (or FAKE_DAHDI_BLOCK_US) each open B-channel gets a block from the far end
 * or idle code and the block the program wrote goes out; D-channel frames
 * go through as they come; a far end that connects or goes clears or raises
 * red alarm, and DIR/ctl sets alarms. SPDX-License-Identifier: GPL-2.0-only */
#include "fake.h"

struct fk_state fk = { .lock = PTHREAD_MUTEX_INITIALIZER };

int (*real_open)(const char *, int, ...);
int (*real_openat)(int, const char *, int, ...);
ssize_t (*real_read)(int, void *, size_t);
ssize_t (*real_write)(int, const void *, size_t);
int (*real_close)(int);
int (*real_ioctl)(int, unsigned long, ...);

void fk_syms(void)
{
	if (real_read)
		return;
	real_open = dlsym(RTLD_NEXT, "open");
	real_openat = dlsym(RTLD_NEXT, "openat");
	real_write = dlsym(RTLD_NEXT, "write");
	real_close = dlsym(RTLD_NEXT, "close");
	real_ioctl = dlsym(RTLD_NEXT, "ioctl");
	real_read = dlsym(RTLD_NEXT, "read");
}

void fk_log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n = snprintf(buf, sizeof(buf), "fakedahdi: ");

	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	fk_syms();
	if (real_write(2, buf, (size_t)n) < 0)
		return;
}

static int fk_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		real_close(fd);
		return -1;
	}
	return fd;
}

static void fk_send(int fd, int tag, const void *data, size_t len)
{
	uint8_t buf[FK_DGRAM + 1];

	if (fd < 0 || len > FK_DGRAM)
		return;
	buf[0] = (uint8_t)tag;
	memcpy(buf + 1, data, len);
	if (send(fd, buf, len + 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return;	/* the program does not read: the card overruns */
}

/* DAHDI queues an alarm change on every channel of the span. */
void fk_event(struct fk_chan *ch, int ev)
{
	if (ch->ev_n == FK_EVENTS)
		return;
	ch->events[(ch->ev_head + ch->ev_n++) % FK_EVENTS] = ev;
	fk_send(ch->our_fd, FK_EVENT, "", 0);
}

static void fk_alarms_update(struct fk_span *sp)
{
	/* no far end on the line: no signal. A span without a D-channel
	 * (NFAS) has its far end on the audio socket only. */
	int gone = sp->cs->dchan ? sp->d_cfd < 0 : sp->b_cfd < 0;
	int alarms = sp->ctl_alarm | (gone ? DAHDI_ALARM_RED : 0);

	if (alarms == sp->alarms)
		return;
	sp->alarms = alarms;
	for (int fd = 0; fd < FK_MAX_FDS; fd++)
		if (fk.chans[fd] && fk.chans[fd]->sp == sp)
			fk_event(fk.chans[fd], alarms ? DAHDI_EVENT_ALARM : DAHDI_EVENT_NOALARM);
}

static struct fk_chan *fk_chan_at(struct fk_span *sp, int ts)
{
	return ts > 0 && ts < 32 ? sp->by_ts[ts] : NULL;
}

/* "alarm N red|yellow|blue|clear" */
static void fk_ctl_line(int fd, char *line)
{
	static const struct { const char *name; int bits; } kinds[] = {
		{ "red", DAHDI_ALARM_RED }, { "yellow", DAHDI_ALARM_YELLOW },
		{ "blue", DAHDI_ALARM_BLUE }, { "clear", 0 }, { NULL, 0 } };
	char kind[16] = "";
	const char *reply = "error: want \"alarm N red|yellow|blue|clear\"\n";
	int n, k;

	if (sscanf(line, "alarm %d %15s", &n, kind) == 2) {
		for (k = 0; kinds[k].name && strcmp(kinds[k].name, kind); k++)
			;
		if (!kinds[k].name)
			reply = "error: alarms are red, yellow, blue or clear\n";
		else if (n < 1 || n > fk.n_spans)
			reply = "error: no such span in system.conf\n";
		else {
			fk.spans[n - 1].ctl_alarm = kinds[k].bits;
			fk_alarms_update(&fk.spans[n - 1]);
			fk_log("span %d: alarm %s", n, kind);
			reply = "ok\n";
		}
	}
	if (send(fd, reply, strlen(reply), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return;
}

/* One 20 ms tick of the card's clock: every open B-channel receives a
 * block (the far end's, or idle code) and sends what the program wrote. */
static void fk_tick(void)
{
	for (int fd = 0; fd < FK_MAX_FDS; fd++) {
		struct fk_chan *ch = fk.chans[fd];
		uint8_t idle[FK_BLOCK], buf[FK_DGRAM + 1];
		const uint8_t *block = idle;
		ssize_t n;

		if (!ch || ch->sigtype != DAHDI_SIG_CLEAR)
			continue;
		if (ch->blocksize != FK_BLOCK) {
			if (!ch->warned++)
				fk_log("channel %d: blocksize %d, only %d-byte blocks are faked: no audio",
				       ch->channo, ch->blocksize, FK_BLOCK);
			continue;
		}
		if (ch->jb_n && !ch->sp->alarms) {
			block = ch->jb[ch->jb_head];
			ch->jb_head = (ch->jb_head + 1) % FK_JB;
			ch->jb_n--;
		} else {
			/* idle code: G.711 silence in the channel's law */
			int alaw = ch->law ? ch->law == DAHDI_LAW_ALAW : ch->sp->cs->kind == DAHDI_LINE_E1;
			memset(idle, alaw ? 0xd5 : 0xff, sizeof(idle));
		}
		/* the card has ch->bi.numbufs buffers; when they are full, it overruns */
		if (ch->rx_queued < ch->bi.numbufs) {
			ch->rx_queued++;
			fk_send(ch->our_fd, FK_FRAME, block, FK_BLOCK);
		}
		n = recv(ch->our_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == FK_BLOCK + 1) {
			ch->tx_queued--;
			buf[0] = (uint8_t)ch->ts;
			if (!ch->sp->alarms && ch->sp->b_cfd >= 0 &&
			    send(ch->sp->b_cfd, buf, FK_BLOCK + 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				continue;
		}
	}
}

static void fk_accept(int lfd, int *cfdp, const char *what)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (*cfdp >= 0) {
		real_close(fd);	/* one far end at a time, as a loopback span */
		return;
	}
	*cfdp = fd;
	fk_log("%s: far end connected", what);
}

static void fk_span_io(struct fk_span *sp, short d_rev, short b_rev)
{
	uint8_t buf[FK_DGRAM];
	ssize_t n;

	while (d_rev && sp->d_cfd >= 0) {
		n = recv(sp->d_cfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			struct pollfd p = { .fd = sp->d_cfd, .events = POLLRDHUP };
			if (n == 0 && !(poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP))))
				continue;	/* an empty datagram: no HDLC frame is empty */
			fk_log("span %d: D-channel far end gone: red alarm", sp->cs->num);
			real_close(sp->d_cfd);
			sp->d_cfd = -1;
			fk_alarms_update(sp);
			break;
		}
		if (!sp->alarms) {
			struct fk_chan *ch = fk_chan_at(sp, sp->cs->dchan);
			if (ch && ch->channo)
				fk_send(ch->our_fd, FK_FRAME, buf, (size_t)n);
		}
	}
	while (b_rev && sp->b_cfd >= 0) {
		struct fk_chan *ch;

		n = recv(sp->b_cfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			struct pollfd p = { .fd = sp->b_cfd, .events = POLLRDHUP };
			if (n == 0 && !(poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP))))
				continue;
			real_close(sp->b_cfd);
			sp->b_cfd = -1;
			fk_alarms_update(sp);
			break;
		}
		/* a line in alarm carries nothing; one that works, only whole timeslots */
		if (sp->alarms || n != FK_BLOCK + 1 || !(ch = fk_chan_at(sp, buf[0])) || ch->sigtype != DAHDI_SIG_CLEAR)
			continue;
		if (ch->jb_n == FK_JB) {	/* a slip: the oldest block goes */
			ch->jb_head = (ch->jb_head + 1) % FK_JB;
			ch->jb_n--;
		}
		memcpy(ch->jb[(ch->jb_head + ch->jb_n++) % FK_JB], buf + 1, FK_BLOCK);
	}
}

/* The program wrote a D-channel frame: on the line at once. */
static void fk_d_out(struct fk_chan *ch)
{
	uint8_t buf[FK_DGRAM + 1];
	ssize_t n;

	while ((n = recv(ch->our_fd, buf, sizeof(buf), MSG_DONTWAIT)) > 1) {
		struct fk_span *sp = ch->sp;
		if (!sp->alarms && sp->d_cfd >= 0 &&
		    send(sp->d_cfd, buf + 1, (size_t)n - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			continue;
	}
}

#define FK_MAX_POLL (8 + 4 * DAHDI_CONF_MAX_SPANS + 64)

static void *fk_thread(void *arg)
{
	for (;;) {
		struct pollfd p[FK_MAX_POLL];
		int kind[FK_MAX_POLL], idx[FK_MAX_POLL];
		int n = 0;

		pthread_mutex_lock(&fk.lock);
#define FK_ADD(f, k, i) do { if ((f) >= 0 && n < FK_MAX_POLL) { \
		p[n] = (struct pollfd){ .fd = (f), .events = POLLIN }; kind[n] = (k); idx[n++] = (i); } } while (0)
		FK_ADD(fk.wake_fd, 0, 0);
		FK_ADD(fk.timer_fd, 1, 0);
		FK_ADD(fk.ctl_lfd, 2, 0);
		for (int i = 0; i < 8; i++)
			FK_ADD(fk.ctl_cfd[i], 3, i);
		for (int i = 0; i < fk.n_spans; i++) {
			FK_ADD(fk.spans[i].d_lfd, 4, i);
			FK_ADD(fk.spans[i].b_lfd, 5, i);
			FK_ADD(fk.spans[i].d_cfd, 6, i);
			FK_ADD(fk.spans[i].b_cfd, 7, i);
		}
		for (int fd = 0; fd < FK_MAX_FDS; fd++)
			if (fk.chans[fd] && fk.chans[fd]->sigtype && fk.chans[fd]->sigtype != DAHDI_SIG_CLEAR)
				FK_ADD(fk.chans[fd]->our_fd, 8, fd);
		pthread_mutex_unlock(&fk.lock);

		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		pthread_mutex_lock(&fk.lock);
		for (int i = 0; i < n; i++) {
			uint64_t v;
			char line[128];
			ssize_t r;

			if (!p[i].revents)
				continue;
			switch (kind[i]) {
			case 0:
				if (real_read(fk.wake_fd, &v, sizeof(v)) < 0)
					break;
				break;
			case 1:
				/* the card's clock does not skip: a late thread makes up the ticks */
				if (real_read(fk.timer_fd, &v, sizeof(v)) == sizeof(v))
					for (uint64_t t = 0; t < v && t < 50; t++)
						fk_tick();
				break;
			case 2:
				for (int k = 0; k < 8; k++)
					if (fk.ctl_cfd[k] < 0) {
						fk.ctl_cfd[k] = accept4(fk.ctl_lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
						break;
					}
				break;
			case 3:
				if (fk.ctl_cfd[idx[i]] != p[i].fd)
					break;
				r = recv(p[i].fd, line, sizeof(line) - 1, MSG_DONTWAIT);
				if (r <= 0) {
					real_close(p[i].fd);
					fk.ctl_cfd[idx[i]] = -1;
					break;
				}
				line[r] = 0;
				fk_ctl_line(p[i].fd, line);
				break;
			case 4:
				fk_accept(fk.spans[idx[i]].d_lfd, &fk.spans[idx[i]].d_cfd, fk.spans[idx[i]].d_path);
				fk_alarms_update(&fk.spans[idx[i]]);
				break;
			case 5:
				fk_accept(fk.spans[idx[i]].b_lfd, &fk.spans[idx[i]].b_cfd, fk.spans[idx[i]].b_path);
				fk_alarms_update(&fk.spans[idx[i]]);
				break;
			case 6:
				if (fk.spans[idx[i]].d_cfd == p[i].fd)
					fk_span_io(&fk.spans[idx[i]], p[i].revents, 0);
				break;
			case 7:
				if (fk.spans[idx[i]].b_cfd == p[i].fd)
					fk_span_io(&fk.spans[idx[i]], 0, p[i].revents);
				break;
			case 8:
				/* still the same channel? it may have closed while we polled */
				if (fk.chans[idx[i]] && fk.chans[idx[i]]->our_fd == p[i].fd)
					fk_d_out(fk.chans[idx[i]]);
				break;
			}
		}
		pthread_mutex_unlock(&fk.lock);
	}
	return arg;
}

static void fk_cleanup(void)
{
	for (int i = 0; i < fk.n_spans; i++) {
		unlink(fk.spans[i].d_path);
		unlink(fk.spans[i].b_path);
	}
	if (fk.ctl_path[0])
		unlink(fk.ctl_path);
}

/* The first open of /dev/dahdi: read system.conf, put up the far-end
 * sockets, start the card. Called with fk.lock held. */
int fk_init(void)
{
	const char *dir = getenv("FAKE_DAHDI_DIR"), *conf = getenv("FAKE_DAHDI_CONF");
	const char *block_us = getenv("FAKE_DAHDI_BLOCK_US");
	long us = block_us ? strtol(block_us, NULL, 10) : 20000;
	struct itimerspec it;
	char path[256], err[512];
	sigset_t all, old;
	int rc;

	if (fk.ready)
		return 0;
	if (us < 1000 || us > 1000000)
		us = 20000;
	it.it_interval = it.it_value = (struct timespec){ 0, us * 1000 };
	if (!dir || strlen(dir) > 80) {
		fk_log("FAKE_DAHDI_DIR is not set (or longer than 80 characters)");
		return -ENOENT;
	}
	snprintf(fk.dir, sizeof(fk.dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/system.conf", dir);
	if (dahdi_conf_load(&fk.dc, conf ? conf : path, err, sizeof(err))) {
		fk_log("%s", err);
		return -ENOENT;
	}
	fk.ctl_lfd = -1;
	for (int i = 0; i < 8; i++)
		fk.ctl_cfd[i] = -1;
	for (int i = 0; i < fk.dc.n_spans; i++) {
		struct fk_span *sp = &fk.spans[i];

		sp->cs = &fk.dc.spans[i];
		sp->d_cfd = sp->b_cfd = -1;
		sp->alarms = DAHDI_ALARM_RED;	/* no far end yet: no signal */
		snprintf(sp->d_path, sizeof(sp->d_path), "%s/span%d", dir, sp->cs->num);
		snprintf(sp->b_path, sizeof(sp->b_path), "%s/span%d-b", dir, sp->cs->num);
		sp->d_lfd = -1;	/* NFAS: a span without a D-channel has no D socket */
		if ((sp->cs->dchan && (sp->d_lfd = fk_listen(sp->d_path)) < 0) ||
		    (sp->b_lfd = fk_listen(sp->b_path)) < 0) {
			fk_log("cannot listen on %s: %s", sp->d_path, strerror(errno));
			return -EIO;
		}
		fk.n_spans = i + 1;
	}
	snprintf(fk.ctl_path, sizeof(fk.ctl_path), "%s/ctl", dir);
	fk.ctl_lfd = fk_listen(fk.ctl_path);
	fk.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	fk.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	/* The card's thread takes no signal: the program's own handling (sipgw
	 * blocks SIGTERM and reads it from a signalfd) must see them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = fk.ctl_lfd < 0 || fk.timer_fd < 0 || fk.wake_fd < 0 ||
	     timerfd_settime(fk.timer_fd, 0, &it, NULL) < 0 ||
	     pthread_create(&fk.thread, NULL, fk_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		fk_log("cannot start: %s", strerror(errno));
		return -EIO;
	}
	atexit(fk_cleanup);
	fk.ready = 1;
	fk_log("%d span(s) from %s at %s", fk.n_spans, conf ? conf : path, dir);
	return 0;
}

void fk_wake(void)
{
	uint64_t one = 1;

	if (real_write(fk.wake_fd, &one, sizeof(one)) < 0)
		return;
}

/* DAHDI_SPECIFY: bind the fd to a channel of system.conf. */
