/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "keys/internal.h"

/*
 * The cache of unsealed keys seen through the API (bounded, hot path never
 * touching the store, entries replaced after commits, safe under threads),
 * compare-and-swap retries, and every key type end to end, including the
 * check that a SQLite file holds no key material.
 */

#define P KFX_PART

static const uint8_t msg[] = "build 1234 artefact digest";
static const kw_sign_params ed = {.scheme = KW_SIG_EDDSA};

static int setup_fault(void **state)
{
	*state = kfx_new("mem", true, 64);
	return 0;
}

static int setup_small(void **state)
{
	*state = kfx_new("mem", false, 4);
	return 0;
}

static kw_rc sign_verify(kfx *f, const char *name, uint32_t *out_v)
{
	uint8_t *sig = NULL;
	size_t len = 0;
	uint32_t v = 0;
	kw_rc rc = kw_key_sign(f->ks, P, name, 0, &ed, msg, sizeof(msg), &sig,
			       &len, &v);
	if (rc == KW_OK)
		rc = kw_key_verify(f->ks, P, name, v, &ed, msg, sizeof(msg),
				   sig, len);
	free(sig);
	if (out_v != NULL)
		*out_v = v;
	return rc;
}

/* More keys in use than the cache holds: it never grows past its bound,
 * and every operation still works. */
static void test_cache_bounded(void **state)
{
	kfx *f = *state;
	kw_keys_cache *c = kw_keys_cache_of(f->ks);
	char name[16];
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "k%02d", i);
		kw_key_info_free(kfx_create(f, name, KW_KEY_ED25519, 0));
	}
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 20; i++) {
			snprintf(name, sizeof(name), "k%02d", i);
			assert_int_equal(sign_verify(f, name, NULL), KW_OK);
			assert_true(kw_keys_cache_count(c) <= 4);
			assert_true(kw_keys_cache_count(c) >= 1);
		}
	}
	assert_int_equal(kw_keys_cache_peak(c), 4);
}

/* A cached key signs without a store transaction; changes replace the
 * cached entry, so the next operation sees them without a reload. */
static void test_cache_no_store(void **state)
{
	kfx *f = *state;
	kw_key_info_free(kfx_create(f, "ed", KW_KEY_ED25519, 0));
	kw_key_info_free(kfx_create(f, "aes", KW_KEY_AES_128, 0));
	uint8_t *ct = NULL;
	size_t ct_len = 0;
	uint32_t v = 0;
	assert_int_equal(sign_verify(f, "ed", NULL), KW_OK);
	assert_int_equal(kw_key_encrypt(f->ks, P, "aes", NULL, msg, sizeof(msg),
					&ct, &ct_len, &v),
			 KW_OK);
	uint64_t before = kw_store_fault_calls(f->fault, KW_FAULT_TXN_BEGIN);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(sign_verify(f, "ed", &v), KW_OK);
		kw_secret *pt = NULL;
		assert_int_equal(kw_key_decrypt(f->ks, P, "aes", 1, NULL, ct,
						ct_len, &pt),
				 KW_OK);
		kw_secret_free(pt);
	}
	kw_key_info *k = NULL;
	assert_int_equal(kw_key_get(f->ks, P, "ed", &k), KW_OK);
	kw_key_info_free(k);
	assert_int_equal(kw_store_fault_calls(f->fault, KW_FAULT_TXN_BEGIN),
			 before);

	/* Rotation and a state change reach the cache with their commit. */
	assert_int_equal(kw_key_rotate(f->ks, P, "ed", NULL), KW_OK);
	assert_int_equal(
		kw_key_set_state(f->ks, P, "aes", KW_KEY_DISABLED, NULL),
		KW_OK);
	before = kw_store_fault_calls(f->fault, KW_FAULT_TXN_BEGIN);
	assert_int_equal(sign_verify(f, "ed", &v), KW_OK);
	assert_int_equal(v, 2);
	kw_secret *pt = NULL;
	assert_int_equal(
		kw_key_decrypt(f->ks, P, "aes", 1, NULL, ct, ct_len, &pt),
		KW_E_STATE);
	assert_int_equal(kw_store_fault_calls(f->fault, KW_FAULT_TXN_BEGIN),
			 before);
	free(ct);
}

/* A commit that loses to a concurrent writer (as a PostgreSQL
 * serialisation failure does) applies nothing and says KW_E_CONFLICT: the
 * change is retried a few times, then reported. */
static void test_conflict_retry(void **state)
{
	kfx *f = *state;
	kw_key_info_free(kfx_create(f, "ed", KW_KEY_ED25519, 0));
	kw_key_info *k = NULL;
	kw_store_fault_fail(f->fault, KW_FAULT_TXN_COMMIT, 1, 2, KW_E_CONFLICT);
	assert_int_equal(kw_key_set_state(f->ks, P, "ed", KW_KEY_DISABLED, &k),
			 KW_OK);
	assert_int_equal(k->state, KW_KEY_DISABLED);
	assert_int_equal(kw_store_fault_failures(f->fault, KW_FAULT_TXN_COMMIT),
			 2);
	kw_key_info_free(k);
	k = NULL;
	kw_store_fault_fail_always(f->fault, KW_FAULT_TXN_COMMIT,
				   KW_E_CONFLICT);
	assert_int_equal(kw_key_set_state(f->ks, P, "ed", KW_KEY_ACTIVE, &k),
			 KW_E_CONFLICT);
	assert_null(k);
	uint64_t tries =
		kw_store_fault_failures(f->fault, KW_FAULT_TXN_COMMIT) - 2;
	assert_true(tries >= 2 && tries <= 10);
	kw_store_fault_clear(f->fault);
	assert_int_equal(kw_key_get(f->ks, P, "ed", &k), KW_OK);
	assert_int_equal(k->state, KW_KEY_DISABLED); /* nothing applied */
	kw_key_info_free(k);
	assert_int_equal(kw_key_set_state(f->ks, P, "ed", KW_KEY_ACTIVE, NULL),
			 KW_OK);
}

/* A store that cannot write: every change fails closed, changes nothing,
 * and the cached key keeps its last committed state. */
static void test_storage_failure(void **state)
{
	kfx *f = *state;
	kw_key_info_free(kfx_create(f, "ed", KW_KEY_ED25519, 0));
	assert_int_equal(sign_verify(f, "ed", NULL), KW_OK);
	kw_store_fault_disk_full(f->fault, true);
	kw_key_info *k = NULL;
	kw_key_spec spec = {
		.partition = P, .name = "new", .type = KW_KEY_AES_128};
	assert_int_equal(kw_key_create(f->ks, &spec, &k), KW_E_STORAGE);
	assert_int_equal(kw_key_set_state(f->ks, P, "ed", KW_KEY_DISABLED, &k),
			 KW_E_STORAGE);
	assert_int_equal(kw_key_rotate(f->ks, P, "ed", &k), KW_E_STORAGE);
	assert_int_equal(kw_key_schedule_destroy(f->ks, P, "ed", 0, &k),
			 KW_E_STORAGE);
	assert_null(k);
	/* Reads and crypto on the cached key go on. */
	uint32_t v = 0;
	assert_int_equal(sign_verify(f, "ed", &v), KW_OK);
	assert_int_equal(v, 1);
	kw_store_fault_disk_full(f->fault, false);
	kw_keys_cache_flush(f->ks);
	assert_int_equal(kw_key_get(f->ks, P, "ed", &k), KW_OK);
	assert_int_equal(k->state, KW_KEY_ACTIVE);
	assert_int_equal(k->version_count, 1);
	kw_key_info_free(k);
	assert_int_equal(kw_key_get(f->ks, P, "new", &k), KW_E_NOT_FOUND);
	/* A failing read: the error, not a stale or empty answer. */
	kw_store_fault_fail_always(f->fault, KW_FAULT_REC_GET_BY_LOOKUP,
				   KW_E_STORAGE);
	assert_int_equal(sign_verify(f, "ed", NULL), KW_E_STORAGE);
	kw_store_fault_clear(f->fault);
	assert_int_equal(sign_verify(f, "ed", NULL), KW_OK);
}

/* ---- threads ------------------------------------------------------------ */

typedef struct worker {
	kfx *f;
	const char *const *names;
	size_t n_names;
	int rounds;
	atomic_bool *stop;
	int ok, failed;
	uint32_t max_version;
} worker;

static void *sign_loop(void *arg)
{
	worker *w = arg;
	for (int i = 0; i < w->rounds || !atomic_load(w->stop); i++) {
		uint32_t v = 0;
		kw_rc rc =
			sign_verify(w->f, w->names[(size_t)i % w->n_names], &v);
		if (rc == KW_OK)
			w->ok++;
		else
			w->failed++;
		if (v > w->max_version)
			w->max_version = v;
		if (i > 100000)
			break;
	}
	return NULL;
}

/* Threads sign and verify while another rotates the key, and while keys
 * are evicted from a cache too small for them. */
static void test_concurrent(void **state)
{
	kfx *f = *state; /* cache_max 4 */
	const char *const hot[] = {"hot"};
	const char *const many[] = {"a", "b", "c", "d", "e", "f"};
	kw_key_info_free(kfx_create(f, "hot", KW_KEY_ED25519, 0));
	for (size_t i = 0; i < 6; i++)
		kw_key_info_free(kfx_create(f, many[i], KW_KEY_ED25519, 0));
	enum { THREADS = 4 };
	atomic_bool stop;
	atomic_init(&stop, false);
	pthread_t th[THREADS];
	worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (worker){.f = f,
				.names = i < 2 ? hot : many,
				.n_names = i < 2 ? 1 : 6,
				.rounds = 60,
				.stop = &stop};
		assert_int_equal(pthread_create(&th[i], NULL, sign_loop, &w[i]),
				 0);
	}
	for (int r = 0; r < 5; r++)
		assert_int_equal(kw_key_rotate(f->ks, P, "hot", NULL), KW_OK);
	atomic_store(&stop, true);
	int ok = 0;
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].failed, 0);
		assert_true(w[i].ok >= 60);
		ok += w[i].ok;
	}
	assert_true(ok >= THREADS * 60);
	assert_true(kw_keys_cache_peak(kw_keys_cache_of(f->ks)) <= 4);
	/* After the rotations, new signatures come from the last version. */
	uint32_t v = 0;
	assert_int_equal(sign_verify(f, "hot", &v), KW_OK);
	assert_int_equal(v, 6);
}

/* ---- every type ----------------------------------------------------------- */

/* One operation that proves the key works: sign/verify, encrypt/decrypt,
 * MAC/verify, wrap/unwrap. */
static void exercise(kfx *f, const char *name, kw_key_type t)
{
	uint8_t *out = NULL;
	size_t out_len = 0;
	uint32_t v = 0;
	kw_secret *back = NULL;
	switch (kw_key_type_class(t)) {
	case KW_CLASS_RSA:
	case KW_CLASS_EC: {
		kw_sign_params p = {.hash = KW_HASH_SHA256};
		assert_int_equal(kw_key_sign(f->ks, P, name, 0, &p, msg,
					     sizeof(msg), &out, &out_len, &v),
				 KW_OK);
		assert_int_equal(kw_key_verify(f->ks, P, name, v, &p, msg,
					       sizeof(msg), out, out_len),
				 KW_OK);
		break;
	}
	case KW_CLASS_EDDSA:
		assert_int_equal(sign_verify(f, name, NULL), KW_OK);
		break;
	case KW_CLASS_AES:
		assert_int_equal(kw_key_wrap(f->ks, P, name, KW_WRAP_AES_KWP,
					     msg, sizeof(msg), &out, &out_len,
					     &v),
				 KW_OK);
		assert_int_equal(kw_key_unwrap(f->ks, P, name, v,
					       KW_WRAP_AES_KWP, out, out_len,
					       &back),
				 KW_OK);
		assert_memory_equal(back->data, msg, sizeof(msg));
		break;
	case KW_CLASS_HMAC:
		assert_int_equal(kw_key_mac(f->ks, P, name, msg, sizeof(msg),
					    &out, &out_len, &v),
				 KW_OK);
		assert_int_equal(kw_key_mac_verify(f->ks, P, name, v, msg,
						   sizeof(msg), out, out_len),
				 KW_OK);
		break;
	case KW_CLASS_NONE:
		fail();
	}
	kw_secret_free(back);
	free(out);
}

/* Whether any 16-byte block of m (at any of its offsets 0, 16, 32, ...),
 * or m itself if shorter, occurs in buf. A stored copy of m, whole or in
 * part, contains such a block. */
static bool leaks(const uint8_t *buf, size_t len, const kw_secret *m)
{
	size_t block = m->len < 16 ? m->len : 16;
	for (size_t off = 0; off + block <= m->len; off += block)
		if (memmem(buf, len, m->data + off, block) != NULL)
			return true;
	return false;
}

static void assert_files_clean(kfx *f, kw_secret **material, size_t n)
{
	const char *suffixes[] = {"", "-wal"};
	size_t checked = 0;
	for (size_t s = 0; s < 2; s++) {
		char path[160];
		snprintf(path, sizeof(path), "%s%s", f->path, suffixes[s]);
		size_t len = 0;
		uint8_t *buf = kfx_file_read(path, &len);
		if (buf == NULL)
			continue;
		checked += len;
		for (size_t i = 0; i < n; i++)
			assert_false(leaks(buf, len, material[i]));
		/* Names are sealed too; lookups use keyed tags. */
		assert_null(memmem(buf, len, "secret-name-", 12));
		free(buf);
	}
	assert_true(checked > 0);
}

static void test_every_type(void **state)
{
	kfx *f = *state;
	enum { N = KW_KEY_TYPE_COUNT_ - 1 };
	kw_secret *material[2 * N];
	size_t n_material = 0;
	char ids[N][KW_KEY_ID_LEN + 1];
	for (int t = 1; t <= N; t++) {
		char name[32];
		snprintf(name, sizeof(name), "secret-name-%s",
			 kw_key_type_name((kw_key_type)t));
		kw_key_info *k;
		kw_key_class cls = kw_key_type_class((kw_key_type)t);
		bool big_rsa = t == KW_KEY_RSA_3072 || t == KW_KEY_RSA_4096;
		/* RSA generation is slow, and much slower under valgrind:
		 * there RSA-2048 is imported and the larger sizes are left to
		 * the plain and ASan runs. Otherwise each size is generated
		 * once, by whichever store runs first; the other imports. */
		if (big_rsa && kfx_under_valgrind()) {
			print_message("%s: not generated under valgrind\n",
				      kw_key_type_name((kw_key_type)t));
			ids[t - 1][0] = '\0';
			continue;
		}
		if ((big_rsa && kfx_rsa_have((kw_key_type)t)) ||
		    (t == KW_KEY_RSA_2048 && kfx_under_valgrind()))
			k = kfx_import_rsa(f, name, (kw_key_type)t, 0);
		else
			k = kfx_create(f, name, (kw_key_type)t,
				       cls == KW_CLASS_AES
					       ? KW_USAGE_WRAP | KW_USAGE_UNWRAP
					       : 0);
		assert_int_equal(k->type, t);
		snprintf(ids[t - 1], sizeof(ids[t - 1]), "%s", k->id);
		kw_key_info_free(k);

		kw_key_info *by_id = NULL;
		assert_int_equal(kw_key_get(f->ks, P, ids[t - 1], &by_id),
				 KW_OK);
		assert_string_equal(by_id->name, name);
		kw_key_info_free(by_id);
		exercise(f, name, (kw_key_type)t);
		if (t == KW_KEY_EC_P256 || t == KW_KEY_AES_256) {
			assert_int_equal(kw_key_rotate(f->ks, P, name, NULL),
					 KW_OK);
			exercise(f, name, (kw_key_type)t);
		}
		kw_key_rec *r = kfx_load(f, name);
		for (size_t v = 0; v < r->info.version_count; v++) {
			material[n_material++] = r->material[v];
			r->material[v] = NULL;
		}
		if (big_rsa && !kfx_rsa_have((kw_key_type)t)) {
			kw_secret *copy = NULL;
			const kw_secret *m = material[n_material - 1];
			assert_int_equal(kw_secret_from(m->data, m->len, &copy),
					 KW_OK);
			kfx_rsa_keep((kw_key_type)t, copy);
		}
		kw_keys_rec_free(r);
	}

	if (f->dir[0] != '\0') {
		/* While open (recent pages in the WAL), and after a clean
		 * close (checkpointed into the database). */
		assert_files_clean(f, material, n_material);
		kfx_close(f);
		assert_files_clean(f, material, n_material);
		kfx_open(f);
		for (int t = 1; t <= N; t++) {
			kw_key_info *k = NULL;
			if (ids[t - 1][0] == '\0')
				continue;
			assert_int_equal(kw_key_get(f->ks, P, ids[t - 1], &k),
					 KW_OK);
			exercise(f, k->name, (kw_key_type)t);
			kw_key_info_free(k);
		}
	}
	for (size_t i = 0; i < n_material; i++)
		kw_secret_free(material[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cache_bounded, setup_small,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_cache_no_store,
						setup_fault, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_conflict_retry,
						setup_fault, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_storage_failure,
						setup_fault, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup_small,
						kfx_teardown),
		cmocka_unit_test_prestate_setup_teardown(
			test_every_type, kfx_setup, kfx_teardown,
			(void *)"mem"),
		cmocka_unit_test_prestate_setup_teardown(
			test_every_type, kfx_setup, kfx_teardown,
			(void *)"sqlite"),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	kfx_rsa_free();
	return failed;
}
