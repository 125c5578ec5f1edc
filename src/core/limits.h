/* sipgw - process limits sized from the config: the file descriptors a
 * gateway of so many spans and B-channels needs at full load, and raising
 * RLIMIT_NOFILE to that at start (systemd and most shells give 1,024, which
 * a few hundred calls exhaust). SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_LIMITS_H
#define SIPGW_CORE_LIMITS_H

/* What the count below assumes (each an upper bound, not a typical figure). */
#define LIMITS_FDS_BASE 256		/* SIP sockets, control, metrics, SQLite, logs, signalfd */
#define LIMITS_FDS_PER_SPAN 4		/* D-channel and audio sockets (listener and peer) */
#define LIMITS_FDS_PER_BCHAN 5		/* its call's SIP leg: RTP, RTCP, UDPTL on fax, one more in a
					 * transfer's consultation; a dahdi B-channel's own fd */

/** File descriptors n_spans spans with n_bchans B-channels need at most. */
unsigned long limits_fds_needed(int n_spans, int n_bchans);

/** RTP/RTCP port pairs (RFC 3550 11: even RTP, odd RTCP) in [pmin, pmax];
 * -1 when both are 0 (the kernel picks, no bound of ours). */
int limits_rtp_pairs(int pmin, int pmax);

/** Raise the soft RLIMIT_NOFILE to need, at most to the hard limit; never
 * lowers it. The limit before in *oldp, after in *nowp. 0, or -errno. */
int limits_raise_nofile(unsigned long need, unsigned long *oldp, unsigned long *nowp);

#endif
