/* sipgw - per-call ladder diagrams: messages of every leg kept with their
 * call (a bounded list per call, the last LADDER_KEEP ended calls), pages
 * written at hang-up. SPDX-License-Identifier: GPL-2.0-only */
#include "core/ladder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"

#define LADDER_KEYS 8		/* legs of one call: caller, tries, transfer targets */
#define LADDER_IDX 1024		/* buckets of the SIP legs' index by Call-ID */
#define KEY_STR	    256

/* The strings of an event live in one allocation, label first: a message
 * costs one malloc, not five (every SIP message of every call comes here). */
struct ev {
	enum ladder_side side;
	int sent;
	long long t_us;
	char *label, *detail;
	char *span, *call_id, *peer;
	unsigned hash;		/* of call_id (SIP) or span (PRI): compared before the string */
	unsigned cref;
	int chan;
	int setup;
};

struct lkey {
	enum ladder_side side;
	char span[64];
	int chan;
	unsigned cref;
	int have_cref;		/* learned from a message naming the channel */
	char call_id[KEY_STR];
	unsigned hash;		/* key_hash() of call_id (SIP) or span (PRI) */
	struct lcall *owner;
	int indexed;		/* a SIP leg: in ladder.sip_idx */
	LIST_ENTRY(lkey) idx;
};
LIST_HEAD(lkey_list, lkey);

struct lcall {
	TAILQ_ENTRY(lcall) entry;
	LIST_ENTRY(lcall) by_id;	/* in ladder.up_idx while up */
	unsigned id;
	char *title;
	struct lkey *keys[LADDER_KEYS];	/* each taken as its leg is seen (370 bytes:
					 * most calls have two legs, not eight) */
	int n_keys;
	struct ev *ev;
	int n_ev, cap_ev;	/* grown by doubling: a call has a dozen messages, rarely the maximum */
	unsigned dropped;
	int ended, written;
	long long end_ms;
};

TAILQ_HEAD(lcall_list, lcall);
LIST_HEAD(lcall_idx, lcall);

struct ladder {
	struct su_root_s *root;
	char *dir;
	struct lcall_list up, ended;	/* ended: newest first */
	int n_ended;
	/* every SIP leg of the calls up and ended, by Call-ID: a message finds
	 * its call without a look at every leg of every call (at 1,000
	 * calls/s, 200 up and 64 ended) */
	struct lkey_list sip_idx[LADDER_IDX];
	struct lcall_idx up_idx[LADDER_IDX];	/* the calls up by number: the bridge
						 * says a call's legs at each change */
	struct ev pending[LADDER_PENDING];	/* a ring, oldest at pend_head */
	int pend_head, pend_n;
	struct loop_timer *linger;
	int linger_armed;	/* the timer runs (restarting it would put every page off) */
	unsigned write_errors;
};

static void ev_clear(struct ev *e)
{
	free(e->label);		/* the one allocation (ev_set) */
	memset(e, 0, sizeof(*e));
}

/* FNV-1a: a message is matched against every leg of every call up, and
 * most comparisons fail; an int says so without reading the strings. */
static unsigned key_hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int ev_set(struct ev *e, const struct ladder_msg *m)
{
	e->side = m->side;
	e->sent = m->sent;
	e->t_us = m->t_us;
	e->cref = m->cref;
	e->chan = m->chan;
	e->setup = m->setup;
	{
		const char *src[5] = { m->label, m->detail, m->span, m->call_id, m->peer };
		char **dst[5] = { &e->label, &e->detail, &e->span, &e->call_id, &e->peer };
		size_t len[5], total = 0;
		char *buf;

		for (int i = 0; i < 5; i++) {
			if (!src[i])
				src[i] = "";
			total += (len[i] = strlen(src[i]) + 1);
		}
		if (!(buf = malloc(total))) {
			memset(e, 0, sizeof(*e));
			return -ENOMEM;
		}
		for (int i = 0; i < 5; i++) {
			memcpy(buf, src[i], len[i]);
			*dst[i] = buf;
			buf += len[i];
		}
	}
	e->hash = key_hash(m->side == LADDER_SIP ? e->call_id : e->span);
	return 0;
}

/* Is e a message of leg k? A PRI leg's call reference is learned (*learnp)
 * from the first message that names the leg's channel. */
static int key_match(const struct lkey *k, const struct ev *e, int *learnp)
{
	*learnp = 0;
	if (k->side != e->side || k->hash != e->hash)
		return 0;
	if (k->side == LADDER_SIP)
		return k->call_id[0] && !strcmp(k->call_id, e->call_id);
	if (strcmp(k->span, e->span))
		return 0;
	if (k->have_cref)
		return k->cref == e->cref;
	if (k->chan > 0 && e->chan == k->chan) {
		*learnp = 1;
		return 1;
	}
	return 0;
}

/* ended: the call hung up, so it learns nothing more (a new call on its
 * channel is another call). *learnedp (if given) is set when a leg learned
 * its call reference from e. */
static int call_match(struct lcall *c, const struct ev *e, int ended, int *learnedp)
{
	int learn;

	for (int i = 0; i < c->n_keys; i++) {
		if (ended && c->keys[i]->side == LADDER_PRI && !c->keys[i]->have_cref)
			continue;
		if (key_match(c->keys[i], e, &learn)) {
			if (learn) {
				c->keys[i]->cref = e->cref;
				c->keys[i]->have_cref = 1;
				if (learnedp)
					*learnedp = 1;
			}
			return 1;
		}
	}
	return 0;
}

/* Take e's strings into the call, in time order (pending messages may be
 * older than some the call has). */
static void call_take(struct lcall *c, struct ev *e)
{
	int i;

	if (c->n_ev >= LADDER_MAX_EVENTS) {
		c->dropped++;
		ev_clear(e);
		return;
	}
	if (c->n_ev == c->cap_ev) {
		/* LADDER_MAX_EVENTS up front cost ~18 KiB a call (issue 14: memory per call) */
		int cap = c->cap_ev ? 2 * c->cap_ev : LADDER_FIRST_EVENTS;
		struct ev *ev = realloc(c->ev, (size_t)(cap < LADDER_MAX_EVENTS ? cap : LADDER_MAX_EVENTS) *
					sizeof(*ev));

		if (!ev) {
			c->dropped++;
			ev_clear(e);
			return;
		}
		c->ev = ev;
		c->cap_ev = cap < LADDER_MAX_EVENTS ? cap : LADDER_MAX_EVENTS;
	}
	for (i = c->n_ev; i > 0 && c->ev[i - 1].t_us > e->t_us; i--)
		c->ev[i] = c->ev[i - 1];
	c->ev[i] = *e;
	c->n_ev++;
	memset(e, 0, sizeof(*e));
}

static void call_free(struct lcall *c)
{
	for (int i = 0; i < c->n_keys; i++) {
		if (c->keys[i]->indexed)
			LIST_REMOVE(c->keys[i], idx);
		free(c->keys[i]);
	}
	for (int i = 0; i < c->n_ev; i++)
		ev_clear(&c->ev[i]);
	free(c->ev);
	free(c->title);
	free(c);
}

/* A call up, by its number. */
static struct lcall *call_find(struct ladder *l, unsigned id)
{
	struct lcall *c;

	LIST_FOREACH(c, &l->up_idx[id % LADDER_IDX], by_id)
		if (c->id == id)
			return c;
	return NULL;
}

static const char *col_name(const struct ev *e, char *buf, size_t len)
{
	if (e->side == LADDER_PRI)
		snprintf(buf, len, "PBX (span %s)", e->span);
	else
		snprintf(buf, len, "%s", e->peer[0] ? e->peer : "SIP peer");
	return buf;
}

/* The view of a call: PBX columns left of sipgw, SIP peers right of it,
 * each in the order it first appears. */
static int call_render(FILE *f, const struct lcall *c)
{
	char (*names)[128] = calloc((size_t)c->n_ev + 1, sizeof(*names));
	const char **cols = calloc((size_t)c->n_ev + 1, sizeof(*cols));
	struct ladder_row *rows = calloc((size_t)c->n_ev + 1, sizeof(*rows));
	int n_cols = 0, gw = 0, rc = -ENOMEM;
	char buf[128];

	if (!names || !cols || !rows)
		goto out;
	for (int pass = 0; pass < 3; pass++) {
		if (pass == 1) {
			gw = n_cols;
			snprintf(names[n_cols], sizeof(names[0]), "sipgw");
			cols[n_cols] = names[n_cols];
			n_cols++;
			continue;
		}
		for (int i = 0; i < c->n_ev; i++) {
			int j;
			if ((c->ev[i].side == LADDER_PRI) != (pass == 0))
				continue;
			col_name(&c->ev[i], buf, sizeof(buf));
			for (j = 0; j < n_cols && strcmp(names[j], buf); j++)
				;
			if (j == n_cols) {
				snprintf(names[n_cols], sizeof(names[0]), "%s", buf);
				cols[n_cols] = names[n_cols];
				n_cols++;
			}
		}
	}
	for (int i = 0; i < c->n_ev; i++) {
		int j;
		col_name(&c->ev[i], buf, sizeof(buf));
		for (j = 0; j < n_cols && strcmp(names[j], buf); j++)
			;
		rows[i].t_us = c->ev[i].t_us;
		rows[i].from = c->ev[i].sent ? gw : j;
		rows[i].to = c->ev[i].sent ? j : gw;
		rows[i].sent = c->ev[i].sent;
		rows[i].label = c->ev[i].label;
		rows[i].detail = c->ev[i].detail;
	}
	{
		struct ladder_view v = { .title = c->title, .columns = cols, .n_columns = n_cols,
					 .rows = rows, .n_rows = c->n_ev, .dropped = c->dropped };
		rc = ladder_render(f, &v);
	}
out:
	free(names);
	free(cols);
	free(rows);
	return rc;
}

static void call_write(struct ladder *l, struct lcall *c)
{
	char path[4096], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;
	int fd, rc;

	c->written = 1;
	if (!l->dir)
		return;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(path, sizeof(path), "%s/call-%u-%s.html", l->dir, c->id, stamp);
	/* the page shows numbers and names: as private as the pcap (0640) */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		if (!l->write_errors++)
			LOGW(LSS_CORE, "ladder: cannot write %s: %s (ladders of later calls are not "
			     "written either until it can)", path, strerror(errno));
		return;
	}
	rc = call_render(f, c);
	if (fclose(f) || rc)
		LOGW(LSS_CORE, "ladder: %s: write error", path);
	else
		LOGI(LSS_CORE, "ladder: call %u written to %s", c->id, path);
}

static void linger_due(void *arg)
{
	struct ladder *l = arg;
	long long now = mono_ms(), next = 0;
	struct lcall *c;

	l->linger_armed = 0;
	TAILQ_FOREACH(c, &l->ended, entry) {
		if (c->written)
			continue;
		if (now >= c->end_ms + LADDER_LINGER_MS)
			call_write(l, c);
		else if (!next || c->end_ms + LADDER_LINGER_MS < next)
			next = c->end_ms + LADDER_LINGER_MS;
	}
	if (next && l->linger && !loop_timer_start(l->linger, (unsigned)(next - now)))
		l->linger_armed = 1;
}

int ladder_alloc(struct ladder **lp, const struct ladder_params *p)
{
	struct ladder *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return -ENOMEM;
	TAILQ_INIT(&l->up);
	TAILQ_INIT(&l->ended);
	l->root = p->root;
	if ((rc = ladder_set_dir(l, p->dir)) ||
	    (p->root && (rc = loop_timer_alloc(&l->linger, p->root, "ladder-linger", linger_due, l)))) {
		ladder_free(l);
		return rc;
	}
	*lp = l;
	return 0;
}

int ladder_set_dir(struct ladder *l, const char *dir)
{
	char *d = dir && *dir ? strdup(dir) : NULL;

	if (dir && *dir && !d)
		return -ENOMEM;
	free(l->dir);
	l->dir = d;
	l->write_errors = 0;
	return 0;
}

void ladder_free(struct ladder *l)
{
	struct lcall *c;

	if (!l)
		return;
	/* exit: calls still up are ended now, and every page not yet written is */
	while ((c = TAILQ_FIRST(&l->up))) {
		TAILQ_REMOVE(&l->up, c, entry);
		if (l->dir)
			call_write(l, c);
		call_free(c);
	}
	while ((c = TAILQ_FIRST(&l->ended))) {
		TAILQ_REMOVE(&l->ended, c, entry);
		if (!c->written)
			call_write(l, c);
		call_free(c);
	}
	for (int i = 0; i < LADDER_PENDING; i++)
		ev_clear(&l->pending[i]);
	loop_timer_free(l->linger);
	free(l->dir);
	free(l);
}

static void pending_claim(struct ladder *l, struct lcall *c);

void ladder_msg(struct ladder *l, const struct ladder_msg *m)
{
	long long now = mono_ms();
	struct ev e = { 0 };
	struct lcall *c;

	/* Q.931 5.5: the global call reference (RESTART, its ACKNOWLEDGE)
	 * names channels but belongs to no call */
	if (!l || (m->side == LADDER_PRI && m->cref == 0) || ev_set(&e, m))
		return;
	if (e.side == LADDER_SIP) {
		struct lcall *up = NULL, *ended = NULL;
		struct lkey *k;

		LIST_FOREACH(k, &l->sip_idx[e.hash % LADDER_IDX], idx) {
			if (k->hash != e.hash || !k->call_id[0] || strcmp(k->call_id, e.call_id))
				continue;
			c = k->owner;
			/* a call up first, the oldest; else the newest ended one
			 * still lingering (its last words: an ACK, a 200 to BYE) */
			if (!c->ended) {
				if (!up || c->id < up->id)
					up = c;
			} else if (now <= c->end_ms + LADDER_LINGER_MS && !e.setup &&
				   (!ended || c->end_ms > ended->end_ms)) {
				ended = c;
			}
		}
		if ((c = up ? up : ended)) {
			call_take(c, &e);
			return;
		}
		goto pend;
	}
	TAILQ_FOREACH(c, &l->up, entry) {
		int learned = 0;

		if (call_match(c, &e, 0, &learned)) {
			call_take(c, &e);
			/* messages before this one that carry the call reference
			 * it taught but not the channel are the call's too */
			if (learned)
				pending_claim(l, c);
			return;
		}
	}
	/* the last words of a call that hung up: an ACK, a RELEASE COMPLETE */
	TAILQ_FOREACH(c, &l->ended, entry) {
		if (now > c->end_ms + LADDER_LINGER_MS || e.setup)
			break;		/* newest first: the rest ended earlier */
		if (call_match(c, &e, 1, NULL)) {
			call_take(c, &e);
			return;
		}
	}
pend:
	if (l->pend_n == LADDER_PENDING) {	/* the oldest goes */
		ev_clear(&l->pending[l->pend_head]);
		l->pend_head = (l->pend_head + 1) % LADDER_PENDING;
		l->pend_n--;
	}
	l->pending[(l->pend_head + l->pend_n) % LADDER_PENDING] = e;
	l->pend_n++;
}

/* Move the pending messages of c into it, keeping the others in order. */
static void pending_claim(struct ladder *l, struct lcall *c)
{
	/* twice when the first pass learned: a message naming the channel
	 * teaches the call reference that earlier messages without it carry */
	for (int pass = 0, learned = 1; pass < 2 && learned; pass++) {
		int kept = 0;

		learned = 0;
		for (int i = 0; i < l->pend_n; i++) {
			struct ev *e = &l->pending[(l->pend_head + i) % LADDER_PENDING];
			if (call_match(c, e, 0, &learned)) {
				call_take(c, e);
				continue;
			}
			if (kept != i) {
				l->pending[(l->pend_head + kept) % LADDER_PENDING] = *e;
				memset(e, 0, sizeof(*e));
			}
			kept++;
		}
		l->pend_n = kept;
	}
}

static int key_same(const struct lkey *a, const struct ladder_key *b)
{
	if (a->side != b->side)
		return 0;
	if (a->side == LADDER_SIP)
		return b->call_id && !strcmp(a->call_id, b->call_id);
	return b->span && !strcmp(a->span, b->span) && a->chan == b->chan;
}

void ladder_call_seen(struct ladder *l, unsigned call, const char *title,
		      const struct ladder_key *keys, int n_keys)
{
	struct lcall *c;
	int added = 0;

	if (!l)
		return;
	c = call_find(l, call);
	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return;
		c->id = call;
		LIST_INSERT_HEAD(&l->up_idx[call % LADDER_IDX], c, by_id);
		if (!title && asprintf(&c->title, "call %u", call) < 0)
			c->title = NULL;
		TAILQ_INSERT_TAIL(&l->up, c, entry);
	}
	/* the bridge says the title at every leg change: a copy only when it changed */
	if (title && (!c->title || strcmp(c->title, title))) {
		char *t = strdup(title);
		if (t) {
			free(c->title);
			c->title = t;
		}
	}
	for (int i = 0; i < n_keys; i++) {
		const struct ladder_key *k = &keys[i];
		struct lkey *nk;
		int j;
		if (k->side == LADDER_SIP ? !k->call_id || !*k->call_id : !k->span || k->chan <= 0)
			continue;	/* nothing to know its messages by yet */
		for (j = 0; j < c->n_keys && !key_same(c->keys[j], k); j++)
			;
		if (j < c->n_keys || c->n_keys == LADDER_KEYS)
			continue;
		if (!(nk = malloc(sizeof(*nk))))
			continue;	/* this leg's messages go undrawn */
		*nk = (struct lkey){ .side = k->side, .chan = k->chan };
		snprintf(nk->span, sizeof(nk->span), "%s", k->span ? k->span : "");
		snprintf(nk->call_id, sizeof(nk->call_id), "%s", k->call_id ? k->call_id : "");
		nk->hash = key_hash(k->side == LADDER_SIP ? nk->call_id : nk->span);
		nk->owner = c;
		c->keys[j] = nk;
		if (k->side == LADDER_SIP) {
			LIST_INSERT_HEAD(&l->sip_idx[nk->hash % LADDER_IDX], nk, idx);
			nk->indexed = 1;
		}
		c->n_keys++;
		added = 1;
	}
	/* only a leg not known before can own a pending message: the call's
	 * bridge says its legs at every state change, and the pending ring
	 * (REGISTERs, OPTIONS: messages of no call) is LADDER_PENDING long */
	if (added)
		pending_claim(l, c);
}

void ladder_call_end(struct ladder *l, unsigned call)
{
	struct lcall *c, *old;

	if (!l || !(c = call_find(l, call)))
		return;
	TAILQ_REMOVE(&l->up, c, entry);
	LIST_REMOVE(c, by_id);
	c->ended = 1;
	c->end_ms = mono_ms();
	TAILQ_INSERT_HEAD(&l->ended, c, entry);
	if (++l->n_ended > LADDER_KEEP) {
		old = TAILQ_LAST(&l->ended, lcall_list);
		TAILQ_REMOVE(&l->ended, old, entry);
		if (!old->written)
			call_write(l, old);
		call_free(old);
		l->n_ended--;
	}
	if (!l->linger)
		call_write(l, c);	/* no loop (tests): at once */
	else if (!l->linger_armed && !loop_timer_start(l->linger, LADDER_LINGER_MS))
		l->linger_armed = 1;
}

static struct lcall *call_by_id(struct ladder *l, const char *id)
{
	struct lcall_list *lists[] = { &l->up, &l->ended };
	char *end;
	unsigned long n = strtoul(id, &end, 10);
	int numeric = *id && !*end;
	struct lcall *c;

	for (int li = 0; li < 2; li++) {
		TAILQ_FOREACH(c, lists[li], entry) {
			if (numeric && c->id == n)
				return c;
			for (int k = 0; !numeric && k < c->n_keys; k++)
				if (c->keys[k]->side == LADDER_SIP && !strcmp(c->keys[k]->call_id, id))
					return c;
		}
	}
	return NULL;
}

int ladder_page(struct ladder *l, const char *id, char **htmlp, size_t *lenp)
{
	struct lcall *c = l && id ? call_by_id(l, id) : NULL;
	FILE *f;
	int rc;

	if (!c)
		return -ENOENT;
	*htmlp = NULL;
	f = open_memstream(htmlp, lenp);
	if (!f)
		return -ENOMEM;
	rc = call_render(f, c);
	if (fclose(f) && !rc)
		rc = -ENOMEM;
	if (rc) {
		free(*htmlp);
		*htmlp = NULL;
	}
	return rc;
}
