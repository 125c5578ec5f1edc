/* sipgw - phone simulator: command line, output lines, the loop and its end.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone.h"

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
#include <unistd.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>

#include "core/log.h"
#include "dsp/g711.h"
#include "sip/sip_trace.h"

#define PHONE_TICK_MS 20		/* one G.711 frame */
#define PHONE_SHUTDOWN_GUARD_MS 3000	/* give nua_shutdown() this long */
#define PHONE_LINGER_MS 250		/* after the last call: let its ACK arrive (RFC 3261 17.2.1) */

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

void phone_call_ended(struct phone *ph)
{
	ph->calls_ended++;
	if (ph->phase == PH_RELEASING && !ph->calls) {
		phone_shutdown(ph);
		return;
	}
	/* nua ends a rejected call when it sends the final response; the ACK
	 * comes later and would meet a closed port without this pause. */
	if (ph->phase == PH_RUNNING && ph->o.exit_after_calls &&
	    ph->calls_ended == ph->o.exit_after_calls)
		su_timer_set_at(ph->deadline, on_linger, NULL, su_time_add(su_now(), PHONE_LINGER_MS));
}

static void on_tick(struct phone *ph, su_timer_t *t, struct pcall *unused)
{
	su_time_t now = su_now();

	ph->tick_at = su_time_add(ph->tick_at, PHONE_TICK_MS);
	if (su_time_cmp(ph->tick_at, now) < 0 && su_duration(now, ph->tick_at) > 5 * PHONE_TICK_MS)
		ph->tick_at = su_time_add(now, PHONE_TICK_MS);	/* fell far behind: resync */
	su_timer_set_at(t, on_tick, NULL, ph->tick_at);
	if (got_signal && ph->phase == PH_RUNNING) {
		fprintf(stderr, "sipgw-phone: signal %d, hanging up\n", (int)got_signal);
		phone_exit(ph, 0);
	}
	pcall_tick_all(ph);
}

/* Port 0: find a port free for both UDP and TCP, since nua binds both and
 * gives no easy way to read back a kernel-chosen one. */
static int pick_port(const char *addr)
{
	for (int tries = 0; tries < 20; tries++) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		socklen_t sl = sizeof(sin);
		int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0), port = -1;

		inet_pton(AF_INET, addr, &sin.sin_addr);
		if (u >= 0 && t >= 0 && !bind(u, (struct sockaddr *)&sin, sizeof(sin)) &&
		    !getsockname(u, (struct sockaddr *)&sin, &sl) &&
		    !bind(t, (struct sockaddr *)&sin, sizeof(sin)))
			port = ntohs(sin.sin_port);
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

static int parse_codecs(struct phone_opts *o, const char *s)
{
	char buf[64], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	o->n_codecs = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (o->n_codecs == PHONE_MAX_CODECS)
			return -EINVAL;
		if (!strcasecmp(t, "pcmu"))
			o->codecs[o->n_codecs++] = RTP_PT_PCMU;
		else if (!strcasecmp(t, "pcma"))
			o->codecs[o->n_codecs++] = RTP_PT_PCMA;
		else
			return -EINVAL;
	}
	return o->n_codecs ? 0 : -EINVAL;
}

static void usage(FILE *f)
{
	fputs("usage: sipgw-phone [options]\n"
	      "  --bind ADDR            SIP and RTP address (127.0.0.1)\n"
	      "  --port N               SIP port, 0 = any free (0)\n"
	      "  --user NAME            our user part (phone)\n"
	      "answering:\n"
	      "  --answer-after SEC     200 OK after SEC (0)\n"
	      "  --no-ringing           no 180 Ringing\n"
	      "  --early-media          183 Session Progress with SDP first\n"
	      "  --ring-forever         never answer\n"
	      "  --reject STATUS        answer with this final status\n"
	      "  --reject-reason CAUSE  add Reason: Q.850;cause=CAUSE\n"
	      "  --codecs LIST          pcmu,pcma in order of preference\n"
	      "calling:\n"
	      "  --call URI --from NUMBER --display NAME\n"
	      "after answer:\n"
	      "  --hangup-after SEC --hold-at SEC --unhold-at SEC --refresh-at SEC\n"
	      "  --cancel-after SEC     caller: CANCEL if not answered by then\n"
	      "  --hold-style null|sendonly|inactive (null)\n"
	      "media:\n"
	      "  --tone HZ --dtmf DIGITS --detect HZ\n"
	      "process:\n"
	      "  --exit-after-calls N --timeout SEC -q\n", f);
}

static void parse_args(struct phone_opts *o, int argc, char **argv)
{
	enum { O_BIND = 256, O_PORT, O_USER, O_ANSWER, O_NORING, O_EARLY, O_FOREVER, O_REJECT,
	       O_REASON, O_CODECS, O_HANGUP, O_HOLD, O_UNHOLD, O_REFRESH, O_CANCEL, O_HSTYLE, O_TONE, O_DTMF,
	       O_DETECT, O_CALL, O_FROM, O_DISPLAY, O_EXITN, O_TIMEOUT };
	static const struct option lopts[] = {
		{ "bind", 1, NULL, O_BIND }, { "port", 1, NULL, O_PORT },
		{ "user", 1, NULL, O_USER }, { "answer-after", 1, NULL, O_ANSWER },
		{ "no-ringing", 0, NULL, O_NORING }, { "early-media", 0, NULL, O_EARLY },
		{ "ring-forever", 0, NULL, O_FOREVER }, { "reject", 1, NULL, O_REJECT },
		{ "reject-reason", 1, NULL, O_REASON }, { "codecs", 1, NULL, O_CODECS },
		{ "hangup-after", 1, NULL, O_HANGUP }, { "hold-at", 1, NULL, O_HOLD },
		{ "unhold-at", 1, NULL, O_UNHOLD }, { "refresh-at", 1, NULL, O_REFRESH }, { "cancel-after", 1, NULL, O_CANCEL }, { "hold-style", 1, NULL, O_HSTYLE },
		{ "tone", 1, NULL, O_TONE }, { "dtmf", 1, NULL, O_DTMF },
		{ "detect", 1, NULL, O_DETECT }, { "call", 1, NULL, O_CALL },
		{ "from", 1, NULL, O_FROM }, { "display", 1, NULL, O_DISPLAY },
		{ "exit-after-calls", 1, NULL, O_EXITN }, { "timeout", 1, NULL, O_TIMEOUT },
		{ "quiet", 0, NULL, 'q' }, { "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct phone_opts){
		.bind_addr = "127.0.0.1", .user = "phone", .ringing = 1,
		.codecs = { RTP_PT_PCMU, RTP_PT_PCMA }, .n_codecs = 2,
		.hangup_after_ms = -1, .hold_at_ms = -1, .unhold_at_ms = -1, .refresh_at_ms = -1, .cancel_after_ms = -1,
		.hold_dir = SDP_SENDRECV, .hold_null = 1, .timeout_ms = -1,
	};
	while ((c = getopt_long(argc, argv, "qh", lopts, NULL)) != -1) {
		switch (c) {
		case O_BIND: o->bind_addr = optarg; break;
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
				fprintf(stderr, "sipgw-phone: bad --codecs '%s'\n", optarg);
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
		case O_DTMF: o->dtmf = optarg; break;
		case O_DETECT: o->detect_hz = atoi(optarg); break;
		case O_CALL: o->call_uri = optarg; break;
		case O_FROM: o->from = optarg; break;
		case O_DISPLAY: o->display = optarg; break;
		case O_EXITN: o->exit_after_calls = atoi(optarg); break;
		case O_TIMEOUT: o->timeout_ms = parse_sec(optarg); break;
		case 'q': o->quiet = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc || (o->reject_status && (o->reject_status < 300 || o->reject_status > 699))) {
		usage(stderr);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct phone ph = { .next_call_id = 1 };
	char url[128];
	int rc = 1;

	parse_args(&ph.o, argc, argv);
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
	snprintf(url, sizeof(url), "sip:%s:%d", ph.o.bind_addr, ph.sip_port);
	ph.nua = nua_create(ph.root, pcall_nua_cb, &ph,
			    NUTAG_URL(url),
			    NUTAG_MEDIA_ENABLE(0),
			    NUTAG_AUTOANSWER(0),
			    NUTAG_AUTOALERT(0),
			    NUTAG_AUTOACK(1),
			    NUTAG_ENABLEINVITE(1),
			    SIPTAG_USER_AGENT_STR("sipgw-phone"),
			    TAG_END());
	if (!ph.nua) {
		fprintf(stderr, "sipgw-phone: cannot listen on %s\n", url);
		goto out;
	}
	ph.tick = su_timer_create(su_root_task(ph.root), PHONE_TICK_MS);
	ph.deadline = su_timer_create(su_root_task(ph.root), 0);
	ph.tick_at = su_time_add(su_now(), PHONE_TICK_MS);
	su_timer_set_at(ph.tick, on_tick, NULL, ph.tick_at);
	if (ph.o.timeout_ms >= 0)
		su_timer_set_at(ph.deadline, on_deadline, NULL, su_time_add(su_now(), ph.o.timeout_ms));
	phone_out(&ph, "EVENT", "ready port=%d", ph.sip_port);

	if (ph.o.call_uri && pcall_dial(&ph) < 0)
		phone_exit(&ph, 1);
	su_root_run(ph.root);
	rc = ph.exit_status;
out:
	pcall_free_all(&ph);
	if (ph.nua)
		nua_destroy(ph.nua);
	su_timer_destroy(ph.tick);
	su_timer_destroy(ph.deadline);
	if (ph.root)
		su_root_destroy(ph.root);
	su_deinit();
	return rc;
}
