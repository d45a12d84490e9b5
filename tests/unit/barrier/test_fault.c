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

/*
 * Store failures injected through the ops table (tests/common/store_fault):
 * whatever fails, a record is either fully written with its manifest or not
 * at all, the manifests keep verifying, and the error is the store's, not a
 * false integrity alarm.
 */

static int setup_fault(void **state)
{
	bfx *f = bfx_new(*state);
	assert_int_equal(
		kw_store_fault_new(kw_store_backend(f->backend), &f->fault),
		KW_OK);
	bfx_open(f);
	*state = f;
	return 0;
}

static int teardown_fault(void **state)
{
	bfx *f = *state;
	kw_store_fault *fault = f->fault;
	bfx_teardown(state);
	kw_store_fault_free(fault);
	return 0;
}

/* The manifests verify, also after a seal and unseal. */
static void assert_consistent(bfx *f)
{
	kw_store_fault_clear(f->fault);
	assert_int_equal(kw_barrier_verify(f->b), KW_OK);
	assert_int_equal(kw_barrier_seal(f->b), KW_OK);
	bfx_unseal(f, 0);
}

static kw_rc try_put(bfx *f, const char *id, const char *data,
		     uint64_t expected, bool commit_anyway)
{
	kw_store_txn *t = NULL;
	kw_rc rc = kw_store_txn_begin(f->store, true, &t);
	if (rc != KW_OK)
		return rc;
	rc = kw_barrier_rec_put(f->b, t, KW_REC_KEY, id, "p1", id,
				(const uint8_t *)data, strlen(data), expected,
				NULL);
	if (rc == KW_OK || commit_anyway) {
		kw_rc crc = kw_store_txn_commit(t);
		return rc != KW_OK ? rc : crc;
	}
	kw_store_txn_abort(t);
	return rc;
}

static kw_rc try_delete(bfx *f, const char *id, uint64_t expected)
{
	kw_store_txn *t = NULL;
	kw_rc rc = kw_store_txn_begin(f->store, true, &t);
	if (rc != KW_OK)
		return rc;
	rc = kw_barrier_rec_delete(f->b, t, KW_REC_KEY, id, expected);
	if (rc == KW_OK)
		return kw_store_txn_commit(t);
	kw_store_txn_abort(t);
	return rc;
}

static void test_failed_commit(void **state)
{
	bfx *f = *state;
	bfx_init(f, 2, 2);
	kw_store_fault_fail(f->fault, KW_FAULT_TXN_COMMIT, 1, 1, KW_E_STORAGE);
	assert_int_equal(try_put(f, "a", "one", 0, false), KW_E_STORAGE);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", NULL), KW_E_NOT_FOUND);
	assert_consistent(f);
	bfx_put(f, KW_REC_KEY, "a", "p1", "a", "one", 0);

	kw_store_fault_fail(f->fault, KW_FAULT_TXN_COMMIT, 1, 1, KW_E_STORAGE);
	assert_int_equal(try_put(f, "a", "two", 1, false), KW_E_STORAGE);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", "one"), KW_OK);
	kw_store_fault_fail(f->fault, KW_FAULT_TXN_COMMIT, 1, 1, KW_E_STORAGE);
	assert_int_equal(try_delete(f, "a", 1), KW_E_STORAGE);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", "one"), KW_OK);
	assert_consistent(f);

	/* disk full: every write refused, reads still fine */
	kw_store_fault_disk_full(f->fault, true);
	assert_int_equal(try_put(f, "b", "bee", 0, false), KW_E_STORAGE);
	assert_int_equal(try_put(f, "a", "two", 1, false), KW_E_STORAGE);
	assert_int_equal(try_delete(f, "a", 1), KW_E_STORAGE);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", "one"), KW_OK);
	kw_store_fault_disk_full(f->fault, false);
	assert_consistent(f);
	assert_int_equal(try_put(f, "a", "two", 1, false), KW_OK);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", "two"), KW_OK);
}

/* Each of the three writes of a put (record, bucket, root) and each of the
 * reads before them fails in turn; the caller even commits regardless. */
static void test_failed_step_of_a_put(void **state)
{
	bfx *f = *state;
	bfx_init(f, 2, 2);
	bfx_put(f, KW_REC_KEY, "a", "p1", "a", "one", 0);
	for (uint64_t nth = 1; nth <= 3; nth++) {
		kw_store_fault_fail(f->fault, KW_FAULT_REC_PUT, nth, 1,
				    KW_E_STORAGE);
		assert_int_equal(try_put(f, "b", "new", 0, true), KW_E_STORAGE);
		kw_store_fault_fail(f->fault, KW_FAULT_REC_PUT, nth, 1,
				    KW_E_STORAGE);
		assert_int_equal(try_put(f, "a", "two", 1, true), KW_E_STORAGE);
		assert_int_equal(bfx_get(f, KW_REC_KEY, "b", NULL),
				 KW_E_NOT_FOUND);
		assert_int_equal(bfx_get(f, KW_REC_KEY, "a", "one"), KW_OK);
		assert_consistent(f);
	}
	/* reads inside the write: bucket, root */
	for (uint64_t nth = 1; nth <= 2; nth++) {
		kw_store_fault_fail(f->fault, KW_FAULT_REC_GET, nth, 1,
				    KW_E_STORAGE);
		assert_int_equal(try_put(f, "a", "two", 1, true), KW_E_STORAGE);
		assert_int_equal(bfx_get(f, KW_REC_KEY, "a", "one"), KW_OK);
		assert_consistent(f);
	}
	/* and a delete: the row, then its bucket and root */
	kw_store_fault_fail(f->fault, KW_FAULT_REC_DELETE, 1, 1, KW_E_STORAGE);
	assert_int_equal(try_delete(f, "a", 1), KW_E_STORAGE);
	for (uint64_t nth = 1; nth <= 2; nth++) {
		kw_store_fault_fail(f->fault, KW_FAULT_REC_PUT, nth, 1,
				    KW_E_STORAGE);
		assert_int_equal(try_delete(f, "a", 1), KW_E_STORAGE);
	}
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", "one"), KW_OK);
	assert_consistent(f);
	assert_int_equal(try_delete(f, "a", 1), KW_OK);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", NULL), KW_E_NOT_FOUND);
	assert_consistent(f);
}

static void test_failed_reads(void **state)
{
	bfx *f = *state;
	kw_store_txn *t = NULL;
	kw_secret *d = NULL;
	char id[KW_STORE_ID_MAX + 1];
	int n = 0;
	bfx_init(f, 2, 2);
	bfx_put(f, KW_REC_KEY, "a", "p1", "a", "one", 0);

	/* the record's row, then its bucket */
	for (uint64_t nth = 1; nth <= 2; nth++) {
		kw_store_fault_fail(f->fault, KW_FAULT_REC_GET, nth, 1,
				    KW_E_STORAGE);
		assert_int_equal(bfx_get(f, KW_REC_KEY, "a", NULL),
				 KW_E_STORAGE);
	}
	assert_int_equal(kw_store_txn_begin(f->store, false, &t), KW_OK);
	kw_store_fault_fail(f->fault, KW_FAULT_REC_GET_BY_LOOKUP, 1, 1,
			    KW_E_STORAGE);
	assert_int_equal(
		kw_barrier_rec_find(f->b, t, KW_REC_KEY, "a", id, &d, NULL),
		KW_E_STORAGE);
	kw_store_txn_abort(t);
	assert_int_equal(kw_store_txn_begin(f->store, false, &t), KW_OK);
	kw_store_fault_fail(f->fault, KW_FAULT_REC_LIST, 1, 1, KW_E_STORAGE);
	assert_int_equal(kw_barrier_rec_list(f->b, t, KW_REC_KEY, NULL, NULL, 0,
					     bfx_count_cb, &n),
			 KW_E_STORAGE);
	kw_store_txn_abort(t);
	assert_int_equal(kw_store_txn_begin(f->store, false, &t), KW_OK);
	kw_store_fault_fail(f->fault, KW_FAULT_REC_GET, 1, 1, KW_E_STORAGE);
	assert_int_equal(kw_barrier_rec_list(f->b, t, KW_REC_KEY, NULL, NULL, 0,
					     bfx_count_cb, &n),
			 KW_E_STORAGE);
	kw_store_txn_abort(t);
	assert_int_equal(n, 0);
	assert_null(d);
	assert_consistent(f);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", "one"), KW_OK);
}

static void test_failed_unseal_and_init(void **state)
{
	bfx *f = *state;
	kw_barrier_status st;
	kw_secret **sh = NULL;

	/* init whose commit fails: nothing happened, and it can be redone */
	kw_store_fault_fail(f->fault, KW_FAULT_TXN_COMMIT, 1, 1, KW_E_STORAGE);
	assert_int_equal(kw_barrier_init(f->b, 3, 2, &sh), KW_E_STORAGE);
	assert_null(sh);
	assert_int_equal(kw_barrier_status_get(f->b, &st), KW_OK);
	assert_false(st.initialized);
	kw_store_fault_fail(f->fault, KW_FAULT_REC_PUT, 2, 1, KW_E_STORAGE);
	assert_int_equal(kw_barrier_init(f->b, 3, 2, &sh), KW_E_STORAGE);
	kw_store_fault_clear(f->fault);
	bfx_init(f, 3, 2);
	bfx_put(f, KW_REC_KEY, "a", "p1", "a", "one", 0);

	/* unseal whose manifest read fails: still sealed, can be retried */
	assert_int_equal(kw_barrier_seal(f->b), KW_OK);
	const kw_fault_op ops[] = {KW_FAULT_TXN_BEGIN, KW_FAULT_REC_LIST,
				   KW_FAULT_REC_GET};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		assert_int_equal(kw_barrier_unseal(
					 f->b, (const char *)f->shares[0]->data,
					 77, &st),
				 KW_OK);
		kw_store_fault_fail(f->fault, ops[i], 1, 1, KW_E_STORAGE);
		assert_int_equal(kw_barrier_unseal(
					 f->b, (const char *)f->shares[1]->data,
					 77, &st),
				 KW_E_STORAGE);
		assert_int_equal(kw_barrier_status_get(f->b, &st), KW_OK);
		assert_true(st.sealed);
		assert_int_equal(st.progress, 0);
	}
	bfx_unseal(f, 0);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "a", "one"), KW_OK);

	/* a barrier cannot open on a store it cannot read */
	kw_barrier *b = NULL;
	kw_store_fault_fail(f->fault, KW_FAULT_REC_GET, 1, 1, KW_E_STORAGE);
	assert_int_equal(kw_barrier_open(f->store, &b), KW_E_STORAGE);
	assert_null(b);
}

#define BOTH(fn)                                                      \
	{#fn "/mem", fn, setup_fault, teardown_fault, (void *)"mem"}, \
	{                                                             \
#fn "/sqlite", fn, setup_fault, teardown_fault,       \
			(void *)"sqlite"                              \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_failed_commit),
		BOTH(test_failed_step_of_a_put),
		BOTH(test_failed_reads),
		BOTH(test_failed_unseal_and_init),
	};
	return cmocka_run_group_tests_name("barrier-fault", tests, NULL, NULL);
}
