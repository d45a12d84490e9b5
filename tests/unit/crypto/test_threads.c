/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
/* Unit test: one kw_ckey used by many threads at once (the contract of
 * crypto.h); every signature made concurrently verifies, also with a
 * separately imported public key, and concurrent GCM round-trips. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "crypto/crypto.h"

#define THREADS 8

typedef struct job {
	kw_ckey *k;   /* shared by all threads */
	kw_ckey *pub; /* shared verify-only key */
	kw_sign_params p;
	int id, rounds;
	int signed_ok, verified_ok, rejected_ok;
} job;

static int rounds(void)
{
	/* valgrind runs threads one at a time and slowly. */
	return getenv("KW_UNDER_VALGRIND") != NULL ? 4 : 40;
}

static void *sign_worker(void *arg)
{
	job *j = arg;
	for (int i = 0; i < j->rounds; i++) {
		char msg[64];
		int n = snprintf(msg, sizeof(msg), "thread %d message %d",
				 j->id, i);
		uint8_t *sig = NULL;
		size_t sig_len = 0;
		if (kw_ckey_sign(j->k, &j->p, (const uint8_t *)msg, (size_t)n,
				 &sig, &sig_len) != KW_OK)
			continue;
		j->signed_ok++;
		if (kw_ckey_verify(j->k, &j->p, (const uint8_t *)msg, (size_t)n,
				   sig, sig_len) == KW_OK &&
		    kw_ckey_verify(j->pub, &j->p, (const uint8_t *)msg,
				   (size_t)n, sig, sig_len) == KW_OK)
			j->verified_ok++;
		msg[0] ^= 1;
		if (kw_ckey_verify(j->pub, &j->p, (const uint8_t *)msg,
				   (size_t)n, sig, sig_len) == KW_E_VERIFY)
			j->rejected_ok++;
		free(sig);
	}
	return NULL;
}

static void run_sign(kw_key_type t, kw_sign_params p)
{
	kw_ckey *k = t_key(t), *pub = NULL;
	uint8_t *der = NULL;
	size_t dl = 0;
	assert_int_equal(kw_ckey_public_der(k, &der, &dl), KW_OK);
	assert_int_equal(kw_ckey_from_public(t, der, dl, &pub), KW_OK);
	free(der);
	pthread_t th[THREADS];
	job jobs[THREADS];
	for (int i = 0; i < THREADS; i++) {
		jobs[i] = (job){.k = k,
				.pub = pub,
				.p = p,
				.id = i,
				.rounds = rounds()};
		assert_int_equal(
			pthread_create(&th[i], NULL, sign_worker, &jobs[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(jobs[i].signed_ok, jobs[i].rounds);
		assert_int_equal(jobs[i].verified_ok, jobs[i].rounds);
		assert_int_equal(jobs[i].rejected_ok, jobs[i].rounds);
	}
	kw_ckey_free(pub);
}

static void test_threads_ecdsa(void **state)
{
	(void)state;
	run_sign(KW_KEY_EC_P256, (kw_sign_params){.scheme = KW_SIG_ECDSA,
						  .hash = KW_HASH_SHA256});
}

static void test_threads_ed25519(void **state)
{
	(void)state;
	run_sign(KW_KEY_ED25519, (kw_sign_params){.scheme = KW_SIG_EDDSA});
}

static void test_threads_rsa(void **state)
{
	(void)state;
	/* PSS and PKCS#1 on the same key at once use different pooled
	 * contexts; run both. */
	run_sign(KW_KEY_RSA_2048, (kw_sign_params){.scheme = KW_SIG_RSA_PSS,
						   .hash = KW_HASH_SHA256,
						   .pss_salt_len = -1});
	run_sign(KW_KEY_RSA_2048, (kw_sign_params){.scheme = KW_SIG_RSA_PKCS1,
						   .hash = KW_HASH_SHA384});
}

static void *gcm_worker(void *arg)
{
	job *j = arg;
	for (int i = 0; i < j->rounds * 4; i++) {
		char msg[64], aad[16];
		int n = snprintf(msg, sizeof(msg), "record %d of %d", i, j->id);
		snprintf(aad, sizeof(aad), "id-%d", j->id);
		uint8_t *ct = NULL;
		size_t ct_len = 0;
		kw_secret *pt = NULL;
		if (kw_ckey_gcm_encrypt(j->k, NULL, (const uint8_t *)aad,
					strlen(aad), (const uint8_t *)msg,
					(size_t)n, &ct, &ct_len) != KW_OK)
			continue;
		j->signed_ok++;
		if (kw_ckey_gcm_decrypt(j->k, (const uint8_t *)aad, strlen(aad),
					ct, ct_len, &pt) == KW_OK &&
		    pt->len == (size_t)n && memcmp(pt->data, msg, pt->len) == 0)
			j->verified_ok++;
		kw_secret_free(pt);
		free(ct);
	}
	return NULL;
}

static void test_threads_gcm(void **state)
{
	(void)state;
	pthread_t th[THREADS];
	job jobs[THREADS];
	for (int i = 0; i < THREADS; i++) {
		jobs[i] = (job){.k = t_key(KW_KEY_AES_256),
				.id = i,
				.rounds = rounds()};
		assert_int_equal(
			pthread_create(&th[i], NULL, gcm_worker, &jobs[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(jobs[i].signed_ok, jobs[i].rounds * 4);
		assert_int_equal(jobs[i].verified_ok, jobs[i].rounds * 4);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_ecdsa),
		cmocka_unit_test(test_threads_ed25519),
		cmocka_unit_test(test_threads_rsa),
		cmocka_unit_test(test_threads_gcm),
	};
	return cmocka_run_group_tests(tests, NULL, t_keys_free);
}
