/* sipgw - unit tests: per-call ladders (core/ladder.h): wire text escaped,
 * the SVG's arrows in order, messages found by their leg (a PRI leg by span
 * and channel, then by the call reference it learned; a SIP leg by Call-ID),
 * RESTART's global call reference belonging to no call, the bounded list per
 * call, the last LADDER_KEEP ended calls kept, pages written to the folder.
 * And the SIP messages rebuilt from Sofia's transport log (sip/sip_trace.h):
 * the very bytes, their Call-ID and label; and given as bytes (sip_trace_wire).
 * SPDX-License-Identifier: GPL-2.0-only */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "core/ladder.h"
#include "core/log.h"
#include "sip/sip_trace.h"
#include "unit.h"

static void test_escape(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ladder_escape(f, "5<script>alert('x')&\"\n");
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf, "5&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;?");
	free(buf);
}

static char *render(const struct ladder_view *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_EQUAL(ladder_render(f, v), 0);
	fclose(f);
	return buf;
}

static void test_render(void)
{
	const char *cols[] = { "PBX (span a)", "sipgw", "udp 127.0.0.1:5062" };
	struct ladder_row rows[] = {
		{ 1000000, 0, 1, 0, "SETUP", "SETUP cref=0x0001 calling=<b>" },
		{ 1002000, 1, 2, 1, "INVITE", NULL },
		{ 2501000, 2, 1, 0, "180 Ringing", NULL },
	};
	struct ladder_view v = { "call 1: <x> -> 2001", cols, 3, rows, 3, 2 };
	char *page = render(&v);

	CU_ASSERT_EQUAL(unit_count(page, "<g class=\"msg"), 3);
	CU_ASSERT_EQUAL(unit_count(page, "<g class=\"msg out\""), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(page, "<title>call 1: &lt;x&gt; -&gt; 2001</title>"));
	CU_ASSERT_PTR_NULL(strstr(page, "<b>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(page, "1. +0.000 s"));
	CU_ASSERT_PTR_NOT_NULL(strstr(page, "2. +0.002 s"));
	CU_ASSERT_PTR_NOT_NULL(strstr(page, "3. +1.501 s"));
	/* the step table: each message in full, escaped, from and to */
	CU_ASSERT_PTR_NOT_NULL(strstr(page, "<tr><td>1</td><td>+0.000000 s</td><td>PBX (span a)</td><td>sipgw</td>"
					    "<td>SETUP cref=0x0001 calling=&lt;b&gt;</td></tr>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(page, "<td>3</td><td>+1.501000 s</td><td>udp 127.0.0.1:5062</td><td>sipgw</td>"
					    "<td>180 Ringing</td>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(page, "2 more messages"));
	/* in order: SETUP, INVITE, 180 */
	CU_ASSERT_TRUE(strstr(page, ">SETUP<") < strstr(page, ">INVITE<"));
	CU_ASSERT_TRUE(strstr(page, ">INVITE<") < strstr(page, ">180 Ringing<"));
	free(page);
}

static void pri(struct ladder *l, long long t, int sent, const char *label, unsigned cref, int chan)
{
	struct ladder_msg m = { .side = LADDER_PRI, .sent = sent, .t_us = t, .label = label,
				.span = "a", .cref = cref, .chan = chan };
	ladder_msg(l, &m);
}

static void sip(struct ladder *l, long long t, int sent, const char *label, const char *call_id)
{
	struct ladder_msg m = { .side = LADDER_SIP, .sent = sent, .t_us = t, .label = label,
				.call_id = call_id, .peer = "udp 127.0.0.1:5062" };
	ladder_msg(l, &m);
}

static char *page_of(struct ladder *l, const char *id)
{
	char *html = NULL;
	size_t len;

	return ladder_page(l, id, &html, &len) ? NULL : html;
}

static void test_match(void)
{
	struct ladder_params p = { 0 };
	struct ladder *l = NULL;
	struct ladder_key keys[] = { { .side = LADDER_PRI, .span = "a", .chan = 3 },
				     { .side = LADDER_SIP, .call_id = "abc@h" } };
	char *page;

	CU_ASSERT_EQUAL_FATAL(ladder_alloc(&l, &p), 0);
	pri(l, 5, 1, "RESTART", 0, 3);			/* global: no call's */
	pri(l, 10, 0, "SETUP", 1, 3);
	pri(l, 11, 0, "SETUP", 2, 4);			/* another call */
	sip(l, 30, 1, "INVITE", "abc@h");
	pri(l, 20, 1, "CALL PROCEEDING", 1, -1);	/* no channel: by its cref, once learned */
	ladder_call_seen(l, 7, "call 7", keys, 2);
	sip(l, 40, 0, "180 Ringing", "abc@h");
	pri(l, 50, 1, "ALERTING", 1, -1);
	sip(l, 60, 0, "180 Ringing", "other@h");
	page = page_of(l, "7");
	CU_ASSERT_PTR_NOT_NULL_FATAL(page);
	CU_ASSERT_EQUAL(unit_count(page, "<g class=\"msg"), 5);
	CU_ASSERT_PTR_NULL(strstr(page, "RESTART"));
	CU_ASSERT_TRUE(strstr(page, ">SETUP<") < strstr(page, ">CALL PROCEEDING<"));
	CU_ASSERT_TRUE(strstr(page, ">CALL PROCEEDING<") < strstr(page, ">INVITE<"));
	CU_ASSERT_TRUE(strstr(page, ">INVITE<") < strstr(page, ">180 Ringing<"));
	CU_ASSERT_TRUE(strstr(page, ">180 Ringing<") < strstr(page, ">ALERTING<"));
	CU_ASSERT_PTR_NOT_NULL(strstr(page, ">PBX (span a)<"));
	CU_ASSERT_PTR_NOT_NULL(strstr(page, ">udp 127.0.0.1:5062<"));
	free(page);
	page = page_of(l, "abc@h");			/* by Call-ID too */
	CU_ASSERT_PTR_NOT_NULL(page);
	free(page);
	CU_ASSERT_PTR_NULL(page_of(l, "8"));
	CU_ASSERT_PTR_NULL(page_of(l, "other@h"));
	/* ended: still there, and its last words still join it */
	ladder_call_end(l, 7);
	pri(l, 70, 0, "RELEASE COMPLETE", 1, -1);
	page = page_of(l, "7");
	CU_ASSERT_EQUAL(unit_count(page, "<g class=\"msg"), 6);
	free(page);
	{	/* a new call's SETUP with the ended call's cref and channel is the new call's */
		struct ladder_msg m = { .side = LADDER_PRI, .t_us = 80, .label = "SETUP", .span = "a",
					.cref = 1, .chan = 3, .setup = 1 };
		ladder_msg(l, &m);
		page = page_of(l, "7");
		CU_ASSERT_EQUAL(unit_count(page, "<g class=\"msg"), 6);
		free(page);
		ladder_call_seen(l, 8, NULL, keys, 1);
		page = page_of(l, "8");
		CU_ASSERT_EQUAL(unit_count(page, ">SETUP</text>"), 1);
		free(page);
	}
	ladder_free(l);
}

static void test_learn_claims(void)
{
	struct ladder_params p = { 0 };
	struct ladder *l = NULL;
	struct ladder_key keys[] = { { .side = LADDER_PRI, .span = "a", .chan = 5 } };
	char *page;

	CU_ASSERT_EQUAL_FATAL(ladder_alloc(&l, &p), 0);
	/* a call whose leg says its channel before any message of it */
	ladder_call_seen(l, 9, "call 9", keys, 1);
	/* a message by call reference only: nobody knows cref 9 yet */
	pri(l, 10, 1, "CALL PROCEEDING", 9, -1);
	for (int i = 0; i < 100; i++) {		/* messages of no call in between */
		char cid[32];
		snprintf(cid, sizeof(cid), "reg%d@h", i);
		sip(l, 11 + i, 0, "REGISTER", cid);
	}
	/* the channel names the cref: the earlier message joins the call now,
	 * not at the call's next state change */
	pri(l, 200, 0, "CONNECT", 9, 5);
	page = page_of(l, "9");
	CU_ASSERT_PTR_NOT_NULL_FATAL(page);
	CU_ASSERT_EQUAL(unit_count(page, "<g class=\"msg"), 2);
	CU_ASSERT_TRUE(strstr(page, ">CALL PROCEEDING<") < strstr(page, ">CONNECT<"));
	CU_ASSERT_PTR_NULL(strstr(page, "REGISTER"));
	free(page);
	/* the same legs said again change nothing */
	ladder_call_seen(l, 9, NULL, keys, 1);
	page = page_of(l, "9");
	CU_ASSERT_EQUAL(unit_count(page, "<g class=\"msg"), 2);
	free(page);
	ladder_free(l);
}

/* Many calls: each SIP message finds its own call through the index by
 * Call-ID, an ended call still takes its last words, and a call freed
 * past LADDER_KEEP is out of the index (ASan says if it is not). */
static void test_many_calls(void)
{
	struct ladder_params p = { 0 };
	struct ladder *l = NULL;
	char cid[32], id[16], *page;

	CU_ASSERT_EQUAL_FATAL(ladder_alloc(&l, &p), 0);
	for (unsigned i = 0; i < 300; i++) {
		struct ladder_key k = { .side = LADDER_SIP, .call_id = cid };

		snprintf(cid, sizeof(cid), "c%u@h", i);
		ladder_call_seen(l, i + 1, NULL, &k, 1);
		sip(l, 10 + i, 0, "INVITE", cid);
	}
	page = page_of(l, "150");
	CU_ASSERT_PTR_NOT_NULL_FATAL(page);
	CU_ASSERT_EQUAL(unit_count(page, "<g class=\"msg"), 1);
	free(page);
	for (unsigned i = 0; i < 100; i++)
		ladder_call_end(l, i + 1);
	sip(l, 1000, 1, "ACK", "c99@h");	/* call 100, ended, lingering */
	sip(l, 1001, 1, "ACK", "c0@h");		/* call 1, freed: pending, no call's */
	sip(l, 1002, 1, "BYE", "c250@h");	/* call 251, up */
	snprintf(id, sizeof(id), "%u", 100);
	page = page_of(l, id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(page);
	CU_ASSERT_EQUAL(unit_count(page, "<g class=\"msg"), 2);
	free(page);
	CU_ASSERT_PTR_NULL(page_of(l, "1"));
	page = page_of(l, "251");
	CU_ASSERT_PTR_NOT_NULL_FATAL(page);
	CU_ASSERT_EQUAL(unit_count(page, "<g class=\"msg"), 2);
	free(page);
	ladder_free(l);
}

static void test_bounded(void)
{
	struct ladder_params p = { 0 };
	struct ladder *l = NULL;
	struct ladder_key k = { .side = LADDER_SIP, .call_id = "x" };
	char *page, id[16];

	CU_ASSERT_EQUAL_FATAL(ladder_alloc(&l, &p), 0);
	ladder_call_seen(l, 1, NULL, &k, 1);
	for (int i = 0; i < LADDER_MAX_EVENTS + 44; i++)
		sip(l, i, i & 1, "OPTIONS", "x");
	page = page_of(l, "1");
	CU_ASSERT_EQUAL(unit_count(page, "<g class=\"msg"), LADDER_MAX_EVENTS);
	CU_ASSERT_PTR_NOT_NULL(strstr(page, "44 more messages"));
	CU_ASSERT_PTR_NOT_NULL(strstr(page, "<title>call 1</title>"));
	free(page);
	/* the last LADDER_KEEP ended calls are kept, older ones go */
	for (unsigned c = 1; c <= LADDER_KEEP + 6; c++) {
		ladder_call_seen(l, c, NULL, NULL, 0);
		ladder_call_end(l, c);
	}
	for (unsigned c = 1; c <= LADDER_KEEP + 6; c++) {
		snprintf(id, sizeof(id), "%u", c);
		page = page_of(l, id);
		CU_ASSERT_EQUAL(!!page, c > 6);
		free(page);
	}
	ladder_free(l);
}

static void test_dir(void)
{
	char dir[] = "/tmp/sipgw-ladder-XXXXXX", path[512];
	struct ladder_params p = { .dir = dir };
	struct ladder *l = NULL;
	struct ladder_key k = { .side = LADDER_SIP, .call_id = "y" };
	struct dirent *de;
	DIR *d;
	int n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	CU_ASSERT_EQUAL_FATAL(ladder_alloc(&l, &p), 0);
	ladder_call_seen(l, 3, "call 3", &k, 1);
	sip(l, 1, 1, "INVITE", "y");
	ladder_call_end(l, 3);			/* no loop here: written at once */
	ladder_call_seen(l, 4, "call 4", NULL, 0);	/* up at exit: written by ladder_free */
	ladder_free(l);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		CU_ASSERT_TRUE(!strncmp(de->d_name, "call-3-", 7) || !strncmp(de->d_name, "call-4-", 7));
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
		n++;
	}
	if (d)
		closedir(d);
	CU_ASSERT_EQUAL(n, 2);
	rmdir(dir);
}

/* ---- SIP messages rebuilt from the log */

static struct {
	char text[4096];
	size_t len, wire_len;
	char call_id[128], label[64], proto[8], peer[64];
	int port, sent, n, no_call, peer_family;
	char summary[256];
} got;

static void tap(void *arg, const struct sip_trace_msg *m)
{
	memcpy(got.text, m->text, m->len);
	got.text[m->len] = 0;
	got.len = m->len;
	got.wire_len = m->wire_len;
	snprintf(got.call_id, sizeof(got.call_id), "%s", m->call_id);
	snprintf(got.label, sizeof(got.label), "%s", m->label);
	snprintf(got.proto, sizeof(got.proto), "%s", m->proto);
	snprintf(got.peer, sizeof(got.peer), "%s", m->peer);
	got.port = m->peer_port;
	got.peer_family = m->peer_sa ? m->peer_sa->sa_family : 0;
	got.sent = m->sent;
	got.no_call = m->no_call;
	snprintf(got.summary, sizeof(got.summary), "%s", m->summary);
	got.n++;
}

#define SEP "   ------------------------------------------------------------------------\n"

/* msg as Sofia's tport_log_msg() logs it, piece by piece. */
static void log_as_sofia(const char *what, const char *proto, const char *addr, int port, const char *msg)
{
	char piece[4096];
	const char *s = msg, *end = msg + strlen(msg);
	size_t linelen = 0;

	snprintf(piece, sizeof(piece), "%s %zu bytes %s %s/[%s]:%d at 22:00:00.000000:\n" SEP, what,
		 strlen(msg), what[0] == 's' ? "to" : "from", proto, addr, port);
	sip_trace_feed(piece);
	while (s < end) {
		size_t n = strcspn(s, "\r\n");
		snprintf(piece, sizeof(piece), "%s%.*s", linelen ? "" : "   ", (int)n, s);
		sip_trace_feed(piece);
		s += n;
		linelen += n;
		if (s == end)
			break;
		linelen = 0;
		sip_trace_feed("\n");
		if (*s == '\r')
			s++;
		if (*s == '\n')
			s++;
	}
	sip_trace_feed(linelen ? "\n" SEP : SEP);
}

static void test_sip_rebuild(void)
{
	const char *invite =
		"INVITE sip:2001@127.0.0.1:5062;user=phone SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
		"Call-ID: 1234@127.0.0.1\r\n"
		"CSeq: 1 INVITE\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: 13\r\n"
		"\r\n"
		"v=0\r\n"
		"o=- 1 1\r\n";
	const char *ringing =		/* compact Call-ID, a body with no line end at its end */
		"SIP/2.0 180 Ringing\r\n"
		"i: zz@h\r\n"
		"CSeq: 1 INVITE\r\n"
		"Content-Length: 3\r\n"
		"\r\n"
		"abc";
	const char *bye = "BYE sip:x SIP/2.0\r\nCall-ID: q\r\nContent-Length: 0\r\n\r\n";

	sip_trace_tap(tap, NULL);
	memset(&got, 0, sizeof(got));
	log_as_sofia("send", "udp", "127.0.0.1", 5062, invite);
	CU_ASSERT_EQUAL(got.n, 1);
	CU_ASSERT_STRING_EQUAL(got.text, invite);
	CU_ASSERT_EQUAL(got.len, got.wire_len);
	CU_ASSERT_STRING_EQUAL(got.call_id, "1234@127.0.0.1");
	CU_ASSERT_STRING_EQUAL(got.label, "INVITE");
	CU_ASSERT_STRING_EQUAL(got.proto, "udp");
	CU_ASSERT_STRING_EQUAL(got.peer, "127.0.0.1");
	CU_ASSERT_EQUAL(got.port, 5062);
	CU_ASSERT_EQUAL(got.sent, 1);

	log_as_sofia("recv", "tcp", "::1", 5070, ringing);
	CU_ASSERT_EQUAL(got.n, 2);
	CU_ASSERT_STRING_EQUAL(got.text, ringing);
	CU_ASSERT_EQUAL(got.len, got.wire_len);
	CU_ASSERT_STRING_EQUAL(got.call_id, "zz@h");
	CU_ASSERT_STRING_EQUAL(got.label, "180 Ringing");
	CU_ASSERT_STRING_EQUAL(got.proto, "tcp");
	CU_ASSERT_STRING_EQUAL(got.peer, "::1");
	CU_ASSERT_EQUAL(got.sent, 0);

	log_as_sofia("send", "udp", "127.0.0.1", 5062, bye);	/* no body: ends in an empty line */
	CU_ASSERT_STRING_EQUAL(got.text, bye);
	CU_ASSERT_EQUAL(got.len, got.wire_len);

	/* bare LF line ends (not SIP, but seen): rebuilt with CRLF, the length tells */
	log_as_sofia("recv", "udp", "127.0.0.1", 5062, "OPTIONS sip:x SIP/2.0\nCall-ID: l\n\n");
	CU_ASSERT_NOT_EQUAL(got.len, got.wire_len);
	CU_ASSERT_STRING_EQUAL(got.label, "OPTIONS");

	/* a stamp that is not one: nothing handed on */
	sip_trace_feed("send lots of bytes nowhere\n" SEP "   X\n" SEP);
	CU_ASSERT_EQUAL(got.n, 4);
	sip_trace_tap(NULL, NULL);
}

/* A REGISTER and its response are no call's: marked so (no ladder), still
 * whole for the pcap; below INFO their summary is not even built. An
 * INVITE is a call's. */
static void test_sip_register_no_call(void)
{
	const char *reg = "REGISTER sip:127.0.0.1 SIP/2.0\r\nCall-ID: r1@h\r\nCSeq: 1 REGISTER\r\n"
			  "Content-Length: 0\r\n\r\n";
	const char *chal = "SIP/2.0 401 Unauthorized\r\nCall-ID: r1@h\r\nCSeq: 1 REGISTER\r\n"
			   "Content-Length: 0\r\n\r\n";
	const char *inv = "INVITE sip:2001@h SIP/2.0\r\nCall-ID: i1@h\r\nCSeq: 1 INVITE\r\n"
			  "Content-Length: 0\r\n\r\n";
	enum log_level old = log_get_level();

	sip_trace_tap(tap, NULL);
	log_set_level(LOG_LVL_NOTICE);
	memset(&got, 0, sizeof(got));
	log_as_sofia("recv", "udp", "127.0.0.1", 5062, reg);
	CU_ASSERT_EQUAL(got.n, 1);
	CU_ASSERT_EQUAL(got.no_call, 1);
	CU_ASSERT_STRING_EQUAL(got.text, reg);
	CU_ASSERT_STRING_EQUAL(got.summary, "");
	log_as_sofia("send", "udp", "127.0.0.1", 5062, chal);
	CU_ASSERT_EQUAL(got.n, 2);
	CU_ASSERT_EQUAL(got.no_call, 1);
	CU_ASSERT_STRING_EQUAL(got.text, chal);
	log_as_sofia("recv", "udp", "127.0.0.1", 5062, inv);
	CU_ASSERT_EQUAL(got.no_call, 0);
	CU_ASSERT_STRING_EQUAL(got.summary, "INVITE sip:2001@h");
	/* at INFO the REGISTER's line is wanted: its summary is built */
	log_set_level(LOG_LVL_INFO);
	unit_log_begin();
	log_as_sofia("send", "udp", "127.0.0.1", 5062, chal);
	unit_log_end();
	CU_ASSERT_EQUAL(got.no_call, 1);
	CU_ASSERT_STRING_EQUAL(got.summary, "401 Unauthorized (REGISTER)");
	log_set_level(old);
	sip_trace_tap(NULL, NULL);
}

/* The wire path (our tport_log_msg()): the message's own bytes in
 * Sofia's pieces, its peer as an address. The tap gets what the log path
 * gives, the bytes exact even where the log path can only rebuild them. */
static void test_sip_wire(void)
{
	const char *invite =
		"INVITE sip:2001@127.0.0.1:5062;user=phone SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
		"Call-ID: 1234@127.0.0.1\r\n"
		"CSeq: 1 INVITE\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: 30\r\n"
		"\r\n"
		"v=0\r\n"
		"c=IN IP4 127.0.0.9\r\n"
		"a=sendonly";	/* no line end after the body's last line */
	const char *lf = "OPTIONS sip:x SIP/2.0\nCall-ID: l\n\n";
	struct sip_trace_piece v[3];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(5062) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(5070) };
	struct sockaddr un = { .sa_family = AF_UNIX };
	char log_summary[256];
	size_t cut = strlen("INVITE sip:2001@127.0.0.1:5062;user=phone SIP/2.0\r");

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	/* nothing hooked: Sofia's own log is to run */
	v[0] = (struct sip_trace_piece){ invite, strlen(invite) };
	CU_ASSERT_EQUAL(sip_trace_wire(1, "udp", (struct sockaddr *)&sin, v, 1), -ENOENT);

	sip_trace_tap(tap, NULL);
	memset(&got, 0, sizeof(got));
	log_as_sofia("send", "udp", "127.0.0.1", 5062, invite);
	CU_ASSERT_EQUAL(got.n, 1);
	snprintf(log_summary, sizeof(log_summary), "%s", got.summary);
	CU_ASSERT_STRING_EQUAL(log_summary, "INVITE sip:2001@127.0.0.1:5062;user=phone sdp[c=127.0.0.9 sendonly]");

	/* in three pieces, one CRLF split between two of them */
	v[0] = (struct sip_trace_piece){ invite, cut };
	v[1] = (struct sip_trace_piece){ invite + cut, 10 };
	v[2] = (struct sip_trace_piece){ invite + cut + 10, strlen(invite) - cut - 10 };
	CU_ASSERT_EQUAL(sip_trace_wire(1, "udp", (struct sockaddr *)&sin, v, 3), 0);
	CU_ASSERT_EQUAL(got.n, 2);
	CU_ASSERT_STRING_EQUAL(got.text, invite);
	CU_ASSERT_EQUAL(got.len, strlen(invite));
	CU_ASSERT_EQUAL(got.wire_len, strlen(invite));
	CU_ASSERT_STRING_EQUAL(got.summary, log_summary);
	CU_ASSERT_STRING_EQUAL(got.call_id, "1234@127.0.0.1");
	CU_ASSERT_STRING_EQUAL(got.label, "INVITE");
	CU_ASSERT_STRING_EQUAL(got.proto, "udp");
	CU_ASSERT_EQUAL(got.port, 5062);
	CU_ASSERT_EQUAL(got.peer_family, AF_INET);
	CU_ASSERT_EQUAL(got.sent, 1);
	CU_ASSERT_EQUAL(got.no_call, 0);

	/* bare LF line ends: the bytes as they were (the log path cannot) */
	v[0] = (struct sip_trace_piece){ lf, strlen(lf) };
	CU_ASSERT_EQUAL(sip_trace_wire(0, "tcp", (struct sockaddr *)&sin6, v, 1), 0);
	CU_ASSERT_EQUAL(got.n, 3);
	CU_ASSERT_STRING_EQUAL(got.text, lf);
	CU_ASSERT_EQUAL(got.len, got.wire_len);
	CU_ASSERT_STRING_EQUAL(got.label, "OPTIONS");
	CU_ASSERT_STRING_EQUAL(got.call_id, "l");
	CU_ASSERT_EQUAL(got.port, 5070);
	CU_ASSERT_EQUAL(got.peer_family, AF_INET6);
	CU_ASSERT_EQUAL(got.sent, 0);

	/* a NUL in it: the header scan stops there, the bytes still go whole */
	v[0] = (struct sip_trace_piece){ "BYE sip:x SIP/2.0\r\nCall-ID: z\r\n\0X", 34 };
	CU_ASSERT_EQUAL(sip_trace_wire(1, "udp", (struct sockaddr *)&sin, v, 1), 0);
	CU_ASSERT_EQUAL(got.n, 4);
	CU_ASSERT_EQUAL(got.len, 34);
	CU_ASSERT_STRING_EQUAL(got.call_id, "z");
	/* not an IP peer: not taken */
	CU_ASSERT_EQUAL(sip_trace_wire(1, "udp", &un, v, 1), -ENOENT);
	CU_ASSERT_EQUAL(sip_trace_wire(1, "udp", NULL, v, 1), -ENOENT);
	CU_ASSERT_EQUAL(got.n, 4);
	sip_trace_tap(NULL, NULL);
}

int suite_ladder_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "wire text escaped for HTML", test_escape },
		{ "the SVG: arrows in order, time offsets, escaped labels", test_render },
		{ "messages found by leg: span+channel, learned cref, Call-ID; RESTART none", test_match },
		{ "a call reference learned claims that call's waiting messages at once", test_learn_claims },
		{ "300 calls: messages found by Call-ID, ended calls linger, freed ones leave the index", test_many_calls },
		{ "bounded per call; the last LADDER_KEEP ended calls kept", test_bounded },
		{ "pages written to ladder_dir at hang-up and at exit", test_dir },
		{ "SIP messages rebuilt from Sofia's log: exact bytes, Call-ID, label", test_sip_rebuild },
		{ "REGISTERs are no call's: whole for the pcap, no summary below INFO", test_sip_register_no_call },
		{ "SIP messages as bytes (tport_log_msg): exact, same summary as the log path", test_sip_wire },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("ladder", tests);
}
