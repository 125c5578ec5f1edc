/* sipgw - the fake DAHDI's two halves (DESIGN.md "Fake DAHDI"): the card
 * (fake_card.c: its thread, the 20 ms clock, the far-end sockets, alarms) and
 * the device (fakedahdi.c: open, read, write, ioctl, close on /dev/dahdi as
 * the kernel answers them; its head says what is faked and how).
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_HW_FAKE_H
#define SIPGW_HW_FAKE_H

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

struct fk_state {
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
};
extern struct fk_state fk;


extern int (*real_open)(const char *, int, ...);
extern int (*real_openat)(int, const char *, int, ...);
extern ssize_t (*real_read)(int, void *, size_t);
extern ssize_t (*real_write)(int, const void *, size_t);
extern int (*real_close)(int);
extern int (*real_ioctl)(int, unsigned long, ...);

/** libc's own open, read, write, close, ioctl, once. */
void fk_syms(void);
/** A line on stderr, "fakedahdi: ...". */
void fk_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** The first open: system.conf, the far-end sockets, the card's thread.
 * With fk.lock held; 0 or -errno. */
int fk_init(void);
/** The card's thread looks at its fds again (a channel came or went). */
void fk_wake(void);
/** An event on the channel: queued, and its wake-up sent. */
void fk_event(struct fk_chan *ch, int ev);

#endif
