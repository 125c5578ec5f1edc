/* sipgw - the TLS material in the shape Sofia-SIP 1.12 wants it: one
 * directory holding agent.pem (certificate and private key together) and
 * cafile.pem (the CAs that sign the peers' certificates), where the
 * configuration names three separate PEM files (sip.tls_cert, tls_key,
 * tls_ca). The directory is private to the process (0700, files 0600) and
 * removed at exit. SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

/* Append the whole of file src to fd, ending it with a newline (a PEM
 * file without one would glue its last line to the next block); 0 or -errno. */
static int copy_into(int fd, const char *src)
{
	char buf[4096], last = '\n';
	int in = open(src, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int rc = 0;

	if (in < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(fd, buf, (size_t)n) != n) {
			rc = -EIO;
			break;
		}
		last = buf[n - 1];
	}
	if (n < 0)
		rc = -errno;
	else if (!rc && last != '\n' && write(fd, "\n", 1) != 1)
		rc = -EIO;
	close(in);
	return rc;
}

/* dir/name made of the files in srcs (NULL-ended), mode 0600. */
static int write_pem(const char *dir, const char *name, const char *const *srcs)
{
	char path[SIP_TLS_DIR_LEN + 32];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	for (; *srcs && !rc; srcs++)
		rc = copy_into(fd, *srcs);
	if (close(fd) && !rc)
		rc = -errno;
	return rc;
}

int sip_tls_dir_make(char *dir, size_t len, const char *cert, const char *key, const char *ca)
{
	const char *tmp = getenv("TMPDIR");
	const char *agent[] = { key, cert, NULL }, *cafile[] = { ca, NULL };
	int rc;

	if ((size_t)snprintf(dir, len, "%s/sipgw-tls-XXXXXX", tmp && *tmp ? tmp : "/tmp") >= len)
		return -ENAMETOOLONG;
	if (!mkdtemp(dir)) {	/* mode 0700 */
		rc = -errno;
		LOGE(LSS_SIP, "TLS: cannot make a private folder %s: %s", dir, strerror(-rc));
		dir[0] = 0;
		return rc;
	}
	if ((rc = write_pem(dir, "agent.pem", agent)) || (ca && *ca && (rc = write_pem(dir, "cafile.pem", cafile)))) {
		LOGE(LSS_SIP, "TLS: cannot copy the certificate, key or CA into %s: %s", dir, strerror(-rc));
		sip_tls_dir_remove(dir);
		return rc;
	}
	return 0;
}

void sip_tls_dir_remove(char *dir)
{
	static const char *const names[] = { "agent.pem", "cafile.pem", NULL };
	char path[SIP_TLS_DIR_LEN + 32];

	if (!dir || !dir[0])
		return;
	for (const char *const *n = names; *n; n++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *n);
		unlink(path);
	}
	if (rmdir(dir))
		LOGW(LSS_SIP, "TLS: cannot remove %s: %s", dir, strerror(errno));
	dir[0] = 0;
}
