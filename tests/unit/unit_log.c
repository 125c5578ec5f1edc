/* sipgw - unit test helper: what the code under test logs (stderr) for one stretch.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

static FILE *cap;
static int saved_fd = -1;
static char text[16384];

int unit_log_begin(void)
{
	fflush(stderr);
	if (!(cap = tmpfile()))
		return -1;
	saved_fd = dup(STDERR_FILENO);
	if (saved_fd < 0 || dup2(fileno(cap), STDERR_FILENO) < 0) {
		fclose(cap);
		cap = NULL;
		return -1;
	}
	return 0;
}

const char *unit_log_end(void)
{
	size_t n = 0;

	text[0] = 0;
	if (!cap)
		return text;
	fflush(stderr);
	dup2(saved_fd, STDERR_FILENO);
	close(saved_fd);
	saved_fd = -1;
	rewind(cap);
	n = fread(text, 1, sizeof(text) - 1, cap);
	text[n] = 0;
	fclose(cap);
	cap = NULL;
	return text;
}

unsigned unit_count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}
