/* sipgwctl - talk to a running sipgw over its control socket
 * (core/ctl.h): sipgwctl [-s SOCKET | -c CONFIG] [--json] WORDS...
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libconfig.h>

#include "core/ctl.h"
#include "ctl/sipgwctl.h"

#define REPLY_TIMEOUT_MS 30000

static void usage(FILE *f)
{
	fprintf(f, "usage: sipgwctl [-s SOCKET | -c CONFIG] [-j|--json] COMMAND...\n"
		   "  -s SOCKET  the gateway's control socket\n"
		   "  -c CONFIG  take control.socket from this configuration (default %s,\n"
		   "             else %s)\n"
		   "  -j, --json answer as JSON, for scripts\n"
		   "  `sipgwctl help` lists the commands of the running gateway\n",
		DEFAULT_CONFIG, DEFAULT_SOCKET);
}

/* control.socket of file; 0, or -1 with the reason printed. */
static int socket_from_config(const char *file, char *path, size_t len, int quiet_missing)
{
	config_t lc;
	const char *s = NULL;

	config_init(&lc);
	if (!config_read_file(&lc, file)) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO) {
			if (!quiet_missing)
				fprintf(stderr, "sipgwctl: %s: cannot read the file\n", file);
		} else {
			fprintf(stderr, "sipgwctl: %s:%d: %s\n", config_error_file(&lc) ? config_error_file(&lc) : file,
				config_error_line(&lc), config_error_text(&lc));
		}
		config_destroy(&lc);
		return -1;
	}
	if (!config_lookup_string(&lc, "control.socket", &s) || !s[0]) {
		fprintf(stderr, "sipgwctl: %s has no control.socket: this sipgw takes no commands\n", file);
		config_destroy(&lc);
		return -1;
	}
	snprintf(path, len, "%s", s);
	config_destroy(&lc);
	return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *sock = NULL, *conf = NULL;
	char path[sizeof(sa.sun_path)], *req = NULL, *reply = NULL, *body;
	size_t req_len = 0, reply_len = 0, cap = 0;
	int json = 0, opt, fd, ok;
	FILE *mf;

	/* "+": options only before the command, whose own words may start with - */
	while ((opt = getopt_long(argc, argv, "+s:c:jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'c': conf = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return EX_OK;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return EX_USAGE;
	}
	/* the CDR export reads the database itself (sipgwctl_cdr.c says why) */
	if (argc - optind >= 2 && !strcmp(argv[optind], "cdr") && !strcmp(argv[optind + 1], "export"))
		return sipgwctl_cdr_export(sock, conf, argc - optind - 2, argv + optind + 2);
	if (sock) {
		if (strlen(sock) >= sizeof(path)) {
			fprintf(stderr, "sipgwctl: %s: path too long for a socket\n", sock);
			return EX_USAGE;
		}
		snprintf(path, sizeof(path), "%s", sock);
	} else if (conf) {
		if (socket_from_config(conf, path, sizeof(path), 0))
			return EX_USAGE;
	} else if (socket_from_config(DEFAULT_CONFIG, path, sizeof(path), 1)) {
		snprintf(path, sizeof(path), "%s", DEFAULT_SOCKET);
	}
	if (!(mf = open_memstream(&req, &req_len)))
		return EX_FAILED;
	fprintf(mf, "%s %s", CTL_PROTO, json ? "json" : "text");
	for (int i = optind; i < argc; i++) {
		if (!argv[i][0] || strpbrk(argv[i], "\t\r\n")) {
			fprintf(stderr, "sipgwctl: argument %d is empty or has a tab or newline\n", i - optind + 1);
			fclose(mf);
			free(req);
			return EX_USAGE;
		}
		fprintf(mf, "\t%s", argv[i]);
	}
	fputc('\n', mf);
	fclose(mf);
	if (req_len > CTL_MAX_REQUEST) {
		fprintf(stderr, "sipgwctl: the command is over %d bytes\n", CTL_MAX_REQUEST);
		free(req);
		return EX_USAGE;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		if (e == ENOENT || e == ECONNREFUSED)
			fprintf(stderr, "sipgwctl: no sipgw is running on %s (%s)\n", path, strerror(e));
		else if (e == EACCES)
			fprintf(stderr, "sipgwctl: %s: permission denied (run as root or a member of the "
					"socket's group)\n", path);
		else
			fprintf(stderr, "sipgwctl: %s: %s\n", path, strerror(e));
		free(req);
		return e == ENOENT || e == ECONNREFUSED ? EX_NOT_RUNNING : EX_FAILED;
	}
	/* A gateway that refuses us answers and closes at once, maybe before
	 * our request is out: its answer is still there to read. */
	if (send_all(fd, req, req_len) && errno != EPIPE && errno != ECONNRESET) {
		fprintf(stderr, "sipgwctl: %s: sending: %s\n", path, strerror(errno));
		free(req);
		close(fd);
		return EX_FAILED;
	}
	free(req);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (reply_len + 4096 + 1 > cap) {
			char *nr = realloc(reply, cap = cap ? cap * 2 : 65536);

			if (!nr) {
				fprintf(stderr, "sipgwctl: out of memory\n");
				free(reply);
				close(fd);
				return EX_FAILED;
			}
			reply = nr;
		}
		if (poll(&pfd, 1, REPLY_TIMEOUT_MS) == 0) {
			fprintf(stderr, "sipgwctl: %s: no answer in %d s\n", path, REPLY_TIMEOUT_MS / 1000);
			free(reply);
			close(fd);
			return EX_FAILED;
		}
		n = recv(fd, reply + reply_len, cap - reply_len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		reply_len += (size_t)n;
	}
	close(fd);
	if (!reply || !reply_len) {
		fprintf(stderr, "sipgwctl: %s closed the connection without an answer\n", path);
		free(reply);
		return EX_FAILED;
	}
	reply[reply_len] = '\0';
	ok = !strncmp(reply, "ok\n", 3);
	if (!ok && strncmp(reply, "error\n", 6)) {
		fprintf(stderr, "sipgwctl: %s: not a sipgw answer\n", path);
		free(reply);
		return EX_FAILED;
	}
	body = reply + (ok ? 3 : 6);
	if (ok)
		fwrite(body, 1, reply_len - (size_t)(body - reply), stdout);
	else if (json)
		fputs(body, stdout);
	else
		fprintf(stderr, "sipgwctl: %s", body);
	free(reply);
	return ok ? EX_OK : EX_FAILED;
}
