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
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <dahdi/user.h>

#include "core/dahdi_conf.h"

#define FK_MAX_FDS 4096
#define FK_BLOCK 160
#define FK_JB 4			/* blocks of far-end audio waiting for the card's clock */
#define FK_EVENTS 16
#define FK_DGRAM 2048
/* The tag byte in front of every datagram between the program and the card. */
#define FK_FRAME 'F'		/* a D-channel frame or a 160-byte block */
#define FK_EVENT 'E'		/* an event waits: only wakes poll */

struct fk_span {
	const struct dahdi_conf_span *cs;
	char d_path[108], b_path[108];
	int d_lfd, d_cfd, b_lfd, b_cfd;
	struct fk_chan *by_ts[32];	/* the open channels, by timeslot */
	int ctl_alarm;		/* set through DIR/ctl */
	int alarms;		/* what DAHDI_SPANSTAT says */
};

struct fk_chan {
	int app_fd, our_fd;
	int channo;		/* 0 until DAHDI_SPECIFY */
	struct fk_span *sp;
	int ts;
	int sigtype;
	int blocksize, law, ec_taps, audiomode;
	struct dahdi_bufferinfo bi;
	int events[FK_EVENTS];
	int ev_head, ev_n;
	int rx_queued, tx_queued;	/* blocks between the program and the card */
	uint8_t jb[FK_JB][FK_BLOCK];
	int jb_head, jb_n;
	int warned;
};

static struct {
	pthread_mutex_t lock;
	int ready;
	char dir[100];
	struct dahdi_conf dc;
	struct fk_span spans[DAHDI_CONF_MAX_SPANS];
	int n_spans;
	struct fk_chan *chans[FK_MAX_FDS];	/* by the program's fd */
	int ctl_lfd, ctl_cfd[8];
	char ctl_path[108];
	int timer_fd, wake_fd;
	pthread_t thread;
} fk = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_close)(int);
static int (*real_ioctl)(int, unsigned long, ...);

static void fk_syms(void)
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

static void fk_log(const char *fmt, ...)
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

static struct fk_chan *fk_chan_of(int fd)
{
	return fd >= 0 && fd < FK_MAX_FDS ? fk.chans[fd] : NULL;
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
static void fk_event(struct fk_chan *ch, int ev)
{
	if (ch->ev_n == FK_EVENTS)
		return;
	ch->events[(ch->ev_head + ch->ev_n++) % FK_EVENTS] = ev;
	fk_send(ch->our_fd, FK_EVENT, "", 0);
}

static void fk_alarms_update(struct fk_span *sp)
{
	int alarms = sp->ctl_alarm | (sp->d_cfd < 0 ? DAHDI_ALARM_RED : 0);

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
static int fk_init(void)
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
		if ((sp->d_lfd = fk_listen(sp->d_path)) < 0 || (sp->b_lfd = fk_listen(sp->b_path)) < 0) {
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

static void fk_wake(void)
{
	uint64_t one = 1;

	if (real_write(fk.wake_fd, &one, sizeof(one)) < 0)
		return;
}

/* DAHDI_SPECIFY: bind the fd to a channel of system.conf. */
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
