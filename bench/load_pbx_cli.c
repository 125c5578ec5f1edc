/* sipgw - load rig, PBX side: the command line and the summary line of
 * bench/load_pbx.c. SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/load_pbx.h"
#include "core/log.h"

/* qsort()'s order of the delay samples */
static int lp_cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

void lp_summary(struct lp *lp)
{
	long long rx_unknown = 0, tx_err = 0;
	double secs = (mono_us() - lp->start_us) / 1e6;

	qsort(lp->pdd_us, (size_t)lp->n_pdd, sizeof(long long), lp_cmp_ll);
	qsort(lp->s2c_us, (size_t)lp->n_s2c, sizeof(long long), lp_cmp_ll);
	qsort(lp->bpdd_us, (size_t)lp->n_bpdd, sizeof(long long), lp_cmp_ll);
	/* streams of calls still up at the end (a timeout) count too */
	for (int s = 0; s < lp->o.n_spans; s++) {
		for (int i = 0; i < lp->sp[s].n_chans; i++) {
			struct lp_call *c = &lp->sp[s].calls[lp->sp[s].chans[i]];

			if (c->state != LP_IDLE)
				lp_stream_done(lp, c);
		}
		rx_unknown += lp->sp[s].rx_unknown;
		tx_err += lp->sp[s].tx_errors;
	}
#define PCT(a, n, p) ((n) ? (a)[((n) * (p)) / 100 < (n) ? ((n) * (p)) / 100 : (n) - 1] / 1000.0 : -1.0)
	printf("{\"prog\":\"load_pbx\",\"spans\":%d,\"calls\":%d,\"placed\":%d,\"alerted\":%d,"
	       "\"connected\":%d,\"failed\":%d,\"ended\":%d,\"secs\":%.2f,"
	       "\"pdd_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
	       "\"setup_to_connect_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
	       "\"burst\":%d,\"burst_connected\":%d,\"burst_pdd_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
	       "\"streams\":%lld,\"frames_rx\":%lld,\"frames_tx\":%lld,\"lost\":%lld,\"late\":%lld,"
	       "\"late_streams\":%lld,\"max_gap_ms\":%.1f,\"rx_unknown\":%lld,\"tx_errors\":%lld,"
	       "\"clock\":{\"ticks\":%lld,\"skipped\":%lld,\"max_late_ms\":%.3f,\"late_ms_hist\":"
	       "{\"<1\":%lld,\"<2\":%lld,\"<5\":%lld,\"<10\":%lld,\"<20\":%lld,\">=20\":%lld}},\"causes\":{",
	       lp->o.n_spans, lp->o.calls, lp->placed, lp->alerted, lp->connected, lp->failed, lp->ended, secs,
	       PCT(lp->pdd_us, lp->n_pdd, 50), PCT(lp->pdd_us, lp->n_pdd, 99), PCT(lp->pdd_us, lp->n_pdd, 100),
	       PCT(lp->s2c_us, lp->n_s2c, 50), PCT(lp->s2c_us, lp->n_s2c, 99), PCT(lp->s2c_us, lp->n_s2c, 100),
	       lp->o.burst, lp->burst_connected,
	       PCT(lp->bpdd_us, lp->n_bpdd, 50), PCT(lp->bpdd_us, lp->n_bpdd, 99), PCT(lp->bpdd_us, lp->n_bpdd, 100),
	       lp->tot.streams, lp->tot.frames, lp->tot.tx, lp->tot.lost, lp->tot.late, lp->tot.late_streams,
	       lp->tot.max_gap_us / 1000.0, rx_unknown, tx_err,
	       lp->clk.ticks, lp->clk.skipped, lp->clk.max_late_us / 1000.0,
	       lp->clk.hist[0], lp->clk.hist[1], lp->clk.hist[2], lp->clk.hist[3], lp->clk.hist[4], lp->clk.hist[5]);
#undef PCT
	for (int i = 0, first = 1; i < 128; i++) {
		if (lp->causes[i]) {
			printf("%s\"%d\":%d", first ? "" : ",", i, lp->causes[i]);
			first = 0;
		}
	}
	printf("}}\n");
	fflush(stdout);
}


static const struct { const char *name; int type; } lp_switches[] = {
	{ "ni2", PRI_SWITCH_NI2 }, { "euroisdn", PRI_SWITCH_EUROISDN_E1 }, { "dms100", PRI_SWITCH_DMS100 },
	{ "5ess", PRI_SWITCH_LUCENT5E }, { "4ess", PRI_SWITCH_ATT4ESS }, { "qsig", PRI_SWITCH_QSIG },
};

static void lp_usage(void)
{
	fprintf(stderr,
		"usage: load_pbx -s SPAN [-s SPAN ...] [--framing t1|e1] [--switch NAME] --calls N\n"
		"                [--rate CPS] [--hold S] [--hold-after-full] [--call NUMBER] [--calling NUMBER]\n"
		"                [--burst K [--burst-rate CPS]] [--timeout S] [--rx-wakeup] [-q]\n"
		"  The PBX on every span (the gateway's loopback socket path): N calls, one per\n"
		"  B-channel, at CPS, each holding S s of audio both ways after CONNECT (after\n"
		"  the last call is up, with --hold-after-full); one JSON summary line on stdout\n"
		"  at the end. Exit 0 when every call ended. --burst: 1 s after full load, K calls\n"
		"  more at CPS (200), their post-dial delay apart (with --hold-after-full).\n");
}

int lp_parse(struct lp_opts *o, int argc, char **argv)
{
	enum { O_FRAMING = 256, O_SWITCH, O_CALLS, O_RATE, O_HOLD, O_CALL, O_CALLING, O_TIMEOUT, O_FULL, O_RXW, O_BURST, O_BRATE };
	static const struct option lo[] = {
		{ "span", required_argument, NULL, 's' }, { "framing", required_argument, NULL, O_FRAMING },
		{ "switch", required_argument, NULL, O_SWITCH }, { "calls", required_argument, NULL, O_CALLS },
		{ "rate", required_argument, NULL, O_RATE }, { "hold", required_argument, NULL, O_HOLD },
		{ "hold-after-full", no_argument, NULL, O_FULL }, { "rx-wakeup", no_argument, NULL, O_RXW },
		{ "burst", required_argument, NULL, O_BURST }, { "burst-rate", required_argument, NULL, O_BRATE },
		{ "call", required_argument, NULL, O_CALL }, { "calling", required_argument, NULL, O_CALLING },
		{ "timeout", required_argument, NULL, O_TIMEOUT }, { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c, sw_set = 0;

	*o = (struct lp_opts){ .switchtype = PRI_SWITCH_NI2, .calls = 1, .rate = 50, .hold = 2,
			       .number = "2001", .calling = "5551000", .timeout = 60, .burst_rate = 200 };
	while ((c = getopt_long(argc, argv, "s:qh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (o->n_spans == LP_MAX_SPANS) {
				fprintf(stderr, "load_pbx: at most %d spans\n", LP_MAX_SPANS);
				return -EINVAL;
			}
			o->spans[o->n_spans++] = optarg;
			break;
		case O_FRAMING:
			if (strcmp(optarg, "e1") && strcmp(optarg, "t1")) {
				fprintf(stderr, "load_pbx: --framing t1 or e1\n");
				return -EINVAL;
			}
			o->e1 = !strcmp(optarg, "e1");
			break;
		case O_SWITCH: {
			size_t i;

			for (i = 0; i < sizeof(lp_switches) / sizeof(lp_switches[0]); i++)
				if (!strcmp(optarg, lp_switches[i].name))
					break;
			if (i == sizeof(lp_switches) / sizeof(lp_switches[0])) {
				fprintf(stderr, "load_pbx: unknown --switch %s\n", optarg);
				return -EINVAL;
			}
			o->switchtype = lp_switches[i].type;
			sw_set = 1;
			break;
		}
		case O_CALLS: o->calls = atoi(optarg); break;
		case O_RATE: o->rate = atof(optarg); break;
		case O_HOLD: o->hold = atof(optarg); break;
		case O_FULL: o->hold_after_full = 1; break;
		case O_RXW: o->rx_wakeup = 1; break;
		case O_BURST: o->burst = atoi(optarg); break;
		case O_BRATE: o->burst_rate = atof(optarg); break;
		case O_CALL: o->number = optarg; break;
		case O_CALLING: o->calling = optarg; break;
		case O_TIMEOUT: o->timeout = atof(optarg); break;
		case 'q': o->quiet = 1; break;
		default: lp_usage(); return -EINVAL;
		}
	}
	if (o->e1 && !sw_set)
		o->switchtype = PRI_SWITCH_EUROISDN_E1;
	if (!o->n_spans || o->calls < 1 || o->rate <= 0 || o->hold < 0 || o->timeout <= 0 ||
	    o->burst < 0 || o->burst_rate <= 0 || (o->burst && !o->hold_after_full) ||
	    o->calls + o->burst > o->n_spans * (o->e1 ? 30 : 23)) {
		fprintf(stderr, "load_pbx: need -s SPAN, 1 <= --calls (+ --burst) <= the spans' B-channels, "
			"--rate > 0, --burst with --hold-after-full\n");
		lp_usage();
		return -EINVAL;
	}
	return 0;
}

