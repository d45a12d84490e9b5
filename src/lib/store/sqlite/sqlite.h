/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_STORE_SQLITE_SQLITE_H
#define KW_STORE_SQLITE_SQLITE_H

/*
 * Module header of the sqlite backend, for the rest of the library and for
 * tests. The backend itself is reached through kw_store_backend("sqlite");
 * what is here is inspection, used by tests and diagnostics: it never runs
 * on a service path. Does not include <sqlite3.h>.
 */

#include <stddef.h>
#include <stdint.h>

#include "keywarden/rc.h"

/* The schema version this code creates and understands. */
#define KW_SQ_SCHEMA_VERSION 1

/* The statements the backend prepares once per connection. */
typedef enum kw_sq_stmt {
	KW_SQ_BEGIN_READ,
	KW_SQ_BEGIN_WRITE,
	KW_SQ_COMMIT,
	KW_SQ_ROLLBACK,
	KW_SQ_GET,
	KW_SQ_GET_LOOKUP,
	KW_SQ_VERSION,
	KW_SQ_INSERT,
	KW_SQ_UPDATE,
	KW_SQ_DELETE,
	KW_SQ_LIST,
	KW_SQ_LIST_GROUP,
	KW_SQ_COUNT,
	KW_SQ_COUNT_GROUP,
	KW_SQ_AUDIT_APPEND,
	KW_SQ_AUDIT_READ,
	KW_SQ_AUDIT_LAST,
	KW_SQ_STMT_COUNT_
} kw_sq_stmt;

/* A short name of a statement ("get", "list_group", ...); NULL if unknown. */
const char *kw_sq_stmt_name(kw_sq_stmt id);

/* Called once per statement of the table above with the lines of its
 * EXPLAIN QUERY PLAN joined by "; " ("" for statements without a plan,
 * like BEGIN). A non-KW_OK result stops and is returned. */
typedef kw_rc (*kw_sq_plan_cb)(kw_sq_stmt id, const char *plan, void *arg);

/* Opens the database at path (which must exist and be up to date) and
 * reports the query plan of every statement. KW_OK, KW_E_INVALID,
 * KW_E_STORAGE, KW_E_NOMEM, or the callback's result. */
kw_rc kw_sq_query_plans(const char *path, kw_sq_plan_cb cb, void *arg);

/* Runs sql (one or more statements) on the database file at path, without
 * the backend's schema checks: tests use it to forge a newer schema or
 * damage a database. KW_OK, KW_E_INVALID, KW_E_STORAGE. */
kw_rc kw_sq_exec_file(const char *path, const char *sql);

/* The first column of the first row of sql (an integer; NULL reads as 0)
 * on the database file at path. KW_OK, KW_E_INVALID, KW_E_NOT_FOUND (no
 * row), KW_E_STORAGE. */
kw_rc kw_sq_query_int(const char *path, const char *sql, int64_t *out);

#endif
