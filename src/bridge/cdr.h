/* sipgw - the call detail record: one row per call, built by the bridge as
 * the call goes (times, who cleared, each leg's facts) and by routing (the
 * dial-peer, the numbers as sent), finished when the call is freed and
 * handed to the writer (cdr_db.h). The columns are one table (cdr.c): the
 * SQLite schema, the INSERT and the CSV header all come from it.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_BRIDGE_CDR_H
#define SIPGW_BRIDGE_CDR_H

#include <stddef.h>

#include "bridge/leg.h"
#include "rtp/media.h"

/* How the call ended, for a person reading the row (Asterisk's
 * disposition, Cisco's disconnect text). */
enum cdr_outcome {
	CDR_ANSWERED,		/* a called leg answered */
	CDR_BUSY,		/* user busy (Q.850 17, SIP 486/600) */
	CDR_NO_ANSWER,		/* ringing timed out or nobody answered (Q.850 18, 19) */
	CDR_CANCELLED,		/* the caller gave up before the answer */
	CDR_FAILED,		/* anything else: no route, congestion, a refusal */
	CDR_OUTCOME__COUNT
};

/* Who cleared first: the caller's side (leg a), the called side, or the
 * gateway itself (ring-no-answer, routing gave up, clear call, shutdown). */
enum cdr_cleared { CDR_BY_GATEWAY, CDR_BY_CALLER, CDR_BY_CALLED, CDR_CLEARED__COUNT };

#define CDR_TEXT 64
#define CDR_CALL_ID 128

/* One leg's facts, taken when it goes (or when a called leg is given up on). */
struct cdr_leg {
	char kind[8];			/* "pri", "sip"; "" = no such leg */
	char calling[LEG_NUM];		/* in: as received; out: as sent */
	char called[LEG_NUM];
	char display[LEG_NUM];
	char span[CDR_TEXT];		/* pri: the span's name */
	int channel;			/* pri: the B-channel (0 = none yet) */
	char sip_call_id[CDR_CALL_ID];	/* sip: the Call-ID of its dialog */
	char remote[80];			/* sip: the far end's address; pri: "" */
	char codec[24];			/* the wire format of its media ("PCMU", "G722") */
	int cause;			/* the Q.850 cause it ended with (the far end's or ours) */
	int status;			/* sip: the final status of its INVITE (0 = none) */
	struct media_stats ms;		/* RTP figures (valid 0: none) */
};

struct cdr_record {
	unsigned call_id;		/* "call 17" of the logs (restarts at 1) */
	char uuid[37];			/* unique across restarts (RFC 4122 version 4) */
	/* CLOCK_MONOTONIC microseconds (0 = never), turned into UTC with
	 * wall_offset_us, taken once at the end, so the four stay ordered
	 * even when the wall clock steps during the call. */
	long long setup_us, alert_us, answer_us, end_us;
	long long wall_offset_us;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
	int dial_peer;			/* the tag of the last dial-peer tried (0 = none) */
	int cause;			/* the cause the call ended with */
	enum cdr_cleared cleared_by;
	enum cdr_outcome outcome;
	struct cdr_leg in, out;		/* leg a (the caller's side) and the called leg */
};

const char *cdr_outcome_name(enum cdr_outcome o);
const char *cdr_cleared_name(enum cdr_cleared c);

/** A new record for call id, set up at setup_us (monotonic), with a fresh uuid. */
void cdr_begin(struct cdr_record *r, unsigned call_id, long long setup_us);
/** Close the record at end_us: the wall clock offset and the outcome. */
void cdr_finish(struct cdr_record *r, long long end_us, long long wall_offset_us);
/** The outcome the record's facts say (answered, busy, ...). */
enum cdr_outcome cdr_outcome_of(const struct cdr_record *r);

/* ---- the columns */

enum cdr_type { CDR_T_NULL, CDR_T_INT, CDR_T_REAL, CDR_T_TEXT };

struct cdr_val {
	enum cdr_type type;
	long long i;
	double d;
	const char *s;			/* TEXT: into the record or buf */
	char buf[40];
};

size_t cdr_columns(void);
const char *cdr_column_name(size_t i);
/** "INTEGER", "REAL" or "TEXT": the column's SQLite type. */
const char *cdr_column_sqltype(size_t i);
/** Column i of r (NULL for a time that never came, a status of 0, ...). */
void cdr_value(const struct cdr_record *r, size_t i, struct cdr_val *v);

/* ---- times and CSV */

/** "2026-12-01T22:11:06.123Z" for epoch_ms (buf of 32 or more). */
const char *cdr_time_iso(char *buf, size_t len, long long epoch_ms);
/** --since: ISO 8601 ("2026-12-01T22:11:06Z", ".123", "+01:00", a space
 * for the T, a date alone) or epoch seconds ("1764627066", "1764627066.5"),
 * into epoch ms. 0 or -EINVAL. */
int cdr_time_parse(const char *s, long long *msp);
/** s as one RFC 4180 field into buf (quoted when it holds a comma, a quote,
 * CR or LF; quotes doubled). Returns the length it needs (like snprintf). */
size_t cdr_csv_field(char *buf, size_t len, const char *s);

#endif
