/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "store.sqlite"

#include <stdlib.h>
#include <string.h>

#include "keywarden/log.h"
#include "store/sqlite/internal.h"

/*
 * Record and audit operations of the sqlite backend. Every one runs one or
 * two cached statements, each an indexed search (tests/unit/store checks
 * the query plans). Arguments were validated by store.c.
 */

/* Bytes handed to SQLite for a zero-length blob: a NULL pointer would bind
 * SQL NULL, and data is NOT NULL. */
static const uint8_t empty[1];

static int bind_key(sqlite3_stmt *st, uint32_t type, const char *id)
{
	int src = sqlite3_bind_int64(st, 1, (sqlite3_int64)type);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return src;
}

static int bind_tag(sqlite3_stmt *st, int i, bool has, const uint8_t *tag)
{
	if (!has)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_blob(st, i, tag, KW_STORE_TAG_LEN, SQLITE_STATIC);
}

/* Binds ?1 = type and, with a group, ?2 = group (list and count). *next is
 * the index of the next parameter. */
static int bind_type_group(sqlite3_stmt *st, uint32_t type,
			   const uint8_t *group, int *next)
{
	*next = 2;
	int src = sqlite3_bind_int64(st, 1, (sqlite3_int64)type);
	if (src == SQLITE_OK && group != NULL)
		src = bind_tag(st, (*next)++, true, group);
	return src;
}

static sqlite3_int64 sql_limit(size_t limit)
{
	return limit == 0 || limit > INT64_MAX ? -1 : (sqlite3_int64)limit;
}

static kw_rc corrupt(const char *what)
{
	KW_LOG_ERROR("%s: malformed row in the database", what);
	return KW_E_STORAGE;
}

static bool column_tag(sqlite3_stmt *st, int col, bool *has, uint8_t *tag)
{
	*has = false;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return true;
	const void *p = sqlite3_column_blob(st, col);
	if (p == NULL || sqlite3_column_bytes(st, col) != KW_STORE_TAG_LEN)
		return false;
	memcpy(tag, p, KW_STORE_TAG_LEN);
	*has = true;
	return true;
}

/* Reads the current row (id, version, grp, lookup, data) into out, whose
 * data then points into the statement: valid until the next step. A row no
 * caller could have written (the file was edited) is KW_E_STORAGE. */
static kw_rc row_view(sqlite3_stmt *st, uint32_t type, kw_store_rec *out)
{
	kw_rc rc = KW_E_STORAGE;
	kw_store_rec r;
	memset(&r, 0, sizeof(r));
	r.type = type;
	const unsigned char *id = sqlite3_column_text(st, 0);
	int id_len = sqlite3_column_bytes(st, 0);
	sqlite3_int64 version = sqlite3_column_int64(st, 1);
	if (id == NULL || id_len < 1 || id_len > KW_STORE_ID_MAX || version < 1)
		goto out;
	memcpy(r.id, id, (size_t)id_len);
	r.version = (uint64_t)version;
	if (!kw_store_id_valid(r.id) ||
	    !column_tag(st, 2, &r.has_group, r.group) ||
	    !column_tag(st, 3, &r.has_lookup, r.lookup) ||
	    sqlite3_column_type(st, 4) != SQLITE_BLOB)
		goto out;
	r.data_len = (size_t)sqlite3_column_bytes(st, 4);
	if (r.data_len > KW_STORE_DATA_MAX)
		goto out;
	r.data = r.data_len != 0 ? (uint8_t *)sqlite3_column_blob(st, 4) : NULL;
	*out = r;
	rc = KW_OK;
out:
	if (rc != KW_OK)
		KW_LOG_ERROR("read: malformed row in the database");
	return rc;
}

/* Runs a statement expected to return at most one record and copies it out:
 * KW_OK, KW_E_NOT_FOUND, or the mapped error. */
static kw_rc get_one(kw_sq_conn *c, kw_sq_stmt id, sqlite3_stmt *st,
		     uint32_t type, kw_store_rec *out)
{
	kw_store_rec r;
	int src = sqlite3_step(st);
	kw_rc rc = src == SQLITE_DONE  ? KW_E_NOT_FOUND
		   : src == SQLITE_ROW ? row_view(st, type, &r)
				       : kw_sq_rc(c, src, kw_sq_stmt_name(id));
	if (rc != KW_OK || r.data_len == 0)
		goto out;
	uint8_t *copy = malloc(r.data_len);
	if (copy == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	memcpy(copy, r.data, r.data_len);
	r.data = copy;
out:
	if (rc == KW_OK)
		*out = r;
	return rc;
}

kw_rc kw_sq_rec_get(void *p, uint32_t type, const char *id, kw_store_rec *out)
{
	kw_sq_txn *t = p;
	sqlite3_stmt *st = NULL;
	kw_rc rc = kw_sq_stmt_get(t->c, KW_SQ_GET, &st);
	if (rc != KW_OK)
		goto out;
	int src = bind_key(st, type, id);
	rc = src == SQLITE_OK ? get_one(t->c, KW_SQ_GET, st, type, out)
			      : kw_sq_rc(t->c, src, "get");
out:
	kw_sq_stmt_put(t->c, KW_SQ_GET, st);
	return rc;
}

kw_rc kw_sq_rec_get_by_lookup(void *p, uint32_t type,
			      const uint8_t lookup[KW_STORE_TAG_LEN],
			      kw_store_rec *out)
{
	kw_sq_txn *t = p;
	sqlite3_stmt *st = NULL;
	kw_rc rc = kw_sq_stmt_get(t->c, KW_SQ_GET_LOOKUP, &st);
	if (rc != KW_OK)
		goto out;
	int src = sqlite3_bind_int64(st, 1, (sqlite3_int64)type);
	if (src == SQLITE_OK)
		src = bind_tag(st, 2, true, lookup);
	rc = src == SQLITE_OK ? get_one(t->c, KW_SQ_GET_LOOKUP, st, type, out)
			      : kw_sq_rc(t->c, src, "get_lookup");
out:
	kw_sq_stmt_put(t->c, KW_SQ_GET_LOOKUP, st);
	return rc;
}

/* After an UPDATE or DELETE guarded by version changed nothing: was the
 * record missing (KW_E_NOT_FOUND) or at another version (KW_E_CONFLICT)? */
static kw_rc why_unchanged(kw_sq_conn *c, uint32_t type, const char *id)
{
	sqlite3_stmt *st = NULL;
	kw_rc rc = kw_sq_stmt_get(c, KW_SQ_VERSION, &st);
	if (rc != KW_OK)
		goto out;
	int src = bind_key(st, type, id);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		rc = KW_E_CONFLICT;
	else if (src == SQLITE_DONE)
		rc = KW_E_NOT_FOUND;
	else
		rc = kw_sq_rc(c, src, "version");
out:
	kw_sq_stmt_put(c, KW_SQ_VERSION, st);
	return rc;
}

kw_rc kw_sq_rec_put(void *p, const kw_store_rec *rec, uint64_t expected_version)
{
	kw_sq_txn *t = p;
	bool insert = expected_version == 0;
	kw_sq_stmt id = insert ? KW_SQ_INSERT : KW_SQ_UPDATE;
	sqlite3_stmt *st = NULL;
	kw_rc rc = kw_sq_stmt_get(t->c, id, &st);
	if (rc != KW_OK)
		goto out;
	int src = bind_key(st, rec->type, rec->id);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 3, (sqlite3_int64)rec->version);
	if (src == SQLITE_OK)
		src = bind_tag(st, 4, rec->has_group, rec->group);
	if (src == SQLITE_OK)
		src = bind_tag(st, 5, rec->has_lookup, rec->lookup);
	if (src == SQLITE_OK)
		src = sqlite3_bind_blob64(
			st, 6, rec->data_len != 0 ? rec->data : empty,
			rec->data_len, SQLITE_STATIC);
	if (src == SQLITE_OK && !insert)
		src = sqlite3_bind_int64(st, 7,
					 (sqlite3_int64)expected_version);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	rc = kw_sq_rc(t->c, src, "put");
	if (rc == KW_OK && !insert && sqlite3_changes(t->c->db) == 0)
		rc = why_unchanged(t->c, rec->type, rec->id);
out:
	kw_sq_stmt_put(t->c, id, st);
	return rc;
}

kw_rc kw_sq_rec_delete(void *p, uint32_t type, const char *id,
		       uint64_t expected_version)
{
	kw_sq_txn *t = p;
	sqlite3_stmt *st = NULL;
	kw_rc rc = kw_sq_stmt_get(t->c, KW_SQ_DELETE, &st);
	if (rc != KW_OK)
		goto out;
	int src = bind_key(st, type, id);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 3,
					 (sqlite3_int64)expected_version);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	rc = kw_sq_rc(t->c, src, "delete");
	if (rc == KW_OK && sqlite3_changes(t->c->db) == 0)
		rc = why_unchanged(t->c, type, id);
out:
	kw_sq_stmt_put(t->c, KW_SQ_DELETE, st);
	return rc;
}

kw_rc kw_sq_rec_list(void *p, uint32_t type, const uint8_t *group,
		     const char *after_id, size_t limit, kw_store_list_cb cb,
		     void *arg)
{
	kw_sq_txn *t = p;
	kw_sq_stmt id = group != NULL ? KW_SQ_LIST_GROUP : KW_SQ_LIST;
	sqlite3_stmt *st = NULL;
	kw_rc rc = kw_sq_stmt_get(t->c, id, &st);
	if (rc != KW_OK)
		goto out;
	int i;
	int src = bind_type_group(st, type, group, &i);
	/* "" sorts before every valid id. */
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, i++,
					after_id != NULL ? after_id : "", -1,
					SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, i++, sql_limit(limit));
	while (src == SQLITE_OK || src == SQLITE_ROW) {
		if ((src = sqlite3_step(st)) != SQLITE_ROW)
			break;
		kw_store_rec r;
		rc = row_view(st, type, &r);
		if (rc == KW_OK)
			rc = cb(&r, arg);
		if (rc != KW_OK)
			goto out;
	}
	rc = kw_sq_rc(t->c, src, "list");
out:
	kw_sq_stmt_put(t->c, id, st);
	return rc;
}

/* Runs a statement returning one integer (NULL reads as 0). */
static kw_rc get_int(kw_sq_conn *c, kw_sq_stmt id, sqlite3_stmt *st,
		     uint64_t *out)
{
	kw_rc rc = KW_OK;
	int src = sqlite3_step(st);
	sqlite3_int64 v = src == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	if (src != SQLITE_ROW && src != SQLITE_DONE)
		rc = kw_sq_rc(c, src, kw_sq_stmt_name(id));
	else if (v < 0)
		rc = corrupt(kw_sq_stmt_name(id));
	if (rc == KW_OK)
		*out = (uint64_t)v;
	return rc;
}

kw_rc kw_sq_rec_count(void *p, uint32_t type, const uint8_t *group,
		      uint64_t *out_count)
{
	kw_sq_txn *t = p;
	kw_sq_stmt id = group != NULL ? KW_SQ_COUNT_GROUP : KW_SQ_COUNT;
	sqlite3_stmt *st = NULL;
	kw_rc rc = kw_sq_stmt_get(t->c, id, &st);
	if (rc != KW_OK)
		goto out;
	int unused;
	int src = bind_type_group(st, type, group, &unused);
	rc = src == SQLITE_OK ? get_int(t->c, id, st, out_count)
			      : kw_sq_rc(t->c, src, "count");
out:
	kw_sq_stmt_put(t->c, id, st);
	return rc;
}

static kw_rc audit_last_query(kw_sq_conn *c, uint64_t *out)
{
	sqlite3_stmt *st = NULL;
	kw_rc rc = kw_sq_stmt_get(c, KW_SQ_AUDIT_LAST, &st);
	if (rc == KW_OK)
		rc = get_int(c, KW_SQ_AUDIT_LAST, st, out);
	kw_sq_stmt_put(c, KW_SQ_AUDIT_LAST, st);
	return rc;
}

kw_rc kw_sq_audit_last(void *p, uint64_t *out_seq)
{
	kw_sq_txn *t = p;
	if (t->audit_known) {
		*out_seq = t->audit_last;
		return KW_OK;
	}
	return audit_last_query(t->c, out_seq);
}

/*
 * A write transaction reads the last seq once and then counts itself: it
 * holds the write lock, so nobody else appends. A batch of N entries in one
 * transaction (group commit) thus costs N inserts and one commit.
 */
kw_rc kw_sq_audit_append(void *p, uint64_t seq, const uint8_t *entry,
			 size_t len)
{
	kw_sq_txn *t = p;
	sqlite3_stmt *st = NULL;
	kw_rc rc = KW_OK;
	if (!t->audit_known) {
		rc = audit_last_query(t->c, &t->audit_last);
		if (rc != KW_OK)
			goto out;
		t->audit_known = true;
	}
	if (seq != t->audit_last + 1) {
		rc = KW_E_CONFLICT;
		goto out;
	}
	rc = kw_sq_stmt_get(t->c, KW_SQ_AUDIT_APPEND, &st);
	if (rc != KW_OK)
		goto out;
	int src = sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (src == SQLITE_OK)
		src = sqlite3_bind_blob64(st, 2, entry, len, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	rc = kw_sq_rc(t->c, src, "audit_append");
	if (rc == KW_OK)
		t->audit_last = seq;
out:
	kw_sq_stmt_put(t->c, KW_SQ_AUDIT_APPEND, st);
	return rc;
}

kw_rc kw_sq_audit_read(void *p, uint64_t from_seq, size_t limit,
		       kw_store_audit_cb cb, void *arg)
{
	kw_sq_txn *t = p;
	sqlite3_stmt *st = NULL;
	kw_rc rc = kw_sq_stmt_get(t->c, KW_SQ_AUDIT_READ, &st);
	if (rc != KW_OK)
		goto out;
	sqlite3_int64 from =
		from_seq > INT64_MAX ? INT64_MAX : (sqlite3_int64)from_seq;
	int src = sqlite3_bind_int64(st, 1, from);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 2, sql_limit(limit));
	while (src == SQLITE_OK || src == SQLITE_ROW) {
		if ((src = sqlite3_step(st)) != SQLITE_ROW)
			break;
		sqlite3_int64 seq = sqlite3_column_int64(st, 0);
		const uint8_t *e = sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);
		if (seq < 1 || e == NULL || len < 1) {
			rc = corrupt("audit_read");
			goto out;
		}
		rc = cb((uint64_t)seq, e, (size_t)len, arg);
		if (rc != KW_OK)
			goto out;
	}
	rc = kw_sq_rc(t->c, src, "audit_read");
out:
	kw_sq_stmt_put(t->c, KW_SQ_AUDIT_READ, st);
	return rc;
}
