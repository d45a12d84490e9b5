/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "auth/internal.h"
#include "fixture.h"

/* Password login: lockout, per-source rate limit, what reaches the store. */

#define PW "alice's password"

static kw_rc login(afx *f, const char *user, const char *pw, const char *source,
		   uint64_t *retry)
{
	kw_secret *p = afx_secret(pw);
	kw_secret *tok = NULL;
	kw_caller c;
	kw_rc rc = kw_auth_login(f->a, "A", user, p, source, &tok, &c, retry);
	if (rc == KW_OK) {
		assert_non_null(tok);
		assert_int_equal(afx_check(f, tok, NULL), KW_OK);
	} else {
		assert_null(tok);
	}
	kw_secret_free(tok);
	kw_secret_free(p);
	return rc;
}

static void test_login_ok(void **state)
{
	afx *f = *state;
	kw_secret_free(afx_bootstrap(f));
	afx_principal(f, "A", "alice", KW_ROLE_CRYPTO_USER, PW);
	kw_secret *p = afx_secret(PW);
	kw_secret *tok = NULL;
	kw_caller c;
	assert_int_equal(kw_auth_login(f->a, "A", "alice", p, "10.0.0.1", &tok,
				       &c, NULL),
			 KW_OK);
	assert_string_equal(c.principal, "alice");
	assert_string_equal(c.partition, "A");
	assert_string_equal(c.source, "10.0.0.1");
	assert_int_equal(c.roles, KW_ROLE_CRYPTO_USER);
	assert_int_equal(c.kind, KW_PRINCIPAL_USER);
	assert_int_equal(c.expires_at, AFX_T0 + 3600);
	kw_caller c2;
	assert_int_equal(afx_check(f, tok, &c2), KW_OK);
	assert_string_equal(c2.token_id, c.token_id);

	kw_token_info ti;
	assert_int_equal(kw_auth_token_get(f->a, c.token_id, &ti), KW_OK);
	assert_true(ti.session);
	assert_string_equal(ti.name, "session");
	/* The session ends after session_ttl_s. */
	f->now = AFX_T0 + 3600;
	assert_int_equal(afx_check(f, tok, NULL), KW_E_EXPIRED);
	kw_secret_free(tok);

	/* A system user logs in with partition "". */
	afx_principal(f, "", "ops", KW_ROLE_SECURITY_OFFICER, "ops password");
	kw_secret *ops = afx_secret("ops password");
	assert_int_equal(
		kw_auth_login(f->a, "", "ops", ops, NULL, &tok, &c, NULL),
		KW_OK);
	assert_true(c.system);
	kw_secret_free(tok);
	kw_secret_free(ops);

	/* Bad arguments. */
	assert_int_equal(
		kw_auth_login(f->a, "A", "alice", NULL, "x", &tok, &c, NULL),
		KW_E_INVALID);
	assert_int_equal(
		kw_auth_login(f->a, "A", "alice", p, "x", NULL, &c, NULL),
		KW_E_INVALID);
	assert_int_equal(
		kw_auth_login(f->a, "A", "alice", p, "x", &tok, NULL, NULL),
		KW_E_INVALID);
	assert_int_equal(
		kw_auth_login(f->a, "A b", "alice", p, "x", &tok, &c, NULL),
		KW_E_INVALID);
	assert_int_equal(
		kw_auth_login(NULL, "A", "alice", p, "x", &tok, &c, NULL),
		KW_E_INVALID);
	kw_secret_free(p);
}

static void test_unknown_and_wrong_same_answer(void **state)
{
	afx *f = *state;
	kw_secret_free(afx_bootstrap(f));
	afx_principal(f, "A", "alice", KW_ROLE_CRYPTO_USER, PW);
	afx_principal(f, "A", "app", KW_ROLE_CRYPTO_USER, NULL);
	kw_secret *p = afx_secret("wrong password");
	kw_secret *tok = NULL;
	kw_caller c;
	memset(&c, 0x33, sizeof(c));
	const kw_caller before = c;
	uint64_t retry = 12345;
	/* Wrong password, unknown user, unknown partition, an app (which
	 * has no password): one answer. */
	assert_int_equal(
		kw_auth_login(f->a, "A", "alice", p, "x", &tok, &c, &retry),
		KW_E_UNAUTHENTICATED);
	assert_int_equal(
		kw_auth_login(f->a, "A", "mallory", p, "x", &tok, &c, &retry),
		KW_E_UNAUTHENTICATED);
	assert_int_equal(
		kw_auth_login(f->a, "Z", "alice", p, "x", &tok, &c, &retry),
		KW_E_UNAUTHENTICATED);
	assert_int_equal(
		kw_auth_login(f->a, "A", "app", p, "x", &tok, &c, &retry),
		KW_E_UNAUTHENTICATED);
	assert_null(tok);
	assert_memory_equal(&c, &before, sizeof(c));
	assert_int_equal(retry, 12345);
	kw_secret_free(p);
}

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* An unknown user costs a scrypt too. With N = 2^10 scrypt dominates a
 * login on the mem store; without the dummy check an unknown user would
 * be answered ~100 times faster. */
static void test_unknown_user_takes_as_long(void **state)
{
	afx *f = *state;
	f->cfg.scrypt_log2_n = 10;
	f->cfg.max_failed_logins = 1000;
	f->cfg.source_rate_per_min = 600;
	afx_reconfigure(f);
	kw_secret_free(afx_bootstrap(f));
	afx_principal(f, "A", "alice", KW_ROLE_CRYPTO_USER, PW);
	/* The thread's CPU time, interleaved: what the attacker's timing
	 * measures is the work done (scrypt or its dummy), and CPU time is
	 * not stretched by other processes on a busy machine. */
	double known = 0, unknown = 0;
	for (int i = 0; i < 8; i++) {
		struct timespec t0, t1, t2;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		assert_int_equal(login(f, "alice", "wrong password", "x", NULL),
				 KW_E_UNAUTHENTICATED);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
		assert_int_equal(
			login(f, "nobody", "wrong password", "x", NULL),
			KW_E_UNAUTHENTICATED);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t2);
		known += elapsed(&t0, &t1);
		unknown += elapsed(&t1, &t2);
	}
	/* scrypt runs on this thread: 8 of them at N = 2^10 are work */
	if (known < 0.002 || unknown < 0.5 * known || unknown > 2.0 * known)
		fail_msg("wrong password %.4f s, unknown user %.4f s", known,
			 unknown);
}

static void test_lockout(void **state)
{
	afx *f = *state;
	f->cfg.max_failed_logins = 3;
	f->cfg.lockout_s = 60;
	afx_reconfigure(f);
	kw_secret_free(afx_bootstrap(f));
	afx_principal(f, "A", "alice", KW_ROLE_CRYPTO_USER, PW);
	uint64_t retry = 0;

	/* A success resets the count: 2 bad, 1 good, 2 bad is not a lock. */
	assert_int_equal(login(f, "alice", "bad password", "s1", NULL),
			 KW_E_UNAUTHENTICATED);
	assert_int_equal(login(f, "alice", "bad password", "s1", NULL),
			 KW_E_UNAUTHENTICATED);
	assert_int_equal(login(f, "alice", PW, "s1", NULL), KW_OK);
	assert_int_equal(login(f, "alice", "bad password", "s1", NULL),
			 KW_E_UNAUTHENTICATED);
	assert_int_equal(login(f, "alice", "bad password", "s1", NULL),
			 KW_E_UNAUTHENTICATED);
	kw_principal_info pi;
	assert_int_equal(kw_principal_get(f->a, "A", "alice", &pi), KW_OK);
	assert_false(pi.locked);

	/* The third failure in a row locks, from several sources alike. */
	assert_int_equal(login(f, "alice", "bad password", "s2", NULL),
			 KW_E_UNAUTHENTICATED);
	assert_int_equal(kw_principal_get(f->a, "A", "alice", &pi), KW_OK);
	assert_true(pi.locked);
	assert_int_equal(pi.locked_until, AFX_T0 + 60);
	f->now += 10;
	assert_int_equal(login(f, "alice", PW, "s3", &retry), KW_E_LIMIT);
	assert_int_equal(retry, 50);
	/* Existing tokens are not affected; only logins are. */
	f->now += 50;
	assert_int_equal(login(f, "alice", PW, "s3", NULL), KW_OK);
	assert_int_equal(kw_principal_get(f->a, "A", "alice", &pi), KW_OK);
	assert_false(pi.locked);

	/* An officer setting a new password lifts a lockout. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(login(f, "alice", "bad password", "s4", NULL),
				 KW_E_UNAUTHENTICATED);
	assert_int_equal(login(f, "alice", PW, "s4", NULL), KW_E_LIMIT);
	kw_secret *np = afx_secret("the new password");
	assert_int_equal(kw_principal_set_password(f->a, "A", "alice", np),
			 KW_OK);
	kw_secret_free(np);
	assert_int_equal(login(f, "alice", PW, "s4", NULL),
			 KW_E_UNAUTHENTICATED);
	assert_int_equal(login(f, "alice", "the new password", "s4", NULL),
			 KW_OK);
}

/* The failure count lives in the principal record: a restart does not
 * reset it. */
static void test_lockout_survives_reopen(void **state)
{
	afx *f = *state;
	afx_close(f);
	f->cfg.max_failed_logins = 3;
	afx_open(f);
	kw_secret_free(afx_bootstrap(f));
	afx_principal(f, "A", "alice", KW_ROLE_CRYPTO_USER, PW);
	assert_int_equal(login(f, "alice", "bad password", "s", NULL),
			 KW_E_UNAUTHENTICATED);
	assert_int_equal(login(f, "alice", "bad password", "s", NULL),
			 KW_E_UNAUTHENTICATED);
	afx_close(f);
	afx_open(f);
	assert_int_equal(login(f, "alice", "bad password", "s", NULL),
			 KW_E_UNAUTHENTICATED);
	uint64_t retry = 0;
	assert_int_equal(login(f, "alice", PW, "s", &retry), KW_E_LIMIT);
	assert_int_equal(retry, 900);
	afx_close(f);
	afx_open(f);
	assert_int_equal(login(f, "alice", PW, "s", NULL), KW_E_LIMIT);
	f->now += 900;
	assert_int_equal(login(f, "alice", PW, "s", NULL), KW_OK);
}

static void test_source_rate_limit(void **state)
{
	afx *f = *state;
	f->cfg.source_rate_per_min = 5;
	afx_reconfigure(f);
	kw_secret_free(afx_bootstrap(f));
	afx_principal(f, "A", "alice", KW_ROLE_CRYPTO_USER, PW);
	uint64_t retry = 0;

	/* Five failures within a minute, spread over 40 s and users. */
	for (int i = 0; i < 5; i++) {
		char user[16];
		snprintf(user, sizeof(user), "guess%d", i);
		assert_int_equal(
			login(f, user, "bad password", "198.51.100.9", NULL),
			KW_E_UNAUTHENTICATED);
		f->now += 10;
	}
	/* now = T0 + 50: the source is refused, even with the right
	 * password, until the first failure leaves the window. */
	assert_int_equal(login(f, "alice", PW, "198.51.100.9", &retry),
			 KW_E_LIMIT);
	assert_int_equal(retry, 10);
	/* Other sources are not affected, nor is alice herself. */
	assert_int_equal(login(f, "alice", PW, "198.51.100.10", NULL), KW_OK);
	f->now += 10; /* T0 + 60: the failure at T0 has left the window */
	assert_int_equal(login(f, "alice", PW, "198.51.100.9", NULL), KW_OK);
	/* One more failure fills the window again (T0+10 .. T0+60). */
	assert_int_equal(login(f, "x", "bad password", "198.51.100.9", NULL),
			 KW_E_UNAUTHENTICATED);
	assert_int_equal(login(f, "alice", PW, "198.51.100.9", &retry),
			 KW_E_LIMIT);
	assert_int_equal(retry, 10);

	/* More sources than the table holds: it stays bounded and the
	 * newest sources are still tracked. */
	for (int i = 0; i < 1100; i++) {
		char src[32];
		snprintf(src, sizeof(src), "10.1.%d.%d", i / 256, i % 256);
		kw_secret *p = afx_secret("bad password");
		kw_secret *tok = NULL;
		kw_caller c;
		/* An unknown user: a (dummy) scrypt at N = 2^4 each. */
		assert_int_equal(kw_auth_login(f->a, "A", "nobody", p, src,
					       &tok, &c, NULL),
				 KW_E_UNAUTHENTICATED);
		kw_secret_free(p);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(
			login(f, "nobody", "bad password", "10.1.4.75", NULL),
			KW_E_UNAUTHENTICATED);
	assert_int_equal(login(f, "alice", PW, "10.1.4.75", NULL), KW_E_LIMIT);
}

static kw_rc load_alice(kw_auth *a, kw_store_txn *t, void *arg)
{
	return kw_auth_principal_load(a, t, "A", "alice", arg);
}

/* After the configured scrypt cost changes, a user's stored hash is
 * upgraded at the next successful login (and only then). */
static void test_rehash_on_login(void **state)
{
	afx *f = *state;
	kw_secret_free(afx_bootstrap(f));
	afx_principal(f, "A", "alice", KW_ROLE_CRYPTO_USER, PW);
	kw_auth_principal p;
	assert_int_equal(kw_auth_read(f->a, load_alice, &p), KW_OK);
	assert_int_equal(strncmp(p.pw_hash, "$scrypt$ln=4,r=8,p=1$", 21), 0);
	f->cfg.scrypt_log2_n = 5;
	afx_reconfigure(f);
	assert_int_equal(login(f, "alice", "bad password", "s", NULL),
			 KW_E_UNAUTHENTICATED);
	assert_int_equal(kw_auth_read(f->a, load_alice, &p), KW_OK);
	assert_int_equal(strncmp(p.pw_hash, "$scrypt$ln=4,r=8,p=1$", 21), 0);
	assert_int_equal(login(f, "alice", PW, "s", NULL), KW_OK);
	assert_int_equal(kw_auth_read(f->a, load_alice, &p), KW_OK);
	assert_int_equal(strncmp(p.pw_hash, "$scrypt$ln=5,r=8,p=1$", 21), 0);
	assert_int_equal(p.failed, 0);
	assert_int_equal(login(f, "alice", PW, "s", NULL), KW_OK);
	kw_wipe(&p, sizeof(p));
}

/* Nothing secret reaches the SQLite file or its WAL. */
static void test_no_secrets_in_store(void **state)
{
	afx *f = *state;
	kw_secret *root = afx_bootstrap(f);
	static const char *const pws[] = {"Tr0ub4dor&3-unique",
					  "hunter2-hunter2",
					  "correct horse battery staple"};
	kw_secret *toks[6] = {0};
	size_t nt = 0;
	for (int i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "user%d", i);
		afx_principal(f, "A", name, KW_ROLE_CRYPTO_USER, pws[i]);
		kw_secret *p = afx_secret(pws[i]);
		kw_caller c;
		assert_int_equal(kw_auth_login(f->a, "A", name, p, "x",
					       &toks[nt++], &c, NULL),
				 KW_OK);
		kw_secret_free(p);
	}
	afx_principal(f, "A", "app", KW_ROLE_CRYPTO_USER, NULL);
	assert_int_equal(kw_auth_token_create(f->a, "A", "app", 3600, "t",
					      &toks[nt++], NULL, NULL),
			 KW_OK);
	toks[nt++] = root;
	/* The files as they are on disk while the instance runs. */
	char wal[160];
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 3; i++) {
			assert_false(afx_file_contains(f->path, pws[i],
						       strlen(pws[i])));
			assert_false(
				afx_file_contains(wal, pws[i], strlen(pws[i])));
		}
		for (size_t i = 0; i < nt; i++) {
			/* the base64 part: 43 characters */
			assert_false(afx_file_contains(f->path,
						       toks[i]->data + 4, 43));
			assert_false(
				afx_file_contains(wal, toks[i]->data + 4, 43));
		}
		/* Nor the names: ids are keyed hashes, lookups tags. */
		assert_false(afx_file_contains(f->path, "user1", 5));
		assert_false(afx_file_contains(wal, "user1", 5));
		/* ... and after a checkpoint into the main file. */
		afx_close(f);
		afx_open(f);
	}
	/* The control: the needle search does find what is there. */
	assert_true(afx_file_contains(f->path, "SQLite format 3", 15));
	for (size_t i = 0; i < nt; i++)
		kw_secret_free(toks[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		AFX_MEM(test_login_ok),
		AFX_MEM(test_unknown_and_wrong_same_answer),
		AFX_MEM(test_unknown_user_takes_as_long),
		AFX_MEM(test_lockout),
		AFX_SQLITE(test_lockout_survives_reopen),
		AFX_MEM(test_source_rate_limit),
		AFX_MEM(test_rehash_on_login),
		AFX_SQLITE(test_no_secrets_in_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
