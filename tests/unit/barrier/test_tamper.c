/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "barrier/shamir.h"
#include "crypto/crypto.h"
#include "helpers.h"

/*
 * An attacker with write access to the SQLite file: rows are edited,
 * swapped, rolled back, revived and deleted with the sqlite3 library behind
 * the store's back, and the barrier must report KW_E_INTEGRITY and return
 * nothing. The file itself must hold no secret and no name.
 */

/* ---- raw access to the file --------------------------------------------- */

static sqlite3 *db_open(bfx *f)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void sql(bfx *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sql(bfx *f, const char *fmt, ...)
{
	char q[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	sqlite3 *db = db_open(f);
	char *err = NULL;
	int rc = sqlite3_exec(db, q, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", q, err ? err : "?");
	sqlite3_free(err);
	sqlite3_close(db);
}

/* A copy of the rows matching a WHERE clause, kept in a side table. */
static void snapshot(bfx *f, const char *name, const char *where)
{
	sql(f, "CREATE TABLE %s AS SELECT * FROM records WHERE %s", name,
	    where);
}

/* Puts the snapshot's rows back over the current ones. */
static void restore(bfx *f, const char *name)
{
	sql(f,
	    "DELETE FROM records WHERE (type, id) IN (SELECT type, id FROM %s);"
	    "INSERT INTO records SELECT * FROM %s; DROP TABLE %s",
	    name, name, name);
}

/* Flips one bit of byte `at` of a row's data (at < 0: from the end). */
static void flip_data_byte(bfx *f, int type, const char *id, int at)
{
	sqlite3 *db = db_open(f);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT data FROM records WHERE "
					    "type = ? AND id = ?",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int(st, 1, type);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int n = sqlite3_column_bytes(st, 0);
	uint8_t *buf = malloc((size_t)n);
	assert_non_null(buf);
	memcpy(buf, sqlite3_column_blob(st, 0), (size_t)n);
	sqlite3_finalize(st);
	buf[at >= 0 ? at : n + at] ^= 0x01;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "UPDATE records SET data = ? WHERE "
					    "type = ? AND id = ?",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(st, 1, buf, n, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, type);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(buf);
}

static int setup_sqlite(void **state)
{
	*state = (void *)"sqlite";
	bfx_setup(state);
	bfx_init(*state, 3, 2);
	return 0;
}

static kw_rc find(bfx *f, const char *lookup)
{
	kw_store_txn *t = NULL;
	kw_secret *d = NULL;
	char id[KW_STORE_ID_MAX + 1] = "";
	assert_int_equal(kw_store_txn_begin(f->store, false, &t), KW_OK);
	kw_rc rc =
		kw_barrier_rec_find(f->b, t, KW_REC_KEY, lookup, id, &d, NULL);
	kw_store_txn_abort(t);
	if (rc != KW_OK) {
		assert_null(d);
		assert_string_equal(id, "");
	}
	kw_secret_free(d);
	return rc;
}

static kw_rc list_all(bfx *f, const char *group, int *count)
{
	kw_store_txn *t = NULL;
	*count = 0;
	assert_int_equal(kw_store_txn_begin(f->store, false, &t), KW_OK);
	kw_rc rc = kw_barrier_rec_list(f->b, t, KW_REC_KEY, group, NULL, 0,
				       bfx_count_cb, count);
	kw_store_txn_abort(t);
	return rc;
}

/* Seals and submits the shares again: the result of the last one. */
static kw_rc reunseal(bfx *f)
{
	kw_barrier_status st;
	assert_int_equal(kw_barrier_seal(f->b), KW_OK);
	assert_int_equal(kw_barrier_unseal(f->b,
					   (const char *)f->shares[0]->data,
					   f->shares[0]->len, &st),
			 KW_OK);
	return kw_barrier_unseal(f->b, (const char *)f->shares[1]->data,
				 f->shares[1]->len, &st);
}

static void assert_stays_sealed(bfx *f)
{
	kw_barrier_status st;
	assert_int_equal(kw_barrier_status_get(f->b, &st), KW_OK);
	assert_true(st.sealed);
	assert_int_equal(st.progress, 0);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", NULL), KW_E_SEALED);
}

/* ---- row tampering -------------------------------------------------------- */

static void test_edited_byte(void **state)
{
	bfx *f = *state;
	bfx_put(f, KW_REC_KEY, "a", "p1", "p1/a", "alpha", 0);
	bfx_put(f, KW_REC_KEY, "b", "p1", "p1/b", "bravo", 0);
	/* the format byte, a nonce byte, a ciphertext byte, a tag byte */
	const int at[] = {0, 5, 14, -1};
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		flip_data_byte(f, KW_REC_KEY, "a", at[i]);
		assert_int_equal(bfx_get(f, KW_REC_KEY, "a", NULL),
				 KW_E_INTEGRITY);
		assert_int_equal(find(f, "p1/a"), KW_E_INTEGRITY);
		int n = 0;
		assert_int_equal(list_all(f, "p1", &n), KW_E_INTEGRITY);
		flip_data_byte(f, KW_REC_KEY, "a", at[i]);
		assert_int_equal(bfx_get(f, KW_REC_KEY, "a", "alpha"), KW_OK);
	}
	/* An edited version, group or lookup column fails as well. */
	sql(f, "UPDATE records SET version = 2 WHERE type = 4 AND id = 'a'");
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", NULL), KW_E_INTEGRITY);
	sql(f, "UPDATE records SET version = 1 WHERE type = 4 AND id = 'a'");
	sql(f, "UPDATE records SET grp = (SELECT lookup FROM records WHERE "
	       "type = 4 AND id = 'b') WHERE type = 4 AND id = 'a'");
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", NULL), KW_E_INTEGRITY);
	sql(f, "UPDATE records SET grp = (SELECT grp FROM records WHERE "
	       "type = 4 AND id = 'b') WHERE type = 4 AND id = 'a'");
	sql(f, "UPDATE records SET lookup = NULL WHERE type = 4 AND id = 'b'");
	assert_int_equal(bfx_get(f, KW_REC_KEY, "b", NULL), KW_E_INTEGRITY);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", "alpha"), KW_OK);
}

static void test_swapped_payloads(void **state)
{
	bfx *f = *state;
	bfx_put(f, KW_REC_KEY, "a", "p1", NULL, "alpha", 0);
	bfx_put(f, KW_REC_KEY, "b", "p1", NULL, "bravo", 0);
	snapshot(f, "sw", "type = 4 AND id IN ('a', 'b')");
	sql(f, "UPDATE records SET data = (SELECT data FROM sw WHERE sw.id ="
	       " CASE records.id WHEN 'a' THEN 'b' ELSE 'a' END)"
	       " WHERE type = 4 AND id IN ('a', 'b'); DROP TABLE sw");
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", NULL), KW_E_INTEGRITY);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "b", NULL), KW_E_INTEGRITY);
	/* A payload moved to another type under the same id. */
	sql(f, "UPDATE records SET type = 11 WHERE type = 4 AND id = 'a'");
	assert_int_equal(bfx_get(f, KW_REC_CERT, "a", NULL), KW_E_INTEGRITY);
}

static void test_older_copy_put_back(void **state)
{
	bfx *f = *state;
	bfx_put(f, KW_REC_KEY, "a", "p1", "p1/a", "policy-v1", 0);
	snapshot(f, "old", "type = 4 AND id = 'a'");
	bfx_put(f, KW_REC_KEY, "a", "p1", "p1/a", "policy-v2", 1);
	bfx_put(f, KW_REC_KEY, "a", "p1", "p1/a", "policy-v3", 2);
	restore(f, "old");
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", NULL), KW_E_INTEGRITY);
	assert_int_equal(find(f, "p1/a"), KW_E_INTEGRITY);
	int n = 0;
	assert_int_equal(list_all(f, NULL, &n), KW_E_INTEGRITY);
	assert_int_equal(n, 0);
	/* A write over the rolled-back row does not launder it. */
	kw_store_txn *t = NULL;
	assert_int_equal(kw_store_txn_begin(f->store, true, &t), KW_OK);
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_KEY, "a", NULL,
					    NULL, (const uint8_t *)"x", 1, 1,
					    NULL),
			 KW_E_CONFLICT);
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_KEY, "a", NULL,
					    NULL, (const uint8_t *)"x", 1, 3,
					    NULL),
			 KW_E_INTEGRITY);
	kw_store_txn_abort(t);
}

static void test_revived_record(void **state)
{
	bfx *f = *state;
	bfx_put(f, KW_REC_KEY, "a", "p1", "p1/a", "destroyed-key", 0);
	bfx_put(f, KW_REC_KEY, "b", "p1", "p1/b", "bravo", 0);
	snapshot(f, "old", "type = 4 AND id = 'a'");
	bfx_delete(f, KW_REC_KEY, "a", 1);
	restore(f, "old");
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", NULL), KW_E_INTEGRITY);
	assert_int_equal(find(f, "p1/a"), KW_E_INTEGRITY);
	int n = 0;
	assert_int_equal(list_all(f, "p1", &n), KW_E_INTEGRITY);
	/* A row deleted behind the barrier's back is reported too. */
	sql(f, "DELETE FROM records WHERE type = 4");
	assert_int_equal(bfx_get(f, KW_REC_KEY, "b", NULL), KW_E_INTEGRITY);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", NULL), KW_E_NOT_FOUND);
}

static void test_record_and_bucket_rolled_back(void **state)
{
	bfx *f = *state;
	bfx_put(f, KW_REC_KEY, "a", "p1", NULL, "v1", 0);
	bfx_put(f, KW_REC_KEY, "other", "p1", NULL, "o", 0);
	snapshot(f, "old", "(type = 4 AND id = 'a') OR type = 2");
	bfx_put(f, KW_REC_KEY, "a", "p1", NULL, "v2", 1);
	restore(f, "old");
	/* A consistent pair of genuine old rows passes the per-read check,
	 * but not the root: verify and the next unseal refuse. */
	assert_int_equal(kw_barrier_verify(f->b), KW_E_INTEGRITY);
	assert_int_equal(reunseal(f), KW_E_INTEGRITY);
	assert_stays_sealed(f);
	/* It stays so across restarts. */
	bfx_close(f);
	bfx_open(f);
	assert_int_equal(reunseal(f), KW_E_INTEGRITY);
	assert_stays_sealed(f);
}

static void test_manifest_rows_tampered(void **state)
{
	bfx *f = *state;
	bfx_put(f, KW_REC_KEY, "a", NULL, NULL, "alpha", 0);
	assert_int_equal(reunseal(f), KW_OK);

	/* a bucket deleted: its record is no longer listed */
	snapshot(f, "bk", "type = 2");
	sql(f, "DELETE FROM records WHERE type = 2");
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", NULL), KW_E_INTEGRITY);
	assert_int_equal(reunseal(f), KW_E_INTEGRITY);
	restore(f, "bk");
	assert_int_equal(reunseal(f), KW_OK);

	/* an edited bucket */
	sql(f, "UPDATE records SET version = version + 1 WHERE type = 2");
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", NULL), KW_E_INTEGRITY);
	assert_int_equal(reunseal(f), KW_E_INTEGRITY);
	sql(f, "UPDATE records SET version = version - 1 WHERE type = 2");
	assert_int_equal(reunseal(f), KW_OK);

	/* the root deleted */
	snapshot(f, "root", "type = 1 AND id = 'root'");
	sql(f, "DELETE FROM records WHERE type = 1 AND id = 'root'");
	assert_int_equal(reunseal(f), KW_E_INTEGRITY);
	assert_stays_sealed(f);
	restore(f, "root");
	assert_int_equal(reunseal(f), KW_OK);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", "alpha"), KW_OK);
}

static void test_metadata_edited(void **state)
{
	bfx *f = *state;
	kw_barrier_status st;
	bfx_put(f, KW_REC_KEY, "a", NULL, NULL, "alpha", 0);
	bfx_close(f);
	/* N is the 8-byte big-endian value of the second TLV item (2-byte
	 * tag, 4-byte length), bytes 21..28 counting from 1; 3 -> 4 keeps
	 * the record well-formed. */
	snapshot(f, "meta", "type = 1 AND id = 'barrier'");
	sql(f, "UPDATE records SET data = CAST(substr(data, 1, 27) || x'04' || "
	       "substr(data, 29) AS BLOB) WHERE type = 1 AND id = 'barrier'");
	bfx_open(f);
	assert_int_equal(kw_barrier_status_get(f->b, &st), KW_OK);
	assert_int_equal(st.shares, 4);
	assert_int_equal(kw_barrier_unseal(f->b,
					   (const char *)f->shares[0]->data, 77,
					   &st),
			 KW_OK);
	assert_int_equal(kw_barrier_unseal(f->b,
					   (const char *)f->shares[1]->data, 77,
					   &st),
			 KW_E_VERIFY);
	assert_stays_sealed(f);
	/* Truncated metadata does not even open. */
	bfx_close(f);
	sql(f, "UPDATE records SET data = substr(data, 1, 30) WHERE type = 1 "
	       "AND id = 'barrier'");
	kw_store_config cfg = {.backend = "sqlite", .path = f->path};
	assert_int_equal(kw_store_open(&cfg, &f->store), KW_OK);
	kw_barrier *b = NULL;
	assert_int_equal(kw_barrier_open(f->store, &b), KW_E_INTEGRITY);
	assert_null(b);
	kw_store_close(f->store);
	restore(f, "meta");
	bfx_open(f);
	bfx_unseal(f, 1);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", "alpha"), KW_OK);
}

/* ---- nothing secret in the file ------------------------------------------ */

static void test_no_secret_in_file(void **state)
{
	bfx *f = *state;
	uint8_t secret[32];
	char data[96], wal[160];
	const char *group = "partition-7f3a9c";
	const char *lookup = "partition-7f3a9c/payroll-signing-key";
	assert_int_equal(kw_random(secret, sizeof(secret)), KW_OK);
	/* key material as raw bytes, as text, and a long marker */
	kw_store_txn *t = NULL;
	assert_int_equal(kw_store_txn_begin(f->store, true, &t), KW_OK);
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_KEY, "k1", group,
					    lookup, secret, sizeof(secret), 0,
					    NULL),
			 KW_OK);
	snprintf(data, sizeof(data), "PRIVATE-KEY-MARKER-%02x%02x%02x%02x",
		 secret[0], secret[1], secret[2], secret[3]);
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_KEY, "k2", group,
					    "partition-7f3a9c/other",
					    (const uint8_t *)data, strlen(data),
					    0, NULL),
			 KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	kw_secret *master = bfx_master(f);
	kw_share sh;
	assert_int_equal(
		kw_share_decode((const char *)f->shares[0]->data, 77, &sh),
		KW_OK);

	for (int pass = 0; pass < 2; pass++) {
		const char *files[] = {f->path, wal};
		for (int i = 0; i < 2; i++) {
			const char *p = files[i];
			assert_false(bfx_file_contains(p, secret, 16));
			assert_false(bfx_file_contains(p, secret + 16, 16));
			assert_false(bfx_file_contains(p, data, strlen(data)));
			assert_false(bfx_file_contains(p, "PRIVATE-KEY", 11));
			assert_false(
				bfx_file_contains(p, group, strlen(group)));
			assert_false(bfx_file_contains(p, "payroll", 7));
			assert_false(bfx_file_contains(p, master->data, 16));
			assert_false(bfx_file_contains(p, sh.point.y, 16));
			assert_false(
				bfx_file_contains(p, f->shares[0]->data, 20));
		}
		/* The ids are not hidden (they are the store's keys), which
		 * shows the scan reads the right files. */
		assert_true(bfx_file_contains(f->path, "barrier", 7) ||
			    bfx_file_contains(wal, "barrier", 7));
		/* and again once everything is checkpointed into the file */
		bfx_close(f);
		bfx_open(f);
	}
	kw_wipe(&sh, sizeof(sh));
	kw_secret_free(master);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_sqlite, bfx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_edited_byte),
		T(test_swapped_payloads),
		T(test_older_copy_put_back),
		T(test_revived_record),
		T(test_record_and_bucket_rolled_back),
		T(test_manifest_rows_tampered),
		T(test_metadata_edited),
		T(test_no_secret_in_file),
	};
	return cmocka_run_group_tests_name("barrier-tamper", tests, NULL, NULL);
}
