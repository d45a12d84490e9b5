/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

/*
 * Record conformance: the same cases run against every backend (argv[1] is
 * "mem" or "sqlite"), so both behave alike in everything a caller sees.
 */

static void test_put_get_roundtrip(void **state)
{
	fx *f = *state;
	assert_int_equal(put_one(f->s, KW_REC_KEY, "key-1", 1, 7, 9, "sealed"),
			 KW_OK);
	kw_store_rec r;
	assert_int_equal(get_one(f->s, KW_REC_KEY, "key-1", &r), KW_OK);
	uint8_t g[KW_STORE_TAG_LEN], l[KW_STORE_TAG_LEN];
	tag_fill(g, 7);
	tag_fill(l, 9);
	assert_int_equal(r.type, KW_REC_KEY);
	assert_string_equal(r.id, "key-1");
	assert_int_equal(r.version, 1);
	assert_true(r.has_group);
	assert_memory_equal(r.group, g, sizeof(g));
	assert_true(r.has_lookup);
	assert_memory_equal(r.lookup, l, sizeof(l));
	assert_int_equal(r.data_len, 6);
	assert_memory_equal(r.data, "sealed", 6);
	kw_store_rec_clear(&r);
	assert_null(r.data);
	assert_int_equal(r.data_len, 0);
	kw_store_rec_clear(NULL);

	/* Same id, other type: a separate record. Tags are optional. */
	assert_int_equal(put_one(f->s, KW_REC_POLICY, "key-1", 1, 0, 0, "p"),
			 KW_OK);
	assert_int_equal(get_one(f->s, KW_REC_POLICY, "key-1", &r), KW_OK);
	assert_false(r.has_group);
	assert_false(r.has_lookup);
	kw_store_rec_clear(&r);
	assert_rec(f->s, KW_REC_KEY, "key-1", 1, "sealed");
}

static void test_get_missing(void **state)
{
	fx *f = *state;
	kw_store_rec r;
	memset(&r, 0xa5, sizeof(r));
	assert_int_equal(get_one(f->s, KW_REC_KEY, "nope", &r), KW_E_NOT_FOUND);
	/* Untouched on failure. */
	for (size_t i = 0; i < sizeof(r); i++)
		assert_int_equal(((uint8_t *)&r)[i], 0xa5);
	uint8_t l[KW_STORE_TAG_LEN];
	tag_fill(l, 3);
	kw_store_txn *t;
	assert_int_equal(kw_store_txn_begin(f->s, false, &t), KW_OK);
	assert_int_equal(kw_store_rec_get_by_lookup(t, KW_REC_KEY, l, &r),
			 KW_E_NOT_FOUND);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
}

static void test_empty_and_max_data(void **state)
{
	fx *f = *state;
	assert_int_equal(put_one(f->s, KW_REC_META, "empty", 1, 0, 0, ""),
			 KW_OK);
	assert_rec(f->s, KW_REC_META, "empty", 1, "");

	kw_store_rec r;
	rec_make(&r, KW_REC_OBJECT, "big", 1, 0, 0, NULL);
	r.data_len = KW_STORE_DATA_MAX;
	r.data = malloc(r.data_len);
	assert_non_null(r.data);
	for (size_t i = 0; i < r.data_len; i++)
		r.data[i] = (uint8_t)(i * 7u + (i >> 13));
	kw_store_txn *t;
	assert_int_equal(kw_store_txn_begin(f->s, true, &t), KW_OK);
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_OK);
	r.id[0] = 'B';
	r.data_len = KW_STORE_DATA_MAX + 1u; /* checked before any read */
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_E_INVALID);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	kw_store_rec back;
	assert_int_equal(get_one(f->s, KW_REC_OBJECT, "big", &back), KW_OK);
	assert_int_equal(back.data_len, KW_STORE_DATA_MAX);
	assert_memory_equal(back.data, r.data, KW_STORE_DATA_MAX);
	kw_store_rec_clear(&back);
	assert_int_equal(get_one(f->s, KW_REC_OBJECT, "Big", &back),
			 KW_E_NOT_FOUND);
	free(r.data);
}

static void test_create_existing(void **state)
{
	fx *f = *state;
	assert_int_equal(put_one(f->s, KW_REC_KEY, "k", 1, 0, 0, "one"), KW_OK);
	kw_store_txn *t;
	kw_store_rec r;
	assert_int_equal(kw_store_txn_begin(f->s, true, &t), KW_OK);
	rec_make(&r, KW_REC_KEY, "k", 1, 0, 0, "two");
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_E_EXISTS);
	/* The refusal does not spoil the transaction. */
	rec_make(&r, KW_REC_KEY, "other", 1, 0, 0, "three");
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	assert_rec(f->s, KW_REC_KEY, "k", 1, "one");
	assert_rec(f->s, KW_REC_KEY, "other", 1, "three");
}

static void test_replace_cas(void **state)
{
	fx *f = *state;
	assert_int_equal(put_one(f->s, KW_REC_KEY, "k", 1, 0, 0, "v1"), KW_OK);
	assert_int_equal(put_one(f->s, KW_REC_KEY, "k", 2, 0, 0, "v2"), KW_OK);
	/* A writer still holding version 1 loses. */
	assert_int_equal(put_one(f->s, KW_REC_KEY, "k", 2, 0, 0, "stale"),
			 KW_E_CONFLICT);
	assert_int_equal(put_one(f->s, KW_REC_KEY, "k", 5, 0, 0, "ahead"),
			 KW_E_CONFLICT);
	assert_int_equal(put_one(f->s, KW_REC_KEY, "missing", 2, 0, 0, "x"),
			 KW_E_NOT_FOUND);
	assert_rec(f->s, KW_REC_KEY, "k", 2, "v2");
	assert_int_equal(put_one(f->s, KW_REC_KEY, "k", 3, 0, 0, "v3"), KW_OK);
	assert_rec(f->s, KW_REC_KEY, "k", 3, "v3");
}

static kw_rc delete_one(kw_store *s, uint32_t type, const char *id,
			uint64_t expected)
{
	kw_store_txn *t;
	kw_rc rc = kw_store_txn_begin(s, true, &t);
	if (rc != KW_OK)
		return rc;
	rc = kw_store_rec_delete(t, type, id, expected);
	if (rc != KW_OK) {
		kw_store_txn_abort(t);
		return rc;
	}
	return kw_store_txn_commit(t);
}

static void test_delete_cas(void **state)
{
	fx *f = *state;
	kw_store_rec r;
	assert_int_equal(put_one(f->s, KW_REC_KEY, "k", 1, 4, 5, "v1"), KW_OK);
	assert_int_equal(put_one(f->s, KW_REC_KEY, "k", 2, 4, 5, "v2"), KW_OK);
	assert_int_equal(delete_one(f->s, KW_REC_KEY, "k", 1), KW_E_CONFLICT);
	assert_int_equal(delete_one(f->s, KW_REC_KEY, "gone", 1),
			 KW_E_NOT_FOUND);
	assert_rec(f->s, KW_REC_KEY, "k", 2, "v2");
	assert_int_equal(delete_one(f->s, KW_REC_KEY, "k", 2), KW_OK);
	assert_int_equal(get_one(f->s, KW_REC_KEY, "k", &r), KW_E_NOT_FOUND);
	assert_int_equal(delete_one(f->s, KW_REC_KEY, "k", 2), KW_E_NOT_FOUND);
	/* The id and its lookup tag are free again. */
	assert_int_equal(put_one(f->s, KW_REC_KEY, "k2", 1, 0, 5, "new"),
			 KW_OK);
	assert_int_equal(put_one(f->s, KW_REC_KEY, "k", 1, 0, 0, "again"),
			 KW_OK);
	assert_rec(f->s, KW_REC_KEY, "k", 1, "again");
}

static kw_rc lookup_id(kw_store *s, uint32_t type, uint8_t seed, char *id)
{
	uint8_t l[KW_STORE_TAG_LEN];
	kw_store_rec r;
	kw_store_txn *t;
	tag_fill(l, seed);
	kw_rc rc = kw_store_txn_begin(s, false, &t);
	if (rc != KW_OK)
		return rc;
	rc = kw_store_rec_get_by_lookup(t, type, l, &r);
	if (rc == KW_OK) {
		assert_true(r.has_lookup);
		assert_memory_equal(r.lookup, l, sizeof(l));
		strcpy(id, r.id);
		kw_store_rec_clear(&r);
	}
	kw_store_txn_abort(t);
	return rc;
}

static void test_lookup_unique(void **state)
{
	fx *f = *state;
	char id[KW_STORE_ID_MAX + 1];
	assert_int_equal(put_one(f->s, KW_REC_KEY, "a", 1, 0, 1, "A"), KW_OK);
	assert_int_equal(put_one(f->s, KW_REC_KEY, "b", 1, 0, 1, "B"),
			 KW_E_EXISTS);
	/* Unique per type only. */
	assert_int_equal(put_one(f->s, KW_REC_PARTITION, "b", 1, 0, 1, "B"),
			 KW_OK);
	assert_int_equal(lookup_id(f->s, KW_REC_KEY, 1, id), KW_OK);
	assert_string_equal(id, "a");
	assert_int_equal(lookup_id(f->s, KW_REC_PARTITION, 1, id), KW_OK);
	assert_string_equal(id, "b");

	/* Replacing a with a new tag frees tag 1 and takes tag 2; keeping
	 * its own tag is not a collision. */
	assert_int_equal(put_one(f->s, KW_REC_KEY, "a", 2, 0, 2, "A2"), KW_OK);
	assert_int_equal(put_one(f->s, KW_REC_KEY, "a", 3, 0, 2, "A3"), KW_OK);
	assert_int_equal(lookup_id(f->s, KW_REC_KEY, 1, id), KW_E_NOT_FOUND);
	assert_int_equal(put_one(f->s, KW_REC_KEY, "b", 1, 0, 1, "B"), KW_OK);
	assert_int_equal(lookup_id(f->s, KW_REC_KEY, 1, id), KW_OK);
	assert_string_equal(id, "b");
	/* b cannot take a's tag by replacement either. */
	assert_int_equal(put_one(f->s, KW_REC_KEY, "b", 2, 0, 2, "B2"),
			 KW_E_EXISTS);
	assert_rec(f->s, KW_REC_KEY, "b", 1, "B");
	/* Dropping the tag. */
	assert_int_equal(put_one(f->s, KW_REC_KEY, "a", 4, 0, 0, "A4"), KW_OK);
	assert_int_equal(lookup_id(f->s, KW_REC_KEY, 2, id), KW_E_NOT_FOUND);
	/* Many records without a tag do not collide. */
	assert_int_equal(put_one(f->s, KW_REC_KEY, "c", 1, 0, 0, "C"), KW_OK);
}

/* Inserts ids in a scrambled order: even numbers in group 1, odd ones in
 * group 2, multiples of 5 without a group. */
static void fill_groups(kw_store *s, size_t n)
{
	kw_store_txn *t;
	kw_store_rec r;
	char id[16];
	assert_int_equal(kw_store_txn_begin(s, true, &t), KW_OK);
	for (size_t k = 0; k < n; k++) {
		size_t i = (k * 7) % n; /* n is not a multiple of 7 */
		snprintf(id, sizeof(id), "r%03zu", i);
		uint8_t g = i % 5 == 0 ? 0 : (i % 2 == 0 ? 1 : 2);
		rec_make(&r, KW_REC_KEY, id, 1, g, 0, id);
		assert_int_equal(kw_store_rec_put(t, &r, 0), KW_OK);
	}
	/* Another type must not show up. */
	rec_make(&r, KW_REC_CERT, "r001", 1, 1, 0, "cert");
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
}

static void list(kw_store *s, uint32_t type, uint8_t group, const char *after,
		 size_t limit, id_list *out, kw_rc want)
{
	uint8_t g[KW_STORE_TAG_LEN];
	tag_fill(g, group);
	kw_store_txn *t;
	size_t stop = out->stop_after;
	memset(out, 0, sizeof(*out));
	out->stop_after = stop;
	assert_int_equal(kw_store_txn_begin(s, false, &t), KW_OK);
	assert_int_equal(kw_store_rec_list(t, type, group != 0 ? g : NULL,
					   after, limit, id_list_cb, out),
			 want);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
}

static void test_list_group_order(void **state)
{
	fx *f = *state;
	id_list l = {0};
	fill_groups(f->s, 12);
	list(f->s, KW_REC_KEY, 0, NULL, 0, &l, KW_OK);
	assert_string_equal(l.ids, "r000,r001,r002,r003,r004,r005,r006,r007,"
				   "r008,r009,r010,r011");
	list(f->s, KW_REC_KEY, 1, NULL, 0, &l, KW_OK);
	assert_string_equal(l.ids, "r002,r004,r006,r008");
	list(f->s, KW_REC_KEY, 2, NULL, 0, &l, KW_OK);
	assert_string_equal(l.ids, "r001,r003,r007,r009,r011");
	list(f->s, KW_REC_KEY, 3, NULL, 0, &l, KW_OK);
	assert_int_equal(l.n, 0);
	list(f->s, KW_REC_AGENT, 0, NULL, 0, &l, KW_OK);
	assert_int_equal(l.n, 0);
	list(f->s, KW_REC_CERT, 1, NULL, 0, &l, KW_OK);
	assert_string_equal(l.ids, "r001");
}

static void test_list_pagination(void **state)
{
	fx *f = *state;
	id_list l = {0};
	char cursor[KW_STORE_ID_MAX + 1] = "";
	char all[4096] = "";
	size_t pages = 0;
	fill_groups(f->s, 25);
	/* Pages of 10 following the cursor: 10, 10, 5, then nothing. */
	for (;;) {
		list(f->s, KW_REC_KEY, 0, cursor[0] != '\0' ? cursor : NULL, 10,
		     &l, KW_OK);
		if (l.n == 0)
			break;
		assert_true(l.n <= 10);
		pages++;
		strcat(all, all[0] != '\0' ? "," : "");
		strcat(all, l.ids);
		strcpy(cursor, strrchr(l.ids, ',') != NULL
				       ? strrchr(l.ids, ',') + 1
				       : l.ids);
	}
	assert_int_equal(pages, 3);
	list(f->s, KW_REC_KEY, 0, NULL, 0, &l, KW_OK);
	assert_int_equal(l.n, 25);
	assert_string_equal(all, l.ids);
	/* The cursor need not be an existing id. */
	list(f->s, KW_REC_KEY, 0, "r0105", 3, &l, KW_OK);
	assert_string_equal(l.ids, "r011,r012,r013");
	list(f->s, KW_REC_KEY, 1, "r010", 2, &l, KW_OK);
	assert_string_equal(l.ids, "r012,r014");
	list(f->s, KW_REC_KEY, 0, "zzz", 0, &l, KW_OK);
	assert_int_equal(l.n, 0);
	/* A callback's error stops the walk and is the result. */
	l.stop_after = 3;
	list(f->s, KW_REC_KEY, 0, NULL, 0, &l, KW_E_LIMIT);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.ids, "r000,r001,r002");
}

static uint64_t count(kw_store_txn *t, uint32_t type, uint8_t group)
{
	uint8_t g[KW_STORE_TAG_LEN];
	uint64_t n = 12345;
	tag_fill(g, group);
	assert_int_equal(kw_store_rec_count(t, type, group != 0 ? g : NULL, &n),
			 KW_OK);
	return n;
}

static void test_count(void **state)
{
	fx *f = *state;
	kw_store_txn *t, *r;
	fill_groups(f->s, 25);
	assert_int_equal(kw_store_txn_begin(f->s, false, &r), KW_OK);
	assert_int_equal(count(r, KW_REC_KEY, 0), 25);
	assert_int_equal(count(r, KW_REC_KEY, 1), 10);
	assert_int_equal(count(r, KW_REC_KEY, 2), 10);
	assert_int_equal(count(r, KW_REC_KEY, 9), 0);
	assert_int_equal(count(r, KW_REC_CERT, 0), 1);
	assert_int_equal(count(r, KW_REC_TOKEN, 0), 0);
	/* A write transaction counts its own changes. */
	assert_int_equal(kw_store_txn_begin(f->s, true, &t), KW_OK);
	assert_int_equal(kw_store_rec_delete(t, KW_REC_KEY, "r002", 1), KW_OK);
	assert_int_equal(count(t, KW_REC_KEY, 0), 24);
	assert_int_equal(count(t, KW_REC_KEY, 1), 9);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	/* The older reader still counts its snapshot. */
	assert_int_equal(count(r, KW_REC_KEY, 1), 10);
	assert_int_equal(kw_store_txn_commit(r), KW_OK);
	assert_int_equal(kw_store_txn_begin(f->s, false, &r), KW_OK);
	assert_int_equal(count(r, KW_REC_KEY, 1), 9);
	kw_store_txn_abort(r);
}

/* A list callback that writes into the transaction it lists: the store
 * must not lose its place or crash. Reads nest too. */
static kw_rc rewriting_cb(const kw_store_rec *rec, void *arg)
{
	kw_store_txn *t = arg;
	kw_store_rec copy;
	id_list inner = {0};
	kw_rc rc = kw_store_rec_get(t, rec->type, rec->id, &copy);
	if (rc != KW_OK)
		return rc;
	kw_store_rec_clear(&copy);
	rc = kw_store_rec_list(t, rec->type, NULL, NULL, 2, id_list_cb, &inner);
	if (rc != KW_OK || inner.n != 2)
		return KW_E_INTERNAL;
	kw_store_rec r;
	rec_make(&r, KW_REC_AGENT, rec->id, 1, 0, 0, "copied");
	return kw_store_rec_put(t, &r, 0);
}

static void test_list_reentrant(void **state)
{
	fx *f = *state;
	kw_store_txn *t;
	id_list l = {0};
	fill_groups(f->s, 12);
	assert_int_equal(kw_store_txn_begin(f->s, true, &t), KW_OK);
	assert_int_equal(kw_store_rec_list(t, KW_REC_KEY, NULL, NULL, 0,
					   rewriting_cb, t),
			 KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	list(f->s, KW_REC_AGENT, 0, NULL, 0, &l, KW_OK);
	assert_int_equal(l.n, 12);
	assert_rec(f->s, KW_REC_AGENT, "r011", 1, "copied");
}

static void test_ids(void **state)
{
	(void)state;
	char id[KW_STORE_ID_MAX + 2];
	memset(id, 'x', sizeof(id));
	id[KW_STORE_ID_MAX] = '\0';
	assert_true(kw_store_id_valid(id));
	id[KW_STORE_ID_MAX] = 'x';
	id[KW_STORE_ID_MAX + 1] = '\0';
	assert_false(kw_store_id_valid(id));
	assert_true(kw_store_id_valid("!~key/v1:a.b"));
	assert_false(kw_store_id_valid(NULL));
	assert_false(kw_store_id_valid(""));
	assert_false(kw_store_id_valid("has space"));
	assert_false(kw_store_id_valid("tab\there"));
	assert_false(kw_store_id_valid("nl\n"));
	assert_false(kw_store_id_valid("del\x7f"));
	assert_false(kw_store_id_valid("utf8-\xc3\xa9"));
}

int main(int argc, char **argv)
{
	if (argc > 1)
		fx_backend = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_roundtrip,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_get_missing, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_max_data,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_create_existing, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_replace_cas, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_delete_cas, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_lookup_unique, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_list_group_order, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_list_pagination, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_count, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_list_reentrant, fx_setup,
						fx_teardown),
		cmocka_unit_test(test_ids),
	};
	return cmocka_run_group_tests_name(fx_backend, tests, NULL, NULL);
}
