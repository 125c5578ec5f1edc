/* sipgw - calls that never clear: the decisions behind the RTP inactivity
 * timer and RFC 4028 session timers, as pure functions (no Sofia, no clock)
 * so they can be tested alone. The timers themselves live in sip_timers.c.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_SIP_TIMERS_H
#define SIPGW_SIP_SIP_TIMERS_H

/* ICMP port unreachable for this many RTP packets in a row, with no RTP
 * received in between: nothing listens on the far end's port any more
 * (the phone died or its NAT binding is gone), clear without waiting for
 * the whole rtp-timeout. Linux rate-limits ICMP to a burst of 6 then about
 * one a second per host (loopback is exempt), so this is ~5 s on a real
 * network and a few hundred ms on 127.0.0.1. */
#define RTP_REFUSED_GONE 10

enum rtp_watch_verdict {
	RTP_WATCH_OK,		/* media is alive (or the watch is off): check again in *next_ms */
	RTP_WATCH_SILENT,	/* nothing received for the timeout */
	RTP_WATCH_REFUSED,	/* RTP_REFUSED_GONE ICMP refusals in a row */
};

struct rtp_watch_in {
	unsigned timeout_ms;		/* timers.rtp-timeout, 0 = off */
	unsigned hold_timeout_ms;	/* timers.rtp-hold-timeout, 0 = off */
	int held;			/* the far end holds the call: it need not send */
	long long now_ms;
	long long since_ms;		/* last RTP received or last media change, whichever is later */
	unsigned refused_run;		/* ICMP port unreachable in a row since the last RTP */
};

/** What the RTP watch of one call decides now; *next_ms: when to look
 * again (0 = the watch is off in this state). */
enum rtp_watch_verdict rtp_watch_check(const struct rtp_watch_in *in, unsigned *next_ms);

/* RFC 4028 refresher values as a Session-Expires "refresher" parameter says them. */
enum st_refresher { ST_REFRESHER_NONE, ST_REFRESHER_UAC, ST_REFRESHER_UAS };

/* One INVITE (or re-INVITE) transaction with session timers: what the
 * other side said, and our own settings. */
struct st_in {
	int uas;			/* we answer this INVITE (else we sent it) */
	int remote_supported;		/* the far end lists "timer" in Supported or Require */
	unsigned remote_se;		/* its Session-Expires, seconds (0 = none) */
	enum st_refresher remote_refresher;
	unsigned remote_min_se;		/* its Min-SE (0 = none) */
	unsigned local_se;		/* timers.session-expires, seconds (0 = off) */
	unsigned local_min_se;		/* timers.min-se */
};

/** The session interval and who refreshes, as Sofia's nua negotiates them
 * for the 2xx (RFC 4028 7.2, 9): 0 and *interval_s = 0 when the session has
 * no timer; else *interval_s and *we_refresh. */
int st_negotiate(const struct st_in *in, unsigned *interval_s, int *we_refresh);

/** When the refresher sends its refresh: half the interval (RFC 4028 10),
 * a little earlier than nua's own refresh, so ours (with our SDP) goes out
 * first and nua's never does. */
unsigned st_refresh_ms(unsigned interval_s);
/** When the side that does not refresh gives up: the interval less the
 * smaller of 34 s and a third of it (RFC 4028 10 says 32 s), before nua's
 * own BYE so the call is cleared with our cause and log line. */
unsigned st_expiry_ms(unsigned interval_s);

#endif
