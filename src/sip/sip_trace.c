/* sipgw - one line per SIP message sent or received, from Sofia's tport log.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_trace.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <dlfcn.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/tport.h>

#include "core/log.h"

/* Sofia's tport_log_msg() (TPORT_LOG) writes, through su_log() on the
 * default log: "recv|send N bytes from|to proto/[addr]:port at T:\n" and a
 * separator in one piece, then each message line prefixed by three spaces
 * (text and "\n" in separate pieces), then a closing separator. */
#define TRACE_SEP "   ------------------------------------------------------------------------"
#define TRACE_MSG_MAX 16384

/* Idle -> stamp line seen -> inside the message -> idle at the closing separator. */
enum trace_state { TRACE_IDLE, TRACE_STAMP, TRACE_IN_MSG };

/* su_log_default is one per process, so the trace context is too. */
static struct {
	sip_trace_h *h;
	sip_trace_msg_h *msg_h;
	void *arg;
	enum trace_state state;
	sip_trace_tap_h *tap;
	void *tap_arg;
	int sent;
	char proto[8];		/* the stamp's transport: "udp", "tcp", "tls" */
	char peer[64];		/* the stamp's address and port */
	int peer_port;
	size_t wire_len;	/* the stamp's byte count */
	char line[4096];	/* the line being assembled */
	size_t line_len;
	char msg[TRACE_MSG_MAX];	/* the message so far, lines joined by '\n' */
	size_t msg_len;
	char raw[2 * TRACE_MSG_MAX];	/* the same with CRLF line ends */
	size_t raw_len;		/* the wire path: raw holds the very bytes already */
	struct sockaddr_storage peer_ss;	/* the wire path: the peer, not as text */
	int wire;		/* this message came by sip_trace_wire() */
} tr;

/* The headers the summary, the tap and debug sip read, found in one pass
 * over the message (a pass per header cost more than the rest of the
 * trace: every message of every call comes here). The first of each, by
 * its name or its compact form (a line "Name:" or "Name :", any case). */
enum trace_hdr { TH_CSEQ, TH_REASON, TH_SE, TH_REFBY, TH_REQUIRE, TH_CTYPE, TH_CALLID, TH__N };

#define TH_NAME(n, c) { n, c, sizeof(n) - 1, (n)[0] | 0x20 }
static const struct {
	const char *name;
	char compact;		/* RFC 3261 7.3.3, 0: none */
	size_t len;
	int lower0;		/* the name's first letter, lower case */
} th_names[TH__N] = {
	[TH_CSEQ] = TH_NAME("CSeq", 0), [TH_REASON] = TH_NAME("Reason", 0),
	[TH_SE] = TH_NAME("Session-Expires", 'x'), [TH_REFBY] = TH_NAME("Referred-By", 'b'),
	[TH_REQUIRE] = TH_NAME("Require", 0), [TH_CTYPE] = TH_NAME("Content-Type", 'c'),
	[TH_CALLID] = TH_NAME("Call-ID", 'i'),
};

static struct {
	const char *v[TH__N];	/* into tr.msg; NULL: not there */
	size_t len[TH__N];
} th;

static void th_scan(const char *msg)
{
	const char *p = strchr(msg, '\n');	/* skip the start line */
	int left = TH__N;

	memset(&th, 0, sizeof(th));
	while (left && p && p[1] && p[1] != '\n') {
		const char *l = p + 1, *e = strchr(l, '\n');
		size_t ll = e ? (size_t)(e - l) : strlen(l);

		int c0 = tolower((unsigned char)l[0]);

		for (int h = 0; h < TH__N; h++) {
			size_t nl;
			const char *v = NULL;

			/* most lines are none of these: the first letter says so */
			if (th.v[h] || (c0 != th_names[h].lower0 && c0 != th_names[h].compact))
				continue;
			nl = th_names[h].len;
			if (ll > nl && !strncasecmp(l, th_names[h].name, nl) && (l[nl] == ':' || l[nl] == ' '))
				v = l + nl;
			else if (th_names[h].compact && ll > 1 && tolower((unsigned char)l[0]) == th_names[h].compact &&
				 (l[1] == ':' || l[1] == ' '))
				v = l + 1;
			if (!v)
				continue;
			while (*v == ' ' || *v == '\t' || *v == ':')
				v++;
			th.v[h] = v;
			th.len[h] = ll - (size_t)(v - l);
			left--;
		}
		p = e;
	}
}

/* Header h of the message th_scan() last saw, copied into out; NULL when none. */
static const char *th_get(enum trace_hdr h, char *out, size_t len)
{
	if (!th.v[h])
		return NULL;
	snprintf(out, len, "%.*s", (int)th.len[h], th.v[h]);
	return out;
}

/* The body starts after the first empty line. */
static const char *msg_body(const char *msg)
{
	const char *b = strstr(msg, "\n\n");
	return b ? b + 2 : NULL;
}

static void sdp_summary(const char *body, char *out, size_t len)
{
	char addr[64] = "?";
	const char *dir = "sendrecv";
	static const char *const dirs[] = { "sendrecv", "sendonly", "recvonly", "inactive" };

	for (const char *l = body; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!strncmp(l, "c=IN IP4 ", 9) || !strncmp(l, "c=IN IP6 ", 9))
			sscanf(l + 9, "%63[^ \n/]", addr);
		for (unsigned i = 0; i < 4; i++)
			if (!strncmp(l, "a=", 2) && !strncmp(l + 2, dirs[i], strlen(dirs[i])))
				dir = dirs[i];
	}
	snprintf(out, len, " sdp[c=%s %s]", addr, dir);
}

/* The message with its line ends back (CRLF), its Call-ID and its
 * ladder label, to the tap. */
static void trace_tap_emit(const char *summary, int no_call)
{
	struct sip_trace_msg m = { .sent = tr.sent, .proto = tr.proto, .peer = tr.peer,
				   .peer_port = tr.peer_port, .text = tr.raw, .wire_len = tr.wire_len,
				   .summary = summary, .no_call = no_call };
	char call_id[256] = "", label[128];
	size_t n = 0, sl = strcspn(tr.msg, "\n");

	if (tr.wire) {
		m.peer_sa = (const struct sockaddr *)&tr.peer_ss;
		n = tr.raw_len;
	} else if (!tr.peer[0]) {
		return;		/* the stamp did not say where it went: not a message */
	} else {
		for (size_t i = 0; i < tr.msg_len && n + 2 < sizeof(tr.raw); i++) {
			if (tr.msg[i] == '\n')
				tr.raw[n++] = '\r';
			tr.raw[n++] = tr.msg[i];
		}
		/* the last line of a body that ended without one got a line end here */
		if (n == tr.wire_len + 2 && n >= 2 && tr.raw[n - 1] == '\n')
			n -= 2;
		tr.raw[n] = 0;
	}
	m.len = n;
	th_get(TH_CALLID, call_id, sizeof(call_id));
	m.call_id = call_id;
	if (!strncmp(tr.msg, "SIP/2.0 ", 8)) {
		snprintf(label, sizeof(label), "%.*s", (int)(sl - 8), tr.msg + 8);
	} else {
		snprintf(label, sizeof(label), "%.*s", (int)strcspn(tr.msg, " \n"), tr.msg);
	}
	m.label = label;
	tr.tap(tr.tap_arg, &m);
}

/* A REGISTER transaction: no call's, so no ladder's (RFC 3261 10). */
static int is_register(const char *msg)
{
	const char *v = th.v[TH_CSEQ], *end;

	if (!strncmp(msg, "REGISTER ", 9))
		return 1;
	if (strncmp(msg, "SIP/2.0 ", 8) || !v)
		return 0;
	end = v + th.len[TH_CSEQ];
	/* "CSeq: 1 REGISTER": the number, then the method (RFC 3261 20.16) */
	while (v < end && *v >= '0' && *v <= '9')
		v++;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	return end - v == 8 && !memcmp(v, "REGISTER", 8);
}

static void trace_emit(void)
{
	char summary[1024], val[512], sdp[128] = "";
	const char *msg = tr.msg, *body;
	size_t sl = strcspn(msg, "\n");
	int off, no_call;

	th_scan(msg);
	no_call = is_register(msg);

	/* A registration storm is most of the messages: when no line asks for
	 * its summary (INFO, debug sip) only the pcap may want it whole. */
	if (no_call && log_get_level() < LOG_LVL_INFO && !tr.msg_h) {
		if (tr.tap)
			trace_tap_emit("", 1);
		return;
	}

	if (!strncmp(msg, "SIP/2.0 ", 8)) {
		char method[32] = "";
		off = snprintf(summary, sizeof(summary), "%.*s", (int)(sl - 8), msg + 8);
		if (th_get(TH_CSEQ, val, sizeof(val)))
			sscanf(val, "%*u %31s", method);
		if (method[0])
			off += snprintf(summary + off, sizeof(summary) - (size_t)off, " (%s)", method);
	} else {
		/* "METHOD uri SIP/2.0": drop the version. */
		const char *v = memmem(msg, sl, " SIP/2.0", 8);
		off = snprintf(summary, sizeof(summary), "%.*s", (int)(v ? (size_t)(v - msg) : sl), msg);
	}
	if ((size_t)off >= sizeof(summary))
		off = sizeof(summary) - 1;
	if (th_get(TH_REASON, val, sizeof(val)))
		off += snprintf(summary + off, sizeof(summary) - (size_t)off, " reason[%s]", val);
	if ((size_t)off >= sizeof(summary))
		off = sizeof(summary) - 1;
	/* RFC 4028 session timers: interval, refresher, and who must know them. */
	if (th_get(TH_SE, val, sizeof(val)))
		off += snprintf(summary + off, sizeof(summary) - (size_t)off, " se[%s]", val);
	if ((size_t)off >= sizeof(summary))
		off = sizeof(summary) - 1;
	/* RFC 3892: who transferred a call here (issue 10: transfers) */
	if (th_get(TH_REFBY, val, sizeof(val)))
		off += snprintf(summary + off, sizeof(summary) - (size_t)off, " referred-by[%s]", val);
	if ((size_t)off >= sizeof(summary))
		off = sizeof(summary) - 1;
	if (th_get(TH_REQUIRE, val, sizeof(val)))
		off += snprintf(summary + off, sizeof(summary) - (size_t)off, " require[%s]", val);
	if ((size_t)off >= sizeof(summary))
		off = sizeof(summary) - 1;
	body = msg_body(msg);
	if (body && th_get(TH_CTYPE, val, sizeof(val)) &&
	    !strncasecmp(val, "application/sdp", 15)) {
		sdp_summary(body, sdp, sizeof(sdp));
		off += snprintf(summary + off, sizeof(summary) - (size_t)off, "%s", sdp);
	}
	if ((size_t)off >= sizeof(summary))
		off = sizeof(summary) - 1;
	/* UDP says nothing (most lines); TCP and TLS are named, last */
	if (tr.proto[0] && strcmp(tr.proto, "udp"))
		snprintf(summary + off, sizeof(summary) - (size_t)off, " via %s", tr.proto);
	if (tr.h)
		tr.h(tr.arg, tr.sent, summary);
	if (tr.tap)
		trace_tap_emit(summary, no_call);
	if (tr.msg_h)
		tr.msg_h(tr.arg, tr.sent, th_get(TH_CALLID, val, sizeof(val)) ? val : "", msg);
}

static void trace_line(const char *l)
{
	if (tr.state == TRACE_STAMP) {
		tr.state = strcmp(l, TRACE_SEP) ? TRACE_IDLE : TRACE_IN_MSG;
		tr.msg_len = 0;
		tr.msg[0] = '\0';
		if (tr.state == TRACE_IN_MSG)
			return;
	}
	if (tr.state == TRACE_IDLE) {
		if ((!strncmp(l, "recv ", 5) || !strncmp(l, "send ", 5)) && strstr(l, " bytes ")) {
			tr.sent = l[0] == 's';
			/* "send 947 bytes to tcp/[127.0.0.1]:5060 at ..." */
			if (sscanf(strstr(l, " bytes "), " bytes %*s %7[a-z]/", tr.proto) != 1)
				tr.proto[0] = 0;
			tr.peer[0] = 0;
			tr.peer_port = 0;
			tr.wire_len = 0;
			if (sscanf(l + 5, "%zu bytes %*s %*[a-z]/[%63[^]]]:%d", &tr.wire_len, tr.peer,
				   &tr.peer_port) != 3)
				tr.peer[0] = 0;
			tr.state = TRACE_STAMP;
			return;
		}
		fprintf(stderr, "%s\n", l);
		return;
	}
	if (!strcmp(l, TRACE_SEP)) {
		tr.state = TRACE_IDLE;
		trace_emit();
		tr.msg_len = 0;
		return;
	}
	if (!strncmp(l, "   ", 3))
		l += 3;
	size_t n = strlen(l);
	if (tr.msg_len + n + 2 < sizeof(tr.msg)) {
		memcpy(tr.msg + tr.msg_len, l, n);
		tr.msg_len += n;
		tr.msg[tr.msg_len++] = '\n';
		tr.msg[tr.msg_len] = '\0';
	}
}

/* The wire path: a whole message as bytes, from our tport_log_msg()
 * below. The same state as a logged message leaves (tr.msg, lines joined by
 * '\n', as the log splits them: at CRLF, CR or LF, stopping at a NUL), with
 * the bytes themselves for the pcap instead of a rebuilt copy. */
int sip_trace_wire(int sent, const char *proto, const struct sockaddr *peer,
		   const struct sip_trace_piece *v, size_t n_v)
{
	size_t raw = 0, m = 0, wire = 0;
	int nul = 0;

	if ((!tr.h && !tr.tap) || !peer || (peer->sa_family != AF_INET && peer->sa_family != AF_INET6))
		return -ENOENT;
	for (size_t i = 0; i < n_v; i++) {
		size_t len = v[i].len, room = sizeof(tr.raw) - 1 - raw;

		wire += len;
		memcpy(tr.raw + raw, v[i].base, len < room ? len : room);
		raw += len < room ? len : room;
	}
	tr.raw[raw] = 0;
	for (size_t i = 0; i < raw && !nul && m + 2 < sizeof(tr.msg); i++) {
		char c = tr.raw[i];

		if (c == '\r') {
			tr.msg[m++] = '\n';
			if (i + 1 < raw && tr.raw[i + 1] == '\n')
				i++;
		} else if (c) {
			tr.msg[m++] = c;
		} else {
			nul = 1;	/* Sofia's log ends the message there too */
		}
	}
	if (m && tr.msg[m - 1] != '\n')
		tr.msg[m++] = '\n';
	tr.msg[m] = 0;
	tr.msg_len = m;
	tr.raw_len = raw;
	tr.wire_len = wire;
	tr.sent = sent;
	snprintf(tr.proto, sizeof(tr.proto), "%s", proto ? proto : "");
	memset(&tr.peer_ss, 0, sizeof(tr.peer_ss));
	memcpy(&tr.peer_ss, peer, peer->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
	       sizeof(struct sockaddr_in6));
	tr.peer_port = ntohs(peer->sa_family == AF_INET ? ((const struct sockaddr_in *)peer)->sin_port :
			     ((const struct sockaddr_in6 *)peer)->sin6_port);
	tr.peer[0] = 0;		/* the tap takes peer_ss: no text to print and parse back */
	tr.wire = 1;
	trace_emit();
	tr.wire = 0;
	tr.msg_len = 0;
	return 0;
}

/* Sofia's tport_log_msg() (TPORT_LOG, tport_logging.c), which every
 * message sent or received and parsed goes through, defined here so the
 * stack's calls (through its PLT) come to us: the message's own bytes
 * (msg_iovec()), its peer (msg_addr()) and transport (tport_name()) go
 * to the trace at once. Sofia's version formats every line twice through
 * su_log() (a vsnprintf per line and per line end, then our logger's
 * parse of the pieces back into a message): 14 % of sipgw's CPU as a
 * B2BUA at 1,300 calls/s. Same signature as tport_internal.h's. When no
 * trace is hooked, or the peer is not an IP address, Sofia's own runs. */
void tport_log_msg(tport_t *self, msg_t *msg, char const *what, char const *via, su_time_t now);

void tport_log_msg(tport_t *self, msg_t *msg, char const *what, char const *via, su_time_t now)
{
	static void (*sofia_log_msg)(tport_t *, msg_t *, char const *, char const *, su_time_t);
	msg_iovec_t iov[80];	/* as many as Sofia's own logs */
	struct sip_trace_piece v[80];
	isize_t n = msg_iovec(msg, iov, 80);
	const tp_name_t *tpn = tport_name(self);
	su_sockaddr_t *su = msg_addr(msg);

	if (n > 80)
		n = 80;
	for (isize_t i = 0; i < n; i++) {
		v[i].base = iov[i].mv_base;
		v[i].len = iov[i].mv_len;
	}
	if (n > 0 && su && !sip_trace_wire(what && what[0] == 's', tpn ? tpn->tpn_proto : NULL,
					   &su->su_sa, v, (size_t)n))
		return;
	if (!sofia_log_msg)
		*(void **)&sofia_log_msg = dlsym(RTLD_NEXT, "tport_log_msg");
	if (sofia_log_msg && sofia_log_msg != tport_log_msg)
		sofia_log_msg(self, msg, what, via, now);
}

/* Sofia's own lines ("received garbage", "Connection refused" for every
 * ICMP error...) come at the rate a peer sends: each kind, told apart by
 * the format string of its first piece, goes through a rate limit. */
#define SOFIA_KINDS 32

static struct {
	char line[1024];
	size_t len;
	const char *fmt;		/* of the line's first piece */
	struct {
		const char *fmt;
		struct log_limit lim;
	} kinds[SOFIA_KINDS];
} sf;

static void sofia_line(void)
{
	size_t k;

	while (sf.len && (sf.line[sf.len - 1] == '\n' || sf.line[sf.len - 1] == ' '))
		sf.len--;
	sf.line[sf.len] = 0;
	for (k = 0; k < SOFIA_KINDS - 1 && sf.kinds[k].fmt && sf.kinds[k].fmt != sf.fmt; k++)
		;
	sf.kinds[k].fmt = sf.fmt;	/* the last slot is shared by every kind past the table */
	if (sf.len)
		LOGW_LIMIT(&sf.kinds[k].lim, LSS_SIP, "sofia: %s", sf.line);
	sf.len = 0;
	sf.fmt = NULL;
}

static void sofia_piece(const char *fmt, const char *piece)
{
	for (const char *p = piece; *p; p++) {
		if (!sf.len && !sf.fmt)
			sf.fmt = fmt;
		if (*p == '\n') {
			sofia_line();
			continue;
		}
		if (sf.len + 1 < sizeof(sf.line))
			sf.line[sf.len++] = *p;
	}
}

static void trace_piece(const char *fmt, const char *piece, size_t n)
{
	/* Not in a message and not starting one: Sofia's own line. */
	if ((!tr.h && !tr.tap) || (tr.state == TRACE_IDLE && tr.line_len == 0 &&
				   strncmp(piece, "recv ", 5) && strncmp(piece, "send ", 5))) {
		sofia_piece(fmt, piece);
		return;
	}
	/* a run up to the next line end at a time: Sofia logs every line of
	 * every message through here */
	for (const char *p = piece, *end = piece + n; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t run = (size_t)((nl ? nl : end) - p), room = sizeof(tr.line) - 1 - tr.line_len;

		memcpy(tr.line + tr.line_len, p, run < room ? run : room);
		tr.line_len += run < room ? run : room;
		if (!nl)
			break;
		tr.line[tr.line_len] = '\0';
		trace_line(tr.line);
		tr.line_len = 0;
		p = nl + 1;
	}
}

static void trace_logger(void *stream, char const *fmt, va_list ap)
{
	char piece[4096];
	int n = vsnprintf(piece, sizeof(piece), fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(piece))
		n = sizeof(piece) - 1;
	trace_piece(fmt, piece, (size_t)n);
}

void sip_trace_feed(const char *piece)
{
	trace_piece(piece, piece, strlen(piece));
}

void sip_trace_tap(sip_trace_tap_h *tap, void *arg)
{
	tr.tap = tap;
	tr.tap_arg = arg;
}

void sip_log_capture(void)
{
	su_log_redirect(su_log_default, trace_logger, NULL);
}

void sip_trace_hook(sip_trace_h *h, void *arg)
{
	tr.h = h;
	tr.arg = arg;
	tr.state = TRACE_IDLE;
	tr.line_len = tr.msg_len = 0;
	su_log_redirect(su_log_default, trace_logger, NULL);
}

void sip_trace_enable(sip_trace_h *h, void *arg)
{
	/* tport_open_log() reads TPORT_LOG when the agent's transports open. */
	setenv("TPORT_LOG", "1", 1);
	sip_trace_hook(h, arg);
}

void sip_trace_set_msg_h(sip_trace_msg_h *h)
{
	tr.msg_h = h;
}
