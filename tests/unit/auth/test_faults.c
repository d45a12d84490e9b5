/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fixture.h"

/*
 * Failing storage and concurrency: auth fails closed (a store error is
 * never an "allowed"), a failed write changes nothing, and a revocation
 * made while other threads check tokens is seen by every check that
 * starts after it returned.
 */

#define PW "a good password"

static void test_check_fails_closed(void **state)
{
	afx *f = *state;
	kw_secret *root = afx_bootstrap(f);
	kw_caller c;
	/* Not cached yet: the store read fails, so does the check. */
	kw_store_fault_fail_always(f->fault, KW_FAULT_REC_GET_BY_LOOKUP,
				   KW_E_STORAGE);
	assert_int_equal(afx_check(f, root, &c), KW_E_STORAGE);
	kw_store_fault_clear(f->fault);
	assert_int_equal(afx_check(f, root, &c), KW_OK);
	/* The principal read fails after the token was found. */
	kw_auth_cache_flush(f->a);
	kw_store_fault_fail_always(f->fault, KW_FAULT_REC_GET, KW_E_STORAGE);
	assert_int_equal(afx_check(f, root, &c), KW_E_STORAGE);
	kw_store_fault_clear(f->fault);
	/* A transaction that cannot begin. */
	kw_auth_cache_flush(f->a);
	kw_store_fault_fail(f->fault, KW_FAULT_TXN_BEGIN, 1, 1, KW_E_STORAGE);
	assert_int_equal(afx_check(f, root, &c), KW_E_STORAGE);
	assert_int_equal(afx_check(f, root, &c), KW_OK);
	kw_secret_free(root);
}

static void test_failed_writes_change_nothing(void **state)
{
	afx *f = *state;
	kw_secret *root = afx_bootstrap(f);
	kw_principal_info pi;
	kw_store_fault_fail(f->fault, KW_FAULT_TXN_COMMIT, 1, 1, KW_E_STORAGE);
	assert_int_equal(kw_partition_create(f->a, "A", NULL), KW_E_STORAGE);
	assert_int_equal(kw_partition_create(f->a, "A", NULL), KW_OK);

	kw_store_fault_disk_full(f->fault, true);
	kw_secret *pw = afx_secret(PW);
	assert_int_equal(kw_principal_create(f->a, "A", "alice",
					     KW_PRINCIPAL_USER,
					     KW_ROLE_CRYPTO_USER, pw, &pi),
			 KW_E_STORAGE);
	kw_store_fault_disk_full(f->fault, false);
	assert_int_equal(kw_principal_get(f->a, "A", "alice", &pi),
			 KW_E_NOT_FOUND);
	afx_principal(f, "A", "alice", KW_ROLE_CRYPTO_USER, PW);

	/* A role change that is not stored is not seen either. */
	kw_secret *tok = NULL;
	kw_caller c;
	assert_int_equal(
		kw_auth_login(f->a, "A", "alice", pw, "s", &tok, &c, NULL),
		KW_OK);
	kw_store_fault_disk_full(f->fault, true);
	assert_int_equal(kw_principal_set_roles(f->a, "A", "alice",
						KW_ROLE_SECURITY_OFFICER, NULL),
			 KW_E_STORAGE);
	assert_int_equal(afx_check(f, tok, &c), KW_OK);
	assert_int_equal(c.roles, KW_ROLE_CRYPTO_USER);

	/* Login: no session when its token cannot be stored; and a wrong
	 * password whose count cannot be stored is a storage error, not a
	 * silent pass of the lockout. */
	kw_secret *tok2 = NULL;
	assert_int_equal(
		kw_auth_login(f->a, "A", "alice", pw, "s", &tok2, &c, NULL),
		KW_E_STORAGE);
	assert_null(tok2);
	kw_secret *wrong = afx_secret("wrong password");
	assert_int_equal(
		kw_auth_login(f->a, "A", "alice", wrong, "s", &tok2, &c, NULL),
		KW_E_STORAGE);
	/* Revocation that cannot be stored: the token still works (and
	 * the caller was told it failed). */
	assert_int_equal(kw_auth_token_revoke(f->a, c.token_id), KW_E_STORAGE);
	kw_store_fault_disk_full(f->fault, false);
	assert_int_equal(afx_check(f, tok, &c), KW_OK);
	assert_int_equal(kw_auth_token_revoke(f->a, c.token_id), KW_OK);
	assert_int_equal(afx_check(f, tok, &c), KW_E_EXPIRED);

	kw_secret_free(wrong);
	kw_secret_free(pw);
	kw_secret_free(tok);
	kw_secret_free(root);
}

/* A bootstrap whose commit fails leaves nothing behind and can be redone;
 * the token it did not return does not work. */
static void test_bootstrap_retry(void **state)
{
	afx *f = *state;
	kw_secret *tok = NULL;
	kw_store_fault_fail(f->fault, KW_FAULT_TXN_COMMIT, 1, 1, KW_E_STORAGE);
	assert_int_equal(kw_auth_bootstrap(f->a, NULL, &tok), KW_E_STORAGE);
	assert_null(tok);
	kw_partition_info p;
	assert_int_equal(kw_partition_get(f->a, "default", &p), KW_E_NOT_FOUND);
	kw_secret *root = afx_bootstrap(f);
	assert_int_equal(afx_check(f, root, NULL), KW_OK);
	kw_secret_free(root);
}

typedef struct race {
	afx *f;
	const kw_secret *tok;
	int revoked; /* set after kw_auth_token_revoke returned */
	int stop;
	int stale; /* checks that began after it and said OK */
	int checks;
} race;

static int ld(int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void *race_checker(void *arg)
{
	race *r = arg;
	while (!ld(&r->stop)) {
		int after = ld(&r->revoked);
		kw_caller c;
		kw_rc rc =
			kw_auth_token_check(r->f->a, (const char *)r->tok->data,
					    r->tok->len, "race", &c);
		if (after && rc == KW_OK)
			__atomic_add_fetch(&r->stale, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&r->checks, 1, __ATOMIC_SEQ_CST);
		if (rc != KW_OK && rc != KW_E_EXPIRED)
			return (void *)1;
		/* Let the other threads run (valgrind runs one at a time). */
		struct timespec pause = {0, 20000};
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static void test_revocation_race(void **state)
{
	afx *f = *state;
	kw_secret_free(afx_bootstrap(f));
	afx_principal(f, "A", "svc", KW_ROLE_CRYPTO_USER, NULL);
	for (int round = 0; round < 3; round++) {
		kw_secret *tok = NULL;
		char id[KW_TOKEN_ID_LEN + 1];
		assert_int_equal(kw_auth_token_create(f->a, "A", "svc", 600,
						      NULL, &tok, id, NULL),
				 KW_OK);
		race r = {.f = f, .tok = tok};
		pthread_t th[4];
		for (int i = 0; i < 4; i++)
			assert_int_equal(
				pthread_create(&th[i], NULL, race_checker, &r),
				0);
		/* Checks run (and the verdict is cached) before and while
		 * the token is revoked, and go on after. */
		while (ld(&r.checks) < 50)
			nanosleep(&(struct timespec){0, 20000}, NULL);
		assert_int_equal(kw_auth_token_revoke(f->a, id), KW_OK);
		__atomic_store_n(&r.revoked, 1, __ATOMIC_SEQ_CST);
		int at = ld(&r.checks);
		while (ld(&r.checks) < at + 200)
			nanosleep(&(struct timespec){0, 20000}, NULL);
		__atomic_store_n(&r.stop, 1, __ATOMIC_SEQ_CST);
		for (int i = 0; i < 4; i++) {
			void *ret = (void *)1;
			assert_int_equal(pthread_join(th[i], &ret), 0);
			assert_null(ret);
		}
		assert_int_equal(r.stale, 0);
		kw_secret_free(tok);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		AFX_MEM(test_bootstrap_retry),
		AFX_MEM(test_check_fails_closed),
		AFX_MEM(test_failed_writes_change_nothing),
		AFX_MEM(test_revocation_race),
		AFX_SQLITE(test_revocation_race),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
