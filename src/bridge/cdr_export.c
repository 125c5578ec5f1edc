/* sipgw - the cdr table as CSV (RFC 4180: a header row, CRLF line ends,
 * fields quoted where they must be). The column list is cdr.c's, so the
 * header names what the schema has. SPDX-License-Identifier: GPL-2.0-only */
#include "bridge/cdr_export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "bridge/cdr.h"

/* One field to out: a NULL is empty, a REAL has milliseconds' precision. */
static void put_field(FILE *out, sqlite3_stmt *s, int i)
{
	char small[64], *buf;
	const char *txt;
	size_t need;

	switch (sqlite3_column_type(s, i)) {
	case SQLITE_NULL:
		return;
	case SQLITE_INTEGER:
		fprintf(out, "%lld", (long long)sqlite3_column_int64(s, i));
		return;
	case SQLITE_FLOAT:
		fprintf(out, "%.3f", sqlite3_column_double(s, i));
		return;
	}
	txt = (const char *)sqlite3_column_text(s, i);
	need = cdr_csv_field(small, sizeof(small), txt);
	if (need < sizeof(small)) {
		fputs(small, out);
		return;
	}
	if ((buf = malloc(need + 1))) {
		cdr_csv_field(buf, need + 1, txt);
		fputs(buf, out);
		free(buf);
	}
}

long cdr_export_csv(const char *path, long long since_ms, FILE *out, char *err, size_t errlen)
{
	size_t n = cdr_columns(), len = 64;
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char *sql;
	long rows = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		len += strlen(cdr_column_name(i)) + 2;
	if (!(sql = malloc(len))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	strcpy(sql, "SELECT ");
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(sql, ", ");
		strcat(sql, cdr_column_name(i));
	}
	/* by the end: a call that was up at the last export is in the next */
	strcat(sql, " FROM cdr WHERE end_ms >= ? ORDER BY seq");
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 2000) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		free(sql);
		return -EIO;
	}
	free(sql);
	sqlite3_bind_int64(s, 1, since_ms);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? "," : "", cdr_column_name(i));
	fputs("\r\n", out);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < (int)n; i++) {
			if (i)
				fputc(',', out);
			put_field(out, s, i);
		}
		fputs("\r\n", out);
		rows++;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		rows = -EIO;
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rows;
}
