/* sipgw - the trace of the daemon (core/trace.h) from config trace.*, and
 * its commands: debug pcap on FILE|off (start, move or stop the pcapng at
 * run time), ladder CALL (a call's ladder page, HTML on stdout).
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "gw.h"
#include "core/ctl.h"
#include "core/ladder.h"
#include "core/log.h"
#include "core/pcapng.h"
#include "core/trace.h"

static uint64_t max_bytes(const struct gw *gw)
{
	return (uint64_t)gw->cfg.ops.trace_pcap_max_kb * 1024;
}

int gw_trace_start(struct gw *gw)
{
	const struct cfg_ops *o = &gw->cfg.ops;
	struct trace_params tp = { .root = gw->root,
				   .ladder_dir = o->trace_ladder_all ? o->trace_ladder_dir : NULL };
	int rc;

	if ((rc = trace_alloc(&gw->trace, &tp)))
		return rc;
	if (o->trace_pcap[0] &&
	    (rc = trace_pcap_start(gw->trace, o->trace_pcap, max_bytes(gw), (unsigned)o->trace_pcap_files))) {
		LOGE(LSS_CORE, "trace pcap %s: %s", o->trace_pcap, strerror(-rc));
		return rc;
	}
	if (tp.ladder_dir)
		LOGN(LSS_CORE, "trace: a ladder of every call into %s", tp.ladder_dir);
	return 0;
}

/* The kernel's own file systems, whose "files" are doors into the process
 * and the machine (/proc/self/mem): never a capture's place. */
static int kernel_fs(const char *path)
{
	static const long kinds[] = { PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC, SECURITYFS_MAGIC,
				      CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, DEVPTS_SUPER_MAGIC };
	char dir[4096];
	struct statfs sf;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = 0;	/* "/x" -> "/" */
	if (statfs(dir, &sf))
		return 0;		/* no such folder: the open says so */
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((long)sf.f_type == kinds[i])
			return 1;
	return 0;
}

/* The control socket's users may start a capture, but not use it to
 * overwrite any file the gateway's user can write (its CDR, its config):
 * the path must be absolute, and what is there already a pcapng or nothing. */
static int pcap_path_ok(struct ctl_req *req, const char *path)
{
	struct stat st;
	uint32_t magic = 0;
	int fd;

	if (path[0] != '/') {
		ctl_error(req, "debug pcap on %s: give an absolute path (the gateway's working "
			  "directory is not yours)", path);
		return -EINVAL;
	}
	if (kernel_fs(path)) {
		ctl_error(req, "debug pcap on %s: not on a kernel file system (/proc, /sys, /dev/pts)", path);
		return -EPERM;
	}
	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		ctl_error(req, "debug pcap on %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		ctl_error(req, "debug pcap on %s: not a regular file; not overwritten", path);
		return -EEXIST;
	}
	if (st.st_size == 0)
		return 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &magic, sizeof(magic)) != (ssize_t)sizeof(magic))
			magic = 0;
		close(fd);
	}
	if (magic != PCAPNG_SHB) {
		ctl_error(req, "debug pcap on %s: the file is there and is not a pcapng; not overwritten", path);
		return -EEXIST;
	}
	return 0;
}

/* debug pcap [on FILE | off]: with no argument, what is being captured. */
static int cmd_debug_pcap(void *arg, struct ctl_req *req, int argc, char **argv)
{
	struct gw *gw = arg;
	unsigned long packets, errors;
	const char *path;
	int rc;

	if (argc == 2 && !strcmp(argv[0], "on")) {
		if ((rc = pcap_path_ok(req, argv[1])))
			return rc;
		if ((rc = trace_pcap_start(gw->trace, argv[1], max_bytes(gw),
					   (unsigned)gw->cfg.ops.trace_pcap_files))) {
			ctl_error(req, "debug pcap on %s: %s", argv[1], strerror(-rc));
			return rc;
		}
		ctl_text(req, "pcap on: every D-channel frame and SIP message to %s", argv[1]);
		return 0;
	}
	if (argc == 1 && !strcmp(argv[0], "off")) {
		if (!(path = trace_pcap_path(gw->trace))) {
			ctl_text(req, "pcap was off");
			return 0;
		}
		trace_pcap_counts(gw->trace, &packets, &errors);
		ctl_text(req, "pcap off: %lu packets in %s", packets, path);
		trace_pcap_stop(gw->trace);
		return 0;
	}
	if (argc) {
		ctl_error(req, "usage: debug pcap [on FILE | off]");
		return -EINVAL;
	}
	path = trace_pcap_path(gw->trace);
	trace_pcap_counts(gw->trace, &packets, &errors);
	ctl_kv(req, "pcap", "state", "%s", path ? "on" : "off");
	ctl_kv(req, "pcap", "file", "%s", path ? path : "");
	ctl_kv_num(req, "pcap", "packets", path ? (long long)packets : 0);
	ctl_kv_num(req, "pcap", "errors", path ? (long long)errors : 0);
	ctl_kv_num(req, "pcap", "max_kb", gw->cfg.ops.trace_pcap_max_kb);
	ctl_kv_num(req, "pcap", "files", gw->cfg.ops.trace_pcap_files);
	return 0;
}

/* ladder CALL: CALL is the call's number (show calls) or a SIP Call-ID. */
static int cmd_ladder(void *arg, struct ctl_req *req, int argc, char **argv)
{
	struct gw *gw = arg;
	char *html = NULL;
	size_t len = 0;
	int rc;

	if (argc != 1) {
		ctl_error(req, "usage: ladder CALL (the call's number in show calls, or a SIP Call-ID)");
		return -EINVAL;
	}
	rc = ladder_page(trace_ladder(gw->trace), argv[0], &html, &len);
	if (rc == -ENOENT) {
		ctl_error(req, "ladder %s: no such call up or among the last %d ended", argv[0], LADDER_KEEP);
		return rc;
	}
	if (rc) {
		ctl_error(req, "ladder %s: %s", argv[0], strerror(-rc));
		return rc;
	}
	ctl_raw(req, html, len);
	free(html);
	return 0;
}

int gw_trace_register(struct gw *gw)
{
	int rc;

	if ((rc = ctl_register(gw->ctl, "debug pcap", "debug pcap [on FILE | off]", cmd_debug_pcap, gw)))
		return rc;
	return ctl_register(gw->ctl, "ladder", "ladder CALL > call.html", cmd_ladder, gw);
}
