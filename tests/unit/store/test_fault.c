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
#include "store_fault.h"

/*
 * The fault injector (tests/common/store_fault.h) and the fail-closed rules
 * of the kw_store_* wrappers, against every backend (argv[1]).
 */

typedef struct ffx {
	fx base; /* base.s is opened through f */
	kw_store_fault *f;
} ffx;

static int ffx_setup(void **state)
{
	ffx *x = calloc(1, sizeof(*x));
	if (x == NULL || fx_init(&x->base) != 0) {
		free(x);
		return -1;
	}
	*state = x;
	if (kw_store_fault_new(kw_store_backend(fx_backend), &x->f) != KW_OK)
		return -1;
	return kw_store_fault_open(x->f, &x->base.cfg, &x->base.s) == KW_OK
		       ? 0
		       : -1;
}

static int ffx_teardown(void **state)
{
	ffx *x = *state;
	int r = fx_fini(&x->base); /* closes the store first */
	kw_store_fault_free(x->f);
	free(x);
	return r;
}

static void test_fail_nth_put(void **state)
{
	ffx *x = *state;
	kw_store *s = x->base.s;
	kw_store_rec r;
	kw_store_fault_fail(x->f, KW_FAULT_REC_PUT, 2, 1, KW_E_STORAGE);
	assert_int_equal(put_one(s, KW_REC_KEY, "a", 1, 0, 0, "A"), KW_OK);
	assert_int_equal(put_one(s, KW_REC_KEY, "b", 1, 0, 0, "B"),
			 KW_E_STORAGE);
	assert_int_equal(put_one(s, KW_REC_KEY, "c", 1, 0, 0, "C"), KW_OK);
	assert_rec(s, KW_REC_KEY, "a", 1, "A");
	assert_int_equal(get_one(s, KW_REC_KEY, "b", &r), KW_E_NOT_FOUND);
	assert_rec(s, KW_REC_KEY, "c", 1, "C");
	assert_int_equal(kw_store_fault_calls(x->f, KW_FAULT_REC_PUT), 3);
	assert_int_equal(kw_store_fault_failures(x->f, KW_FAULT_REC_PUT), 1);
	assert_int_equal(kw_store_fault_failures(x->f, KW_FAULT_REC_GET), 0);
}

/* After a storage failure the transaction is dead: later calls fail, and
 * commit applies nothing, not even what succeeded before the failure. */
static void test_failed_txn_fails_closed(void **state)
{
	ffx *x = *state;
	kw_store *s = x->base.s;
	kw_store_txn *t;
	kw_store_rec r;
	uint64_t n;
	assert_int_equal(kw_store_txn_begin(s, true, &t), KW_OK);
	rec_make(&r, KW_REC_KEY, "first", 1, 0, 0, "1");
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_OK);
	kw_store_fault_fail(x->f, KW_FAULT_AUDIT_APPEND, 1, 1, KW_E_STORAGE);
	assert_int_equal(kw_store_audit_append(t, 1, (const uint8_t *)"e", 1),
			 KW_E_STORAGE);
	/* The rule fired once; the wrapper keeps the transaction dead. */
	assert_int_equal(kw_store_audit_append(t, 1, (const uint8_t *)"e", 1),
			 KW_E_STORAGE);
	assert_int_equal(kw_store_rec_get(t, KW_REC_KEY, "first", &r),
			 KW_E_STORAGE);
	assert_int_equal(kw_store_audit_last(t, &n), KW_E_STORAGE);
	assert_int_equal(kw_store_txn_commit(t), KW_E_STORAGE);
	assert_int_equal(get_one(s, KW_REC_KEY, "first", &r), KW_E_NOT_FOUND);
	assert_int_equal(kw_store_fault_calls(x->f, KW_FAULT_AUDIT_APPEND), 1);
}

/* Refusals that are answers, not failures, leave the transaction usable. */
static void test_answers_do_not_poison(void **state)
{
	ffx *x = *state;
	kw_store *s = x->base.s;
	kw_store_txn *t;
	kw_store_rec r;
	kw_store_fault_fail(x->f, KW_FAULT_REC_PUT, 1, 1, KW_E_CONFLICT);
	assert_int_equal(kw_store_txn_begin(s, true, &t), KW_OK);
	rec_make(&r, KW_REC_KEY, "k", 1, 0, 0, "v");
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_E_CONFLICT);
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	assert_rec(s, KW_REC_KEY, "k", 1, "v");
}

static void test_commit_fails(void **state)
{
	ffx *x = *state;
	kw_store *s = x->base.s;
	kw_store_rec r;
	kw_store_txn *t;
	kw_store_fault_fail_always(x->f, KW_FAULT_TXN_COMMIT, KW_E_STORAGE);
	for (int i = 0; i < 3; i++)
		assert_int_equal(put_one(s, KW_REC_KEY, "k", 1, 0, 0, "v"),
				 KW_E_STORAGE);
	/* Nothing was applied, and no writer lock was left behind. */
	kw_store_fault_clear(x->f);
	assert_int_equal(get_one(s, KW_REC_KEY, "k", &r), KW_E_NOT_FOUND);
	assert_int_equal(kw_store_txn_begin(s, true, &t), KW_OK);
	kw_store_txn_abort(t);
	assert_int_equal(put_one(s, KW_REC_KEY, "k", 1, 0, 0, "v"), KW_OK);
	assert_rec(s, KW_REC_KEY, "k", 1, "v");
	assert_int_equal(kw_store_fault_failures(x->f, KW_FAULT_TXN_COMMIT), 3);
}

static void test_fail_range(void **state)
{
	ffx *x = *state;
	kw_store *s = x->base.s;
	kw_store_rec r;
	assert_int_equal(put_one(s, KW_REC_KEY, "k", 1, 0, 0, "v"), KW_OK);
	/* Gets number 2 and 3 from now fail. */
	kw_store_fault_fail(x->f, KW_FAULT_REC_GET, 2, 2, KW_E_NOMEM);
	assert_int_equal(get_one(s, KW_REC_KEY, "k", &r), KW_OK);
	kw_store_rec_clear(&r);
	assert_int_equal(get_one(s, KW_REC_KEY, "k", &r), KW_E_NOMEM);
	assert_int_equal(get_one(s, KW_REC_KEY, "k", &r), KW_E_NOMEM);
	assert_int_equal(get_one(s, KW_REC_KEY, "k", &r), KW_OK);
	kw_store_rec_clear(&r);
	/* count 0: from the nth on, for good. */
	kw_store_fault_fail(x->f, KW_FAULT_TXN_BEGIN, 2, 0, KW_E_STORAGE);
	assert_int_equal(get_one(s, KW_REC_KEY, "k", &r), KW_OK);
	kw_store_rec_clear(&r);
	for (int i = 0; i < 4; i++)
		assert_int_equal(get_one(s, KW_REC_KEY, "k", &r), KW_E_STORAGE);
	kw_store_fault_clear(x->f);
	assert_int_equal(get_one(s, KW_REC_KEY, "k", &r), KW_OK);
	kw_store_rec_clear(&r);
}

static void test_disk_full(void **state)
{
	ffx *x = *state;
	kw_store *s = x->base.s;
	kw_store_txn *t;
	uint64_t n = 0;
	assert_int_equal(put_one(s, KW_REC_KEY, "k", 1, 0, 0, "v"), KW_OK);
	kw_store_fault_disk_full(x->f, true);
	assert_int_equal(put_one(s, KW_REC_KEY, "k", 2, 0, 0, "w"),
			 KW_E_STORAGE);
	assert_int_equal(kw_store_txn_begin(s, true, &t), KW_OK);
	assert_int_equal(kw_store_rec_delete(t, KW_REC_KEY, "k", 1),
			 KW_E_STORAGE);
	kw_store_txn_abort(t);
	assert_int_equal(kw_store_txn_begin(s, true, &t), KW_OK);
	assert_int_equal(kw_store_audit_append(t, 1, (const uint8_t *)"e", 1),
			 KW_E_STORAGE);
	kw_store_txn_abort(t);
	/* A write transaction that wrote nothing still cannot commit. */
	assert_int_equal(kw_store_txn_begin(s, true, &t), KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_E_STORAGE);
	/* Reads work. */
	assert_rec(s, KW_REC_KEY, "k", 1, "v");
	assert_int_equal(kw_store_txn_begin(s, false, &t), KW_OK);
	assert_int_equal(kw_store_rec_count(t, KW_REC_KEY, NULL, &n), KW_OK);
	assert_int_equal(n, 1);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	kw_store_fault_disk_full(x->f, false);
	assert_int_equal(put_one(s, KW_REC_KEY, "k", 2, 0, 0, "w"), KW_OK);
	assert_rec(s, KW_REC_KEY, "k", 2, "w");
}

static void test_open_fails(void **state)
{
	ffx *x = *state;
	kw_store *s2 = (kw_store *)&s2;
	kw_store_fault_fail(x->f, KW_FAULT_OPEN, 1, 1, KW_E_STORAGE);
	assert_int_equal(kw_store_fault_open(x->f, &x->base.cfg, &s2),
			 KW_E_STORAGE);
	assert_ptr_equal(s2, (kw_store *)&s2); /* untouched */
	assert_int_equal(kw_store_fault_open(NULL, &x->base.cfg, &s2),
			 KW_E_INVALID);
	kw_store_fault *f2 = (kw_store_fault *)&f2;
	assert_int_equal(kw_store_fault_new(NULL, &f2), KW_E_INVALID);
	assert_int_equal(kw_store_fault_new(kw_store_backend("mem"), NULL),
			 KW_E_INVALID);
	assert_ptr_equal(f2, (kw_store_fault *)&f2);
	kw_store_fault_free(NULL);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		fx_backend = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fail_nth_put, ffx_setup,
						ffx_teardown),
		cmocka_unit_test_setup_teardown(test_failed_txn_fails_closed,
						ffx_setup, ffx_teardown),
		cmocka_unit_test_setup_teardown(test_answers_do_not_poison,
						ffx_setup, ffx_teardown),
		cmocka_unit_test_setup_teardown(test_commit_fails, ffx_setup,
						ffx_teardown),
		cmocka_unit_test_setup_teardown(test_fail_range, ffx_setup,
						ffx_teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, ffx_setup,
						ffx_teardown),
		cmocka_unit_test_setup_teardown(test_open_fails, ffx_setup,
						ffx_teardown),
	};
	return cmocka_run_group_tests_name(fx_backend, tests, NULL, NULL);
}
