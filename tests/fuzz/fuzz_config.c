/* sipgw - fuzz target: configuration loading (src/core/config.c, and routing's
 * check of it in src/route/route_check.c).
 *
 * The input is a sipgw.conf. route_config_load() (config_load(), then
 * route_config_check(), as sipgw starts) reads it from a memfd (through
 * /proc/self/fd, the path libconfig's config_read_file() wants) and must
 * either succeed or fail with "file:line: what is wrong"; either way nothing
 * may be left allocated after config_free(). SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "route/route_check.h"

/* libconfig 1.5 (Debian 12) leaks from its scanner on some syntax errors
 * (tests/fuzz/corpus/config/regress-libconfig-*); sipgw exits on a config
 * error, so only this target lets them go. Full stacks: libconfig has no
 * frame pointers, and the suppression must see libconfig_yylex (6 frames
 * deep: the slow unwinder costs less so). */
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0:malloc_context_size=6";
}

const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig_yylex\n";
}

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_LVL_ERROR);
	fd = memfd_create("sipgw-fuzz.conf", MFD_CLOEXEC);
	if (fd < 0) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

/* "PATH:LINE: text" with LINE > 0. */
static int err_has_line(const char *err)
{
	size_t plen = strlen(path);
	const char *p;
	char *end;
	long line;

	if (strncmp(err, path, plen) || err[plen] != ':')
		return 0;
	p = err + plen + 1;
	line = strtol(p, &end, 10);
	return end != p && line > 0 && end[0] == ':' && end[1] == ' ' && end[2];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gw_config cfg;
	char err[512];
	int rc;

	if (size > 65536)
		return 0;
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	err[0] = 0;
	memset(&cfg, 0, sizeof(cfg));
	rc = route_config_load(&cfg, path, err, sizeof(err));
	if (rc == 0) {
		/* what the rest of sipgw takes for granted */
		if ((size_t)cfg.n_spans > CFG_MAX_SPANS || cfg.n_tgs > CFG_MAX_TGS ||
		    cfg.reg.n_users > CFG_MAX_USERS || cfg.emergency.n > CFG_MAX_EMERGENCY ||
		    (cfg.n_peers && !cfg.peers))
			abort();
		for (size_t i = 0; i < cfg.n_peers; i++)
			if (dp_pattern_check(cfg.peers[i].pattern, NULL))
				abort();	/* a loaded peer's pattern is valid */
		config_free(&cfg);
	} else {
		if (rc != -EINVAL)
			abort();
		if (!err_has_line(err)) {
			fprintf(stderr, "config error without a line: \"%s\"\n", err);
			abort();
		}
	}
	if (cfg.peers)
		abort();
	return 0;
}
