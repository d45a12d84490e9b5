/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "store.sqlite"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keywarden/log.h"
#include "store/sqlite/internal.h"

/* Inspection helpers of sqlite.h, for tests and diagnostics. */

static const char *const stmt_names[KW_SQ_STMT_COUNT_] = {
	[KW_SQ_BEGIN_READ] = "begin_read",
	[KW_SQ_BEGIN_WRITE] = "begin_write",
	[KW_SQ_COMMIT] = "commit",
	[KW_SQ_ROLLBACK] = "rollback",
	[KW_SQ_GET] = "get",
	[KW_SQ_GET_LOOKUP] = "get_lookup",
	[KW_SQ_VERSION] = "version",
	[KW_SQ_INSERT] = "insert",
	[KW_SQ_UPDATE] = "update",
	[KW_SQ_DELETE] = "delete",
	[KW_SQ_LIST] = "list",
	[KW_SQ_LIST_GROUP] = "list_group",
	[KW_SQ_COUNT] = "count",
	[KW_SQ_COUNT_GROUP] = "count_group",
	[KW_SQ_AUDIT_APPEND] = "audit_append",
	[KW_SQ_AUDIT_READ] = "audit_read",
	[KW_SQ_AUDIT_LAST] = "audit_last",
};

const char *kw_sq_stmt_name(kw_sq_stmt id)
{
	if ((unsigned)id >= KW_SQ_STMT_COUNT_)
		return NULL;
	return stmt_names[id];
}

static kw_rc open_plain(const char *path, sqlite3 **out)
{
	sqlite3 *db = NULL;
	int src = sqlite3_open_v2(
		path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE, NULL);
	if (src != SQLITE_OK) {
		KW_LOG_ERROR("%s: %s", path, sqlite3_errstr(src));
		sqlite3_close(db);
		return KW_E_STORAGE;
	}
	*out = db;
	return KW_OK;
}

kw_rc kw_sq_exec_file(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	kw_rc rc = KW_E_INVALID;
	if (path == NULL || sql == NULL)
		goto out;
	rc = open_plain(path, &db);
	if (rc != KW_OK)
		goto out;
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		KW_LOG_ERROR("%s: %s", path, sqlite3_errmsg(db));
		rc = KW_E_STORAGE;
	}
out:
	sqlite3_close(db);
	return rc;
}

kw_rc kw_sq_query_int(const char *path, const char *sql, int64_t *out)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	kw_rc rc = KW_E_INVALID;
	if (path == NULL || sql == NULL || out == NULL)
		goto out;
	rc = open_plain(path, &db);
	if (rc != KW_OK)
		goto out;
	int src = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
	} else if (src == SQLITE_DONE) {
		rc = KW_E_NOT_FOUND;
	} else {
		KW_LOG_ERROR("%s: %s", path, sqlite3_errmsg(db));
		rc = KW_E_STORAGE;
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

/* Joins the detail column of EXPLAIN QUERY PLAN for sql into buf ("" for
 * BEGIN, COMMIT, ROLLBACK: they have no plan). */
static kw_rc plan_of(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	char eqp[512];
	sqlite3_stmt *st = NULL;
	size_t used = 0;
	kw_rc rc = KW_OK;
	buf[0] = '\0';
	if (strncmp(sql, "SELECT", 6) != 0 && strncmp(sql, "INSERT", 6) != 0 &&
	    strncmp(sql, "UPDATE", 6) != 0 && strncmp(sql, "DELETE", 6) != 0)
		goto out;
	snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sql);
	int src = sqlite3_prepare_v2(db, eqp, -1, &st, NULL);
	while (src == SQLITE_OK || src == SQLITE_ROW) {
		if ((src = sqlite3_step(st)) != SQLITE_ROW)
			break;
		const char *d = (const char *)sqlite3_column_text(st, 3);
		int n = snprintf(buf + used, len - used, "%s%s",
				 used != 0 ? "; " : "", d != NULL ? d : "");
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (src != SQLITE_DONE && src != SQLITE_ROW) {
		KW_LOG_ERROR("query plan: %s", sqlite3_errstr(src));
		rc = KW_E_STORAGE;
	}
out:
	sqlite3_finalize(st);
	return rc;
}

kw_rc kw_sq_query_plans(const char *path, kw_sq_plan_cb cb, void *arg)
{
	sqlite3 *db = NULL;
	char plan[1024];
	kw_rc rc = KW_E_INVALID;
	if (path == NULL || cb == NULL)
		goto out;
	rc = open_plain(path, &db);
	for (int i = 0; rc == KW_OK && i < KW_SQ_STMT_COUNT_; i++) {
		rc = plan_of(db, kw_sq_sql[i], plan, sizeof(plan));
		if (rc == KW_OK)
			rc = cb((kw_sq_stmt)i, plan, arg);
	}
out:
	sqlite3_close(db);
	return rc;
}
