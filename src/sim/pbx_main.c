/* sipgw - PBX simulator: command line, output lines, main.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "pbx.h"

#include <errno.h>
#include <getopt.h>
#include <libpri.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "q931/q931_pcap.h"
#include "sim/sim_dtmf.h"

static const char *const kind_names[] = {
	[PBX_Q931] = "Q931", [PBX_AUDIO] = "AUDIO", [PBX_EVENT] = "EVENT", [PBX_STAT] = "STAT",
	[PBX_FAX] = "FAX",
};

void pbx_out(struct pbx *p, enum pbx_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (p->opt.quiet && (kind == PBX_Q931 || kind == PBX_AUDIO))
		return;
	printf("%lld %s ", mono_ms(), kind_names[kind]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Name tables: the command line speaks names, libpri numbers. */
/* Q.931 4.5.8 type of number, E.164 plan */
static const struct { const char *name; int val; } ton_names[] = {
	{ "unknown", PRI_UNKNOWN }, { "international", PRI_INTERNATIONAL_ISDN },
	{ "national", PRI_NATIONAL_ISDN }, { "subscriber", PRI_LOCAL_ISDN },
};

/* Q.952 redirecting reasons */
static const struct { const char *name; int val; } redirect_names[] = {
	{ "unknown", PRI_REDIR_UNKNOWN }, { "busy", PRI_REDIR_FORWARD_ON_BUSY },
	{ "no-reply", PRI_REDIR_FORWARD_ON_NO_REPLY }, { "deflection", PRI_REDIR_DEFLECTION },
	{ "unconditional", PRI_REDIR_UNCONDITIONAL },
};

static const struct { const char *name; int val; } switch_names[] = {
	{ "ni2", PRI_SWITCH_NI2 }, { "euroisdn", PRI_SWITCH_EUROISDN_E1 },
	{ "euroisdn_e1", PRI_SWITCH_EUROISDN_E1 }, { "euroisdn_t1", PRI_SWITCH_EUROISDN_T1 },
	{ "ni1", PRI_SWITCH_NI1 }, { "dms100", PRI_SWITCH_DMS100 }, { "5ess", PRI_SWITCH_LUCENT5E },
	{ "4ess", PRI_SWITCH_ATT4ESS }, { "qsig", PRI_SWITCH_QSIG },
};

static const struct { const char *name; int val; } role_names[] = {
	{ "cpe", PRI_CPE }, { "network", PRI_NETWORK },
};

#define LOOKUP(tbl, s, outp) ({ int _rc = -EINVAL; \
	for (size_t _i = 0; _i < sizeof(tbl) / sizeof(tbl[0]); _i++) \
		if (!strcmp(tbl[_i].name, s)) { *(outp) = tbl[_i].val; _rc = 0; } \
	_rc; })

enum {
	OPT_ROLE = 256, OPT_SWITCH, OPT_FRAMING, OPT_CALL, OPT_CALLING, OPT_NAME, OPT_COUNT,
	OPT_CONC, OPT_HANGUP_AFTER, OPT_CANCEL_AFTER, OPT_CAUSE, OPT_ANSWER_AFTER, OPT_REJECT,
	OPT_NO_ANSWER, OPT_INBAND, OPT_TONE, OPT_DTMF, OPT_DETECT, OPT_EXIT_DONE, OPT_TIMEOUT,
	OPT_STATS, OPT_HELP, OPT_PREFERRED, OPT_GLARE, OPT_RECONNECT, OPT_NO_RESTART_WAIT,
	OPT_SEND_EMPTY_AT, OPT_FLOOD_BAD_B, OPT_FLOOD_AT, OPT_RESTART_AT, OPT_HOLD_AT, OPT_RETRIEVE_AT, OPT_OVERLAP, OPT_COLLECT, OPT_OOS, OPT_INS_AFTER, OPT_CALLS_IN, OPT_CALLING_TON, OPT_RESTRICTED, OPT_REDIRECTING, OPT_REDIR_REASON, OPT_PCAP,
	OPT_NFAS, OPT_CALL_IFACE, OPT_DROP_DCHAN_AT, OPT_SWITCH_TRANSFER, OPT_FAX_SEND, OPT_FAX_RECV,
	OPT_DTMF_MODE, OPT_DTMF_MS, OPT_DTMF_AFTER, OPT_TONE_ANS, OPT_ECHO, OPT_DATA_CALL, OPT_SERVICE_MSGS,
};

static const struct option long_opts[] = {
	{ "span", required_argument, NULL, 's' },
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "switch", required_argument, NULL, OPT_SWITCH },
	{ "framing", required_argument, NULL, OPT_FRAMING },
	{ "call", required_argument, NULL, OPT_CALL },
	{ "preferred", no_argument, NULL, OPT_PREFERRED },
	{ "glare", no_argument, NULL, OPT_GLARE },
	{ "calling", required_argument, NULL, OPT_CALLING },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "concurrency", required_argument, NULL, OPT_CONC },
	{ "hangup-after", required_argument, NULL, OPT_HANGUP_AFTER },
	{ "cancel-after", required_argument, NULL, OPT_CANCEL_AFTER },
	{ "cause", required_argument, NULL, OPT_CAUSE },
	{ "answer-after", required_argument, NULL, OPT_ANSWER_AFTER },
	{ "reject", required_argument, NULL, OPT_REJECT },
	{ "no-answer", no_argument, NULL, OPT_NO_ANSWER },
	{ "inband", no_argument, NULL, OPT_INBAND },
	{ "tone", required_argument, NULL, OPT_TONE },
	{ "dtmf", required_argument, NULL, OPT_DTMF },
	{ "dtmf-mode", required_argument, NULL, OPT_DTMF_MODE },
	{ "dtmf-ms", required_argument, NULL, OPT_DTMF_MS },
	{ "dtmf-after", required_argument, NULL, OPT_DTMF_AFTER },
	{ "detect", required_argument, NULL, OPT_DETECT },
	{ "tone-ans", no_argument, NULL, OPT_TONE_ANS },
	{ "data-call", no_argument, NULL, OPT_DATA_CALL },
	{ "echo", required_argument, NULL, OPT_ECHO },
	{ "exit-when-done", no_argument, NULL, OPT_EXIT_DONE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "reconnect", no_argument, NULL, OPT_RECONNECT },
	{ "no-restart-wait", no_argument, NULL, OPT_NO_RESTART_WAIT },
	{ "send-empty-at", required_argument, NULL, OPT_SEND_EMPTY_AT },
	{ "flood-bad-b", required_argument, NULL, OPT_FLOOD_BAD_B },
	{ "flood-at", required_argument, NULL, OPT_FLOOD_AT },
	{ "restart-at", required_argument, NULL, OPT_RESTART_AT },
	{ "hold-at", required_argument, NULL, OPT_HOLD_AT },
	{ "retrieve-at", required_argument, NULL, OPT_RETRIEVE_AT },
	{ "overlap", required_argument, NULL, OPT_OVERLAP },
	{ "collect", required_argument, NULL, OPT_COLLECT },
	{ "oos", required_argument, NULL, OPT_OOS },
	{ "service-messages", no_argument, NULL, OPT_SERVICE_MSGS },
	{ "ins-after-calls", required_argument, NULL, OPT_INS_AFTER },
	{ "calls-in", required_argument, NULL, OPT_CALLS_IN },
	{ "calling-ton", required_argument, NULL, OPT_CALLING_TON },
	{ "restricted", no_argument, NULL, OPT_RESTRICTED },
	{ "redirecting", required_argument, NULL, OPT_REDIRECTING },
	{ "redirect-reason", required_argument, NULL, OPT_REDIR_REASON },
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "nfas", required_argument, NULL, OPT_NFAS },
	{ "call-iface", required_argument, NULL, OPT_CALL_IFACE },
	{ "drop-dchan-at", required_argument, NULL, OPT_DROP_DCHAN_AT },
	{ "switch-transfer", no_argument, NULL, OPT_SWITCH_TRANSFER },
	{ "fax-send", required_argument, NULL, OPT_FAX_SEND },
	{ "fax-recv", required_argument, NULL, OPT_FAX_RECV },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fputs("usage: sipgw-pbx -s PATH | --nfas IFACE:PATH:ROLE...\n"
	      "  [--role network|cpe] [--framing t1|e1]\n"
	      "  [--switch ni2|ni1|dms100|5ess|4ess|euroisdn|euroisdn_e1|euroisdn_t1|qsig]\n"
	      "  place:  --call NUMBER [--calling NUMBER] [--name DISPLAY] [--count N] [--concurrency C]\n"
	      "          [--hangup-after SEC] [--cancel-after SEC] [--cause N]\n"
	      "          [--preferred]  B-channel preferred, not exclusive: the far end may pick another\n"
	      "          [--overlap N]  SETUP with the first N digits, no Sending Complete; the\n"
	      "          rest one per INFORMATION after SETUP ACKNOWLEDGE (Q.931 5.1.3)\n"
	      "  glare:  [--glare] cross the gateway's first SETUP with ours (to --call, default "
	      PBX_GLARE_NUMBER ")\n"
	      "          on the same B-channel, before answering it. As network: refuse the\n"
	      "          gateway's call with RELEASE COMPLETE cause 44; ours goes on. As cpe: wait\n"
	      "          for the gateway to refuse ours (cause 44) or move it (--preferred), then\n"
	      "          handle its call as usual. Further --count calls follow ours.\n"
	      "  ids:    [--calling-ton unknown|international|national|subscriber] [--restricted]\n"
	      "          [--redirecting NUMBER [--redirect-reason busy|no-reply|unconditional|deflection]]\n"
	      "  answer: [--answer-after SEC] [--reject CAUSE] [--no-answer] [--inband]\n"
	      "          [--collect N]  a SETUP without Sending Complete: SETUP ACKNOWLEDGE, then\n"
	      "          INFORMATION digits until the number has N (Q.931 5.2.4)\n"
	      "          [--calls-in N]  incoming calls to take before --exit-when-done (1)\n"
	      "  service: [--oos CHAN] SERVICE out of service for CHAN at D-channel up\n"
	      "          [--ins-after-calls N]  and back in service after N incoming calls\n"
	      "          [--service-messages]  take the gateway's SERVICE (busyout): EVENT service\n"
	      "          from gateway chan=N out|in\n"
	      "  media:  [--tone HZ] [--dtmf DIGITS] [--detect HZ | --detect HZ+HZ (a dual tone)]\n"
	      "          [--dtmf-mode inband|keypad]  --dtmf as tones on the B-channel (default), or\n"
	      "          one INFORMATION with Keypad facility per digit once connected\n"
	      "          [--dtmf-ms N]  tone and gap, ms (100); keypad: one digit each 2N ms\n"
	      "          [--dtmf-after SEC]  from cut-through (keypad: CONNECT) to the first digit (0)\n"
	      "          heard: AUDIO dtmf D inband|keypad ch=N; sent: EVENT call N dtmf send D MODE\n"
	      "          [--tone-ans]  2100 Hz with phase reversals (V.25 ANS/, a fax or modem answering)\n"
	      "          [--data-call]  the SETUP asks for 64 kbit/s unrestricted digital, not speech\n"
	      "          [--echo DB]  a 2-wire tail: what we hear comes back at ERL DB (G.168 D.2, 10 ms)\n"
	      "  fax:    [--fax-send FILE | --fax-recv FILE]  a T.30 fax terminal (SpanDSP) on\n"
	      "          each call's B-channel sends / receives a TIFF-F; at its end\n"
	      "          FAX call N send|recv pages=N result=ok|failed code=C rate=R ecm=E (text);\n"
	      "          the sender then clears the call\n"
	      "  xfer:   [--switch-transfer]  a FACILITY from the gateway on a call (its 2BCT, RLT,\n"
	      "          ECT request) is carried out: the calls are connected here and cleared\n"
	      "          towards the gateway, freeing its B-channels\n"
	      "  run:    [--exit-when-done] [--timeout SEC] [-q] [--stats]\n"
	      "          [--pcap FILE]  the D-channel's frames as pcap (LINUX_LAPD, Wireshark/tshark)\n"
	      "          [--reconnect]  when the gateway goes, connect again; our calls stay\n"
	      "          up, hanging, until the gateway RESTARTs their B-channels\n"
	      "          [--no-restart-wait]  place calls at D-channel up, without waiting\n"
	      "          (up to 1 s) for the gateway's RESTART of every B-channel\n"
	      "  odd:    times in SEC after the first call connects\n"
	      "          [--send-empty-at SEC]  one 0-byte datagram on the D and B sockets\n"
	      "          [--flood-bad-b N] [--flood-at SEC]  N malformed B-channel datagrams\n"
	      "          [--restart-at SEC]  RESTART our calls' B-channels and clear them\n"
	      "          [--hold-at SEC] [--retrieve-at SEC]  NOTIFY remote hold / remote\n"
	      "          retrieval for our connected calls (EuroISDN carries them); a NOTIFY\n"
	      "          from the gateway prints EVENT call N notify remote-hold|remote-retrieval\n"
	      "  nfas:   --nfas IFACE:PATH:ROLE  (1-4 times, instead of -s; T1 only) interface\n"
	      "          IFACE (0-31) is the span at PATH; ROLE primary|backup|none: its D-channel\n"
	      "          (exactly one primary, at most one backup). Channels carry the interface.\n"
	      "          [--call-iface N]  our calls ask for a channel there (the primary's)\n"
	      "          [--drop-dchan-at SEC]  close the primary D-channel for good SEC after the\n"
	      "          first call connects; the backup goes on, so do the calls\n"
	      "exit: 0 done, 1 error, 2 usage, 3 timeout\n", f);
}

static int parse_int(const char *s, int lo, int hi, int *outp)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*outp = (int)v;
	return 0;
}

static int parse_sec(const char *s, double *outp)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0)
		return -EINVAL;
	*outp = v;
	return 0;
}

static const struct { const char *name; int val; } dchan_role_names[] = {
	{ "primary", PBX_D_PRIMARY }, { "backup", PBX_D_BACKUP }, { "none", PBX_D_NONE },
};

/* --nfas IFACE:PATH:ROLE; PATH may hold ':' (the role is after the last). */
static int parse_nfas(struct pbx_opts *o, const char *arg)
{
	struct pbx_span_opt *sp;
	const char *c1 = strchr(arg, ':'), *c2 = strrchr(arg, ':');
	char num[16], *path;
	int role;

	if (o->n_spans == PBX_MAX_IFACE) {
		fprintf(stderr, "sipgw-pbx: --nfas: at most %d spans\n", PBX_MAX_IFACE);
		return -EINVAL;
	}
	sp = &o->spans[o->n_spans];
	if (!c1 || c1 == c2 || c2 == c1 + 1 || (size_t)(c1 - arg) >= sizeof(num)) {
		fprintf(stderr, "sipgw-pbx: --nfas %s: not IFACE:PATH:ROLE\n", arg);
		return -EINVAL;
	}
	snprintf(num, sizeof(num), "%.*s", (int)(c1 - arg), arg);
	if (parse_int(num, 0, 31, &sp->iface) < 0) {
		fprintf(stderr, "sipgw-pbx: --nfas %s: interface must be 0-31\n", arg);
		return -EINVAL;
	}
	if (LOOKUP(dchan_role_names, c2 + 1, &role) < 0) {
		fprintf(stderr, "sipgw-pbx: --nfas %s: role must be primary, backup or none\n", arg);
		return -EINVAL;
	}
	for (int i = 0; i < o->n_spans; i++) {
		if (o->spans[i].iface == sp->iface) {
			fprintf(stderr, "sipgw-pbx: --nfas: interface %d given twice\n", sp->iface);
			return -EINVAL;
		}
		if (role != PBX_D_NONE && o->spans[i].role == (enum pbx_dchan_role)role) {
			fprintf(stderr, "sipgw-pbx: --nfas: more than one %s D-channel\n", c2 + 1);
			return -EINVAL;
		}
	}
	/* the path lives as long as argv; cut it out of a copy of ours */
	path = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
	if (!path)
		return -ENOMEM;
	sp->path = path;
	sp->role = (enum pbx_dchan_role)role;
	o->n_spans++;
	o->nfas = 1;
	return 0;
}

/* What --nfas and the options that go with it need of each other. */
static int opts_check_nfas(struct pbx_opts *o, int call_iface_set)
{
	const char *why = NULL;
	int primary = -1, backup = 0, found = 0;

	if (!o->nfas) {
		if (call_iface_set)
			why = "--call-iface needs --nfas";
		else if (o->drop_dchan_at >= 0)
			why = "--drop-dchan-at needs --nfas";
		goto out;
	}
	for (int i = 0; i < o->n_spans; i++) {
		if (o->spans[i].role == PBX_D_PRIMARY)
			primary = o->spans[i].iface;
		backup += o->spans[i].role == PBX_D_BACKUP;
	}
	if (!call_iface_set)
		o->call_iface = primary;
	for (int i = 0; i < o->n_spans; i++)
		found |= o->spans[i].iface == o->call_iface;
	if (o->span)
		why = "-s and --nfas exclude each other";
	else if (primary < 0)
		why = "--nfas: no primary D-channel";
	else if (o->framing != PBX_T1)
		why = "--nfas: T1 framing only (NFAS is a T1 feature)";
	else if (o->reconnect)
		why = "--nfas: --reconnect is not supported with NFAS";
	else if (!found)
		why = "--call-iface: not one of the --nfas interfaces";
	else if (o->drop_dchan_at >= 0 && !backup)
		why = "--drop-dchan-at needs a backup D-channel";
out:
	if (why) {
		fprintf(stderr, "sipgw-pbx: %s\n", why);
		return -EINVAL;
	}
	return 0;
}

static int opts_parse(struct pbx_opts *o, int argc, char **argv)
{
	int call_iface_set = 0;
	int c, rc = 0;

	*o = (struct pbx_opts){
		.nodetype = PRI_CPE, .switchtype = PRI_SWITCH_NI2, .framing = PBX_T1,
		.count = 1, .concurrency = 1, .hangup_after = -1, .cancel_after = -1,
		.cause = PRI_CAUSE_NORMAL_CLEARING, .timeout = -1, .overlap = -1, .ins_after_calls = -1,
		.calls_in = 1, .drop_dchan_at = -1, .dtmf_ms = SIM_DTMF_MS_DEFAULT,
	};
	while (rc == 0 && (c = getopt_long(argc, argv, "s:q", long_opts, NULL)) != -1) {
		switch (c) {
		case 's': o->span = optarg; break;
		case 'q': o->quiet = 1; break;
		case OPT_ROLE: rc = LOOKUP(role_names, optarg, &o->nodetype); break;
		case OPT_SWITCH: rc = LOOKUP(switch_names, optarg, &o->switchtype); break;
		case OPT_FRAMING:
			if (!strcmp(optarg, "t1"))
				o->framing = PBX_T1;
			else if (!strcmp(optarg, "e1"))
				o->framing = PBX_E1;
			else
				rc = -EINVAL;
			break;
		case OPT_CALL: o->call = optarg; break;
		case OPT_PREFERRED: o->preferred = 1; break;
		case OPT_GLARE: o->glare = 1; break;
		case OPT_CALLING: o->calling = optarg; break;
		case OPT_NAME: o->name = optarg; break;
		case OPT_COUNT: rc = parse_int(optarg, 1, 10000000, &o->count); break;
		case OPT_CONC: rc = parse_int(optarg, 1, PBX_MAX_CHAN, &o->concurrency); break;
		case OPT_HANGUP_AFTER: rc = parse_sec(optarg, &o->hangup_after); break;
		case OPT_CANCEL_AFTER: rc = parse_sec(optarg, &o->cancel_after); break;
		case OPT_CAUSE: rc = parse_int(optarg, 1, 127, &o->cause); break;
		case OPT_ANSWER_AFTER: rc = parse_sec(optarg, &o->answer_after); break;
		case OPT_REJECT: rc = parse_int(optarg, 1, 127, &o->reject); break;
		case OPT_NO_ANSWER: o->no_answer = 1; break;
		case OPT_INBAND: o->inband = 1; break;
		case OPT_TONE: rc = parse_int(optarg, 1, 3999, &o->tone_hz); break;
		case OPT_DTMF:
			o->dtmf = optarg;
			rc = sim_dtmf_valid_str(optarg) ? 0 : -EINVAL;
			break;
		case OPT_DTMF_MODE: rc = pbx_dtmf_parse_mode(optarg, &o->dtmf_mode); break;
		case OPT_DTMF_MS: rc = sim_dtmf_parse_ms(optarg, &o->dtmf_ms); break;
		case OPT_DTMF_AFTER: rc = parse_sec(optarg, &o->dtmf_after); break;
		case OPT_DETECT: {
			char *plus = strchr(optarg, '+');

			if (plus) {
				*plus = '\0';
				rc = parse_int(plus + 1, 1, 3999, &o->detect_hz2);
			}
			if (rc == 0)
				rc = parse_int(optarg, 1, 3999, &o->detect_hz);
			break;
		}
		case OPT_TONE_ANS: o->tone_ans = 1; break;
		case OPT_DATA_CALL: o->data_call = 1; break;
		case OPT_ECHO: rc = parse_int(optarg, 1, 40, &o->echo_erl); break;
		case OPT_EXIT_DONE: o->exit_when_done = 1; break;
		case OPT_TIMEOUT: rc = parse_sec(optarg, &o->timeout); break;
		case OPT_STATS: o->stats = 1; break;
		case OPT_RECONNECT: o->reconnect = 1; break;
		case OPT_NO_RESTART_WAIT: o->no_restart_wait = 1; break;
		case OPT_SEND_EMPTY_AT: rc = parse_sec(optarg, &o->send_empty_at); break;
		case OPT_FLOOD_BAD_B: rc = parse_int(optarg, 1, 10000000, &o->flood_bad_b); break;
		case OPT_FLOOD_AT: rc = parse_sec(optarg, &o->flood_at); break;
		case OPT_RESTART_AT: rc = parse_sec(optarg, &o->restart_at); break;
		case OPT_HOLD_AT: rc = parse_sec(optarg, &o->hold_at); break;
		case OPT_RETRIEVE_AT: rc = parse_sec(optarg, &o->retrieve_at); break;
		case OPT_OVERLAP: rc = parse_int(optarg, 0, 63, &o->overlap); break;
		case OPT_COLLECT: rc = parse_int(optarg, 1, 63, &o->collect); break;
		case OPT_OOS: rc = parse_int(optarg, 1, PBX_MAX_CHAN, &o->oos_chan); break;
		case OPT_SERVICE_MSGS: o->service_msgs = 1; break;
		case OPT_INS_AFTER: rc = parse_int(optarg, 0, 1000000, &o->ins_after_calls); break;
		case OPT_CALLS_IN: rc = parse_int(optarg, 1, 1000000, &o->calls_in); break;
		case OPT_CALLING_TON: rc = LOOKUP(ton_names, optarg, &o->calling_plan); break;
		case OPT_RESTRICTED: o->restricted = 1; break;
		case OPT_REDIRECTING: o->redirecting = optarg; break;
		case OPT_PCAP: o->pcap = optarg; break;
		case OPT_REDIR_REASON: rc = LOOKUP(redirect_names, optarg, &o->redirect_reason); break;
		case OPT_NFAS:
			if (parse_nfas(o, optarg) < 0)
				return -EINVAL;	/* said what is wrong */
			break;
		case OPT_CALL_IFACE:
			rc = parse_int(optarg, 0, 31, &o->call_iface);
			call_iface_set = 1;
			break;
		case OPT_DROP_DCHAN_AT: rc = parse_sec(optarg, &o->drop_dchan_at); break;
		case OPT_SWITCH_TRANSFER: o->switch_transfer = 1; break;
		case OPT_FAX_SEND: o->fax_send = optarg; break;
		case OPT_FAX_RECV: o->fax_recv = optarg; break;
		case OPT_HELP: usage(stdout); exit(0);
		default: return -EINVAL;
		}
		if (rc < 0)
			fprintf(stderr, "sipgw-pbx: bad value for %s: %s\n", argv[optind - 1], optarg);
	}
	if (rc == 0 && optind < argc) {
		fprintf(stderr, "sipgw-pbx: unexpected argument: %s\n", argv[optind]);
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = opts_check_nfas(o, call_iface_set);
	if (rc == 0 && o->fax_send && o->fax_recv) {
		fprintf(stderr, "sipgw-pbx: --fax-send or --fax-recv, not both\n");
		rc = -EINVAL;
	}
	if (rc == 0 && !o->span && !o->nfas) {
		fprintf(stderr, "sipgw-pbx: --span is required\n");
		rc = -EINVAL;
	}
	if (rc == 0 && !o->nfas) {
		/* one span, interface 0, its own D-channel: channels stay bare */
		o->spans[0] = (struct pbx_span_opt){ .iface = 0, .path = o->span, .role = PBX_D_PRIMARY };
		o->n_spans = 1;
	}
	return rc;
}

/* The handler only records the signal; the loop clears calls (poll wakes
 * with EINTR since the handler is installed without SA_RESTART). */
static volatile int signalled;

static void on_signal(int sig)
{
	signalled = sig;
}

int main(int argc, char **argv)
{
	struct pbx p = { .next_id = 1 };
	struct sigaction sa = { .sa_handler = on_signal };
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (opts_parse(&p.opt, argc, argv) < 0) {
		usage(stderr);
		return 2;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = pbx_pri_open(&p);
	if (rc < 0) {
		fprintf(stderr, "sipgw-pbx: %s: %s\n", p.opt.span ? p.opt.span : "--nfas", strerror(-rc));
		return 1;
	}
	rc = pbx_pri_run(&p, &signalled);
	if (p.opt.stats) {
		double secs = (p.last_end_ms - p.first_setup_ms) / 1000.0;
		pbx_out(&p, PBX_STAT, "calls=%d connected=%d cps=%.2f", p.ended, p.connected,
			secs > 0 ? p.ended / secs : 0.0);
	}
	pbx_call_free_all(&p);
	pbx_pri_close(&p);
	q931_pcap_close(p.pcap);
	return rc;
}
