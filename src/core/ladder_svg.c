/* sipgw - a call's ladder as an HTML page with an inline SVG: one lifeline
 * per party, one arrow per message, its name above and its time offset at
 * the left, like the figures of the Cisco call flows (Appendix B).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "core/ladder.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define COL_W	   240	/* between lifelines */
#define MARGIN_L   110	/* the step and time column */
#define HEAD_H	   60	/* party names */
#define ROW_H	   30
#define FOOT_H	   30

void ladder_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* control characters would make the XML of the SVG invalid */
			fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
		}
	}
}

static int col_x(int c)
{
	return MARGIN_L + COL_W / 2 + c * COL_W;
}

int ladder_render(FILE *f, const struct ladder_view *v)
{
	int w = MARGIN_L + v->n_columns * COL_W;
	int h = HEAD_H + v->n_rows * ROW_H + FOOT_H;
	long long t0 = v->n_rows ? v->rows[0].t_us : 0;

	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>", f);
	ladder_escape(f, v->title);
	fputs("</title>\n<style>body{font-family:sans-serif}"
	      " svg text{font-size:13px} .party{font-weight:bold}"
	      " .time{fill:#666;font-size:11px} .life{stroke:#999;stroke-dasharray:4 3}"
	      " .msg line{stroke:#000;stroke-width:1.2} .msg.out line{stroke:#05a}"
	      " .steps{border-collapse:collapse;font-size:12px} .steps td,.steps th{border:1px solid #ccc;"
	      "padding:2px 6px;text-align:left}"
	      "</style></head><body>\n<h1>", f);
	ladder_escape(f, v->title);
	fputs("</h1>\n", f);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\">\n", w, h, w, h);
	fputs("<defs><marker id=\"arrow\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" "
	      "orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\"/></marker></defs>\n", f);
	for (int c = 0; c < v->n_columns; c++) {
		fprintf(f, "<text class=\"party\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", col_x(c),
			HEAD_H / 2);
		ladder_escape(f, v->columns[c]);
		fprintf(f, "</text>\n<line class=\"life\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
			col_x(c), HEAD_H - 15, col_x(c), h - 10);
	}
	for (int i = 0; i < v->n_rows; i++) {
		const struct ladder_row *r = &v->rows[i];
		int y = HEAD_H + i * ROW_H + ROW_H / 2 + 6;
		int x1 = col_x(r->from), x2 = col_x(r->to);
		long long dt = r->t_us - t0;

		fprintf(f, "<g class=\"msg %s\"><title>", r->sent ? "out" : "in");
		ladder_escape(f, r->detail ? r->detail : r->label);
		fprintf(f, "</title><text class=\"time\" x=\"4\" y=\"%d\">%d. +%lld.%03lld s</text>", y,
			i + 1, dt / 1000000, (dt / 1000) % 1000);
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" marker-end=\"url(#arrow)\"/>",
			x1, y, x2 + (x2 > x1 ? -2 : 2), y);
		fprintf(f, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (x1 + x2) / 2,
			y - 5);
		ladder_escape(f, r->label);
		fputs("</text></g>\n", f);
	}
	if (v->dropped)
		fprintf(f, "<text x=\"4\" y=\"%d\">... and %u more messages not kept</text>\n", h - 8,
			v->dropped);
	fputs("</svg>\n", f);
	/* the figures' step table: what each arrow was, in full */
	fputs("<table class=\"steps\"><tr><th>Step</th><th>Time</th><th>From</th><th>To</th>"
	      "<th>Message</th></tr>\n", f);
	for (int i = 0; i < v->n_rows; i++) {
		const struct ladder_row *r = &v->rows[i];
		long long dt = r->t_us - t0;

		fprintf(f, "<tr><td>%d</td><td>+%lld.%06lld s</td><td>", i + 1, dt / 1000000, dt % 1000000);
		ladder_escape(f, (unsigned)r->from < (unsigned)v->n_columns ? v->columns[r->from] : "?");
		fputs("</td><td>", f);
		ladder_escape(f, (unsigned)r->to < (unsigned)v->n_columns ? v->columns[r->to] : "?");
		fputs("</td><td>", f);
		ladder_escape(f, r->detail && *r->detail ? r->detail : r->label);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}
