/* sipgw - fuzz target: what the CDR takes from outside: sipgwctl's
 * --since TIME (cdr_time_parse, src/bridge/cdr.c), and the texts a row
 * carries from the wire into RFC 4180 CSV fields (a caller's display name,
 * a Call-ID: cdr_csv_field).
 *
 * The input's first line is a --since argument; all of it is also one
 * field. Besides "no crash": a time that parses prints (cdr_time_iso) and
 * parses back to itself; a quoted field unquotes to the input, and any
 * field is quoted exactly when RFC 4180 2.6 says it must be.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/cdr.h"

/* RFC 4180 2.7: between the quotes, "" is one quote. */
static void check_field(const char *s)
{
	size_t len = strlen(s), need = cdr_csv_field(NULL, 0, s);
	char *f = malloc(need + 1), *u;
	int must = strpbrk(s, ",\"\r\n") != NULL;
	size_t n = 0;

	if (!f || cdr_csv_field(f, need + 1, s) != need || strlen(f) != need)
		abort();
	if (!must) {
		if (strcmp(f, s))
			abort();
		free(f);
		return;
	}
	if (need < 2 || f[0] != '"' || f[need - 1] != '"' || !(u = malloc(len + 1)))
		abort();
	for (size_t i = 1; i + 1 < need; i++) {
		if (f[i] == '"' && f[++i] != '"')	/* a lone quote inside */
			abort();
		u[n++] = f[i];
	}
	u[n] = '\0';
	if (strcmp(u, s))
		abort();
	free(u);
	free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), line[256], iso[40];
	long long ms, again;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(s, "\n"), s);
	if (cdr_time_parse(line, &ms) == 0) {
		cdr_time_iso(iso, sizeof(iso), ms);
		if (cdr_time_parse(iso, &again) || again != ms)
			abort();
	}
	check_field(s);		/* up to the first NUL, as a C string field is */
	free(s);
	return 0;
}
