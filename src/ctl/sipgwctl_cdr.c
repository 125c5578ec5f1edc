/* sipgwctl - `cdr export`: the CDR as CSV, read by sipgwctl from the
 * database file, not by the gateway. Why here: the gateway's loop carries
 * every call's signalling and a big export must not hold it; SQLite's WAL
 * lets a reader run beside the writer thread without blocking it; and a
 * carrier gets the CDR of a gateway that is down too (-c CONFIG). The
 * file's mode (0640, sipgw's group) decides who may read it, as for any
 * file. SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libconfig.h>

#include "bridge/cdr.h"
#include "bridge/cdr_export.h"
#include "core/ctl.h"
#include "ctl/sipgwctl.h"

#define ASK_TIMEOUT_MS 5000

/* cdr.database of file: 0, -ENOENT (no such key), -EIO (unreadable; said). */
static int db_from_config(const char *file, char *path, size_t len, int quiet_missing)
{
	config_t lc;
	const char *s = NULL;
	int rc = 0;

	config_init(&lc);
	if (!config_read_file(&lc, file)) {
		if (config_error_type(&lc) != CONFIG_ERR_FILE_IO)
			fprintf(stderr, "sipgwctl: %s:%d: %s\n", config_error_file(&lc) ? config_error_file(&lc) : file,
				config_error_line(&lc), config_error_text(&lc));
		else if (!quiet_missing)
			fprintf(stderr, "sipgwctl: %s: cannot read the file\n", file);
		config_destroy(&lc);
		return -EIO;
	}
	if (config_lookup_string(&lc, "cdr.database", &s) && s[0])
		snprintf(path, len, "%s", s);
	else
		rc = -ENOENT;
	config_destroy(&lc);
	return rc;
}

/* Ask the gateway at sock where its CDR is ("cdr path"): an EX_ status. */
static int db_from_gateway(const char *sock, char *path, size_t len)
{
	static const char req[] = CTL_PROTO " text\tcdr\tpath\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char reply[4096];
	size_t n = 0;
	int fd;

	if (strlen(sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sipgwctl: %s: path too long for a socket\n", sock);
		return EX_USAGE;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		fprintf(stderr, "sipgwctl: no sipgw is running on %s (%s) to say where its CDR is; "
				"-c CONFIG reads cdr.database from the file\n", sock, strerror(e));
		if (fd >= 0)
			close(fd);
		return e == ENOENT || e == ECONNREFUSED ? EX_NOT_RUNNING : EX_FAILED;
	}
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1) {
		fprintf(stderr, "sipgwctl: %s: sending: %s\n", sock, strerror(errno));
		close(fd);
		return EX_FAILED;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (poll(&pfd, 1, ASK_TIMEOUT_MS) <= 0 || n == sizeof(reply) - 1)
			break;
		k = recv(fd, reply + n, sizeof(reply) - 1 - n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	reply[n] = '\0';
	if (strncmp(reply, "ok\n", 3)) {
		fprintf(stderr, "sipgwctl: %s: %s", sock, !strncmp(reply, "error\n", 6) ? reply + 6 : "no answer\n");
		return EX_FAILED;
	}
	reply[strcspn(reply + 3, "\r\n") + 3] = '\0';
	if (strlen(reply + 3) >= len) {
		fprintf(stderr, "sipgwctl: %s: the CDR's path is too long\n", sock);
		return EX_FAILED;
	}
	memcpy(path, reply + 3, strlen(reply + 3) + 1);
	return path[0] ? EX_OK : EX_FAILED;
}

int sipgwctl_cdr_export(const char *sock, const char *conf, int argc, char **argv)
{
	char path[4096], err[512];
	long long since = 0;
	int csv = 0, rc;
	long rows;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--csv")) {
			csv = 1;
		} else if (!strcmp(argv[i], "--since") && i + 1 < argc) {
			if (cdr_time_parse(argv[++i], &since)) {
				fprintf(stderr, "sipgwctl: --since %s: not a time (2026-12-01T22:00:00Z, "
						"2026-12-01, or epoch seconds)\n", argv[i]);
				return EX_USAGE;
			}
		} else {
			fprintf(stderr, "usage: sipgwctl [-s SOCKET | -c CONFIG] cdr export --csv "
					"[--since ISO-TIME|EPOCH]\n");
			return EX_USAGE;
		}
	}
	if (!csv) {
		fprintf(stderr, "sipgwctl: cdr export: say --csv (the one format there is)\n");
		return EX_USAGE;
	}
	if (conf) {
		if ((rc = db_from_config(conf, path, sizeof(path), 0))) {
			if (rc == -ENOENT)
				fprintf(stderr, "sipgwctl: %s has no cdr.database: this sipgw keeps no CDR\n", conf);
			return EX_USAGE;
		}
	} else if (sock || db_from_config(DEFAULT_CONFIG, path, sizeof(path), 1)) {
		if ((rc = db_from_gateway(sock ? sock : DEFAULT_SOCKET, path, sizeof(path))))
			return rc;
	}
	rows = cdr_export_csv(path, since, stdout, err, sizeof(err));
	if (rows < 0) {
		fprintf(stderr, "sipgwctl: cdr export: %s\n", err);
		return EX_FAILED;
	}
	if (fflush(stdout)) {
		fprintf(stderr, "sipgwctl: cdr export: writing: %s\n", strerror(errno));
		return EX_FAILED;
	}
	return EX_OK;
}
