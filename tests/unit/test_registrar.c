/* sipgw - unit tests: the registrar's bindings (RFC 3261 10.3 steps 6-8)
 * after authentication: where an expiry comes from and its clamping, 423,
 * removal, Contact *, CSeq order within a Call-ID, max_contacts eviction of
 * the least recently refreshed, and a restart from the database. REGISTERs
 * are parsed by Sofia's SIP parser and given to registrar_bind() with the
 * wall clock as a number; what a phone sees is the 200's Contact list.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/su_wait.h>
#include <sqlite3.h>

#include "core/config.h"
#include "sip/registrar.h"
#include "sip/registrar_internal.h"
#include "sip/sip_internal.h"
#include "unit.h"

static su_root_t *root;
static struct cfg_registrar rcfg;

static int reg_suite_init(void)
{
	config_registrar_defaults(&rcfg);
	snprintf(rcfg.users[0].user, sizeof(rcfg.users[0].user), "2001");
	snprintf(rcfg.users[0].password, sizeof(rcfg.users[0].password), "secret1");
	rcfg.n_users = 1;
	rcfg.max_contacts = 3;
	su_init();
	root = su_root_create(NULL);
	return root ? 0 : -1;
}

static int reg_suite_cleanup(void)
{
	su_root_destroy(root);
	su_deinit();
	return 0;
}

static struct registrar *reg_new(void)
{
	struct registrar *r = NULL;

	CU_ASSERT_EQUAL(registrar_alloc(&r, root, &rcfg), 0);
	return r;
}

/* One authenticated REGISTER for aor: contact is the Contact header's value
 * (NULL: none), expires the Expires header's (NULL: none). */
static int reg_bind(struct registrar *r, const char *aor, const char *call_id, unsigned cseq,
		    const char *contact, const char *expires, long long now, const char **phrase)
{
	char text[2048];
	const char *ph = NULL;
	msg_t *msg;
	int n, rc, rv;

	n = snprintf(text, sizeof(text),
		     "REGISTER sip:127.0.0.1:5070 SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bK%u\r\n"
		     "From: <sip:%s@127.0.0.1>;tag=1\r\nTo: <sip:%s@127.0.0.1>\r\n"
		     "Call-ID: %s\r\nCSeq: %u REGISTER\r\nMax-Forwards: 70\r\n"
		     "%s%s%s%s%s%s"
		     "Content-Length: 0\r\n\r\n",
		     cseq, aor, aor, call_id, cseq, contact ? "Contact: " : "", contact ? contact : "",
		     contact ? "\r\n" : "", expires ? "Expires: " : "", expires ? expires : "",
		     expires ? "\r\n" : "");
	msg = msg_make(sip_default_mclass(), 0, text, (size_t)n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sip_object(msg)->sip_cseq);
	rv = registrar_bind(r, sip_object(msg), aor, "192.0.2.1", now, &rc, &ph);
	CU_ASSERT_EQUAL(rv, rc == 200 ? 0 : rc == 400 ? -EINVAL : rc == 423 ? -ERANGE : rv);
	if (phrase)
		*phrase = ph;
	msg_destroy(msg);
	return rc;
}

/* The 200's Contact list for aor at now. */
static const char *list(struct registrar *r, const char *aor, long long now, unsigned *n)
{
	static char buf[2048];
	unsigned k = registrar_bindings_value(r, aor, now, buf, sizeof(buf));

	if (n)
		*n = k;
	return buf;
}

static int listed(struct registrar *r, const char *aor, long long now, const char *entry)
{
	return strstr(list(r, aor, now, NULL), entry) != NULL;
}

static unsigned count(struct registrar *r, const char *aor, long long now)
{
	unsigned n;

	list(r, aor, now, &n);
	return n;
}

#define T0 1000000LL

/* expires= on the Contact, else Expires, else default_expires; never above
 * max_expires; the list counts down and forgets at the end. */
static void test_expiry_sources_and_clamp(void)
{
	struct registrar *r = reg_new();

	CU_ASSERT_FATAL(r != NULL);
	unit_log_begin();
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c1", 1, "<sip:2001@10.0.0.1>;expires=120", NULL, T0, NULL), 200);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c2", 1, "<sip:2001@10.0.0.2>", "600", T0, NULL), 200);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c3", 1, "<sip:2001@10.0.0.3>", NULL, T0, NULL), 200);
	CU_ASSERT_EQUAL(reg_bind(r, "2002", "c4", 1, "<sip:2002@10.0.0.4>;expires=300", "600", T0, NULL), 200);
	CU_ASSERT_EQUAL(reg_bind(r, "2003", "c5", 1, "<sip:2003@10.0.0.5>;expires=100000", NULL, T0, NULL), 200);
	CU_ASSERT_EQUAL(reg_bind(r, "2004", "c6", 1, "<sip:2004@10.0.0.6>", "86400", T0, NULL), 200);
	unit_log_end();
	CU_ASSERT(listed(r, "2001", T0, "<sip:2001@10.0.0.1>;expires=120"));
	CU_ASSERT(listed(r, "2001", T0, "<sip:2001@10.0.0.2>;expires=600"));
	CU_ASSERT(listed(r, "2001", T0, "<sip:2001@10.0.0.3>;expires=3600"));
	CU_ASSERT_EQUAL(count(r, "2001", T0), 3);
	CU_ASSERT_STRING_EQUAL(list(r, "2002", T0, NULL), "<sip:2002@10.0.0.4>;expires=300");
	CU_ASSERT_STRING_EQUAL(list(r, "2003", T0, NULL), "<sip:2003@10.0.0.5>;expires=7200");
	CU_ASSERT_STRING_EQUAL(list(r, "2004", T0, NULL), "<sip:2004@10.0.0.6>;expires=7200");
	/* 100 s on: 20 s left; at 120 s the binding is gone */
	CU_ASSERT(listed(r, "2001", T0 + 100, "<sip:2001@10.0.0.1>;expires=20"));
	CU_ASSERT(!listed(r, "2001", T0 + 120, "10.0.0.1"));
	CU_ASSERT_EQUAL(count(r, "2001", T0 + 120), 2);
	CU_ASSERT_EQUAL(count(r, "2001", T0 + 3600), 0);
	CU_ASSERT_EQUAL(count(r, "nobody", T0), 0);
	registrar_free(r);
}

/* Step 7: below min_expires refuses the whole REGISTER before any change. */
static void test_interval_too_brief(void)
{
	struct registrar *r = reg_new();
	const char *log;

	CU_ASSERT_FATAL(r != NULL);
	unit_log_begin();
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c1", 1, "<sip:2001@10.0.0.1>;expires=3600, "
			     "<sip:2001@10.0.0.2>;expires=30", NULL, T0, NULL), 423);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c1", 2, "<sip:2001@10.0.0.1>", "59", T0, NULL), 423);
	log = unit_log_end();
	CU_ASSERT_EQUAL(count(r, "2001", T0), 0);
	CU_ASSERT_EQUAL(unit_count(log, "REGISTER 2001 from 192.0.2.1: expires 30 below 60: 423"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "REGISTER 2001 from 192.0.2.1: expires 59 below 60: 423"), 1);
	/* exactly the minimum is enough */
	unit_log_begin();
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c1", 3, "<sip:2001@10.0.0.1>", "60", T0, NULL), 200);
	unit_log_end();
	CU_ASSERT_STRING_EQUAL(list(r, "2001", T0, NULL), "<sip:2001@10.0.0.1>;expires=60");
	registrar_free(r);
}

/* expires=0 (or Expires: 0) removes that binding and no other; a
 * REGISTER without Contact only asks for the list (step 8). */
static void test_remove_and_query(void)
{
	struct registrar *r = reg_new();

	CU_ASSERT_FATAL(r != NULL);
	unit_log_begin();
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c1", 1, "<sip:2001@10.0.0.1>, <sip:2001@10.0.0.2>, "
			     "<sip:2001@10.0.0.3>", NULL, T0, NULL), 200);
	CU_ASSERT_EQUAL(count(r, "2001", T0), 3);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c1", 2, "<sip:2001@10.0.0.1>;expires=0", "3600", T0 + 1, NULL), 200);
	CU_ASSERT_EQUAL(count(r, "2001", T0 + 1), 2);
	CU_ASSERT(!listed(r, "2001", T0 + 1, "10.0.0.1"));
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c1", 3, "<sip:2001@10.0.0.2>", "0", T0 + 2, NULL), 200);
	CU_ASSERT_STRING_EQUAL(list(r, "2001", T0 + 2, NULL), "<sip:2001@10.0.0.3>;expires=3598");
	/* removing what is not there is no error */
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c1", 4, "<sip:2001@10.0.0.9>;expires=0", NULL, T0 + 3, NULL), 200);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c1", 5, NULL, NULL, T0 + 4, NULL), 200);
	unit_log_end();
	CU_ASSERT_STRING_EQUAL(list(r, "2001", T0 + 4, NULL), "<sip:2001@10.0.0.3>;expires=3596");
	registrar_free(r);
}

/* Step 6: Contact * with Expires: 0 alone removes every binding of the
 * address of record, nobody else's; anything else with * is a 400. */
static void test_contact_star(void)
{
	struct registrar *r = reg_new();
	const char *phrase;

	CU_ASSERT_FATAL(r != NULL);
	unit_log_begin();
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c1", 1, "<sip:2001@10.0.0.1>, <sip:2001@10.0.0.2>", NULL, T0, NULL),
			200);
	CU_ASSERT_EQUAL(reg_bind(r, "2002", "c2", 1, "<sip:2002@10.0.0.3>", NULL, T0, NULL), 200);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c1", 2, "*", NULL, T0, &phrase), 400);
	CU_ASSERT_STRING_EQUAL(phrase, "Contact * needs Expires: 0 and no other contact");
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c1", 3, "*", "3600", T0, &phrase), 400);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c1", 4, "*, <sip:2001@10.0.0.1>", "0", T0, &phrase), 400);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c1", 5, "<sip:2001@10.0.0.1>, *", "0", T0, &phrase), 400);
	CU_ASSERT_EQUAL(count(r, "2001", T0), 2);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c9", 1, "*", "0", T0, &phrase), 200);
	unit_log_end();
	CU_ASSERT_EQUAL(count(r, "2001", T0), 0);
	CU_ASSERT_STRING_EQUAL(list(r, "2002", T0, NULL), "<sip:2002@10.0.0.3>;expires=3600");
	registrar_free(r);
}

/* Step 7: within one Call-ID a REGISTER must have a higher CSeq than the
 * binding's, or it is an old one overtaken (UDP reorders): 400, nothing
 * changed. Another Call-ID (the phone restarted) may start low. */
static void test_cseq_order(void)
{
	struct registrar *r = reg_new();
	const char *phrase, *log;

	CU_ASSERT_FATAL(r != NULL);
	unit_log_begin();
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "call-a", 5, "<sip:2001@10.0.0.1>", "600", T0, NULL), 200);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "call-a", 5, "<sip:2001@10.0.0.1>", "3600", T0 + 10, &phrase), 400);
	CU_ASSERT_STRING_EQUAL(phrase, "CSeq out of order");
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "call-a", 4, "<sip:2001@10.0.0.1>;expires=0", NULL, T0 + 10, &phrase),
			400);
	/* one stale contact refuses the whole request, the new one too */
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "call-a", 3, "<sip:2001@10.0.0.2>, <sip:2001@10.0.0.1>", NULL,
			     T0 + 10, &phrase), 400);
	log = unit_log_end();
	CU_ASSERT_STRING_EQUAL(list(r, "2001", T0 + 10, NULL), "<sip:2001@10.0.0.1>;expires=590");
	CU_ASSERT_EQUAL(unit_count(log, "REGISTER 2001 from 192.0.2.1: CSeq 5 not above 5 of the binding: 400"),
			1);
	CU_ASSERT_EQUAL(unit_count(log, "CSeq 4 not above 5"), 1);
	unit_log_begin();
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "call-a", 6, "<sip:2001@10.0.0.1>", "3600", T0 + 10, NULL), 200);
	CU_ASSERT_STRING_EQUAL(list(r, "2001", T0 + 10, NULL), "<sip:2001@10.0.0.1>;expires=3600");
	/* restarted phone: new Call-ID, CSeq 1 */
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "call-b", 1, "<sip:2001@10.0.0.1>", "1800", T0 + 20, NULL), 200);
	CU_ASSERT_STRING_EQUAL(list(r, "2001", T0 + 20, NULL), "<sip:2001@10.0.0.1>;expires=1800");
	/* ... whose own order now counts */
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "call-b", 1, "<sip:2001@10.0.0.1>", "600", T0 + 30, NULL), 400);
	unit_log_end();
	registrar_free(r);
}

/* max_contacts 3: a fourth contact evicts the least recently refreshed
 * (not the oldest registered), and says so; expired bindings do not count. */
static void test_max_contacts_eviction(void)
{
	struct registrar *r = reg_new();
	const char *log;

	CU_ASSERT_FATAL(r != NULL);
	unit_log_begin();
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "a", 1, "<sip:2001@10.0.0.1>", NULL, T0, NULL), 200);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "b", 1, "<sip:2001@10.0.0.2>", NULL, T0 + 1, NULL), 200);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c", 1, "<sip:2001@10.0.0.3>", NULL, T0 + 2, NULL), 200);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "a", 2, "<sip:2001@10.0.0.1>", NULL, T0 + 3, NULL), 200);	/* refresh */
	CU_ASSERT_EQUAL(reg_bind(r, "2002", "x", 1, "<sip:2002@10.0.0.9>", NULL, T0 + 3, NULL), 200);
	CU_ASSERT_EQUAL(count(r, "2001", T0 + 3), 3);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "d", 1, "<sip:2001@10.0.0.4>", NULL, T0 + 4, NULL), 200);
	log = unit_log_end();
	CU_ASSERT_EQUAL(count(r, "2001", T0 + 4), 3);
	CU_ASSERT(listed(r, "2001", T0 + 4, "10.0.0.1"));
	CU_ASSERT(!listed(r, "2001", T0 + 4, "10.0.0.2"));
	CU_ASSERT(listed(r, "2001", T0 + 4, "10.0.0.3"));
	CU_ASSERT(listed(r, "2001", T0 + 4, "10.0.0.4"));
	CU_ASSERT_EQUAL(count(r, "2002", T0 + 4), 1);	/* another AOR's binding stays */
	CU_ASSERT_EQUAL(unit_count(log, "registrar: 2001 has 3 contacts; dropping sip:2001@10.0.0.2"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "dropping"), 1);
	/* refreshing one of the three evicts nobody */
	unit_log_begin();
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c", 2, "<sip:2001@10.0.0.3>", NULL, T0 + 5, NULL), 200);
	/* two at once past the limit: the two least recently refreshed go (1, then 4) */
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "e", 1, "<sip:2001@10.0.0.5>, <sip:2001@10.0.0.6>", NULL, T0 + 6, NULL),
			200);
	log = unit_log_end();
	CU_ASSERT_EQUAL(count(r, "2001", T0 + 6), 3);
	CU_ASSERT_EQUAL(unit_count(log, "dropping sip:2001@10.0.0.1\n"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "dropping sip:2001@10.0.0.4\n"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "dropping"), 2);
	CU_ASSERT(listed(r, "2001", T0 + 6, "10.0.0.3"));
	/* all three expire: a new one finds room without evicting */
	unit_log_begin();
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "f", 1, "<sip:2001@10.0.0.7>", NULL, T0 + 6 + 3600, NULL), 200);
	log = unit_log_end();
	CU_ASSERT_EQUAL(unit_count(log, "dropping"), 0);
	CU_ASSERT_STRING_EQUAL(list(r, "2001", T0 + 6 + 3600, NULL), "<sip:2001@10.0.0.7>;expires=3600");
	registrar_free(r);
}

/* With a database the live bindings survive a restart, the expired do not;
 * a restored binding keeps its CSeq. Uses the real clock: the database
 * load compares with it. */
static void test_database_restart(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[200], uris[4][REG_URI_LEN], path[300];
	struct registrar *r;
	long long now = (long long)time(NULL);
	int n;

	snprintf(dir, sizeof(dir), "%s/sipgw-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(rcfg.database, sizeof(rcfg.database), "%s/reg.db", dir);
	r = reg_new();
	CU_ASSERT_FATAL(r != NULL);
	unit_log_begin();
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "a", 7, "<sip:2001@10.0.0.1>", "3600", now, NULL), 200);
	/* registered long ago, expired by now */
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "b", 1, "<sip:2001@10.0.0.2>", "60", now - 1000, NULL), 200);
	registrar_free(r);
	r = reg_new();
	unit_log_end();
	CU_ASSERT_FATAL(r != NULL);
	n = registrar_contacts(r, "2001", uris, 4);
	CU_ASSERT_EQUAL(n, 1);
	if (n >= 1)
		CU_ASSERT_STRING_EQUAL(uris[0], "sip:2001@10.0.0.1");
	CU_ASSERT(listed(r, "2001", now, "<sip:2001@10.0.0.1>;expires=3600"));
	unit_log_begin();
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "a", 7, "<sip:2001@10.0.0.1>", "3600", now, NULL), 400);
	unit_log_end();
	registrar_free(r);
	rcfg.database[0] = 0;
	for (const char *f = ""; f; f = !*f ? "-wal" : !strcmp(f, "-wal") ? "-shm" : NULL) {
		snprintf(path, sizeof(path), "%s/reg.db%s", dir, f);
		unlink(path);
	}
	CU_ASSERT_EQUAL(rmdir(dir), 0);
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The bindings go to the disk from the writer thread: a REGISTER's 200
 * does not wait while another process holds the database's write lock;
 * once the writer's transaction has failed, changes get 500 (memory as it
 * was) and a REGISTER that changes nothing stored still 200; when the lock
 * goes, the kept change is written and a restart knows every binding that
 * got 200. */
static void test_database_writer(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[200], uris[4][REG_URI_LEN], path[300];
	struct registrar *r;
	sqlite3 *lk = NULL;
	long long now = (long long)time(NULL), t0;

	snprintf(dir, sizeof(dir), "%s/sipgw-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(rcfg.database, sizeof(rcfg.database), "%s/reg.db", dir);
	r = reg_new();
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(rcfg.database, &lk), SQLITE_OK);
	CU_ASSERT_EQUAL_FATAL(sqlite3_exec(lk, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	unit_log_begin();
	t0 = ms_now();
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "a", 1, "<sip:2001@10.0.0.1>", "3600", now, NULL), 200);
	/* the writer waits up to its busy timeout (2 s) for the lock; the 200 did not */
	CU_ASSERT(ms_now() - t0 < 1000);
	CU_ASSERT_EQUAL(registrar_contacts(r, "2001", uris, 4), 1);
	for (t0 = ms_now(); !reg_db_failing(r) && ms_now() - t0 < 10000;)
		usleep(5000);
	CU_ASSERT_FATAL(reg_db_failing(r));
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "b", 1, "<sip:2001@10.0.0.2>", "3600", now, NULL), 500);
	CU_ASSERT_EQUAL(registrar_contacts(r, "2001", uris, 4), 1);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c", 1, "<sip:2001@10.0.0.9>", "0", now, NULL), 200);
	CU_ASSERT_EQUAL(sqlite3_exec(lk, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	CU_ASSERT_EQUAL(reg_db_flush(r, 10000), 0);
	CU_ASSERT_FALSE(reg_db_failing(r));
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "b", 1, "<sip:2001@10.0.0.2>", "3600", now, NULL), 200);
	unit_log_end();
	sqlite3_close(lk);
	registrar_free(r);
	r = reg_new();
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(registrar_contacts(r, "2001", uris, 4), 2);
	registrar_free(r);
	rcfg.database[0] = 0;
	for (const char *f = ""; f; f = !*f ? "-wal" : !strcmp(f, "-wal") ? "-shm" : NULL) {
		snprintf(path, sizeof(path), "%s/reg.db%s", dir, f);
		unlink(path);
	}
	CU_ASSERT_EQUAL(rmdir(dir), 0);
}

/* show registrations (registrar_info.c): the live bindings by AOR then
 * contact, with the REGISTER's source and the seconds left; expired ones
 * are not shown. */
struct seen_reg {
	char rows[4][160];
	int n;
};

static void see_reg(void *arg, const struct reg_info *ri)
{
	struct seen_reg *s = arg;

	if (s->n < 4)
		snprintf(s->rows[s->n++], sizeof(s->rows[0]), "%s %s %s %lld [%s]", ri->aor, ri->contact,
			 ri->source, ri->expires_in_s, ri->user_agent);
}

static void test_foreach(void)
{
	struct registrar *r = reg_new();
	struct seen_reg s = { .n = 0 };

	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(registrar_foreach(NULL, T0, see_reg, &s), 0);
	unit_log_begin();
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c1", 1, "<sip:2001@10.0.0.2>", "600", T0, NULL), 200);
	CU_ASSERT_EQUAL(reg_bind(r, "2001", "c2", 1, "<sip:2001@10.0.0.1>", "60", T0 - 30, NULL), 200);
	CU_ASSERT_EQUAL(reg_bind(r, "1999", "c3", 1, "<sip:1999@10.0.0.9>", "60", T0 - 100, NULL), 200);
	unit_log_end();
	CU_ASSERT_EQUAL(registrar_foreach(r, T0, see_reg, &s), 2);	/* 1999's ran out at T0 - 40 */
	CU_ASSERT_STRING_EQUAL(s.rows[0], "2001 sip:2001@10.0.0.1 192.0.2.1 30 []");
	CU_ASSERT_STRING_EQUAL(s.rows[1], "2001 sip:2001@10.0.0.2 192.0.2.1 600 []");
	registrar_free(r);
}

static const CU_TestInfo registrar_tests[] = {
	{ "expiry: Contact, Expires, default; clamped to max", test_expiry_sources_and_clamp },
	{ "expiry below min_expires: 423, nothing changed", test_interval_too_brief },
	{ "expires=0 removes one; no Contact only lists", test_remove_and_query },
	{ "Contact * (with Expires: 0, alone)", test_contact_star },
	{ "CSeq order within a Call-ID", test_cseq_order },
	{ "max_contacts: least recently refreshed evicted", test_max_contacts_eviction },
	{ "database: live bindings survive a restart", test_database_restart },
	{ "database: written off the loop; a failing disk refuses changes, then catches up", test_database_writer },
	{ "show registrations: live bindings in order, source, seconds left", test_foreach },
	CU_TEST_INFO_NULL,
};


int suite_registrar_add(void)
{
	CU_pSuite s = CU_add_suite("registrar", reg_suite_init, reg_suite_cleanup);

	if (!s)
		return -1;
	for (const CU_TestInfo *t = registrar_tests; t->pName; t++)
		if (!CU_add_test(s, t->pName, t->pTestFunc))
			return -1;
	return 0;
}
