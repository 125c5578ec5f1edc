/* sipgw - phone simulator: command line, output lines, the loop and its end.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone.h"
#include "sip/sip_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/netaddr.h"
#include "dsp/g711.h"
#include "sim/sim_dtmf.h"
#include "sip/sip_trace.h"

#define PHONE_TICK_MS 20		/* one G.711 frame */
#define PHONE_SHUTDOWN_GUARD_MS 3000	/* give nua_shutdown() this long */
#define PHONE_LINGER_MS 250		/* after the last call: let its ACK arrive (RFC 3261 17.2.1) */
#define PHONE_T1_MS 500			/* RFC 3261 17.1.1.1 */
#define PHONE_T1_MAX_MS 60000
#define PHONE_PROXY_TRIES 7		/* Cisco: seven INVITEs to the primary (figure B-21) */
#define PHONE_PROXY_TRIES_MAX 20
#define PHONE_EXPIRES_S 3600

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

void phone_out(const struct phone *ph, const char *kind, const char *fmt, ...)
{
	va_list ap;

	if (ph->o.quiet && (!strcmp(kind, "SIP") || !strcmp(kind, "AUDIO")))
		return;
	printf("%lld %s ", mono_ms(), kind);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void on_trace(void *arg, int sent, const char *summary)
{
	/* Counted before -q can drop the line. */
	if (sent)
		pcall_note_sent(arg, summary);
	phone_out(arg, "SIP", "%c %s", sent ? '>' : '<', summary);
}

static void phone_shutdown(struct phone *ph);

/* --timeout, then the guard on each exit phase. */
static void on_deadline(struct phone *ph, su_timer_t *t, struct pcall *unused)
{
	switch (ph->phase) {
	case PH_RUNNING:
		fprintf(stderr, "sipgw-phone: timeout\n");
		phone_exit(ph, 3);
		break;
	case PH_RELEASING:
		fprintf(stderr, "sipgw-phone: calls did not end in time\n");
		phone_shutdown(ph);
		break;
	case PH_SHUTTING_DOWN:
		fprintf(stderr, "sipgw-phone: shutdown took too long\n");
		su_root_break(ph->root);
		break;
	}
}

static void phone_shutdown(struct phone *ph)
{
	ph->phase = PH_SHUTTING_DOWN;
	/* nua_r_shutdown ends the loop (phone_call.c). */
	nua_shutdown(ph->nua);
	su_timer_set_at(ph->deadline, on_deadline, NULL, su_time_add(su_now(), PHONE_SHUTDOWN_GUARD_MS));
}

void phone_exit(struct phone *ph, int status)
{
	if (ph->phase != PH_RUNNING)
		return;
	ph->phase = PH_RELEASING;
	ph->exit_status = status;
	/* BYE/CANCEL first and let them finish, so every call reports its end. */
	if (!pcall_release_all(ph)) {
		phone_shutdown(ph);
		return;
	}
	su_timer_set_at(ph->deadline, on_deadline, NULL, su_time_add(su_now(), PHONE_SHUTDOWN_GUARD_MS));
}

static void on_linger(struct phone *ph, su_timer_t *t, struct pcall *unused)
{
	phone_exit(ph, 0);
}

/* The next --call / --dial, if any is left. */
static void phone_dial_next(struct phone *ph)
{
	if (ph->phase != PH_RUNNING || ph->next_target >= ph->o.n_targets)
		return;
	if (pcall_dial(ph, &ph->o.targets[ph->next_target++]) < 0)
		phone_exit(ph, 1);
}

void phone_start_dialling(struct phone *ph)
{
	ph->dialling = 1;
	phone_dial_next(ph);
}

void phone_call_ended(struct phone *ph, int outgoing)
{
	ph->calls_ended++;
	if (ph->phase == PH_RELEASING && !ph->calls) {
		phone_shutdown(ph);
		return;
	}
	/* nua ends a rejected call when it sends the final response; the ACK
	 * comes later and would meet a closed port without this pause. */
	if (ph->phase == PH_RUNNING && ph->o.exit_after_calls &&
	    ph->calls_ended == ph->o.exit_after_calls) {
		su_timer_set_at(ph->deadline, on_linger, NULL, su_time_add(su_now(), PHONE_LINGER_MS));
		return;
	}
	/* One dialled call at a time, as a user would. */
	if (outgoing && ph->dialling)
		phone_dial_next(ph);
}

/* The media clock: a timerfd, not an su_timer (Sofia polls with timeout 0
 * through the last millisecond before an su_timer is due: each 20 ms tick
 * spun the phone for up to 1 ms). The count read is the periods passed;
 * more than five behind, the owed ticks are dropped (resync) rather than
 * sent in a burst. */
static void on_tick(void *arg, int fd)
{
	struct phone *ph = arg;
	uint64_t due;

	if (read(fd, &due, sizeof(due)) != sizeof(due))
		return;
	if (due > 5)
		due = 1;	/* fell far behind: resync */
	while (due--) {
		if (got_signal && ph->phase == PH_RUNNING) {
			fprintf(stderr, "sipgw-phone: signal %d, hanging up\n", (int)got_signal);
			phone_exit(ph, 0);
		}
		pcall_tick_all(ph);
	}
}

static int tick_start(struct phone *ph)
{
	struct itimerspec its = { .it_interval = { 0, PHONE_TICK_MS * 1000000L },
				  .it_value = { 0, PHONE_TICK_MS * 1000000L } };

	ph->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ph->tick_fd < 0 || timerfd_settime(ph->tick_fd, 0, &its, NULL) < 0)
		return -errno;
	return loop_fd_alloc(&ph->tick, ph->root, ph->tick_fd, on_tick, ph);
}

/* Port 0: find a port free for both UDP and TCP, since nua binds both and
 * gives no easy way to read back a kernel-chosen one. */
static int pick_port(const char *addr)
{
	for (int tries = 0; tries < 20; tries++) {
		struct sockaddr_storage ss;
		int u, t, port = -1;

		if (netaddr_parse(addr, &ss))
			return -EINVAL;
		u = netaddr_udp_bind(&ss, 0, &port);
		t = socket(ss.ss_family, SOCK_STREAM, 0);
		netaddr_set_port(&ss, port);
		if (u < 0 || t < 0 || bind(t, (struct sockaddr *)&ss, netaddr_len(&ss)))
			port = -1;
		if (u >= 0)
			close(u);
		if (t >= 0)
			close(t);
		if (port > 0)
			return port;
	}
	return -EADDRINUSE;
}

static long parse_sec(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || v < 0) {
		fprintf(stderr, "sipgw-phone: bad time '%s'\n", s);
		exit(2);
	}
	return lround(v * 1000);
}

static long parse_ms(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0) {
		fprintf(stderr, "sipgw-phone: bad time in ms '%s'\n", s);
		exit(2);
	}
	return v;
}

static void add_target(struct phone_opts *o, const char *uri, const char *number)
{
	if (o->n_targets == PHONE_MAX_TARGETS) {
		fprintf(stderr, "sipgw-phone: more than %d --call/--dial\n", PHONE_MAX_TARGETS);
		exit(2);
	}
	o->targets[o->n_targets++] = (struct phone_target){ .uri = uri, .number = number };
}

/* --auth USER:PASSWORD; the password may hold ':'. */
static void parse_auth(struct phone_opts *o, char *s)
{
	char *colon = strchr(s, ':');

	if (!colon || colon == s) {
		fprintf(stderr, "sipgw-phone: bad --auth '%s' (USER:PASSWORD)\n", s);
		exit(2);
	}
	*colon = '\0';
	o->auth_user = s;
	o->auth_pass = colon + 1;
}

static const char *parse_proxy(const char *opt, const char *uri)
{
	if (proute_check_uri(uri) < 0) {
		fprintf(stderr, "sipgw-phone: bad %s '%s' (sip:HOST[:PORT])\n", opt, uri);
		exit(2);
	}
	return uri;
}

static int parse_codecs(struct phone_opts *o, const char *s)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	o->n_codecs = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const struct codec_desc *d = pmedia_codec_by_name(t);

		if (o->n_codecs == PHONE_MAX_CODECS || !d)
			return -EINVAL;
		o->codecs[o->n_codecs++] = d;
	}
	return o->n_codecs ? 0 : -EINVAL;
}

static void usage(FILE *f)
{
	fputs("usage: sipgw-phone [options]\n"
	      "  --bind ADDR            SIP and RTP address, IPv4 or IPv6 (\"::1\" or \"[::1]\")\n"
      "                         (127.0.0.1)\n"
	      "  --port N               SIP port, 0 = any free (0)\n"
	      "  --user NAME            our user part (phone)\n"
	      "answering:\n"
	      "  --answer-after SEC     200 OK after SEC (0)\n"
	      "  --no-ringing           no 180 Ringing\n"
	      "  --early-media          183 Session Progress with SDP first\n"
	      "  --ring-forever         never answer\n"
	      "  --reject STATUS        answer with this final status\n"
	      "  --reject-reason CAUSE  add Reason: Q.850;cause=CAUSE\n"
	      "  --codec LIST           codecs offered and taken, preferred first (pcmu,pcma):\n"
	      "                         pcmu, pcma, g722, gsm, opus (SDP or config names);\n"
	      "                         prints 'AUDIO codec NAME/CLOCK ptime MS' when chosen\n"
	      "                         and 'AUDIO rx codec NAME/CLOCK ptime MS' as packets\n"
	      "                         change (--codecs: the same)\n"
	      "  --ptime MS             10, 20, 30, 40 or 60 ms of audio per packet we send,\n"
	      "                         and our a=ptime (20)\n"
	      "calling (--call and --dial may repeat: one call after another):\n"
	      "  --call URI --from NUMBER --display NAME\n"
	      "  --dial NUMBER          INVITE sip:NUMBER@PROXY;user=phone via the proxy\n"
	      "                         the dial template routes to (needs --proxy)\n"
	      "  --proxy URI            primary proxy, sip:HOST:PORT\n"
	      "  --backup-proxy URI     used when the primary times out (408) or answers\n"
	      "                         503; later --dial go straight to it\n"
	      "  --emergency-proxy URI  for numbers whose template has Route=\"emergency\"\n"
	      "  --proxy-tries N        INVITE transmissions to the primary before the\n"
	      "                         backup (7; RFC 3261 Timer B = T1 << (N-1))\n"
	      "  --t1 MS                SIP timer T1 in milliseconds (500)\n"
	      "  --dial-template FILE   Cisco dialplan.xml: <DIALTEMPLATE> of <TEMPLATE\n"
	      "                         MATCH= Timeout= User=Phone|IP Route=default|\n"
	      "                         emergency|fqdn/>; first match in file order wins.\n"
	      "                         MATCH: '.' any one character, a final '*' any\n"
	      "                         rest (also none), ',' ignored, others themselves\n"
	      "  --auth USER:PASSWORD   answer one 401/407 per request (digest)\n"
	      "registering (calls are placed after the first 200; if it fails they\n"
	      "are not, and the phone exits 1):\n"
	      "  --register URI         REGISTER sip:USER@HOST-of-URI, Contact\n"
	      "                         sip:USER@BIND:PORT; nua refreshes it\n"
	      "  --expires SEC          Expires asked for (3600)\n"
	      "  --unregister-at MS     un-REGISTER this long after start\n"
	      "after answer:\n"
	      "  --hangup-after SEC --hold-at SEC --unhold-at SEC --refresh-at SEC\n"
	      "  --cancel-after SEC     caller: CANCEL if not answered by then\n"
	      "  --hold-style null|sendonly|inactive (null)\n"
	      "session timers (RFC 4028; nua refreshes or sends BYE on its own):\n"
	      "  --session-expires SEC  ask for this interval (default: ask for none)\n"
	      "  --min-se SEC           Min-SE, smaller intervals get 422 (120)\n"
	      "  --no-session-timer     leave \"timer\" out of Supported\n"
	      "media:\n"
	      "  --tone HZ --dtmf DIGITS --detect HZ\n"
	      "  --dtmf-mode inband|rfc4733|info  how --dtmf goes (inband): tones in the\n"
	      "                         audio; RFC 4733 telephone-event packets (no tone,\n"
	      "                         the audio goes on); SIP INFO application/dtmf-relay\n"
	      "                         per digit, the next after the 200\n"
	      "  --dtmf-ms N            tone (event) length and gap, ms (100)\n"
	      "  --dtmf-after SEC       from the answer to the first digit (0)\n"
	      "  --no-telephone-event   offer and answer no telephone-event\n"
	      "  heard: AUDIO dtmf D inband|rfc4733|info, AUDIO dtmf-end D rfc4733|info ms=N\n"
	      "  (the event's final duration, INFO's Duration); sent: EVENT call N dtmf send D M\n"
	      "  --play FILE            raw 16-bit 8 kHz audio (tests/data/*.s16), looped\n"
	      "  --drop-every N         do not send every Nth RTP packet (a lossy network;\n"
	      "                         counted as sent, tx_dropped= in the STAT line)\n"
	      "fax (SpanDSP T.30; the sender hangs up at the end):\n"
	      "  --fax-send FILE | --fax-recv FILE   TIFF-F to send / to write\n"
	      "  --fax-mode g711|t38    g711 (default): T.30 on the RTP audio; t38: the\n"
	      "                         receiver re-INVITEs to m=image udptl t38, the\n"
	      "                         sender accepts; T.38 over UDPTL (redundancy 3).\n"
	      "                         A T.38 re-INVITE in g711 mode gets 488\n"
	      "  FAX call N send|recv pages=N result=ok|failed code=C rate=R ecm=E (text)\n"
	      "  EVENT call N t38 reinvite | t38 active|accepted version=V rate=R ec=EC |\n"
	      "  t38 refused STATUS[, fax on audio]\n"
	      "mid-call (Cisco figures B-3..B-13); --at may repeat, SEC from start:\n"
	      "  --at SEC:ACTION        hold[=null|sendonly|inactive][:N]  resume[:N]\n"
	      "                         call:URI (a second call; the first stays as it is)\n"
	      "                         switch:N (hold the current call, then resume N)\n"
	      "                         transfer:URI (blind REFER, Refer-To and Referred-By)\n"
	      "                         attended:N[,M] (REFER call M, default the current,\n"
	      "                         to call N's peer with ?Replaces= of call N)\n"
	      "                         conference (resume held calls, mix: 3-way)\n"
	      "                         codec:NAME (re-INVITE offering that codec alone)\n"
	      "                         hangup[:N]. The current call: the last answered,\n"
	      "                         dialled, resumed or switched to\n"
	      "  --answer-waiting       a second INVITE while talking: 180, hold the\n"
	      "                         first, then 200 (call waiting)\n"
	      "  --redirect-to URI[,URI...] answer INVITEs 302 (one Contact) or 300\n"
	      "                         (q=1.0, 0.9, ...); we follow 3xx in q order, and\n"
	      "                         --cancel-after is then each Contact's ring time\n"
	      "  --refuse-refer STATUS  answer REFER with STATUS (501, 405); a REFER\n"
	      "                         refused 501/405 falls back to BYE with Also\n"
	      "process:\n"
	      "  --exit-after-calls N --timeout SEC -q\n"
	      "new EVENT lines: auth challenge STATUS realm=REALM | registered expires=N\n"
	      "  contacts=K | register failed STATUS | unregistered | unregister failed\n"
	      "  STATUS | route emergency|backup NUMBER -> URI | failover primary ->\n"
	      "  backup after N tries\n"
	      "mid-call EVENT lines (call N ...):\n"
	      "  at ACTION [failed] | call N held | call N resumed | call N waiting,\n"
	      "  holding call M | conference calls=N,M | conference refused calls=..\n"
	      "  transferor: call N refer sent to=URI [replaces=call M] | refer\n"
	      "  accepted 202 | refer refused STATUS | notify sipfrag=S | transferred |\n"
	      "  transfer failed sipfrag=S | also to=URI\n"
	      "  transferee: call N refer received to=URI by=URI replaces=yes|no |\n"
	      "  notify sent sipfrag=S | transferred to call M | also to=URI\n"
	      "  target: call N referred-by USER@HOST | call N replaces call-id=ID |\n"
	      "  call N replaced by call M | call N replaces no such call (481)\n"
	      "  redirects: call N redirect status=S contacts=LIST | call N\n"
	      "  redirected status=S to=URI (S: the 3xx, or the failure of a try)\n", f);
}

static void check_args(const struct phone_opts *o)
{
	char err[80] = "";

	if (o->proxy_tries < 1 || o->proxy_tries > PHONE_PROXY_TRIES_MAX)
		snprintf(err, sizeof(err), "--proxy-tries must be 1..%d", PHONE_PROXY_TRIES_MAX);
	else if (o->t1_ms < 1 || o->t1_ms > PHONE_T1_MAX_MS)
		snprintf(err, sizeof(err), "--t1 must be 1..%d ms", PHONE_T1_MAX_MS);
	else if (o->expires_s < 1)
		snprintf(err, sizeof(err), "--expires must be at least 1");
	else if (o->drop_every < 0 || o->drop_every == 1)
		snprintf(err, sizeof(err), "--drop-every must be 2 or more");
	else if (o->unregister_at_ms >= 0 && !o->register_uri)
		snprintf(err, sizeof(err), "--unregister-at needs --register");
	else if (o->fax_send && o->fax_recv)
		snprintf(err, sizeof(err), "--fax-send or --fax-recv, not both");
	for (int i = 0; !err[0] && i < o->n_targets; i++)
		if (o->targets[i].number && !o->proxy)
			snprintf(err, sizeof(err), "--dial needs --proxy");
	if (err[0]) {
		fprintf(stderr, "sipgw-phone: %s\n", err);
		exit(2);
	}
}

static void parse_args(struct phone_opts *o, int argc, char **argv)
{
	enum { O_BIND = 256, O_PORT, O_USER, O_ANSWER, O_NORING, O_EARLY, O_FOREVER, O_REJECT,
	       O_REASON, O_CODECS, O_PTIME, O_HANGUP, O_HOLD, O_UNHOLD, O_REFRESH, O_CANCEL, O_HSTYLE, O_TONE, O_PLAY, O_DTMF,
	       O_DETECT, O_CALL, O_FROM, O_DISPLAY, O_EXITN, O_TIMEOUT, O_AUTH, O_REGISTER, O_EXPIRES,
	       O_UNREGISTER, O_PROXY, O_BACKUP, O_EMERGENCY, O_TRIES, O_T1, O_DIAL, O_TEMPLATE,
	       O_SE, O_MINSE, O_NOST, O_PRIVACY, O_PAI, O_HEADER, O_AT, O_WAITING, O_REDIRECT,
	       O_REFUSE_REFER, O_DTMF_MODE, O_DTMF_MS, O_DTMF_AFTER, O_NO_TE, O_DROP, O_FAX_SEND, O_FAX_RECV,
	       O_FAX_MODE };
	static const struct option lopts[] = {
		{ "bind", 1, NULL, O_BIND }, { "port", 1, NULL, O_PORT },
		{ "user", 1, NULL, O_USER }, { "answer-after", 1, NULL, O_ANSWER },
		{ "no-ringing", 0, NULL, O_NORING }, { "early-media", 0, NULL, O_EARLY },
		{ "ring-forever", 0, NULL, O_FOREVER }, { "reject", 1, NULL, O_REJECT },
		{ "reject-reason", 1, NULL, O_REASON }, { "codecs", 1, NULL, O_CODECS },
		{ "codec", 1, NULL, O_CODECS }, { "ptime", 1, NULL, O_PTIME },
		{ "hangup-after", 1, NULL, O_HANGUP }, { "hold-at", 1, NULL, O_HOLD },
		{ "unhold-at", 1, NULL, O_UNHOLD }, { "refresh-at", 1, NULL, O_REFRESH }, { "cancel-after", 1, NULL, O_CANCEL }, { "hold-style", 1, NULL, O_HSTYLE },
		{ "tone", 1, NULL, O_TONE }, { "dtmf", 1, NULL, O_DTMF },
		{ "dtmf-mode", 1, NULL, O_DTMF_MODE }, { "dtmf-ms", 1, NULL, O_DTMF_MS },
		{ "dtmf-after", 1, NULL, O_DTMF_AFTER }, { "no-telephone-event", 0, NULL, O_NO_TE },
		{ "play", 1, NULL, O_PLAY },
		{ "detect", 1, NULL, O_DETECT }, { "call", 1, NULL, O_CALL },
		{ "from", 1, NULL, O_FROM }, { "display", 1, NULL, O_DISPLAY },
		{ "privacy", 1, NULL, O_PRIVACY }, { "pai", 1, NULL, O_PAI }, { "header", 1, NULL, O_HEADER },
		{ "exit-after-calls", 1, NULL, O_EXITN }, { "timeout", 1, NULL, O_TIMEOUT },
		{ "auth", 1, NULL, O_AUTH }, { "register", 1, NULL, O_REGISTER },
		{ "expires", 1, NULL, O_EXPIRES }, { "unregister-at", 1, NULL, O_UNREGISTER },
		{ "proxy", 1, NULL, O_PROXY }, { "backup-proxy", 1, NULL, O_BACKUP },
		{ "emergency-proxy", 1, NULL, O_EMERGENCY }, { "proxy-tries", 1, NULL, O_TRIES },
		{ "t1", 1, NULL, O_T1 }, { "dial", 1, NULL, O_DIAL },
		{ "dial-template", 1, NULL, O_TEMPLATE },
		{ "session-expires", 1, NULL, O_SE }, { "min-se", 1, NULL, O_MINSE },
		{ "no-session-timer", 0, NULL, O_NOST },
		{ "at", 1, NULL, O_AT }, { "answer-waiting", 0, NULL, O_WAITING },
		{ "redirect-to", 1, NULL, O_REDIRECT }, { "refuse-refer", 1, NULL, O_REFUSE_REFER },
		{ "drop-every", 1, NULL, O_DROP },
		{ "fax-send", 1, NULL, O_FAX_SEND }, { "fax-recv", 1, NULL, O_FAX_RECV },
		{ "fax-mode", 1, NULL, O_FAX_MODE },
		{ "quiet", 0, NULL, 'q' }, { "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	static char bind_buf[NETADDR_STRLEN];
	int c;

	*o = (struct phone_opts){
		.bind_addr = "127.0.0.1", .user = "phone", .ringing = 1,
		.n_codecs = 2, .ptime = 20,
		.hangup_after_ms = -1, .hold_at_ms = -1, .unhold_at_ms = -1, .refresh_at_ms = -1, .cancel_after_ms = -1,
		.hold_dir = SDP_SENDRECV, .hold_null = 1, .timeout_ms = -1,
		.expires_s = PHONE_EXPIRES_S, .unregister_at_ms = -1,
		.proxy_tries = PHONE_PROXY_TRIES, .t1_ms = PHONE_T1_MS,
		.session_expires_s = -1, .min_se_s = -1,
		.dtmf_mode = PDTMF_INBAND, .dtmf_ms = SIM_DTMF_MS_DEFAULT,
	};
	o->codecs[0] = pmedia_codec_by_name("pcmu");
	o->codecs[1] = pmedia_codec_by_name("pcma");
	while ((c = getopt_long(argc, argv, "qh", lopts, NULL)) != -1) {
		switch (c) {
		case O_BIND:	/* "::1" or "[::1]", kept bare (sip/sip_addr.h brackets it) */
			if (netaddr_bare(optarg, bind_buf, sizeof(bind_buf))) {
				fprintf(stderr, "sipgw-phone: --bind %s: not an IPv4 or IPv6 address\n", optarg);
				exit(2);
			}
			o->bind_addr = bind_buf;
			break;
		case O_PORT: o->port = atoi(optarg); break;
		case O_USER: o->user = optarg; break;
		case O_ANSWER: o->answer_after_ms = parse_sec(optarg); break;
		case O_NORING: o->ringing = 0; break;
		case O_EARLY: o->early_media = 1; break;
		case O_FOREVER: o->ring_forever = 1; break;
		case O_REJECT: o->reject_status = atoi(optarg); break;
		case O_REASON: o->reject_cause = atoi(optarg); break;
		case O_CODECS:
			if (parse_codecs(o, optarg)) {
				fprintf(stderr, "sipgw-phone: bad --codec '%s'\n", optarg);
				exit(2);
			}
			break;
		case O_PTIME:
			o->ptime = atoi(optarg);
			if (o->ptime != 10 && o->ptime != 20 && o->ptime != 30 && o->ptime != 40 &&
			    o->ptime != 60) {
				fprintf(stderr, "sipgw-phone: bad --ptime '%s' (10, 20, 30, 40, 60)\n", optarg);
				exit(2);
			}
			break;
		case O_HANGUP: o->hangup_after_ms = parse_sec(optarg); break;
		case O_HOLD: o->hold_at_ms = parse_sec(optarg); break;
		case O_UNHOLD: o->unhold_at_ms = parse_sec(optarg); break;
		case O_REFRESH: o->refresh_at_ms = parse_sec(optarg); break;
		case O_CANCEL: o->cancel_after_ms = parse_sec(optarg); break;
		case O_HSTYLE:
			if (!strcmp(optarg, "null")) {
				o->hold_null = 1, o->hold_dir = SDP_SENDRECV;
			} else if (!strcmp(optarg, "sendonly")) {
				o->hold_null = 0, o->hold_dir = SDP_SENDONLY;
			} else if (!strcmp(optarg, "inactive")) {
				o->hold_null = 0, o->hold_dir = SDP_INACTIVE;
			} else {
				fprintf(stderr, "sipgw-phone: bad --hold-style '%s'\n", optarg);
				exit(2);
			}
			break;
		case O_TONE: o->tone_hz = atoi(optarg); break;
		case O_PLAY: o->play = optarg; break;
		case O_DTMF:
			if (!sim_dtmf_valid_str(optarg)) {
				fprintf(stderr, "sipgw-phone: bad --dtmf '%s' (0-9 * # A-D)\n", optarg);
				exit(2);
			}
			o->dtmf = optarg;
			break;
		case O_DTMF_MODE:
			if (pdtmf_parse_mode(optarg, &o->dtmf_mode) < 0) {
				fprintf(stderr, "sipgw-phone: bad --dtmf-mode '%s'\n", optarg);
				exit(2);
			}
			break;
		case O_DTMF_MS:
			if (sim_dtmf_parse_ms(optarg, &o->dtmf_ms) < 0) {
				fprintf(stderr, "sipgw-phone: --dtmf-ms must be %d..%d\n", SIM_DTMF_MS_MIN,
					SIM_DTMF_MS_MAX);
				exit(2);
			}
			break;
		case O_DTMF_AFTER: o->dtmf_after_ms = parse_sec(optarg); break;
		case O_NO_TE: o->no_te = 1; break;
		case O_DETECT: o->detect_hz = atoi(optarg); break;
		case O_DROP: o->drop_every = atoi(optarg); break;
		case O_CALL: add_target(o, optarg, NULL); break;
		case O_DIAL: add_target(o, NULL, optarg); break;
		case O_AUTH: parse_auth(o, optarg); break;
		case O_REGISTER: o->register_uri = parse_proxy("--register", optarg); break;
		case O_EXPIRES: o->expires_s = atoi(optarg); break;
		case O_UNREGISTER: o->unregister_at_ms = parse_ms(optarg); break;
		case O_PROXY: o->proxy = parse_proxy("--proxy", optarg); break;
		case O_BACKUP: o->backup_proxy = parse_proxy("--backup-proxy", optarg); break;
		case O_EMERGENCY: o->emergency_proxy = parse_proxy("--emergency-proxy", optarg); break;
		case O_TRIES: o->proxy_tries = atoi(optarg); break;
		case O_T1: o->t1_ms = parse_ms(optarg); break;
		case O_TEMPLATE: o->dial_template = optarg; break;
		case O_SE: o->session_expires_s = parse_sec(optarg) / 1000; break;
		case O_MINSE: o->min_se_s = parse_sec(optarg) / 1000; break;
		case O_NOST: o->no_session_timer = 1; break;
		case O_AT:
			if (pmid_parse_at(o, optarg) < 0)
				exit(2);
			break;
		case O_WAITING: o->answer_waiting = 1; break;
		case O_REDIRECT: o->redirect_to = optarg; break;
		case O_REFUSE_REFER: o->refuse_refer = atoi(optarg); break;
		case O_FAX_SEND: o->fax_send = optarg; break;
		case O_FAX_RECV: o->fax_recv = optarg; break;
		case O_FAX_MODE:
			if (strcmp(optarg, "g711") && strcmp(optarg, "t38")) {
				fprintf(stderr, "sipgw-phone: bad --fax-mode '%s' (g711|t38)\n", optarg);
				exit(2);
			}
			o->fax_t38 = !strcmp(optarg, "t38");
			break;
		case O_FROM: o->from = optarg; break;
		case O_PRIVACY: o->privacy = optarg; break;
		case O_PAI: o->pai = optarg; break;
		case O_HEADER: o->header = optarg; break;
		case O_DISPLAY: o->display = optarg; break;
		case O_EXITN: o->exit_after_calls = atoi(optarg); break;
		case O_TIMEOUT: o->timeout_ms = parse_sec(optarg); break;
		case 'q': o->quiet = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc ||
	    (o->reject_status && (o->reject_status < 300 || o->reject_status > 699)) ||
	    (o->refuse_refer && (o->refuse_refer < 400 || o->refuse_refer > 699))) {
		usage(stderr);
		exit(2);
	}
	check_args(o);
}

/* RFC 3261 17.1.1.2: Timer A starts at T1 and doubles with no T2 cap for
 * INVITE, so transmission k (from 1) leaves at (2^(k-1) - 1) * T1. Timer B
 * at 2^(N-1) * T1 comes one T1 after the Nth (N = 7: RFC 3261's 64 * T1).
 * With N = 1 the first retransmission is due at T1 itself, so Timer B goes
 * half a T1 after the INVITE. */
static unsigned timer_b_ms(const struct phone_opts *o)
{
	unsigned long long b = o->proxy_tries > 1 ? (unsigned long long)o->t1_ms << (o->proxy_tries - 1)
						  : ((unsigned long long)o->t1_ms + 1) / 2;

	return b < INT32_MAX ? (unsigned)b : INT32_MAX;	/* nta caps it further */
}

int main(int argc, char **argv)
{
	struct phone ph = { .next_call_id = 1, .dial_route = PROUTE_PRIMARY, .tick_fd = -1 };
	char url[128];
	int rc = 1;

	parse_args(&ph.o, argc, argv);
	if (ph.o.dial_template && ptmpl_load(&ph.plan, ph.o.dial_template) < 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	ph.sip_port = ph.o.port ? ph.o.port : pick_port(ph.o.bind_addr);
	if (ph.sip_port < 0) {
		fprintf(stderr, "sipgw-phone: no free port\n");
		return 1;
	}
	/* Before the agent exists: tport reads TPORT_LOG when it opens. */
	sip_trace_enable(on_trace, &ph);
	su_init();
	ph.root = su_root_create(&ph);
	if (!ph.root)
		goto out;
	/* Stack and application on one loop, one thread (DESIGN.md). */
	su_root_threading(ph.root, 0);
	sip_addr_listen_url(url, sizeof(url), ph.o.bind_addr, ph.sip_port);	/* [v6] */
	ph.nua = nua_create(ph.root, pcall_nua_cb, &ph,
			    NUTAG_URL(url),
			    NUTAG_MEDIA_ENABLE(0),
			    NUTAG_AUTOANSWER(0),
			    NUTAG_AUTOALERT(0),
			    NUTAG_AUTOACK(1),
			    NUTAG_ENABLEINVITE(1),
			    NTATAG_SIP_T1((unsigned)ph.o.t1_ms),
			    NTATAG_SIP_T1X64(timer_b_ms(&ph.o)),
			    SIPTAG_USER_AGENT_STR("sipgw-phone"),
			    TAG_IF(ph.o.session_expires_s >= 0, NUTAG_SESSION_TIMER((unsigned)ph.o.session_expires_s)),
			    TAG_IF(ph.o.min_se_s >= 0, NUTAG_MIN_SE((unsigned)ph.o.min_se_s)),
			    TAG_IF(ph.o.no_session_timer, SIPTAG_SUPPORTED_STR("100rel")),
			    /* INFO is ours to answer (phone_dtmf.c: 400 for a bad DTMF body);
			     * with --refuse-refer, REFER too (phone_xfer.c) */
			    NUTAG_APPL_METHOD(ph.o.refuse_refer ? "INFO, REFER" : "INFO"),
			    NUTAG_ALLOW("INFO"),	/* not in nua's default Allow (405 otherwise) */
			    TAG_END());
	if (!ph.nua) {
		fprintf(stderr, "sipgw-phone: cannot listen on %s\n", url);
		goto out;
	}
	ph.deadline = su_timer_create(su_root_task(ph.root), 0);
	if ((rc = tick_start(&ph)) < 0) {
		fprintf(stderr, "sipgw-phone: media clock: %s\n", strerror(-rc));
		rc = 1;
		goto out;
	}
	if (ph.o.timeout_ms >= 0)
		su_timer_set_at(ph.deadline, on_deadline, NULL, su_time_add(su_now(), ph.o.timeout_ms));
	phone_out(&ph, "EVENT", "ready port=%d", ph.sip_port);
	ph.started = su_now();
	pmid_start(&ph);

	/* With --register the calls wait for the first 200 (phone_reg.c). */
	if (!ph.o.register_uri)
		phone_start_dialling(&ph);
	else if (preg_alloc(&ph.reg, &ph) < 0)
		phone_exit(&ph, 1);
	su_root_run(ph.root);
	rc = ph.exit_status;
out:
	pmid_stop(&ph);
	pcall_free_all(&ph);
	preg_free(ph.reg);
	ptmpl_free(ph.plan);
	if (ph.nua)
		nua_destroy(ph.nua);
	loop_fd_free(ph.tick);
	if (ph.tick_fd >= 0)
		close(ph.tick_fd);
	su_timer_destroy(ph.deadline);
	if (ph.root)
		su_root_destroy(ph.root);
	su_deinit();
	return rc;
}
