/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "store.sqlite"

#include <stdio.h>
#include <string.h>

#include "keywarden/log.h"
#include "store/sqlite/internal.h"

/*
 * Numbered schema migrations. migrations[i] brings a database from version
 * i to i + 1; each runs in the same transaction as the row recording it in
 * schema_version, so a crash leaves the old version or the new one. Append
 * only: a released migration is never edited.
 */

/* 'KWDN': marks the file as a keywarden store (PRAGMA application_id). */
#define KW_SQ_APPLICATION_ID 0x4b57444e

static const char *const migrations[] = {
	/* 1: records with their lookup and group indexes; the audit trail */
	"CREATE TABLE records ("
	" type INTEGER NOT NULL,"
	" id TEXT NOT NULL,"
	" version INTEGER NOT NULL,"
	" grp BLOB,"
	" lookup BLOB,"
	" data BLOB NOT NULL,"
	" PRIMARY KEY (type, id)"
	") WITHOUT ROWID;"
	"CREATE UNIQUE INDEX records_lookup ON records (type, lookup)"
	" WHERE lookup IS NOT NULL;"
	"CREATE INDEX records_grp ON records (type, grp, id);"
	"CREATE TABLE audit (seq INTEGER PRIMARY KEY, entry BLOB NOT NULL);",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
		       KW_SQ_SCHEMA_VERSION,
	       "one migration per schema version");

/* One-off statements of the migration (run once per open, not cached). */
static kw_rc exec(kw_sq_conn *c, const char *sql, const char *what)
{
	int src = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	return src == SQLITE_OK ? KW_OK : kw_sq_rc(c, src, what);
}

/* The first column of the first row of sql, as an integer and as text
 * (text may be NULL). */
static kw_rc query(kw_sq_conn *c, const char *sql, sqlite3_int64 *out_int,
		   char *text, size_t text_len)
{
	sqlite3_stmt *st = NULL;
	int src = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	kw_rc rc = KW_E_STORAGE;
	if (src == SQLITE_ROW) {
		*out_int = sqlite3_column_int64(st, 0);
		const unsigned char *s = sqlite3_column_text(st, 0);
		if (text != NULL)
			snprintf(text, text_len, "%s",
				 s != NULL ? (const char *)s : "");
		rc = KW_OK;
	} else if (src == SQLITE_DONE) {
		KW_LOG_ERROR("migration: no result from \"%s\"", sql);
	} else {
		rc = kw_sq_rc(c, src, "migration");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Refuses files that are SQLite databases but not ours: another
 * application's id, or objects without our schema_version table. */
static kw_rc check_ours(kw_sq_conn *c)
{
	sqlite3_int64 app = 0, objects = 0, ours = 0;
	kw_rc rc = query(c, "PRAGMA application_id", &app, NULL, 0);
	if (rc == KW_OK)
		rc = query(c, "SELECT count(*) FROM sqlite_schema", &objects,
			   NULL, 0);
	if (rc == KW_OK)
		rc = query(c,
			   "SELECT count(*) FROM sqlite_schema"
			   " WHERE type = 'table' AND name = 'schema_version'",
			   &ours, NULL, 0);
	if (rc == KW_OK && ((app != 0 && app != KW_SQ_APPLICATION_ID) ||
			    (objects != 0 && ours == 0))) {
		KW_LOG_ERROR("%s is an SQLite database of another application",
			     c->be->path);
		rc = KW_E_STORAGE;
	}
	return rc;
}

/* Runs inside BEGIN IMMEDIATE: no other connection migrates at once. */
static kw_rc migrate_locked(kw_sq_conn *c)
{
	sqlite3_int64 cur = 0;
	char sql[128];
	kw_rc rc = check_ours(c);
	if (rc == KW_OK)
		rc = exec(c,
			  "CREATE TABLE IF NOT EXISTS schema_version ("
			  " version INTEGER PRIMARY KEY,"
			  " applied_at INTEGER NOT NULL)",
			  "migration");
	if (rc == KW_OK)
		rc = query(c,
			   "SELECT coalesce(max(version), 0)"
			   " FROM schema_version",
			   &cur, NULL, 0);
	if (rc != KW_OK)
		goto out;
	if (cur > KW_SQ_SCHEMA_VERSION) {
		KW_LOG_ERROR("%s has schema version %lld, newer than the %d "
			     "this keywarden knows: upgrade keywarden",
			     c->be->path, (long long)cur, KW_SQ_SCHEMA_VERSION);
		rc = KW_E_STORAGE;
		goto out;
	}
	for (sqlite3_int64 v = cur + 1;
	     rc == KW_OK && v <= KW_SQ_SCHEMA_VERSION; v++) {
		rc = exec(c, migrations[v - 1], "migration");
		snprintf(sql, sizeof(sql),
			 "INSERT INTO schema_version VALUES (%lld,"
			 " CAST(strftime('%%s', 'now') AS INTEGER))",
			 (long long)v);
		if (rc == KW_OK)
			rc = exec(c, sql, "migration");
		if (rc == KW_OK)
			KW_LOG_INFO("%s: applied schema migration %lld",
				    c->be->path, (long long)v);
	}
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
		 KW_SQ_APPLICATION_ID);
	if (rc == KW_OK && cur == 0)
		rc = exec(c, sql, "migration");
out:
	return rc;
}

kw_rc kw_sq_schema_migrate(kw_sq_conn *c)
{
	char mode[16] = "";
	sqlite3_int64 ignored = 0;
	/* Persistent in the file; also the first read, so a file that is
	 * not a database fails here with SQLITE_NOTADB. */
	kw_rc rc = query(c, "PRAGMA journal_mode = WAL", &ignored, mode,
			 sizeof(mode));
	if (rc != KW_OK)
		goto out;
	if (strcmp(mode, "wal") != 0) {
		KW_LOG_ERROR("%s: cannot switch to WAL mode (got \"%s\")",
			     c->be->path, mode);
		rc = KW_E_STORAGE;
		goto out;
	}
	rc = exec(c, "BEGIN IMMEDIATE", "migration");
	if (rc != KW_OK)
		goto out;
	rc = migrate_locked(c);
	if (rc == KW_OK)
		rc = exec(c, "COMMIT", "migration");
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
out:
	return rc;
}
