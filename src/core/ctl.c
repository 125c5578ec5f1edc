/* sipgw - the control socket (core/ctl.h): listening, who may talk to it,
 * one request per connection, the command registry.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/ctl.h"
#include "core/ctl_internal.h"
#include "core/log.h"
#include "core/loop.h"

#define CTL_MAX_CONNS 16	/* connections at once; more are closed at accept */
#define CTL_IDLE_MS 5000	/* a request not complete by then: closed */
#define CTL_MAX_WORDS 4		/* words of a command name */

struct ctl_cmd {
	char *words[CTL_MAX_WORDS];
	int n_words;
	char *usage;
	ctl_cmd_h *h;
	void *arg;
};

struct ctl_conn;

struct ctl {
	struct su_root_s *root;
	char path[108];
	int fd;
	struct loop_fd *w;
	uid_t owner;
	gid_t group;
	struct ctl_cmd *cmds;
	size_t n_cmds;
	struct ctl_conn *conns[CTL_MAX_CONNS];
	struct log_limit lim_refused;
};

struct ctl_conn {
	struct ctl *ctl;
	int slot;
	int fd;
	struct loop_fd *rw, *ww;
	struct loop_timer *idle;
	char in[CTL_MAX_REQUEST + 1];
	size_t in_len;
	char *out;
	size_t out_len, out_pos;
};

int ctl_parse_request(char *line, int *jsonp, int *argcp, char **argv, int max_args)
{
	char *p = line, *sp;
	int argc = 0;

	if (strncmp(p, CTL_PROTO " ", sizeof(CTL_PROTO)))
		return -EINVAL;
	p += sizeof(CTL_PROTO);
	if (!strncmp(p, "json", 4))
		*jsonp = 1;
	else if (!strncmp(p, "text", 4))
		*jsonp = 0;
	else
		return -EINVAL;
	p += 4;
	if (*p != '\t' && *p != '\0')
		return -EINVAL;
	while (*p == '\t') {
		*p++ = '\0';
		sp = p;
		while (*p && *p != '\t')
			p++;
		if (p == sp || argc >= max_args)
			return -EINVAL;
		for (char *q = sp; q < p; q++)
			if ((unsigned char)*q < 0x20 || *q == 0x7f)
				return -EINVAL;
		argv[argc++] = sp;
	}
	if (*p)
		return -EINVAL;
	*argcp = argc;
	return 0;
}

static void cmd_free(struct ctl_cmd *c)
{
	for (int i = 0; i < c->n_words; i++)
		free(c->words[i]);
	free(c->usage);
}

int ctl_register(struct ctl *ctl, const char *words, const char *usage, ctl_cmd_h *h, void *arg)
{
	struct ctl_cmd c = { .h = h, .arg = arg }, *nc;
	char *dup = strdup(words), *save = NULL, *w;
	int rc = 0;

	if (!dup)
		return -ENOMEM;
	for (w = strtok_r(dup, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (c.n_words == CTL_MAX_WORDS || !(c.words[c.n_words] = strdup(w))) {
			rc = c.n_words == CTL_MAX_WORDS ? -EINVAL : -ENOMEM;
			goto fail;
		}
		c.n_words++;
	}
	for (size_t i = 0; i < ctl->n_cmds; i++) {
		struct ctl_cmd *o = &ctl->cmds[i];
		int same = o->n_words == c.n_words;

		for (int k = 0; same && k < c.n_words; k++)
			same = !strcmp(o->words[k], c.words[k]);
		if (same) {
			rc = -EEXIST;
			goto fail;
		}
	}
	if (!c.n_words || !(c.usage = strdup(usage ? usage : words))) {
		rc = c.n_words ? -ENOMEM : -EINVAL;
		goto fail;
	}
	if (!(nc = realloc(ctl->cmds, (ctl->n_cmds + 1) * sizeof(*nc)))) {
		rc = -ENOMEM;
		goto fail;
	}
	ctl->cmds = nc;
	ctl->cmds[ctl->n_cmds++] = c;
	free(dup);
	return 0;
fail:
	cmd_free(&c);
	free(dup);
	return rc;
}

/* The command whose words are the longest prefix of argv. */
static const struct ctl_cmd *cmd_find(const struct ctl *ctl, int argc, char **argv)
{
	const struct ctl_cmd *best = NULL;

	for (size_t i = 0; i < ctl->n_cmds; i++) {
		const struct ctl_cmd *c = &ctl->cmds[i];
		int k;

		if (c->n_words > argc || (best && best->n_words >= c->n_words))
			continue;
		for (k = 0; k < c->n_words && !strcmp(c->words[k], argv[k]); k++)
			;
		if (k == c->n_words)
			best = c;
	}
	return best;
}

/* "help" and an unknown command: the commands whose words start as argv's. */
static void list_usage(const struct ctl *ctl, struct ctl_req *req, int argc, char **argv)
{
	ctl_table(req, "commands", (const char *[]){ "command", NULL });
	for (size_t i = 0; i < ctl->n_cmds; i++) {
		const struct ctl_cmd *c = &ctl->cmds[i];
		int k;

		for (k = 0; k < argc && k < c->n_words && !strcmp(c->words[k], argv[k]); k++)
			;
		if (k == argc || k == c->n_words)
			ctl_cell(req, "%s", c->usage);
	}
}

int ctl_run(struct ctl *ctl, int json, int argc, char **argv, char **outp)
{
	struct ctl_req req = { .json = json, .table = -1 };
	const struct ctl_cmd *c;
	int rc = 0;

	if (argc == 0 || !strcmp(argv[0], "help")) {
		list_usage(ctl, &req, argc ? argc - 1 : 0, argv + 1);
	} else if (!(c = cmd_find(ctl, argc, argv))) {
		struct ctl_req hint = { .table = -1 };
		char said[128] = "";
		int known = 0;

		for (int i = 0; i < argc && i < CTL_MAX_WORDS; i++)
			snprintf(said + strlen(said), sizeof(said) - strlen(said), "%s%s", i ? " " : "", argv[i]);

		/* "show" alone, "busyout" with a typo: say what there is */
		for (int n = argc; n > 0 && !known; n--) {
			list_usage(ctl, &hint, n, argv);
			known = hint.n_blocks && hint.blocks[0].n_cells;
			if (known) {
				char list[400] = "";

				for (size_t i = 0; i < hint.blocks[0].n_cells; i++)
					snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
						 i ? "; " : "", hint.blocks[0].cells[i].s);
				ctl_error(&req, "unknown command '%s'; try: %s", said, list);
			}
			ctl_req_clear(&hint);
		}
		if (!known)
			ctl_error(&req, "unknown command '%s' (try: help)", said);
		rc = -ENOENT;
	} else {
		rc = c->h(c->arg, &req, argc - c->n_words, argv + c->n_words);
		if (rc && !req.error[0])
			ctl_error(&req, "failed: %s", strerror(-rc));
		if (!rc && req.error[0])
			rc = -EINVAL;
	}
	if (req.oom) {
		ctl_error(&req, "out of memory");
		rc = -ENOMEM;
	}
	*outp = ctl_render(&req, rc != 0);
	ctl_req_clear(&req);
	return *outp ? rc : -ENOMEM;
}

static void conn_free(struct ctl_conn *cn)
{
	cn->ctl->conns[cn->slot] = NULL;
	loop_fd_free(cn->rw);
	loop_fd_free(cn->ww);
	loop_timer_free(cn->idle);
	close(cn->fd);
	free(cn->out);
	free(cn);
}

static void conn_writable(void *arg, int fd)
{
	struct ctl_conn *cn = arg;

	while (cn->out_pos < cn->out_len) {
		ssize_t n = send(fd, cn->out + cn->out_pos, cn->out_len - cn->out_pos, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (!cn->ww && loop_fd_alloc_out(&cn->ww, cn->ctl->root, fd, conn_writable, cn))
				break;
			loop_timer_start(cn->idle, CTL_IDLE_MS);
			return;
		}
		if (n <= 0)
			break;
		cn->out_pos += (size_t)n;
	}
	conn_free(cn);
}

static void conn_request(struct ctl_conn *cn)
{
	char *argv[CTL_MAX_ARGS];
	int argc = 0, json = 0, rc;

	loop_fd_free(cn->rw);
	cn->rw = NULL;
	if (ctl_parse_request(cn->in, &json, &argc, argv, CTL_MAX_ARGS)) {
		LOGW(LSS_CORE, "control socket: a request that is not %s; closed", CTL_PROTO);
		cn->out = strdup("error\nnot a " CTL_PROTO " request\n");
	} else {
		char line[256] = "";

		for (int i = 0; i < argc; i++)
			snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i ? " " : "", argv[i]);
		rc = ctl_run(cn->ctl, json, argc, argv, &cn->out);
		LOGI(LSS_CORE, "control: %s%s%s", line, rc ? ": " : "", rc ? strerror(-rc) : "");
	}
	if (!cn->out) {
		conn_free(cn);
		return;
	}
	cn->out_len = strlen(cn->out);
	conn_writable(cn, cn->fd);
}

static void conn_readable(void *arg, int fd)
{
	struct ctl_conn *cn = arg;
	ssize_t n = recv(fd, cn->in + cn->in_len, CTL_MAX_REQUEST - cn->in_len, 0);
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(cn);
		return;
	}
	cn->in_len += (size_t)n;
	cn->in[cn->in_len] = '\0';
	if (memchr(cn->in, '\0', cn->in_len)) {
		conn_free(cn);
		return;
	}
	if ((nl = strchr(cn->in, '\n'))) {
		*nl = '\0';
		conn_request(cn);
	} else if (cn->in_len == CTL_MAX_REQUEST) {
		LOGW(LSS_CORE, "control socket: a request over %d bytes; closed", CTL_MAX_REQUEST);
		conn_free(cn);
	}
}

static void conn_idle(void *arg)
{
	conn_free(arg);
}

/* Root, the gateway's own user, control.owner, or a member of
 * control.group (primary or supplementary, by the peer's user name). */
static int peer_allowed(const struct ctl *ctl, int fd, struct ucred *uc)
{
	socklen_t len = sizeof(*uc);
	struct passwd *pw;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, uc, &len))
		return 0;
	if (uc->uid == 0 || uc->uid == geteuid() || (ctl->owner != (uid_t)-1 && uc->uid == ctl->owner))
		return 1;
	if (ctl->group == (gid_t)-1)
		return 0;
	if (uc->gid == ctl->group)
		return 1;
	if ((pw = getpwuid(uc->uid))) {
		gid_t groups[64];
		int ng = 64;

		if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &ng) >= 0)
			for (int i = 0; i < ng; i++)
				if (groups[i] == ctl->group)
					return 1;
	}
	return 0;
}

static void ctl_accept(void *arg, int lfd)
{
	struct ctl *ctl = arg;
	struct ctl_conn *cn;
	struct ucred uc;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), slot;

	if (fd < 0)
		return;
	if (!peer_allowed(ctl, fd, &uc)) {
		static const char no[] = "error\npermission denied: not an operator of this sipgw\n";

		LOGW_LIMIT(&ctl->lim_refused, LSS_CORE, "control socket: uid %u (pid %d) refused",
			   (unsigned)uc.uid, (int)uc.pid);
		if (send(fd, no, sizeof(no) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* nothing to tell it more */
		}
		close(fd);
		return;
	}
	for (slot = 0; slot < CTL_MAX_CONNS && ctl->conns[slot]; slot++)
		;
	if (slot == CTL_MAX_CONNS || !(cn = calloc(1, sizeof(*cn)))) {
		LOGW(LSS_CORE, "control socket: %d connections open; one more closed", CTL_MAX_CONNS);
		close(fd);
		return;
	}
	cn->ctl = ctl;
	cn->slot = slot;
	cn->fd = fd;
	ctl->conns[slot] = cn;
	if (loop_fd_alloc(&cn->rw, ctl->root, fd, conn_readable, cn) ||
	    loop_timer_alloc(&cn->idle, ctl->root, "ctl-idle", conn_idle, cn)) {
		conn_free(cn);
		return;
	}
	loop_timer_start(cn->idle, CTL_IDLE_MS);
}

int ctl_alloc(struct ctl **ctlp, const struct ctl_params *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl *ctl;
	struct stat st;
	int rc;

	if (!p->path || !p->path[0]) {
		/* commands only, for ctl_run: no control.socket, or a test */
		if (!(ctl = calloc(1, sizeof(*ctl))))
			return -ENOMEM;
		ctl->root = p->root;
		ctl->fd = -1;
		*ctlp = ctl;
		return 0;
	}
	if (strlen(p->path) >= sizeof(sa.sun_path)) {
		LOGE(LSS_CORE, "control socket %s: path too long (%zu bytes at most)", p->path,
		     sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	if (!(ctl = calloc(1, sizeof(*ctl))))
		return -ENOMEM;
	ctl->root = p->root;
	ctl->owner = p->owner;
	ctl->group = p->group;
	ctl->lim_refused.interval_ms = LOG_LIMIT_INTERVAL_MS;
	snprintf(ctl->path, sizeof(ctl->path), "%s", p->path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->path);
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0) {
		rc = -errno;
		free(ctl);
		return rc;
	}
	/* A socket file left by a gateway that did not stop cleanly; never
	 * anything else (a typo must not delete a file). */
	if (lstat(p->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(p->path);
	if (bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(ctl->fd, 16)) {
		rc = -errno;
		LOGE(LSS_CORE, "control socket %s: %s", p->path, strerror(-rc));
		goto fail;
	}
	if (chmod(p->path, p->mode & 07777) ||
	    ((p->owner != (uid_t)-1 || p->group != (gid_t)-1) && chown(p->path, p->owner, p->group))) {
		rc = -errno;
		LOGE(LSS_CORE, "control socket %s: setting its owner and mode: %s", p->path, strerror(-rc));
		unlink(p->path);
		goto fail;
	}
	if ((rc = loop_fd_alloc(&ctl->w, p->root, ctl->fd, ctl_accept, ctl))) {
		unlink(p->path);
		goto fail;
	}
	LOGN(LSS_CORE, "control socket %s (mode %04o)", p->path, p->mode & 07777);
	*ctlp = ctl;
	return 0;
fail:
	close(ctl->fd);
	free(ctl);
	return rc;
}

void ctl_free(struct ctl *ctl)
{
	if (!ctl)
		return;
	for (int i = 0; i < CTL_MAX_CONNS; i++)
		if (ctl->conns[i])
			conn_free(ctl->conns[i]);
	loop_fd_free(ctl->w);
	if (ctl->fd >= 0) {
		close(ctl->fd);
		unlink(ctl->path);
	}
	for (size_t i = 0; i < ctl->n_cmds; i++)
		cmd_free(&ctl->cmds[i]);
	free(ctl->cmds);
	free(ctl);
}
