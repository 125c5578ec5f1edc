/* sipgw - the cdr table as CSV (RFC 4180: a header row, CRLF line ends,
 * fields quoted where they must be). The column list is cdr.c's, so the
 * header names what the schema has. SPDX-License-Identifier: GPL-2.0-only */
#include "bridge/cdr_export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Read-only, as a member of sipgw's group may (the file is 0640): with
 * the gateway running, its -wal and -shm are there to read (SQLite 3.22+
 * reads a -shm it cannot write). With none (the gateway stopped and closed
 * the file cleanly), a read-only WAL open would have to create the -shm:
 * nobody writes the file then, so it is opened as immutable. */
static int open_ro(const char *path, const char *sql, sqlite3 **dbp, sqlite3_stmt **sp)
{
	char wal[4200], *uri;
	int rc;

	if (sqlite3_open_v2(path, dbp, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_busy_timeout(*dbp, 2000) == SQLITE_OK &&
	    sqlite3_prepare_v2(*dbp, sql, -1, sp, NULL) == SQLITE_OK)
		return 0;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	rc = sqlite3_errcode(*dbp);
	if ((rc != SQLITE_READONLY && rc != SQLITE_CANTOPEN) || access(wal, F_OK) == 0 || access(path, R_OK) ||
	    strpbrk(path, "?#%"))	/* a URI would need them escaped */
		return -EIO;
	if (!(uri = sqlite3_mprintf("file:%s?immutable=1", path)))
		return -ENOMEM;
	sqlite3_close(*dbp);
	*dbp = NULL;
	rc = sqlite3_open_v2(uri, dbp, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK &&
	     sqlite3_prepare_v2(*dbp, sql, -1, sp, NULL) == SQLITE_OK ? 0 : -EIO;
	sqlite3_free(uri);
	return rc;
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
	rc = open_ro(path, sql, &db, &s);
	free(sql);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return -EIO;
	}
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
