/* sipgw - simulators: in-band DTMF with a cadence, RFC 4733 events received, INFO bodies.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/sim_dtmf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spandsp.h>

static const char te_codes[] = "0123456789*#ABCD";	/* RFC 4733 3.2: events 0-15 */

int sim_dtmf_parse_ms(const char *s, int *msp)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < SIM_DTMF_MS_MIN || v > SIM_DTMF_MS_MAX)
		return -EINVAL;
	*msp = (int)v;
	return 0;
}

int sim_dtmf_valid(char digit)
{
	return digit && strchr(te_codes, toupper((unsigned char)digit)) != NULL;
}

int sim_dtmf_valid_str(const char *digits)
{
	if (!digits || !*digits)
		return 0;
	for (; *digits; digits++)
		if (!sim_dtmf_valid(*digits))
			return 0;
	return 1;
}

/* SpanDSP's state is opaque in its public headers: let it allocate it. */
struct sim_dtmf_gen {
	dtmf_tx_state_t *tx;
	int done;
};

int sim_dtmf_gen_alloc(struct sim_dtmf_gen **gp, const char *digits, int on_ms, int off_ms)
{
	struct sim_dtmf_gen *g;

	if (!sim_dtmf_valid_str(digits) || on_ms <= 0 || off_ms < 0)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->tx = dtmf_tx_init(NULL);
	if (!g->tx) {
		free(g);
		return -ENOMEM;
	}
	/* before the put: SpanDSP takes a digit's timing when it starts it */
	dtmf_tx_set_timing(g->tx, on_ms, off_ms);
	if (dtmf_tx_put(g->tx, digits, -1) != 0) {
		/* SpanDSP's queue is bounded (MAX_DTMF_DIGITS); refuse rather than play half */
		sim_dtmf_gen_free(g);
		return -E2BIG;
	}
	*gp = g;
	return 0;
}

void sim_dtmf_gen_free(struct sim_dtmf_gen *g)
{
	if (!g)
		return;
	if (g->tx)
		dtmf_tx_free(g->tx);
	free(g);
}

int sim_dtmf_gen_fill(struct sim_dtmf_gen *g, int16_t *amp, size_t n)
{
	size_t done = 0;

	while (!g->done && done < n) {
		/* dtmf_tx() gives each pause as zeros and returns short only at the end */
		int got = dtmf_tx(g->tx, amp + done, (int)(n - done));
		if (got <= 0)
			g->done = 1;
		else
			done += (size_t)got;
	}
	memset(amp + done, 0, (n - done) * sizeof(*amp));
	return !g->done;
}

struct sim_dtmf_det {
	dtmf_rx_state_t *rx;
	sim_dtmf_det_h *on_h, *end_h;
	void *arg;
	long fed;		/* samples fed so far, before the current chunk */
	size_t chunk;		/* the chunk being fed */
	char digit;		/* the digit on, 0 = none */
	long on_at;		/* when it came on, in samples */
};

/* SpanDSP calls this inside dtmf_rx() when its two-block check sees a tone start
 * (code = the digit) or end (code 0); the time is known to one chunk. */
static void det_report(void *user_data, int code, int level, int delay)
{
	struct sim_dtmf_det *d = user_data;
	long now = d->fed + (long)d->chunk;

	if (code && !d->digit) {
		d->digit = (char)code;
		d->on_at = now;
		d->on_h(d->arg, d->digit, 0);
	} else if (!code && d->digit) {
		char was = d->digit;

		d->digit = 0;
		d->end_h(d->arg, was, (int)((now - d->on_at) / 8));
	} else if (code && code != d->digit) {	/* one digit straight into another */
		d->end_h(d->arg, d->digit, (int)((now - d->on_at) / 8));
		d->digit = (char)code;
		d->on_at = now;
		d->on_h(d->arg, d->digit, 0);
	}
}

int sim_dtmf_det_alloc(struct sim_dtmf_det **dp, sim_dtmf_det_h *on_h, sim_dtmf_det_h *end_h,
		       void *arg)
{
	struct sim_dtmf_det *d;

	if (!on_h || !end_h)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->on_h = on_h;
	d->end_h = end_h;
	d->arg = arg;
	d->rx = dtmf_rx_init(NULL, NULL, NULL);
	if (!d->rx) {
		free(d);
		return -ENOMEM;
	}
	/* the realtime callback instead of digits: it tells start and end apart */
	dtmf_rx_set_realtime_callback(d->rx, det_report, d);
	*dp = d;
	return 0;
}

void sim_dtmf_det_free(struct sim_dtmf_det *d)
{
	if (!d)
		return;
	if (d->rx)
		dtmf_rx_free(d->rx);
	free(d);
}

/* Fed in 5 ms chunks: SpanDSP works in 102-sample blocks across calls, and
 * the chunk is the resolution of the lengths reported. */
#define DET_CHUNK 40

void sim_dtmf_det_feed(struct sim_dtmf_det *d, const int16_t *amp, size_t n)
{
	while (n) {
		d->chunk = n < DET_CHUNK ? n : DET_CHUNK;
		dtmf_rx(d->rx, amp, (int)d->chunk);
		d->fed += (long)d->chunk;
		amp += d->chunk;
		n -= d->chunk;
	}
	d->chunk = 0;
}

enum sim_te_rx_what sim_te_rx_packet(struct sim_te_rx *r, const uint8_t *p, size_t len,
				     uint32_t ts, char *digitp, unsigned *durationp)
{
	unsigned n = r->n < SIM_TE_RX_HISTORY ? r->n : SIM_TE_RX_HISTORY;
	int end;

	/* RFC 4733 2.3: event, E|R|volume, 16-bit duration; 16+ are not DTMF */
	if (len < 4 || p[0] >= 16)
		return SIM_TE_BAD;
	end = (p[1] & 0x80) != 0;
	*digitp = te_codes[p[0]];
	*durationp = (unsigned)(p[2] << 8 | p[3]);
	for (unsigned i = 0; i < n; i++) {
		unsigned k = (r->n - 1 - i) % SIM_TE_RX_HISTORY;

		if (r->ts[k] != ts)
			continue;
		/* RFC 4733 2.5.1.4: the end packet comes three times; count it once */
		if (!end || r->ended[k])
			return SIM_TE_NONE;
		r->ended[k] = 1;
		return SIM_TE_END;
	}
	r->ts[r->n % SIM_TE_RX_HISTORY] = ts;
	r->ended[r->n % SIM_TE_RX_HISTORY] = (uint8_t)end;
	r->n++;
	return end ? SIM_TE_START_END : SIM_TE_START;
}

/* "5", "#", "a", or the event number "10" (RFC 4733 3.2) as some phones send. */
static int info_signal(const char *s, size_t n, char *digitp)
{
	if (n == 1 && sim_dtmf_valid(s[0])) {
		*digitp = (char)toupper((unsigned char)s[0]);
		return 0;
	}
	if (n == 2 && s[0] == '1' && s[1] >= '0' && s[1] <= '5') {
		*digitp = te_codes[10 + s[1] - '0'];
		return 0;
	}
	return -EINVAL;
}

static void trim(const char **sp, size_t *np)
{
	while (*np && isspace((unsigned char)**sp))
		(*sp)++, (*np)--;
	while (*np && isspace((unsigned char)(*sp)[*np - 1]))
		(*np)--;
}

/* The type without parameters or case: "Application/DTMF-Relay; x=y" is dtmf-relay. */
static int ctype_is(const char *ctype, const char *want)
{
	size_t n = strcspn(ctype, ";");
	const char *s = ctype;

	trim(&s, &n);
	return n == strlen(want) && !strncasecmp(s, want, n);
}

/* Signal=5 / Duration=160 lines, keys in any case, spaces around '=' allowed. */
static int info_relay(const char *body, size_t len, char *digitp, int *msp)
{
	int have_signal = 0;

	*msp = 0;
	while (len) {
		size_t ln = 0, kn, vn;
		const char *line = body, *eq, *v;

		while (ln < len && body[ln] != '\n')
			ln++;
		body += ln < len ? ln + 1 : ln;
		len -= ln < len ? ln + 1 : ln;
		trim(&line, &ln);
		if (!ln)
			continue;
		eq = memchr(line, '=', ln);
		if (!eq)
			return -EINVAL;
		kn = (size_t)(eq - line);
		v = eq + 1;
		vn = ln - kn - 1;
		trim(&line, &kn);
		trim(&v, &vn);
		if (kn == 6 && !strncasecmp(line, "Signal", 6)) {
			if (have_signal++ || info_signal(v, vn, digitp) < 0)
				return -EINVAL;
		} else if (kn == 8 && !strncasecmp(line, "Duration", 8)) {
			char num[8], *end;
			long ms;

			if (!vn || vn >= sizeof(num))
				return -EINVAL;
			memcpy(num, v, vn);
			num[vn] = '\0';
			ms = strtol(num, &end, 10);
			if (*end || ms <= 0 || ms > 60000)
				return -EINVAL;
			*msp = (int)ms;
		}
		/* other keys: ignored, as receivers do */
	}
	return have_signal ? 0 : -EINVAL;
}

int sim_dtmf_info_parse(const char *ctype, const char *body, size_t len, char *digitp, int *msp)
{
	if (!ctype)
		return -ENOTSUP;
	if (ctype_is(ctype, "application/dtmf-relay"))
		return body ? info_relay(body, len, digitp, msp) : -EINVAL;
	if (ctype_is(ctype, "application/dtmf")) {
		*msp = 0;
		if (!body)
			return -EINVAL;
		trim(&body, &len);
		return info_signal(body, len, digitp);
	}
	return -ENOTSUP;
}
