/* sipgw - unit tests: fake legs and leg factories. SPDX-License-Identifier: GPL-2.0-only */
#include "fake_leg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"

static char ladder[8192];
static size_t ladder_len;
static struct fake_leg *live;
static unsigned n_alive, n_destroyed;

static void ladder_add(struct fake_leg *fl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ladder_add(struct fake_leg *fl, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ladder_len >= sizeof(ladder) - 1)
		return;
	n = snprintf(ladder + ladder_len, sizeof(ladder) - ladder_len, "%s ", fl->name);
	if (n > 0)
		ladder_len += (size_t)n;
	if (ladder_len >= sizeof(ladder) - 1) {
		ladder_len = sizeof(ladder) - 1;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(ladder + ladder_len, sizeof(ladder) - ladder_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		ladder_len += (size_t)n;
	if (ladder_len >= sizeof(ladder) - 1)
		ladder_len = sizeof(ladder) - 1;
	else
		ladder[ladder_len++] = '\n', ladder[ladder_len] = 0;
}

void fake_reset(void)
{
	ladder[0] = 0;
	ladder_len = 0;
	n_destroyed = 0;
}

const char *fake_ladder(void) { return ladder; }
unsigned fake_alive(void) { return n_alive; }
unsigned fake_destroyed(void) { return n_destroyed; }

int fake_is_alive(const struct fake_leg *fl)
{
	for (const struct fake_leg *p = live; p; p = p->next)
		if (p == fl)
			return 1;
	return 0;
}

static struct fake_leg *fake_of(struct leg *leg)
{
	return (struct fake_leg *)leg;
}

static int fake_setup(struct leg *leg, const struct leg_setup_info *si, int *causep)
{
	struct fake_leg *fl = fake_of(leg);

	fl->emergency = si->emergency;
	snprintf(fl->calling, sizeof(fl->calling), "%s", si->calling);
	if (fl->setup_rc) {
		ladder_add(fl, "setup%s: cause %d", si->emergency ? " (emergency)" : "", fl->setup_cause);
		*causep = fl->setup_cause;
		return fl->setup_rc;
	}
	ladder_add(fl, "setup%s", si->emergency ? " (emergency)" : "");
	return 0;
}

static void fake_alert(struct leg *leg, int inband)
{
	ladder_add(fake_of(leg), "alert%s", inband ? " inband" : "");
}

static void fake_hold(struct leg *leg, int held, enum leg_hold how)
{
	static const char *const hows[] = { "sendonly", "inactive", "c=0.0.0.0", "notify" };

	if (held)
		ladder_add(fake_of(leg), "hold %s", hows[how]);
	else
		ladder_add(fake_of(leg), "resume");
}

static void fake_progress(struct leg *leg)
{
	ladder_add(fake_of(leg), "progress");
}

static void fake_answer(struct leg *leg)
{
	ladder_add(fake_of(leg), "answer");
}

/* Nothing is reported here: a real leg sends DISCONNECT / BYE / CANCEL and
 * reports gone when the far end has answered; the test decides when. */
static void fake_release(struct leg *leg, int cause)
{
	struct fake_leg *fl = fake_of(leg);

	if (leg->release_status)	/* routing's cause override (bridge/leg.h) */
		ladder_add(fl, "release %d answering %d", cause, leg->release_status);
	else
		ladder_add(fl, "release %d", cause);
	fl->released = 1;
	fl->release_cause = cause;
}

static struct media_port *fake_media(struct leg *leg)
{
	struct fake_leg *fl = fake_of(leg);

	return fl->has_port ? &fl->port : NULL;
}

static void fake_destroy(struct leg *leg)
{
	struct fake_leg *fl = fake_of(leg);

	for (struct fake_leg **p = &live; *p; p = &(*p)->next)
		if (*p == fl) {
			*p = fl->next;
			break;
		}
	n_alive--;
	n_destroyed++;
	free(fl);
}

static const char *fake_describe(struct leg *leg)
{
	return fake_of(leg)->name;
}

/* A transferor hears how its transfer goes (NOTIFY sipfrag on a real leg). */
static void fake_xfer_status(struct leg *leg, int status)
{
	ladder_add(fake_of(leg), "xfer %d", status);
}

static const struct leg_ops fake_pri_ops = {
	.kind = "pri", .setup = fake_setup, .alert = fake_alert, .progress = fake_progress,
	.answer = fake_answer, .release = fake_release, .hold = fake_hold, .media = fake_media,
	.destroy = fake_destroy,
	.describe = fake_describe, .xfer_status = fake_xfer_status,
};

static const struct leg_ops fake_sip_ops = {
	.kind = "sip", .setup = fake_setup, .alert = fake_alert, .progress = fake_progress,
	.answer = fake_answer, .release = fake_release, .hold = fake_hold, .media = fake_media,
	.destroy = fake_destroy,
	.describe = fake_describe, .xfer_status = fake_xfer_status,
};

struct fake_leg *fake_leg_new(const char *kind, const char *name)
{
	struct fake_leg *fl = calloc(1, sizeof(*fl));

	if (!fl)
		return NULL;
	fl->leg.ops = strcmp(kind, "pri") ? &fake_sip_ops : &fake_pri_ops;
	snprintf(fl->name, sizeof(fl->name), "%s", name);
	fl->next = live;
	live = fl;
	n_alive++;
	return fl;
}

void fake_gone(struct fake_leg *fl)
{
	call_leg_gone(&fl->leg);
}

unsigned fake_finish(void)
{
	unsigned n = 0;

	/* each call_leg_gone may destroy legs and free a call: start over each time */
	for (;;) {
		struct fake_leg *fl = live;

		while (fl && !fl->released)
			fl = fl->next;
		if (!fl)
			return n;
		fake_gone(fl);
		n++;
	}
}

void fake_cleanup(void)
{
	while (live)
		fake_destroy(&live->leg);
}

int fake_factory_alloc(void *arg, struct leg **legp, const struct route_target *t)
{
	struct fake_factory *ff = arg;
	char name[FAKE_NAME_LEN], tag[16] = "";
	struct fake_leg *fl;

	if (ff->n_made == FAKE_FACTORY_MAX)
		return -ENOMEM;
	for (int i = 0; t->span && i < 4 && ff->no_span[i]; i++)
		if (!strcmp(ff->no_span[i], t->span))
			return -ENOENT;
	if (t->dial_peer)
		snprintf(tag, sizeof(tag), "dp%d ", t->dial_peer);
	if (!strcmp(ff->kind, "pri"))
		snprintf(name, sizeof(name), "%sspan %s %s", tag, t->span, t->number);
	else if (t->ruri)
		snprintf(name, sizeof(name), "%scontact %s", tag, t->ruri);
	else
		snprintf(name, sizeof(name), "%ssip %s:%d", tag, t->host, t->port);
	if (!(fl = fake_leg_new(ff->kind, name)))
		return -ENOMEM;
	fl->setup_rc = ff->setup[ff->n_made].rc;
	fl->setup_cause = ff->setup[ff->n_made].cause;
	ff->made[ff->n_made++] = fl;
	*legp = &fl->leg;
	return 0;
}

struct fake_leg *fake_find(const char *name)
{
	for (struct fake_leg *p = live; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}
