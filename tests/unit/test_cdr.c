/* sipgw - unit tests: the CDR. The record a call leaves between fake legs
 * (answered, busy, no answer, cancelled, dropped at exit), its columns,
 * times and CSV quoting, and the writer thread on a real SQLite file: every
 * row written once, a full disk (a file size limit) that holds rows and
 * lets them go when it frees, the bound, and the export read back.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bridge/bridge.h"
#include "bridge/cause.h"
#include "bridge/cdr.h"
#include "bridge/cdr_db.h"
#include "bridge/cdr_export.h"
#include "core/config.h"
#include "core/log.h"
#include "config_test.h"
#include "fake_leg.h"
#include "unit.h"

/* ---- the record a call leaves */

struct got {
	int n;
	struct cdr_record r;
};

static void got_cdr(void *arg, const struct cdr_record *r)
{
	struct got *g = arg;

	g->n++;
	g->r = *r;
}

static int no_more(void *arg, struct call *c, struct leg *leg, int cause, int status, int *causep)
{
	*causep = cause;
	return -ENOENT;
}

static const struct bridge_route_ops no_route = { .leg_failed = no_more };

struct cx {
	struct got g;
	struct bridge *br;
	struct call *c;
	struct fake_leg *a, *b;
};

/* A PRI caller 5551234 "Alice" dials 2001; routing places a SIP leg for
 * dial-peer 100 as +2001. */
static void cx_open(struct cx *x)
{
	struct bridge_params bp = { .route = &no_route, .cdr_h = got_cdr, .cdr_arg = &x->g };
	struct leg_setup_info si = { .called = "2001", .calling = "5551234", .display = "Alice",
				     .t_setup_us = mono_us() };

	memset(x, 0, sizeof(*x));
	fake_reset();
	CU_ASSERT_EQUAL_FATAL(bridge_alloc(&x->br, &bp), 0);
	x->a = fake_leg_new("pri", "A");
	x->b = fake_leg_new("sip", "B");
	CU_ASSERT_EQUAL_FATAL(call_alloc(&x->c, x->br, &x->a->leg, &si), 0);
	unit_log_begin();
	CU_ASSERT_EQUAL(call_add_leg(x->c, &x->b->leg), 0);
	call_cdr_placed(x->c, 100, "+2001", NULL, NULL);
}

static void cx_close(struct cx *x)
{
	fake_finish();
	bridge_free(x->br);
	unit_log_end();
	CU_ASSERT_EQUAL(fake_alive(), 0);
	fake_cleanup();
}

static void test_answered_caller_clears(void)
{
	struct cx x;
	const struct cdr_record *r = &x.g.r;

	cx_open(&x);
	call_leg_alerting(&x.b->leg, 0);
	call_leg_answered(&x.b->leg);
	call_leg_released(&x.a->leg, CAUSE_NORMAL_CLEARING, 0);
	CU_ASSERT_EQUAL(x.g.n, 0);	/* not before the legs have gone */
	cx_close(&x);
	CU_ASSERT_EQUAL_FATAL(x.g.n, 1);
	CU_ASSERT_EQUAL(r->outcome, CDR_ANSWERED);
	CU_ASSERT_EQUAL(r->cleared_by, CDR_BY_CALLER);
	CU_ASSERT_EQUAL(r->cause, 16);
	CU_ASSERT_EQUAL(r->dial_peer, 100);
	CU_ASSERT(r->setup_us > 0 && r->setup_us <= r->alert_us && r->alert_us <= r->answer_us &&
		  r->answer_us <= r->end_us);
	CU_ASSERT_STRING_EQUAL(r->in.kind, "pri");
	CU_ASSERT_STRING_EQUAL(r->in.calling, "5551234");
	CU_ASSERT_STRING_EQUAL(r->in.called, "2001");
	CU_ASSERT_STRING_EQUAL(r->in.display, "Alice");
	CU_ASSERT_STRING_EQUAL(r->out.kind, "sip");
	CU_ASSERT_STRING_EQUAL(r->out.called, "+2001");		/* as sent */
	CU_ASSERT_STRING_EQUAL(r->out.calling, "5551234");
	CU_ASSERT_EQUAL(r->in.cause, 16);
	CU_ASSERT_EQUAL(r->out.cause, 16);
	CU_ASSERT_EQUAL(r->out.status, 200);
	CU_ASSERT_EQUAL(r->in.status, 0);	/* a PRI leg has none */
	CU_ASSERT_EQUAL(strlen(r->uuid), 36);
	CU_ASSERT_EQUAL(r->uuid[14], '4');
}

static void test_busy(void)
{
	struct cx x;
	const struct cdr_record *r = &x.g.r;

	cx_open(&x);
	call_leg_released(&x.b->leg, CAUSE_USER_BUSY, 486);
	cx_close(&x);
	CU_ASSERT_EQUAL_FATAL(x.g.n, 1);
	CU_ASSERT_EQUAL(r->outcome, CDR_BUSY);
	CU_ASSERT_EQUAL(r->cleared_by, CDR_BY_CALLED);
	CU_ASSERT_EQUAL(r->cause, 17);
	CU_ASSERT_EQUAL(r->out.status, 486);
	CU_ASSERT_EQUAL(r->out.cause, 17);
	CU_ASSERT_EQUAL(r->in.cause, 17);
	CU_ASSERT_EQUAL(r->answer_us, 0);
	CU_ASSERT_EQUAL(r->alert_us, 0);
}

/* ring-no-answer: the gateway clears with 19 */
static void test_no_answer(void)
{
	struct cx x;
	const struct cdr_record *r = &x.g.r;

	cx_open(&x);
	call_leg_alerting(&x.b->leg, 0);
	call_clear(x.c, CAUSE_NO_ANSWER);
	cx_close(&x);
	CU_ASSERT_EQUAL_FATAL(x.g.n, 1);
	CU_ASSERT_EQUAL(r->outcome, CDR_NO_ANSWER);
	CU_ASSERT_EQUAL(r->cleared_by, CDR_BY_GATEWAY);
	CU_ASSERT_EQUAL(r->cause, 19);
	CU_ASSERT_EQUAL(r->out.status, 487);	/* the CANCELled INVITE's answer */
	CU_ASSERT(r->alert_us > 0);
}

/* the caller hangs up while it rings */
static void test_cancelled(void)
{
	struct cx x;
	const struct cdr_record *r = &x.g.r;

	cx_open(&x);
	call_leg_alerting(&x.b->leg, 0);
	call_leg_released(&x.a->leg, CAUSE_NORMAL_CLEARING, 0);
	cx_close(&x);
	CU_ASSERT_EQUAL_FATAL(x.g.n, 1);
	CU_ASSERT_EQUAL(r->outcome, CDR_CANCELLED);
	CU_ASSERT_EQUAL(r->cleared_by, CDR_BY_CALLER);
}

/* An incoming SIP leg refused: the status it was answered with. */
static void test_sip_caller_refused(void)
{
	struct bridge_params bp = { .route = &no_route };
	struct leg_setup_info si = { .called = "5550000", .calling = "2001" };
	struct got g = { 0 };
	struct bridge *br;
	struct call *c;
	struct fake_leg *a, *b;

	bp.cdr_h = got_cdr;
	bp.cdr_arg = &g;
	fake_reset();
	CU_ASSERT_EQUAL_FATAL(bridge_alloc(&br, &bp), 0);
	a = fake_leg_new("sip", "A");
	b = fake_leg_new("pri", "B");
	CU_ASSERT_EQUAL_FATAL(call_alloc(&c, br, &a->leg, &si), 0);
	unit_log_begin();
	CU_ASSERT_EQUAL(call_add_leg(c, &b->leg), 0);
	call_cdr_placed(c, 0, NULL, NULL, NULL);
	call_leg_released(&b->leg, CAUSE_NO_CIRCUIT, 0);
	fake_finish();
	bridge_free(br);
	unit_log_end();
	fake_cleanup();
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_EQUAL(g.r.outcome, CDR_FAILED);
	CU_ASSERT_EQUAL(g.r.in.cause, 34);
	CU_ASSERT_EQUAL(g.r.in.status, 503);	/* RFC 3398 7.2.4.1: 34 -> 503 */
	CU_ASSERT_EQUAL(g.r.out.status, 0);	/* a PRI leg */
	CU_ASSERT_EQUAL(g.r.dial_peer, 0);
	CU_ASSERT_STRING_EQUAL(g.r.out.called, "5550000");
}

/* The grace time is over: the call is dropped, its row still comes. */
static void test_dropped_at_exit(void)
{
	struct cx x;

	cx_open(&x);
	call_leg_answered(&x.b->leg);
	bridge_free(x.br);
	unit_log_end();
	CU_ASSERT_EQUAL(fake_alive(), 0);
	fake_cleanup();
	CU_ASSERT_EQUAL_FATAL(x.g.n, 1);
	CU_ASSERT_EQUAL(x.g.r.outcome, CDR_ANSWERED);
	CU_ASSERT_STRING_EQUAL(x.g.r.out.kind, "sip");
	CU_ASSERT(x.g.r.end_us >= x.g.r.answer_us);
}

/* ---- columns, times, CSV */

static struct cdr_record sample(unsigned id)
{
	struct cdr_record r;

	cdr_begin(&r, id, 1000000);
	r.alert_us = 1500000;
	r.answer_us = 2000000;
	snprintf(r.in.kind, sizeof(r.in.kind), "pri");
	snprintf(r.in.calling, sizeof(r.in.calling), "5551000");
	snprintf(r.in.display, sizeof(r.in.display), "Smith, \"Bob\"");
	snprintf(r.in.span, sizeof(r.in.span), "pbx-a");
	r.in.channel = 5;
	r.in.cause = 16;
	snprintf(r.out.kind, sizeof(r.out.kind), "sip");
	snprintf(r.out.sip_call_id, sizeof(r.out.sip_call_id), "abc@127.0.0.1");
	r.out.status = 200;
	r.out.ms.valid = 1;
	r.out.ms.rx_packets = 250;
	r.out.ms.tx_packets = 251;
	r.out.ms.jitter_ms = 1.25;
	r.dial_peer = 100;
	cdr_finish(&r, 12345000, 1764627066000000LL);	/* 2025-12-01T22:11:06Z - 1 s */
	return r;
}

static int col(const char *name)
{
	for (size_t i = 0; i < cdr_columns(); i++)
		if (!strcmp(cdr_column_name(i), name))
			return (int)i;
	return -1;
}

static void test_columns(void)
{
	struct cdr_record r = sample(7);
	struct cdr_val v;

	for (size_t i = 0; i < cdr_columns(); i++)
		for (size_t k = i + 1; k < cdr_columns(); k++)
			CU_ASSERT(strcmp(cdr_column_name(i), cdr_column_name(k)) != 0);
	CU_ASSERT(col("in_sip_call_id") > 0 && col("out_rtp_rx") > 0 && col("dial_peer") > 0);
	cdr_value(&r, col("id"), &v);
	CU_ASSERT(v.type == CDR_T_INT && v.i == 7);
	cdr_value(&r, col("start_time"), &v);
	CU_ASSERT_EQUAL(v.type, CDR_T_TEXT);
	CU_ASSERT_STRING_EQUAL(v.s, "2025-12-01T22:11:07.000Z");
	cdr_value(&r, col("answer_ms"), &v);
	CU_ASSERT_EQUAL(v.i, 1764627066000LL + 2000);
	cdr_value(&r, col("duration"), &v);
	CU_ASSERT_DOUBLE_EQUAL(v.d, 11.345, 1e-9);
	cdr_value(&r, col("billsec"), &v);
	CU_ASSERT_DOUBLE_EQUAL(v.d, 10.345, 1e-9);
	cdr_value(&r, col("outcome"), &v);
	CU_ASSERT_STRING_EQUAL(v.s, "answered");
	cdr_value(&r, col("in_rtp_rx"), &v);	/* a B-channel has no RTP */
	CU_ASSERT_EQUAL(v.type, CDR_T_NULL);
	cdr_value(&r, col("out_rtp_rx"), &v);
	CU_ASSERT_EQUAL(v.i, 250);
	cdr_value(&r, col("in_status"), &v);
	CU_ASSERT_EQUAL(v.type, CDR_T_NULL);
	cdr_value(&r, col("in_channel"), &v);
	CU_ASSERT_EQUAL(v.i, 5);
	r.answer_us = 0;
	cdr_value(&r, col("answer_time"), &v);
	CU_ASSERT_EQUAL(v.type, CDR_T_NULL);
	cdr_value(&r, col("billsec"), &v);
	CU_ASSERT_DOUBLE_EQUAL(v.d, 0, 1e-9);
	memset(&r.out, 0, sizeof(r.out));	/* no called leg: all NULL */
	cdr_value(&r, col("out_status"), &v);
	CU_ASSERT_EQUAL(v.type, CDR_T_NULL);
}

static void test_time(void)
{
	char buf[40];
	long long ms;

	CU_ASSERT_STRING_EQUAL(cdr_time_iso(buf, sizeof(buf), 0), "1970-01-01T00:00:00.000Z");
	CU_ASSERT_STRING_EQUAL(cdr_time_iso(buf, sizeof(buf), 1764627066123LL), "2025-12-01T22:11:06.123Z");
	CU_ASSERT(cdr_time_parse("2025-12-01T22:11:06.123Z", &ms) == 0 && ms == 1764627066123LL);
	CU_ASSERT(cdr_time_parse("2025-12-01T22:11:06Z", &ms) == 0 && ms == 1764627066000LL);
	CU_ASSERT(cdr_time_parse("2025-12-01 22:11:06", &ms) == 0 && ms == 1764627066000LL);
	CU_ASSERT(cdr_time_parse("2025-12-01T23:11:06+01:00", &ms) == 0 && ms == 1764627066000LL);
	CU_ASSERT(cdr_time_parse("2025-12-01T17:11:06-0500", &ms) == 0 && ms == 1764627066000LL);
	CU_ASSERT(cdr_time_parse("2025-12-01T22:11", &ms) == 0 && ms == 1764627060000LL);
	CU_ASSERT(cdr_time_parse("2025-12-01", &ms) == 0 && ms == 1764547200000LL);
	CU_ASSERT(cdr_time_parse("1764627066", &ms) == 0 && ms == 1764627066000LL);
	CU_ASSERT(cdr_time_parse("1764627066.5", &ms) == 0 && ms == 1764627066500LL);
	CU_ASSERT(cdr_time_parse("2024-02-29", &ms) == 0);
	static const char *const bad[] = {
		"", "x", "2025-13-01", "2025-02-29", "2025-12-01T25:00", "2025-12-01T22:11:06Q",
		"2025-12-01T22", "1764627066.", "-5", "12345678901234", "2025-12-01T22:11:06+", "1e9",
		"1970-01-01T00:00+01:00", "9999-12-31T23:59:59-01:00", "253402300800",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = cdr_time_parse(bad[i], &ms);
		if (rc != -EINVAL)
			fprintf(stderr, "\n  %s parsed\n", bad[i]);
		CU_ASSERT_EQUAL(rc, -EINVAL);
	}
}

static void test_csv_field(void)
{
	char buf[64];

	cdr_csv_field(buf, sizeof(buf), "5551000");
	CU_ASSERT_STRING_EQUAL(buf, "5551000");
	cdr_csv_field(buf, sizeof(buf), "Smith, Bob");
	CU_ASSERT_STRING_EQUAL(buf, "\"Smith, Bob\"");
	cdr_csv_field(buf, sizeof(buf), "say \"hi\"");
	CU_ASSERT_STRING_EQUAL(buf, "\"say \"\"hi\"\"\"");
	cdr_csv_field(buf, sizeof(buf), "two\r\nlines");
	CU_ASSERT_STRING_EQUAL(buf, "\"two\r\nlines\"");
	cdr_csv_field(buf, sizeof(buf), "");
	CU_ASSERT_STRING_EQUAL(buf, "");
	/* too small: cut, terminated, the length it needs returned */
	CU_ASSERT_EQUAL(cdr_csv_field(buf, 4, "a,b,c"), 7);
	CU_ASSERT_STRING_EQUAL(buf, "\"a,");
}

/* ---- the writer, on a file in a temp dir */

static char dir[64];

static const char *tmp_db(void)
{
	static char path[128];

	snprintf(dir, sizeof(dir), "/tmp/sipgw-cdr-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cdr.db", dir);
	return path;
}

static void rm_db(const char *path)
{
	char p[160];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	rmdir(dir);
}

static long count_rows(const char *path, const char *where)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char sql[256];
	long n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM cdr %s", where);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return n;
}

static void test_writer_rows(void)
{
	const char *path = tmp_db();
	struct cdr_db *db;
	struct cdr_db_stats st;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(cdr_db_open(&db, &(struct cdr_db_params){ .path = path }, err, sizeof(err)), 0);
	for (unsigned i = 1; i <= 1000; i++) {
		struct cdr_record r = sample(i);

		r.end_us = mono_us();
		cdr_db_put(db, &r);
		if (i == 1000)
			cdr_db_put(db, &r);	/* the same uuid twice: one row */
	}
	CU_ASSERT_EQUAL(cdr_db_flush(db, 10000), 0);
	cdr_db_get_stats(db, &st);
	CU_ASSERT_EQUAL(st.written, 1001);
	CU_ASSERT_EQUAL(st.queued, 0);
	CU_ASSERT_EQUAL(st.failures, 0);
	/* a reader while the writer has the file: WAL */
	CU_ASSERT_EQUAL(count_rows(path, ""), 1000);
	CU_ASSERT_EQUAL(count_rows(path, "WHERE in_display = 'Smith, \"Bob\"' AND out_rtp_rx = 250"), 1000);
	unit_log_begin();
	cdr_db_close(db);
	CU_ASSERT(strstr(unit_log_end(), "1001 row(s) written, 0 dropped") != NULL);
	/* open again: the table is there, rows stay */
	CU_ASSERT_EQUAL_FATAL(cdr_db_open(&db, &(struct cdr_db_params){ .path = path }, err, sizeof(err)), 0);
	unit_log_begin();
	cdr_db_close(db);
	unit_log_end();
	CU_ASSERT_EQUAL(count_rows(path, ""), 1000);
	rm_db(path);
}

/* Rows queued at close are written before it returns (SIGTERM's drain). */
static void test_writer_drains_at_close(void)
{
	const char *path = tmp_db();
	struct cdr_db *db;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(cdr_db_open(&db, &(struct cdr_db_params){ .path = path }, err, sizeof(err)), 0);
	for (unsigned i = 1; i <= 300; i++) {
		struct cdr_record r = sample(i);
		cdr_db_put(db, &r);
	}
	unit_log_begin();
	cdr_db_close(db);
	unit_log_end();
	CU_ASSERT_EQUAL(count_rows(path, ""), 300);
	rm_db(path);
}

/* A full disk, made by a file size limit (EFBIG, as ext4 gives ENOSPC):
 * puts never wait, rows wait in memory up to the bound, the write is
 * retried, and when the space comes back every row kept is written. */
static void test_writer_disk_full(void)
{
	const char *path = tmp_db();
	struct rlimit old, lim;
	struct cdr_db *db;
	struct cdr_db_stats st;
	char err[256], wal[160];
	struct stat sb;
	long long t0;

	CU_ASSERT_EQUAL_FATAL(cdr_db_open(&db, &(struct cdr_db_params){ .path = path, .max_queue = 50,
						.retry_ms = 20 }, err, sizeof(err)), 0);
	{	/* one row first: the WAL exists and has its size */
		struct cdr_record r = sample(1);
		cdr_db_put(db, &r);
		CU_ASSERT_EQUAL(cdr_db_flush(db, 5000), 0);
	}
	snprintf(wal, sizeof(wal), "%s-wal", path);
	CU_ASSERT_EQUAL_FATAL(stat(wal, &sb), 0);
	getrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = (rlim_t)sb.st_size;	/* no byte more in any file */
	unit_log_begin();	/* the lines of a full disk are not the test's to read: they may not fit */
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
	t0 = mono_us();
	for (unsigned i = 2; i <= 81; i++) {
		struct cdr_record r = sample(i);
		cdr_db_put(db, &r);
	}
	CU_ASSERT(mono_us() - t0 < 200000);	/* 80 puts: no waiting on the disk */
	CU_ASSERT_EQUAL(cdr_db_flush(db, 300), -EAGAIN);
	cdr_db_get_stats(db, &st);
	setrlimit(RLIMIT_FSIZE, &old);
	CU_ASSERT(st.failures >= 1);
	CU_ASSERT_EQUAL(st.dropped, 30);	/* 80 came, 50 kept */
	CU_ASSERT_EQUAL(st.queued, 50);
	CU_ASSERT_EQUAL(cdr_db_flush(db, 5000), 0);	/* space again: the kept rows go */
	cdr_db_close(db);
	unit_log_end();
	CU_ASSERT_EQUAL(count_rows(path, ""), 51);
	CU_ASSERT_EQUAL(count_rows(path, "WHERE id = 2"), 0);	/* the oldest went first */
	CU_ASSERT_EQUAL(count_rows(path, "WHERE id = 81"), 1);
	rm_db(path);
}

static void test_open_errors(void)
{
	struct cdr_db *db = (struct cdr_db *)1;
	char err[256];
	FILE *f;
	const char *path;

	CU_ASSERT(cdr_db_open(&db, &(struct cdr_db_params){ .path = "/nonexistent/dir/cdr.db" }, err,
			      sizeof(err)) < 0);
	CU_ASSERT_PTR_NULL(db);
	CU_ASSERT(strstr(err, "/nonexistent/dir/cdr.db") != NULL);
	path = tmp_db();
	f = fopen(path, "w");
	fputs("this is not a database, it is a text file that is long enough to have a header\n", f);
	fclose(f);
	CU_ASSERT(cdr_db_open(&db, &(struct cdr_db_params){ .path = path }, err, sizeof(err)) < 0);
	CU_ASSERT(strstr(err, "not a database") != NULL);
	rm_db(path);
}

/* cdr.database at -t and start-up: file:line, and nothing created. */
static void test_config_database(void)
{
	struct gw_config cfg;
	char err[512], path[256], text[512];
	const char *db = tmp_db();
	FILE *f;

	expect_error("\ncdr = {\n database = \"/nonexistent/dir/cdr.db\"; };\n", 3,
		     "cdr database \"/nonexistent/dir/cdr.db\": cannot be created in /nonexistent/dir");
	expect_error("cdr = { database = \"\"; };\n", 1, "empty path");
	snprintf(text, sizeof(text), "cdr = {\n database = \"%s\"; };\n", db);
	CU_ASSERT_EQUAL_FATAL(load_text(&cfg, text, err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.ops.cdr_database, db);
	CU_ASSERT_EQUAL(cfg.ops.cdr_database_line, 2);
	config_free(&cfg);
	CU_ASSERT(access(db, F_OK) != 0);	/* checked, not created */
	f = fopen(db, "w");
	fputs("this is not a database, it is a text file that is long enough to have a header\n", f);
	fclose(f);
	expect_error(text, 2, "file is not a database");
	rm_db(db);
}

/* The export: header, CRLF, quoting, --since on the end time. */
static void test_export(void)
{
	const char *path = tmp_db();
	struct cdr_db *db;
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *out;
	long n;

	CU_ASSERT_EQUAL_FATAL(cdr_db_open(&db, &(struct cdr_db_params){ .path = path }, err, sizeof(err)), 0);
	for (unsigned i = 1; i <= 3; i++) {
		struct cdr_record r = sample(i);

		r.end_us = 10000000 + i * 1000000;	/* ends at +10 s, +11 s, +12 s */
		cdr_db_put(db, &r);
	}
	unit_log_begin();
	cdr_db_close(db);
	unit_log_end();
	out = open_memstream(&buf, &len);
	n = cdr_export_csv(path, 0, out, err, sizeof(err));
	fclose(out);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT(strncmp(buf, "id,uuid,start_time,", 19) == 0);
	CU_ASSERT_EQUAL(unit_count(buf, "\r\n"), 4);
	CU_ASSERT(strstr(buf, ",\"Smith, \"\"Bob\"\"\",") != NULL);
	CU_ASSERT(strstr(buf, ",answered,gateway,16,") != NULL);
	free(buf);
	/* since the second's end (epoch ms of +12 s with the sample's offset) */
	out = open_memstream(&buf, &len);
	n = cdr_export_csv(path, 1764627066000LL + 12000, out, err, sizeof(err));
	fclose(out);
	CU_ASSERT_EQUAL(n, 2);
	free(buf);
	out = open_memstream(&buf, &len);
	CU_ASSERT(cdr_export_csv("/nonexistent/cdr.db", 0, out, err, sizeof(err)) < 0);
	fclose(out);
	free(buf);
	rm_db(path);
}

static const CU_TestInfo tests[] = {
	{ "answered, the caller clears", test_answered_caller_clears },
	{ "busy", test_busy },
	{ "no answer", test_no_answer },
	{ "cancelled while ringing", test_cancelled },
	{ "a SIP caller refused: its status", test_sip_caller_refused },
	{ "dropped at exit: the row still comes", test_dropped_at_exit },
	{ "columns", test_columns },
	{ "ISO 8601 times and --since", test_time },
	{ "RFC 4180 fields", test_csv_field },
	{ "writer: every row once", test_writer_rows },
	{ "writer drains at close", test_writer_drains_at_close },
	{ "writer: a full disk", test_writer_disk_full },
	{ "open errors", test_open_errors },
	{ "cdr.database in the config", test_config_database },
	{ "export CSV", test_export },
	CU_TEST_INFO_NULL,
};

int suite_cdr_add(void)
{
	return unit_suite_add("cdr", tests);
}
