/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "barrier/shamir.h"
#include "helpers.h"

/* ---- init, unseal, seal ------------------------------------------------- */

static void test_init_returns_shares_once(void **state)
{
	bfx *f = *state;
	kw_barrier_status st;
	kw_secret **again = NULL;

	assert_int_equal(kw_barrier_status_get(f->b, &st), KW_OK);
	assert_false(st.initialized);
	assert_true(st.sealed);
	assert_int_equal(st.shares, 0);
	assert_string_equal(st.instance_id, "");
	assert_int_equal(kw_barrier_unseal(f->b, "kwshare1-x", 10, NULL),
			 KW_E_NOT_INITIALIZED);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "k1", NULL), KW_E_SEALED);

	bfx_init(f, 5, 3);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(f->shares[i]->len, 77);
		assert_memory_equal(f->shares[i]->data, "kwshare1-", 9);
		for (unsigned j = 0; j < i; j++)
			assert_memory_not_equal(f->shares[i]->data,
						f->shares[j]->data, 77);
	}
	assert_int_equal(kw_barrier_status_get(f->b, &st), KW_OK);
	assert_true(st.initialized);
	assert_false(st.sealed);
	assert_int_equal(st.shares, 5);
	assert_int_equal(st.threshold, 3);
	assert_int_equal(st.progress, 0);
	assert_int_equal(strlen(st.instance_id), 32);
	assert_int_equal(strspn(st.instance_id, "0123456789abcdef"), 32);
	char id[33];
	memcpy(id, st.instance_id, sizeof(id));

	assert_int_equal(kw_barrier_init(f->b, 5, 3, &again), KW_E_EXISTS);
	assert_null(again);
	/* A restart sees the same instance, sealed, and still refuses. */
	bfx_close(f);
	bfx_open(f);
	assert_int_equal(kw_barrier_status_get(f->b, &st), KW_OK);
	if (strcmp(f->backend, "sqlite") == 0) {
		assert_true(st.initialized);
		assert_true(st.sealed);
		assert_string_equal(st.instance_id, id);
		assert_int_equal(kw_barrier_init(f->b, 1, 1, &again),
				 KW_E_EXISTS);
		bfx_unseal(f, 0);
	}
}

static void test_unseal_progress(void **state)
{
	bfx *f = *state;
	kw_barrier_status st;
	bfx_init(f, 5, 3);
	assert_int_equal(kw_barrier_seal(f->b), KW_OK);
	assert_int_equal(kw_barrier_seal(f->b), KW_OK); /* idempotent */

	const unsigned order[] = {4, 1, 2};
	for (unsigned i = 0; i < 3; i++) {
		const kw_secret *s = f->shares[order[i]];
		memset(&st, 0xff, sizeof(st));
		assert_int_equal(kw_barrier_unseal(f->b, (const char *)s->data,
						   s->len, &st),
				 KW_OK);
		assert_true(st.initialized);
		assert_int_equal(st.shares, 5);
		assert_int_equal(st.threshold, 3);
		if (i < 2) {
			assert_true(st.sealed);
			assert_int_equal(st.progress, i + 1);
			assert_int_equal(bfx_get(f, KW_REC_KEY, "x", NULL),
					 KW_E_SEALED);
		} else {
			assert_false(st.sealed);
			assert_int_equal(st.progress, 0);
		}
	}
	assert_int_equal(bfx_get(f, KW_REC_KEY, "x", NULL), KW_E_NOT_FOUND);
	assert_int_equal(kw_barrier_unseal(f->b,
					   (const char *)f->shares[0]->data, 77,
					   &st),
			 KW_E_STATE);
}

static void test_fewer_than_m_shares_stay_sealed(void **state)
{
	bfx *f = *state;
	kw_barrier_status st;
	bfx_init(f, 5, 3);
	assert_int_equal(kw_barrier_seal(f->b), KW_OK);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(kw_barrier_unseal(
					 f->b, (const char *)f->shares[i]->data,
					 77, &st),
				 KW_OK);
	assert_true(st.sealed);
	assert_int_equal(st.progress, 2);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "x", NULL), KW_E_SEALED);
	/* The same share again is refused and does not count. */
	assert_int_equal(kw_barrier_unseal(f->b,
					   (const char *)f->shares[1]->data, 77,
					   &st),
			 KW_E_EXISTS);
	assert_int_equal(kw_barrier_status_get(f->b, &st), KW_OK);
	assert_int_equal(st.progress, 2);
	assert_true(st.sealed);
	/* Reset forgets them. */
	assert_int_equal(kw_barrier_unseal_reset(f->b), KW_OK);
	assert_int_equal(kw_barrier_status_get(f->b, &st), KW_OK);
	assert_int_equal(st.progress, 0);
	bfx_unseal(f, 2);
}

static void test_wrong_shares_rejected(void **state)
{
	bfx *f = *state;
	kw_barrier_status st;
	bfx_init(f, 3, 2);
	assert_int_equal(kw_barrier_seal(f->b), KW_OK);

	/* A share of another instance. */
	kw_store *s2 = NULL;
	kw_barrier *b2 = NULL;
	kw_secret **other = NULL;
	kw_store_config cfg = {.backend = "mem"};
	assert_int_equal(kw_store_open(&cfg, &s2), KW_OK);
	assert_int_equal(kw_barrier_open(s2, &b2), KW_OK);
	assert_int_equal(kw_barrier_init(b2, 3, 2, &other), KW_OK);
	assert_int_equal(kw_barrier_unseal(f->b, (const char *)other[0]->data,
					   other[0]->len, &st),
			 KW_E_DENIED);
	kw_barrier_shares_free(other, 3);
	kw_barrier_free(b2);
	kw_store_close(s2);

	/* A mistyped share, and something that is not a share. */
	char bad[77];
	memcpy(bad, f->shares[0]->data, 77);
	bad[40] = bad[40] == 'A' ? 'B' : 'A';
	assert_int_equal(kw_barrier_unseal(f->b, bad, 77, &st), KW_E_INTEGRITY);
	assert_int_equal(kw_barrier_unseal(f->b, "password", 8, &st),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_unseal(f->b, NULL, 77, &st), KW_E_INVALID);
	assert_int_equal(kw_barrier_unseal(f->b, bad, 0, &st), KW_E_INVALID);
	assert_int_equal(kw_barrier_unseal(NULL, bad, 77, &st), KW_E_INVALID);
	assert_int_equal(kw_barrier_status_get(f->b, &st), KW_OK);
	assert_int_equal(st.progress, 0);

	/* A well-formed share of this split whose point is wrong: M shares
	 * combine into a key that fails the key check; progress is reset. */
	kw_share sh;
	kw_secret *forged = NULL;
	assert_int_equal(
		kw_share_decode((const char *)f->shares[1]->data, 77, &sh),
		KW_OK);
	sh.point.y[0] ^= 1;
	assert_int_equal(kw_share_encode(&sh, &forged), KW_OK);
	assert_int_equal(kw_barrier_unseal(f->b,
					   (const char *)f->shares[0]->data, 77,
					   &st),
			 KW_OK);
	assert_int_equal(
		kw_barrier_unseal(f->b, (const char *)forged->data, 77, &st),
		KW_E_VERIFY);
	kw_secret_free(forged);
	assert_int_equal(kw_barrier_status_get(f->b, &st), KW_OK);
	assert_true(st.sealed);
	assert_int_equal(st.progress, 0);
	/* A share with another threshold but this split's id: the metadata
	 * and the share disagree. */
	sh.point.y[0] ^= 1;
	sh.threshold = 3;
	assert_int_equal(kw_share_encode(&sh, &forged), KW_OK);
	assert_int_equal(
		kw_barrier_unseal(f->b, (const char *)forged->data, 77, &st),
		KW_E_INTEGRITY);
	kw_secret_free(forged);
	kw_wipe(&sh, sizeof(sh));
	bfx_unseal(f, 1);
}

static void test_unseal_with_key(void **state)
{
	bfx *f = *state;
	bfx_init(f, 2, 2);
	kw_secret *master = bfx_master(f);
	assert_int_equal(kw_barrier_unseal_with_key(f->b, master), KW_E_STATE);
	assert_int_equal(kw_barrier_seal(f->b), KW_OK);
	master->data[5] ^= 0x80;
	assert_int_equal(kw_barrier_unseal_with_key(f->b, master), KW_E_VERIFY);
	master->data[5] ^= 0x80;
	assert_int_equal(kw_barrier_unseal_with_key(NULL, master),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_unseal_with_key(f->b, NULL), KW_E_INVALID);
	kw_secret *shrt = NULL;
	assert_int_equal(kw_secret_new(16, &shrt), KW_OK);
	assert_int_equal(kw_barrier_unseal_with_key(f->b, shrt), KW_E_INVALID);
	kw_secret_free(shrt);
	assert_int_equal(kw_barrier_unseal_with_key(f->b, master), KW_OK);
	assert_int_equal(bfx_get(f, KW_REC_KEY, "x", NULL), KW_E_NOT_FOUND);
	kw_secret_free(master);
}

static void test_init_bad_arguments(void **state)
{
	bfx *f = *state;
	kw_secret **sh = NULL;
	kw_barrier_status st;
	assert_int_equal(kw_barrier_init(f->b, 2, 3, &sh), KW_E_INVALID);
	assert_int_equal(kw_barrier_init(f->b, 3, 0, &sh), KW_E_INVALID);
	assert_int_equal(kw_barrier_init(f->b, 256, 2, &sh), KW_E_INVALID);
	assert_int_equal(kw_barrier_init(f->b, 3, 2, NULL), KW_E_INVALID);
	assert_int_equal(kw_barrier_init(NULL, 3, 2, &sh), KW_E_INVALID);
	assert_null(sh);
	assert_int_equal(kw_barrier_status_get(f->b, NULL), KW_E_INVALID);
	assert_int_equal(kw_barrier_status_get(NULL, &st), KW_E_INVALID);
	assert_int_equal(kw_barrier_open(NULL, &f->b), KW_E_INVALID);
	assert_int_equal(kw_barrier_open(f->store, NULL), KW_E_INVALID);
	assert_int_equal(kw_barrier_seal(NULL), KW_E_INVALID);
	assert_int_equal(kw_barrier_unseal_reset(NULL), KW_E_INVALID);
	kw_barrier_free(NULL);
	kw_barrier_shares_free(NULL, 3);
	/* Still uninitialised after all that. */
	assert_int_equal(kw_barrier_status_get(f->b, &st), KW_OK);
	assert_false(st.initialized);
}

static void test_1_of_1_and_255_of_255(void **state)
{
	bfx *f = *state;
	bfx_init(f, 1, 1);
	assert_int_equal(kw_barrier_seal(f->b), KW_OK);
	bfx_unseal(f, 0);
	/* 255 of 255 on a second instance of the same backend kind. */
	kw_store *s2 = NULL;
	kw_barrier *b2 = NULL;
	kw_secret **sh = NULL;
	kw_barrier_status st;
	kw_store_config cfg = {.backend = "mem"};
	assert_int_equal(kw_store_open(&cfg, &s2), KW_OK);
	assert_int_equal(kw_barrier_open(s2, &b2), KW_OK);
	assert_int_equal(kw_barrier_init(b2, 255, 255, &sh), KW_OK);
	assert_int_equal(kw_barrier_seal(b2), KW_OK);
	for (unsigned i = 0; i < 255; i++) {
		assert_int_equal(kw_barrier_unseal(b2,
						   (const char *)sh[i]->data,
						   sh[i]->len, &st),
				 KW_OK);
		assert_int_equal(st.sealed, i < 254);
	}
	kw_barrier_shares_free(sh, 255);
	kw_barrier_free(b2);
	kw_store_close(s2);
}

/* ---- derived keys -------------------------------------------------------- */

static void test_derive_key(void **state)
{
	bfx *f = *state;
	kw_secret *a = NULL, *b = NULL, *c = NULL;
	assert_int_equal(kw_barrier_derive_key(f->b, "token-pepper", 32, &a),
			 KW_E_SEALED);
	bfx_init(f, 1, 1);
	assert_int_equal(kw_barrier_derive_key(f->b, "token-pepper", 32, &a),
			 KW_OK);
	assert_int_equal(kw_barrier_derive_key(f->b, "audit-key", 32, &b),
			 KW_OK);
	assert_int_equal(a->len, 32);
	assert_memory_not_equal(a->data, b->data, 32);
	kw_secret_free(b);
	/* The same after a seal and unseal; the length is honoured. */
	assert_int_equal(kw_barrier_seal(f->b), KW_OK);
	assert_int_equal(kw_barrier_derive_key(f->b, "token-pepper", 32, &b),
			 KW_E_SEALED);
	bfx_unseal(f, 0);
	assert_int_equal(kw_barrier_derive_key(f->b, "token-pepper", 64, &c),
			 KW_OK);
	assert_int_equal(c->len, 64);
	assert_memory_equal(a->data, c->data, 32);
	kw_secret_free(c);
	/* Not one of the barrier's own keys. */
	kw_secret *master = bfx_master(f);
	assert_memory_not_equal(a->data, master->data, 32);
	kw_secret_free(master);
	kw_secret_free(a);
	a = NULL;

	char longp[130];
	memset(longp, 'p', sizeof(longp) - 1);
	longp[129] = 0;
	assert_int_equal(kw_barrier_derive_key(f->b, longp, 32, &a),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_derive_key(f->b, "", 32, &a), KW_E_INVALID);
	assert_int_equal(kw_barrier_derive_key(f->b, NULL, 32, &a),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_derive_key(f->b, "x", 0, &a), KW_E_INVALID);
	assert_int_equal(kw_barrier_derive_key(f->b, "x", 8161, &a),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_derive_key(f->b, "x", 32, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_barrier_derive_key(NULL, "x", 32, &a),
			 KW_E_INVALID);
	assert_null(a);
}

/* ---- thread safety ------------------------------------------------------- */

typedef struct reader_arg {
	bfx *f;
	int ok, sealed;
} reader_arg;

static void *reader(void *p)
{
	reader_arg *a = p;
	for (int i = 0; i < 200; i++) {
		kw_store_txn *t = NULL;
		kw_secret *d = NULL;
		if (kw_store_txn_begin(a->f->store, false, &t) != KW_OK)
			continue;
		kw_rc rc = kw_barrier_rec_get(a->f->b, t, KW_REC_KEY, "shared",
					      &d, NULL);
		kw_store_txn_abort(t);
		if (rc == KW_OK && d->len == 6 &&
		    memcmp(d->data, "secret", 6) == 0)
			a->ok++;
		else if (rc == KW_E_SEALED)
			a->sealed++;
		kw_secret_free(d);
	}
	return NULL;
}

static void test_seal_while_reading(void **state)
{
	bfx *f = *state;
	pthread_t th[4];
	reader_arg args[4];
	bfx_init(f, 3, 2);
	bfx_put(f, KW_REC_KEY, "shared", NULL, NULL, "secret", 0);
	for (int i = 0; i < 4; i++) {
		args[i] = (reader_arg){f, 0, 0};
		assert_int_equal(pthread_create(&th[i], NULL, reader, &args[i]),
				 0);
	}
	for (int i = 0; i < 5; i++) {
		assert_int_equal(kw_barrier_seal(f->b), KW_OK);
		bfx_unseal(f, (unsigned)i);
	}
	assert_int_equal(kw_barrier_seal(f->b), KW_OK);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		/* Every read either saw the record or the sealed barrier. */
		assert_int_equal(args[i].ok + args[i].sealed, 200);
	}
}

/* Each test on both backends, named test/mem and test/sqlite. */
#define BOTH(fn)                                                             \
	{#fn "/mem", fn, bfx_setup, bfx_teardown, (void *)"mem"},            \
	{                                                                    \
#fn "/sqlite", fn, bfx_setup, bfx_teardown, (void *)"sqlite" \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_init_returns_shares_once),
		BOTH(test_unseal_progress),
		BOTH(test_fewer_than_m_shares_stay_sealed),
		BOTH(test_wrong_shares_rejected),
		BOTH(test_unseal_with_key),
		BOTH(test_init_bad_arguments),
		BOTH(test_1_of_1_and_255_of_255),
		BOTH(test_derive_key),
		BOTH(test_seal_while_reading),
	};
	return cmocka_run_group_tests_name("barrier", tests, NULL, NULL);
}
