/* sipgw - far-end connection to a loopback span (simulators, tests).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "loopback.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int lb_connect(const char *path, int which)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, n;

	if (!path || (which != 0 && which != 1))
		return -EINVAL;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s%s", path,
		     which ? LB_AUDIO_SUFFIX : "");
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;

	/* SEQPACKET keeps datagram boundaries: one Q.921 frame, or one 20 ms
	 * audio block, per read, as libpri expects from a DAHDI D-channel. */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Connect while blocking: a local connect completes at once or fails,
	 * and the caller gets a plain error instead of EINPROGRESS. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}
