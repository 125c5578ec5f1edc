/* sipgw - a synthetic line echo path (G.168 Annex D models). See echo_path.h.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "echo_path.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <spandsp.h>
/* The models are arrays defined (not declared) in this header: include it
 * in this one file only. */
#include <spandsp/g168models.h>

#define EP_RATE 8000
#define EP_MAX_DELAY_MS 64

struct ep_model {
	const int32_t *coeffs;
	size_t len;
};

#define EP_MODEL(c) { c, sizeof(c) / sizeof(c[0]) }
static const struct ep_model ep_models[] = {
	[2] = EP_MODEL(line_model_d2_coeffs), [3] = EP_MODEL(line_model_d3_coeffs),
	[4] = EP_MODEL(line_model_d4_coeffs), [5] = EP_MODEL(line_model_d5_coeffs),
	[6] = EP_MODEL(line_model_d6_coeffs), [7] = EP_MODEL(line_model_d7_coeffs),
	[8] = EP_MODEL(line_model_d8_coeffs), [9] = EP_MODEL(line_model_d9_coeffs),
};

struct echo_path {
	float *h;		/* delay zeros, then the model, scaled to the ERL */
	size_t hlen;
	float *hist;		/* the last hlen tx samples, newest at pos */
	size_t pos;
	noise_state_t *noise;	/* NULL: no background noise */
	enum g711_law law;
};

int echo_path_alloc(struct echo_path **epp, const struct echo_path_params *p)
{
	struct echo_path *ep;
	const struct ep_model *m;
	size_t delay, i;
	double energy = 0, scale;

	if (p->model < 2 || p->model > 9 || p->delay_ms < 0 || p->delay_ms > EP_MAX_DELAY_MS ||
	    p->erl_db < 0 || p->erl_db > 40)
		return -EINVAL;
	m = &ep_models[p->model];
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	delay = (size_t)p->delay_ms * EP_RATE / 1000;
	ep->hlen = delay + m->len;
	ep->h = calloc(ep->hlen, sizeof(*ep->h));
	ep->hist = calloc(ep->hlen, sizeof(*ep->hist));
	if (!ep->h || !ep->hist)
		goto nomem;
	/* ERL for white noise is 1 / sum(h^2): scale the model to it (G.168
	 * Annex D gives the shapes; the tests choose ERL 6..12 dB). */
	for (i = 0; i < m->len; i++)
		energy += (double)m->coeffs[i] * m->coeffs[i];
	scale = sqrt(pow(10, -p->erl_db / 10) / energy);
	for (i = 0; i < m->len; i++)
		ep->h[delay + i] = (float)(m->coeffs[i] * scale);
	if (p->noise_dbm0 > -99) {
		ep->noise = noise_init_dbm0(NULL, 1234, (float)p->noise_dbm0, NOISE_CLASS_HOTH, 7);
		if (!ep->noise)
			goto nomem;
	}
	ep->law = p->law;
	*epp = ep;
	return 0;
nomem:
	echo_path_free(ep);
	return -ENOMEM;
}

void echo_path_free(struct echo_path *ep)
{
	if (!ep)
		return;
	if (ep->noise)
		noise_free(ep->noise);
	free(ep->h);
	free(ep->hist);
	free(ep);
}

void echo_path_run(struct echo_path *ep, const int16_t *tx, const int16_t *near, int16_t *rx,
		   size_t n)
{
	for (size_t k = 0; k < n; k++) {
		double y = 0;
		size_t j, idx;
		uint8_t code;
		long v;
		int16_t t;

		/* the line carries G.711 both ways: the hybrid sees tx quantised */
		g711_law_encode(ep->law, &tx[k], &code, 1);
		g711_law_decode(ep->law, &code, &t, 1);
		ep->pos = ep->pos ? ep->pos - 1 : ep->hlen - 1;
		ep->hist[ep->pos] = t;
		/* y = sum h[j] * tx[k - j], hist[pos + j] being tx[k - j] */
		idx = ep->pos;
		for (j = 0; j < ep->hlen; j++) {
			y += ep->h[j] * ep->hist[idx];
			if (++idx == ep->hlen)
				idx = 0;
		}
		if (near)
			y += near[k];
		if (ep->noise)
			y += noise(ep->noise);
		v = lrint(y);
		if (v > INT16_MAX)
			v = INT16_MAX;
		if (v < INT16_MIN)
			v = INT16_MIN;
		rx[k] = (int16_t)v;
		g711_law_encode(ep->law, &rx[k], &code, 1);
		g711_law_decode(ep->law, &code, &rx[k], 1);
	}
}
