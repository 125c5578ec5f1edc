/* sipgw - the control socket's output model (core/ctl.h): what a command
 * says, kept as blocks of cells, rendered once as aligned text or JSON.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctl.h"
#include "core/ctl_internal.h"

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

/* A failed allocation marks the request; its answer is then an error. */
static void *grow(struct ctl_req *req, void *p, size_t *cap, size_t need, size_t each)
{
	size_t n = *cap ? *cap : 8;
	void *np;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	if (!(np = realloc(p, n * each))) {
		req->oom = 1;
		return NULL;
	}
	*cap = n;
	return np;
}

static struct ctl_block *block_new(struct ctl_req *req, enum ctl_block_kind kind, const char *name)
{
	struct ctl_block *b, *nb;

	if (!(nb = grow(req, req->blocks, &req->cap_blocks, req->n_blocks + 1, sizeof(*b))))
		return NULL;
	req->blocks = nb;
	b = &req->blocks[req->n_blocks++];
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	snprintf(b->name, sizeof(b->name), "%s", name ? name : "");
	return b;
}

static struct ctl_block *block_find(struct ctl_req *req, enum ctl_block_kind kind, const char *name)
{
	for (size_t i = 0; i < req->n_blocks; i++)
		if (req->blocks[i].kind == kind && !strcmp(req->blocks[i].name, name ? name : ""))
			return &req->blocks[i];
	return block_new(req, kind, name);
}

static struct ctl_block *cur_table(struct ctl_req *req)
{
	return req->table >= 0 && (size_t)req->table < req->n_blocks ? &req->blocks[req->table] : NULL;
}

static void cell_add(struct ctl_req *req, struct ctl_block *b, char *s, int num)
{
	struct ctl_cell *nc;

	if (!s) {
		req->oom = 1;
		return;
	}
	if (!b || !(nc = grow(req, b->cells, &b->cap_cells, b->n_cells + 1, sizeof(*nc)))) {
		free(s);
		return;
	}
	b->cells = nc;
	b->cells[b->n_cells++] = (struct ctl_cell){ .s = s, .num = num };
}

int ctl_json(const struct ctl_req *req)
{
	return req->json;
}

void ctl_error(struct ctl_req *req, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(req->error, sizeof(req->error), fmt, ap);
	va_end(ap);
	if (!req->error[0])
		snprintf(req->error, sizeof(req->error), "failed");
}

void ctl_text(struct ctl_req *req, const char *fmt, ...)
{
	struct ctl_block *b = block_find(req, CTL_B_TEXT, "message");
	va_list ap;

	va_start(ap, fmt);
	cell_add(req, b, vfmt(fmt, ap), 0);
	va_end(ap);
}

void ctl_raw(struct ctl_req *req, const char *buf, size_t len)
{
	char *nr;

	if (!(nr = grow(req, req->raw, &req->cap_raw, req->raw_len + len + 1, 1)))
		return;
	req->raw = nr;
	memcpy(req->raw + req->raw_len, buf, len);
	req->raw_len += len;
}

void ctl_table(struct ctl_req *req, const char *name, const char *const *cols)
{
	struct ctl_block *b = block_new(req, CTL_B_TABLE, name);

	if (!b)
		return;
	for (int i = 0; cols[i] && b->n_cols < CTL_MAX_COLS; i++)
		b->cols[b->n_cols++] = cols[i];
	req->table = (long)(b - req->blocks);
}

void ctl_cell(struct ctl_req *req, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cell_add(req, cur_table(req), vfmt(fmt, ap), 0);
	va_end(ap);
}

void ctl_cell_num(struct ctl_req *req, long long v)
{
	char *s = NULL;

	if (asprintf(&s, "%lld", v) < 0)
		s = NULL;
	cell_add(req, cur_table(req), s, 1);
}

void ctl_cell_real(struct ctl_req *req, double v)
{
	char *s = NULL;
	int finite = isfinite(v);

	if (!finite)
		s = strdup(isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf");
	else if (asprintf(&s, "%.15g", v) < 0)
		s = NULL;
	else if (strtod(s, NULL) != v) {	/* the shortest that reads back the same */
		free(s);
		if (asprintf(&s, "%.17g", v) < 0)
			s = NULL;
	}
	cell_add(req, cur_table(req), s, finite);
}

static void kv_add(struct ctl_req *req, const char *block, const char *key, char *val, int num)
{
	struct ctl_block *b = block_find(req, CTL_B_KV, block);

	cell_add(req, b, strdup(key), 0);
	cell_add(req, b, val, num);
}

void ctl_kv(struct ctl_req *req, const char *block, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kv_add(req, block, key, vfmt(fmt, ap), 0);
	va_end(ap);
}

void ctl_kv_num(struct ctl_req *req, const char *block, const char *key, long long v)
{
	char *s = NULL;

	if (asprintf(&s, "%lld", v) < 0)
		s = NULL;
	kv_add(req, block, key, s, 1);
}

/* The answer being rendered. */
struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_put(struct sbuf *sb, const char *s, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 1024;
		char *np;

		while (cap < sb->len + n + 1)
			cap *= 2;
		if (!(np = realloc(sb->p, cap))) {
			sb->oom = 1;
			return;
		}
		sb->p = np;
		sb->cap = cap;
	}
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

static void sb_str(struct sbuf *sb, const char *s)
{
	sb_put(sb, s, strlen(s));
}

/* Text for a terminal: a control character from the wire (a display name
 * with ESC in it) is shown as '?', never sent to the operator's terminal. */
static void sb_safe(struct sbuf *sb, const char *s)
{
	for (; *s; s++) {
		char ch = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;

		sb_put(sb, &ch, 1);
	}
}

static void sb_pad(struct sbuf *sb, const char *s, size_t width, int last)
{
	size_t n = strlen(s);

	sb_safe(sb, s);
	if (last)
		return;
	while (n++ < width + 2)
		sb_put(sb, " ", 1);
}

/* RFC 8259 7: quote, backslash and control characters escaped; bytes
 * >= 0x80 pass (the cells are UTF-8 or the wire's octets). */
static void sb_json_str(struct sbuf *sb, const char *s)
{
	sb_put(sb, "\"", 1);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[8];

		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			sb_put(sb, esc, 2);
		} else if (ch < 0x20 || ch == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			sb_put(sb, esc, 6);
		} else {
			sb_put(sb, (const char *)&ch, 1);
		}
	}
	sb_put(sb, "\"", 1);
}

static void sb_json_val(struct sbuf *sb, const struct ctl_cell *c)
{
	if (c->num)
		sb_str(sb, c->s);
	else
		sb_json_str(sb, c->s);
}

static void render_text(struct sbuf *sb, const struct ctl_req *req)
{
	for (size_t i = 0; i < req->n_blocks; i++) {
		const struct ctl_block *b = &req->blocks[i];
		size_t w[CTL_MAX_COLS] = { 0 }, kw = 0;

		if (i)
			sb_str(sb, "\n");
		switch (b->kind) {
		case CTL_B_TEXT:
			for (size_t k = 0; k < b->n_cells; k++) {
				sb_safe(sb, b->cells[k].s);
				sb_str(sb, "\n");
			}
			break;
		case CTL_B_KV:
			for (size_t k = 0; k + 1 < b->n_cells; k += 2)
				if (strlen(b->cells[k].s) > kw)
					kw = strlen(b->cells[k].s);
			for (size_t k = 0; k + 1 < b->n_cells; k += 2) {
				sb_pad(sb, b->cells[k].s, kw, 0);
				sb_safe(sb, b->cells[k + 1].s);
				sb_str(sb, "\n");
			}
			break;
		case CTL_B_TABLE:
			if (!b->n_cols)
				break;
			for (int c = 0; c < b->n_cols; c++)
				w[c] = strlen(b->cols[c]);
			for (size_t k = 0; k < b->n_cells; k++)
				if (strlen(b->cells[k].s) > w[k % b->n_cols])
					w[k % b->n_cols] = strlen(b->cells[k].s);
			for (int c = 0; c < b->n_cols; c++)
				sb_pad(sb, b->cols[c], w[c], c == b->n_cols - 1);
			sb_str(sb, "\n");
			for (size_t k = 0; k < b->n_cells; k++) {
				int c = (int)(k % b->n_cols);

				sb_pad(sb, b->cells[k].s, w[c], c == b->n_cols - 1 || k + 1 == b->n_cells);
				if (c == b->n_cols - 1 || k + 1 == b->n_cells)
					sb_str(sb, "\n");
			}
			if (!b->n_cells)
				sb_str(sb, "(none)\n");
			break;
		}
	}
}

static void render_json(struct sbuf *sb, const struct ctl_req *req)
{
	sb_str(sb, "{");
	for (size_t i = 0; i < req->n_blocks; i++) {
		const struct ctl_block *b = &req->blocks[i];

		if (i)
			sb_str(sb, ",");
		sb_json_str(sb, b->name);
		sb_str(sb, ":");
		switch (b->kind) {
		case CTL_B_TEXT:
			sb_str(sb, "[");
			for (size_t k = 0; k < b->n_cells; k++) {
				if (k)
					sb_str(sb, ",");
				sb_json_str(sb, b->cells[k].s);
			}
			sb_str(sb, "]");
			break;
		case CTL_B_KV:
			sb_str(sb, "{");
			for (size_t k = 0; k + 1 < b->n_cells; k += 2) {
				if (k)
					sb_str(sb, ",");
				sb_json_str(sb, b->cells[k].s);
				sb_str(sb, ":");
				sb_json_val(sb, &b->cells[k + 1]);
			}
			sb_str(sb, "}");
			break;
		case CTL_B_TABLE:
			sb_str(sb, "[");
			for (size_t k = 0; b->n_cols && k < b->n_cells; k++) {
				int c = (int)(k % b->n_cols);

				if (c == 0)
					sb_str(sb, k ? ",{" : "{");
				else
					sb_str(sb, ",");
				sb_json_str(sb, b->cols[c]);
				sb_str(sb, ":");
				sb_json_val(sb, &b->cells[k]);
				if (c == b->n_cols - 1 || k + 1 == b->n_cells)
					sb_str(sb, "}");
			}
			sb_str(sb, "]");
			break;
		}
	}
	sb_str(sb, "}\n");
}

char *ctl_render(const struct ctl_req *req, int failed)
{
	struct sbuf sb = { 0 };

	if (failed) {
		sb_str(&sb, "error\n");
		if (req->json) {
			sb_str(&sb, "{\"error\":");
			sb_json_str(&sb, req->error);
			sb_str(&sb, "}\n");
		} else {
			sb_str(&sb, req->error);
			sb_str(&sb, "\n");
		}
	} else {
		sb_str(&sb, "ok\n");
		if (req->raw_len)
			sb_put(&sb, req->raw, req->raw_len);
		else if (req->json)
			render_json(&sb, req);
		else
			render_text(&sb, req);
	}
	if (sb.oom) {
		free(sb.p);
		return strdup("error\nout of memory\n");
	}
	return sb.p;
}

void ctl_req_clear(struct ctl_req *req)
{
	for (size_t i = 0; i < req->n_blocks; i++) {
		for (size_t k = 0; k < req->blocks[i].n_cells; k++)
			free(req->blocks[i].cells[k].s);
		free(req->blocks[i].cells);
	}
	free(req->blocks);
	free(req->raw);
	memset(req, 0, sizeof(*req));
	req->table = -1;
}
