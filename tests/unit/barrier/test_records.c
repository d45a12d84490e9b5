/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

static int setup_unsealed(void **state)
{
	bfx_setup(state);
	bfx_init(*state, 3, 2);
	return 0;
}

static kw_store_txn *begin(bfx *f, bool write)
{
	kw_store_txn *t = NULL;
	assert_int_equal(kw_store_txn_begin(f->store, write, &t), KW_OK);
	return t;
}

static void test_round_trip(void **state)
{
	bfx *f = *state;
	kw_secret *d = NULL;
	uint64_t v = 0;
	char id[KW_STORE_ID_MAX + 1];

	assert_int_equal(
		bfx_put(f, KW_REC_KEY, "k1", "p1", "p1/signing", "first", 0),
		1);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "k1", "first"), KW_OK);
	assert_int_equal(
		bfx_put(f, KW_REC_KEY, "k1", "p1", "p1/signing", "second", 1),
		2);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "k1", "second"), KW_OK);

	kw_store_txn *t = begin(f, false);
	memset(id, 0, sizeof(id));
	assert_int_equal(kw_barrier_rec_find(f->b, t, KW_REC_KEY, "p1/signing",
					     id, &d, &v),
			 KW_OK);
	assert_string_equal(id, "k1");
	assert_int_equal(v, 2);
	assert_int_equal(d->len, 6);
	assert_memory_equal(d->data, "second", 6);
	kw_secret_free(d);
	d = NULL;
	/* Lookups are per type and per name. */
	assert_int_equal(kw_barrier_rec_find(f->b, t, KW_REC_CERT, "p1/signing",
					     id, &d, &v),
			 KW_E_NOT_FOUND);
	assert_int_equal(kw_barrier_rec_find(f->b, t, KW_REC_KEY, "p1/other",
					     id, &d, &v),
			 KW_E_NOT_FOUND);
	assert_null(d);
	assert_int_equal(kw_barrier_rec_get(f->b, t, KW_REC_CERT, "k1", &d, &v),
			 KW_E_NOT_FOUND);
	kw_store_txn_abort(t);

	/* Records outlive a seal (and, on sqlite, a restart). */
	if (strcmp(f->backend, "sqlite") == 0) {
		bfx_close(f);
		bfx_open(f);
	} else {
		assert_int_equal(kw_barrier_seal(f->b), KW_OK);
	}
	assert_int_equal(bfx_get(f, KW_REC_KEY, "k1", NULL), KW_E_SEALED);
	bfx_unseal(f, 1);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "k1", "second"), KW_OK);

	/* An empty record, and one with the largest data allowed. */
	uint8_t *big = malloc(KW_BARRIER_DATA_MAX + 1);
	assert_non_null(big);
	memset(big, 0xb1, KW_BARRIER_DATA_MAX + 1);
	t = begin(f, true);
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_OBJECT, "empty",
					    NULL, NULL, NULL, 0, 0, NULL),
			 KW_OK);
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_OBJECT, "big", NULL,
					    NULL, big, KW_BARRIER_DATA_MAX + 1,
					    0, NULL),
			 KW_E_LIMIT);
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_OBJECT, "big", NULL,
					    NULL, big, KW_BARRIER_DATA_MAX, 0,
					    NULL),
			 KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	assert_int_equal(bfx_get(f, KW_REC_OBJECT, "empty", ""), KW_OK);
	t = begin(f, false);
	assert_int_equal(
		kw_barrier_rec_get(f->b, t, KW_REC_OBJECT, "big", &d, &v),
		KW_OK);
	kw_store_txn_abort(t);
	assert_int_equal(d->len, KW_BARRIER_DATA_MAX);
	assert_memory_equal(d->data, big, KW_BARRIER_DATA_MAX);
	kw_secret_free(d);
	free(big);
}

static void test_versions_and_conflicts(void **state)
{
	bfx *f = *state;
	kw_store_txn *t = NULL;
	const uint8_t x[] = "x";
	bfx_put(f, KW_REC_KEY, "a", "p1", "p1/a", "A", 0);
	bfx_put(f, KW_REC_KEY, "b", "p1", "p1/b", "B", 0);

	t = begin(f, true);
	/* create of an existing id */
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_KEY, "a", NULL,
					    NULL, x, 1, 0, NULL),
			 KW_E_EXISTS);
	/* stale and future versions */
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_KEY, "a", NULL,
					    NULL, x, 1, 2, NULL),
			 KW_E_CONFLICT);
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_KEY, "new", NULL,
					    NULL, x, 1, 1, NULL),
			 KW_E_CONFLICT);
	/* a lookup name another record holds */
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_KEY, "c", "p1",
					    "p1/a", x, 1, 0, NULL),
			 KW_E_EXISTS);
	assert_int_equal(kw_barrier_rec_delete(f->b, t, KW_REC_KEY, "a", 2),
			 KW_E_CONFLICT);
	assert_int_equal(kw_barrier_rec_delete(f->b, t, KW_REC_KEY, "zz", 1),
			 KW_E_NOT_FOUND);
	kw_store_txn_abort(t);

	bfx_delete(f, KW_REC_KEY, "a", 1);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", NULL), KW_E_NOT_FOUND);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "b", "B"), KW_OK);
	/* The freed id and lookup name can be used again. */
	assert_int_equal(bfx_put(f, KW_REC_KEY, "a", "p1", "p1/a", "A2", 0), 1);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", "A2"), KW_OK);
	/* An aborted write changes nothing. */
	t = begin(f, true);
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_KEY, "a", NULL,
					    NULL, x, 1, 1, NULL),
			 KW_OK);
	kw_store_txn_abort(t);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", "A2"), KW_OK);
	/* The manifests still verify after all of it. */
	assert_int_equal(kw_barrier_seal(f->b), KW_OK);
	bfx_unseal(f, 0);
}

typedef struct collect {
	char ids[700][16];
	size_t n;
	kw_rc stop_with;
	size_t stop_at;
	bfx *f;
	bool nested;
} collect;

static kw_rc collect_cb(const char *id, uint64_t version, const uint8_t *data,
			size_t len, void *arg)
{
	collect *c = arg;
	assert_true(version >= 1);
	assert_true(strlen(id) < sizeof(c->ids[0]));
	/* put_many wrote "data-<id>" */
	assert_int_equal(len, strlen(id) + 5);
	assert_memory_equal(data, "data-", 5);
	assert_memory_equal(data + 5, id, len - 5);
	if (c->nested) /* a callback may call the barrier again */
		assert_int_equal(bfx_get(c->f, KW_REC_KEY, id, NULL), KW_OK);
	snprintf(c->ids[c->n++], sizeof(c->ids[0]), "%s", id);
	if (c->stop_with != KW_OK && c->n == c->stop_at)
		return c->stop_with;
	return KW_OK;
}

static void put_many(bfx *f, const char *group, int n, int first)
{
	kw_store_txn *t = begin(f, true);
	for (int i = first; i < first + n; i++) {
		char id[32], data[48];
		snprintf(id, sizeof(id), "k%04d", i);
		snprintf(data, sizeof(data), "data-%s", id);
		assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_KEY, id,
						    group, NULL,
						    (const uint8_t *)data,
						    strlen(data), 0, NULL),
				 KW_OK);
	}
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
}

static void test_list_and_count(void **state)
{
	bfx *f = *state;
	collect *c = calloc(1, sizeof(*c));
	uint64_t n = 0;
	assert_non_null(c);
	c->f = f;
	/* 600 in p1 (more than a listing page), 5 in p2 */
	put_many(f, "p1", 600, 0);
	put_many(f, "p2", 5, 600);

	kw_store_txn *t = begin(f, false);
	assert_int_equal(kw_barrier_rec_count(f->b, t, KW_REC_KEY, NULL, &n),
			 KW_OK);
	assert_int_equal(n, 605);
	assert_int_equal(kw_barrier_rec_count(f->b, t, KW_REC_KEY, "p2", &n),
			 KW_OK);
	assert_int_equal(n, 5);
	assert_int_equal(kw_barrier_rec_count(f->b, t, KW_REC_KEY, "p3", &n),
			 KW_OK);
	assert_int_equal(n, 0);
	/* The barrier's own metadata rows are not counted or listed. */
	assert_int_equal(kw_barrier_rec_count(f->b, t, KW_REC_META, NULL, &n),
			 KW_OK);
	assert_int_equal(n, 0);
	assert_int_equal(kw_barrier_rec_list(f->b, t, KW_REC_META, NULL, NULL,
					     0, collect_cb, c),
			 KW_OK);
	assert_int_equal(c->n, 0);

	assert_int_equal(kw_barrier_rec_list(f->b, t, KW_REC_KEY, "p1", NULL, 0,
					     collect_cb, c),
			 KW_OK);
	assert_int_equal(c->n, 600);
	for (size_t i = 0; i < c->n; i++) {
		char want[32];
		snprintf(want, sizeof(want), "k%04u", (unsigned)i);
		assert_string_equal(c->ids[i], want);
	}
	/* after_id and limit, paging by hand */
	c->n = 0;
	assert_int_equal(kw_barrier_rec_list(f->b, t, KW_REC_KEY, NULL, "k0598",
					     4, collect_cb, c),
			 KW_OK);
	assert_int_equal(c->n, 4);
	assert_string_equal(c->ids[0], "k0599");
	assert_string_equal(c->ids[3], "k0602");
	/* a callback's error stops the listing and is returned */
	c->n = 0;
	c->stop_with = KW_E_LIMIT;
	c->stop_at = 3;
	assert_int_equal(kw_barrier_rec_list(f->b, t, KW_REC_KEY, "p2", NULL, 0,
					     collect_cb, c),
			 KW_E_LIMIT);
	assert_int_equal(c->n, 3);
	/* a callback may use the barrier */
	c->n = 0;
	c->stop_with = KW_OK;
	c->nested = true;
	assert_int_equal(kw_barrier_rec_list(f->b, t, KW_REC_KEY, "p2", NULL, 0,
					     collect_cb, c),
			 KW_OK);
	assert_int_equal(c->n, 5);
	kw_store_txn_abort(t);
	free(c);
}

static kw_rc seal_cb(const char *id, uint64_t version, const uint8_t *data,
		     size_t len, void *arg)
{
	(void)id;
	(void)version;
	(void)data;
	(void)len;
	bfx *f = arg;
	return kw_barrier_seal(f->b);
}

static void test_sealed_refuses_every_record_op(void **state)
{
	bfx *f = *state;
	kw_secret *d = NULL;
	uint64_t v = 0;
	char id[KW_STORE_ID_MAX + 1];
	put_many(f, "p1", 3, 0);

	/* sealing from inside a listing stops it */
	kw_store_txn *t = begin(f, false);
	assert_int_equal(kw_barrier_rec_list(f->b, t, KW_REC_KEY, NULL, NULL, 0,
					     seal_cb, f),
			 KW_E_SEALED);
	kw_store_txn_abort(t);

	t = begin(f, true);
	assert_int_equal(
		kw_barrier_rec_get(f->b, t, KW_REC_KEY, "k0000", &d, &v),
		KW_E_SEALED);
	assert_int_equal(
		kw_barrier_rec_find(f->b, t, KW_REC_KEY, "x", id, &d, &v),
		KW_E_SEALED);
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_KEY, "k9", NULL,
					    NULL, (const uint8_t *)"x", 1, 0,
					    &v),
			 KW_E_SEALED);
	assert_int_equal(kw_barrier_rec_delete(f->b, t, KW_REC_KEY, "k0000", 1),
			 KW_E_SEALED);
	assert_int_equal(kw_barrier_rec_list(f->b, t, KW_REC_KEY, NULL, NULL, 0,
					     seal_cb, f),
			 KW_E_SEALED);
	assert_int_equal(kw_barrier_rec_count(f->b, t, KW_REC_KEY, NULL, &v),
			 KW_E_SEALED);
	assert_int_equal(v, 0);
	assert_null(d);
	kw_store_txn_abort(t);
}

static void test_bad_arguments(void **state)
{
	bfx *f = *state;
	kw_secret *d = NULL;
	uint64_t v = 0;
	char id[KW_STORE_ID_MAX + 1];
	char longid[KW_STORE_ID_MAX + 2];
	char longname[1026];
	const uint8_t x[] = "x";
	memset(longid, 'i', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = 0;
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;

	kw_store_txn *t = begin(f, true);
#define PUT(type, id, g, l, data, len) \
	kw_barrier_rec_put(f->b, t, type, id, g, l, data, len, 0, &v)
	assert_int_equal(PUT(KW_REC_KEY, NULL, NULL, NULL, x, 1), KW_E_INVALID);
	assert_int_equal(PUT(KW_REC_KEY, "", NULL, NULL, x, 1), KW_E_INVALID);
	assert_int_equal(PUT(KW_REC_KEY, "a b", NULL, NULL, x, 1),
			 KW_E_INVALID);
	assert_int_equal(PUT(KW_REC_KEY, longid, NULL, NULL, x, 1),
			 KW_E_INVALID);
	assert_int_equal(PUT(0, "a", NULL, NULL, x, 1), KW_E_INVALID);
	assert_int_equal(PUT(256, "a", NULL, NULL, x, 1), KW_E_INVALID);
	assert_int_equal(PUT(KW_REC_BUCKET, "0000", NULL, NULL, x, 1),
			 KW_E_INVALID);
	assert_int_equal(PUT(KW_REC_META, "barrier", NULL, NULL, x, 1),
			 KW_E_INVALID);
	assert_int_equal(PUT(KW_REC_META, "root", NULL, NULL, x, 1),
			 KW_E_INVALID);
	assert_int_equal(PUT(KW_REC_KEY, "a", "", NULL, x, 1), KW_E_INVALID);
	assert_int_equal(PUT(KW_REC_KEY, "a", NULL, "", x, 1), KW_E_INVALID);
	assert_int_equal(PUT(KW_REC_KEY, "a", longname, NULL, x, 1),
			 KW_E_INVALID);
	assert_int_equal(PUT(KW_REC_KEY, "a", NULL, longname, x, 1),
			 KW_E_INVALID);
	assert_int_equal(PUT(KW_REC_KEY, "a", NULL, NULL, NULL, 1),
			 KW_E_INVALID);
	assert_int_equal(PUT(KW_REC_KEY, "a", NULL, NULL, x, KW_STORE_DATA_MAX),
			 KW_E_LIMIT);
	assert_int_equal(kw_barrier_rec_put(NULL, t, KW_REC_KEY, "a", NULL,
					    NULL, x, 1, 0, &v),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_rec_put(f->b, NULL, KW_REC_KEY, "a", NULL,
					    NULL, x, 1, 0, &v),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_KEY, "a", NULL,
					    NULL, x, 1, UINT64_MAX, &v),
			 KW_E_INVALID);
#undef PUT
	/* A META record of another id is an ordinary record. */
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_META, "settings",
					    NULL, NULL, x, 1, 0, &v),
			 KW_OK);
	assert_int_equal(v, 1);
	v = 0;

	assert_int_equal(kw_barrier_rec_get(f->b, t, KW_REC_KEY, NULL, &d, &v),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_rec_get(f->b, t, KW_REC_KEY, "a", NULL, &v),
			 KW_E_INVALID);
	assert_int_equal(
		kw_barrier_rec_get(f->b, NULL, KW_REC_KEY, "a", &d, &v),
		KW_E_INVALID);
	assert_int_equal(kw_barrier_rec_get(NULL, t, KW_REC_KEY, "a", &d, &v),
			 KW_E_INVALID);
	assert_int_equal(
		kw_barrier_rec_get(f->b, t, KW_REC_META, "root", &d, &v),
		KW_E_INVALID);
	assert_int_equal(
		kw_barrier_rec_get(f->b, t, KW_REC_BUCKET, "0000", &d, &v),
		KW_E_INVALID);
	assert_int_equal(
		kw_barrier_rec_get(f->b, t, KW_REC_KEY, longid, &d, &v),
		KW_E_INVALID);
	assert_int_equal(
		kw_barrier_rec_find(f->b, t, KW_REC_KEY, NULL, id, &d, &v),
		KW_E_INVALID);
	assert_int_equal(
		kw_barrier_rec_find(f->b, t, KW_REC_KEY, "", id, &d, &v),
		KW_E_INVALID);
	assert_int_equal(
		kw_barrier_rec_find(f->b, t, KW_REC_KEY, longname, id, &d, &v),
		KW_E_INVALID);
	assert_int_equal(
		kw_barrier_rec_find(f->b, t, KW_REC_KEY, "x", NULL, &d, &v),
		KW_E_INVALID);
	assert_int_equal(
		kw_barrier_rec_find(f->b, t, KW_REC_KEY, "x", id, NULL, &v),
		KW_E_INVALID);
	assert_int_equal(
		kw_barrier_rec_find(f->b, t, KW_REC_BUCKET, "x", id, &d, &v),
		KW_E_INVALID);
	assert_int_equal(kw_barrier_rec_delete(f->b, t, KW_REC_KEY, "a", 0),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_rec_delete(f->b, t, KW_REC_KEY, NULL, 1),
			 KW_E_INVALID);
	assert_int_equal(
		kw_barrier_rec_delete(f->b, t, KW_REC_META, "barrier", 1),
		KW_E_INVALID);
	assert_int_equal(kw_barrier_rec_delete(NULL, t, KW_REC_KEY, "a", 1),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_rec_list(f->b, t, KW_REC_KEY, NULL, NULL, 0,
					     NULL, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_rec_list(f->b, t, KW_REC_KEY, NULL, "a b",
					     0, collect_cb, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_rec_list(f->b, t, KW_REC_BUCKET, NULL, NULL,
					     0, collect_cb, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_rec_list(f->b, t, KW_REC_KEY, "", NULL, 0,
					     collect_cb, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_rec_count(f->b, t, KW_REC_KEY, NULL, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_rec_count(f->b, t, 0, NULL, &v),
			 KW_E_INVALID);
	assert_int_equal(
		kw_barrier_rec_count(f->b, t, KW_REC_KEY, longname, &v),
		KW_E_INVALID);
	assert_null(d);
	assert_int_equal(v, 0);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	/* A write in a read transaction is refused by the store. */
	t = begin(f, false);
	assert_int_equal(kw_barrier_rec_put(f->b, t, KW_REC_KEY, "w", NULL,
					    NULL, x, 1, 0, &v),
			 KW_E_INVALID);
	kw_store_txn_abort(t);
}

/* Each test on both backends, named test/mem and test/sqlite. */
#define BOTH(fn)                                                       \
	{#fn "/mem", fn, setup_unsealed, bfx_teardown, (void *)"mem"}, \
	{                                                              \
#fn "/sqlite", fn, setup_unsealed, bfx_teardown,       \
			(void *)"sqlite"                               \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_round_trip),
		BOTH(test_versions_and_conflicts),
		BOTH(test_list_and_count),
		BOTH(test_sealed_refuses_every_record_op),
		BOTH(test_bad_arguments),
	};
	return cmocka_run_group_tests_name("barrier-records", tests, NULL,
					   NULL);
}
