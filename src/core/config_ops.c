/* sipgw - the operations keys: control (sipgwctl's socket), cdr, metrics
 * and trace; their defaults and the checks that need the file system.
 * config.c applies them. SPDX-License-Identifier: GPL-2.0-only */
#include "core/config_internal.h"
#include "core/metrics_http.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sqlite3.h>

#define OPS(f) offsetof(struct gw_config, ops.f), sizeof(((struct gw_config *)0)->ops.f)

static const struct opt control_opts[] = {
	{ "socket", OPT_STR, OPS(control_socket), 0, 0, NULL, 0 },
	/* octal as a string ("0660"): libconfig would read 0660 as 432 */
	{ "mode", OPT_STR, OPS(control_mode_s), 0, 0, NULL, 0 },
	{ "owner", OPT_STR, OPS(control_owner), 0, 0, NULL, 0 },
	{ "group", OPT_STR, OPS(control_group), 0, 0, NULL, 0 },
	{ NULL } };

static const struct opt cdr_opts[] = {
	{ "database", OPT_STR, OPS(cdr_database), 0, 0, NULL, 0 },
	{ NULL } };

static const struct opt metrics_opts[] = {
	{ "listen", OPT_STR, OPS(metrics_listen), 0, 0, NULL, 0 },
	{ NULL } };

static const struct opt trace_opts[] = {
	{ "pcap", OPT_STR, OPS(trace_pcap), 0, 0, NULL, 0 },
	{ "pcap_max_kb", OPT_INT, OPS(trace_pcap_max_kb), 16, 16 * 1024 * 1024, NULL, 0 },
	{ "pcap_files", OPT_INT, OPS(trace_pcap_files), 1, 100, NULL, 0 },
	{ "ladder_dir", OPT_STR, OPS(trace_ladder_dir), 0, 0, NULL, 0 },
	{ "ladder_all", OPT_BOOL, OPS(trace_ladder_all), 0, 1, NULL, 0 },
	{ NULL } };

void config_ops_defaults(struct cfg_ops *o)
{
	memset(o, 0, sizeof(*o));
	strcpy(o->control_mode_s, "0660");
	o->control_mode = 0660;
	o->control_uid = (uid_t)-1;
	o->control_gid = (gid_t)-1;
	o->trace_pcap_max_kb = 100 * 1024;
	o->trace_pcap_files = 10;
}

static const struct {
	const char *name;
	const struct opt *opts;
} groups[] = {
	{ "control", control_opts }, { "cdr", cdr_opts }, { "metrics", metrics_opts }, { "trace", trace_opts },
};

int config_ops_is_group(const char *name)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (!strcmp(groups[i].name, name))
			return 1;
	return 0;
}

static int load_control(struct ctx *c, config_t *lc, struct cfg_ops *o)
{
	const config_setting_t *s;
	char *end;
	long mode;

	if (o->control_socket[0] && strlen(o->control_socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return fail(c, config_lookup(lc, "control.socket"), "control socket \"%s\": path is too long (%zu bytes at most)",
			    o->control_socket, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	mode = strtol(o->control_mode_s, &end, 8);
	if (!o->control_mode_s[0] || *end || mode < 0 || mode > 0777)
		return fail(c, config_lookup(lc, "control.mode"), "control mode \"%s\": not an octal mode like \"0660\"",
			    o->control_mode_s);
	if (mode & 0007)
		return fail(c, config_lookup(lc, "control.mode"),
			    "control mode \"%s\": other users may not have access to the control socket "
			    "(it clears calls and busies out spans)", o->control_mode_s);
	o->control_mode = (unsigned)mode;
	if (o->control_owner[0]) {
		struct passwd *pw = getpwnam(o->control_owner);

		s = config_lookup(lc, "control.owner");
		if (!pw)
			return fail(c, s, "control owner \"%s\": no such user", o->control_owner);
		o->control_uid = pw->pw_uid;
	}
	if (o->control_group[0]) {
		struct group *gr = getgrnam(o->control_group);

		s = config_lookup(lc, "control.group");
		if (!gr)
			return fail(c, s, "control group \"%s\": no such group", o->control_group);
		o->control_gid = gr->gr_gid;
	}
	return 0;
}

/* A ladder for every call needs somewhere to go, and a folder that is there
 * (the gateway does not make one: its user may not own the parent). */
static int load_trace(struct ctx *c, config_t *lc, struct cfg_ops *o)
{
	struct stat st;

	if (o->trace_ladder_all && !o->trace_ladder_dir[0])
		return fail(c, config_lookup(lc, "trace.ladder_all"),
			    "trace ladder_all: set trace.ladder_dir, the folder the ladders go to");
	if (o->trace_ladder_dir[0] && (stat(o->trace_ladder_dir, &st) || !S_ISDIR(st.st_mode)))
		return fail(c, config_lookup(lc, "trace.ladder_dir"), "trace ladder_dir \"%s\": not a folder",
			    o->trace_ladder_dir);
	if (o->trace_pcap[0] && o->trace_pcap[strlen(o->trace_pcap) - 1] == '/')
		return fail(c, config_lookup(lc, "trace.pcap"), "trace pcap \"%s\": a file, not a folder",
			    o->trace_pcap);
	return 0;
}

/* cdr.database: a file sipgw can write, or can create in its directory
 * (-t creates nothing); an existing file must be an SQLite database. The
 * writer opens it at start-up; a start that fails there names this line. */
static int load_cdr(struct ctx *c, config_t *lc, struct cfg_ops *o)
{
	const config_setting_t *s = config_lookup(lc, "cdr.database");
	const char *path = o->cdr_database, *slash;
	char dir[sizeof(o->cdr_database)];

	if (!s)
		return 0;
	o->cdr_database_line = config_setting_source_line(s);
	if (!path[0])
		return fail(c, s, "cdr database: empty path");
	if (access(path, F_OK) == 0) {
		sqlite3 *db = NULL;
		int ok = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
			 sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) == SQLITE_OK;
		char why[128];

		snprintf(why, sizeof(why), "%s", db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		if (!ok)
			return fail(c, s, "cdr database \"%s\": %s", path, why);
		if (access(path, W_OK))
			return fail(c, s, "cdr database \"%s\": %s", path, strerror(errno));
		return 0;
	}
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (!dir[0])
		snprintf(dir, sizeof(dir), "/");
	if (access(dir, W_OK | X_OK))
		return fail(c, s, "cdr database \"%s\": cannot be created in %s: %s", path, dir, strerror(errno));
	return 0;
}

int config_ops_load(struct ctx *c, config_t *lc, struct gw_config *cfg)
{
	const config_setting_t *s;
	struct sockaddr_storage ss;
	int rc;

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if ((s = config_lookup(lc, groups[i].name)) && (rc = group_apply(c, s, groups[i].opts, cfg)))
			return rc;
	if (cfg->ops.metrics_listen[0] && metrics_listen_parse(cfg->ops.metrics_listen, &ss))
		return fail(c, config_lookup(lc, "metrics.listen"),
			    "metrics listen \"%s\": not ADDRESS:PORT (\"127.0.0.1:9464\", \"[::1]:9464\")",
			    cfg->ops.metrics_listen);
	if ((rc = load_cdr(c, lc, &cfg->ops)) || (rc = load_trace(c, lc, &cfg->ops)))
		return rc;
	return load_control(c, lc, &cfg->ops);
}
