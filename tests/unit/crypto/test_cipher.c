/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: AES-GCM and RSA-OAEP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "crypto/crypto.h"

/* The GCM specification (McGrew & Viega, "The Galois/Counter Mode of
 * Operation", 2005), test cases 4 (AES-128) and 16 (AES-256): 60-byte
 * plaintext, 20-byte AAD, 96-bit IV. */
#define GCM_P                                                              \
	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
	"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define GCM_A  "feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define GCM_IV "cafebabefacedbaddecaf888"

static const struct {
	kw_key_type t;
	const char *key, *ct_tag;
} gcm_vec[] = {
	{KW_KEY_AES_128, "feffe9928665731c6d6a8f9467308308",
	 "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	 "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
	 "5bc94fbc3221a5db94fae95ae7121a47"},
	{KW_KEY_AES_256,
	 "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	 "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	 "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
	 "76fc6ece0f4e1768cddf8853bb2d551b"},
};

static void test_gcm_known_answer(void **state)
{
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		kw_ckey *k = t_import_hex(gcm_vec[i].t, gcm_vec[i].key);
		size_t pl = 0, al = 0, il = 0, n = 0;
		uint8_t *p = t_hex(GCM_P, &pl), *a = t_hex(GCM_A, &al);
		uint8_t *iv = t_hex(GCM_IV, &il), *out = NULL;
		kw_secret *back = NULL;
		/* Twice: the second call reuses the pooled context. */
		for (int round = 0; round < 2; round++) {
			assert_int_equal(kw_ckey_gcm_encrypt(k, iv, a, al, p,
							     pl, &out, &n),
					 KW_OK);
			assert_int_equal(n, il + pl + KW_GCM_TAG_LEN);
			assert_memory_equal(out, iv, il);
			t_assert_hex(out + il, n - il, gcm_vec[i].ct_tag);
			assert_int_equal(
				kw_ckey_gcm_decrypt(k, a, al, out, n, &back),
				KW_OK);
			assert_int_equal(back->len, pl);
			assert_memory_equal(back->data, p, pl);
			kw_secret_free(back);
			back = NULL;
			free(out);
			out = NULL;
		}
		free(p);
		free(a);
		free(iv);
		kw_ckey_free(k);
	}
}

static void test_gcm_roundtrip(void **state)
{
	(void)state;
	static const kw_key_type types[] = {KW_KEY_AES_128, KW_KEY_AES_256};
	static const size_t lens[] = {0, 1, 15, 16, 17, 1000, 65537};
	uint8_t *pt = malloc(65537);
	assert_non_null(pt);
	assert_int_equal(kw_random(pt, 65537), KW_OK);
	for (size_t t = 0; t < 2; t++) {
		kw_ckey *k = t_key(types[t]);
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			uint8_t *c1 = NULL, *c2 = NULL;
			size_t n1 = 0, n2 = 0;
			kw_secret *back = NULL;
			const uint8_t *aad =
				i % 2 ? (const uint8_t *)"hdr" : NULL;
			size_t aad_len = i % 2 ? 3 : 0;
			assert_int_equal(kw_ckey_gcm_encrypt(k, NULL, aad,
							     aad_len, pt,
							     lens[i], &c1, &n1),
					 KW_OK);
			assert_int_equal(kw_ckey_gcm_encrypt(k, NULL, aad,
							     aad_len, pt,
							     lens[i], &c2, &n2),
					 KW_OK);
			assert_int_equal(n1, 28 + lens[i]);
			/* A fresh random IV each time. */
			assert_memory_not_equal(c1, c2, KW_GCM_IV_LEN);
			assert_int_equal(kw_ckey_gcm_decrypt(k, aad, aad_len,
							     c1, n1, &back),
					 KW_OK);
			assert_int_equal(back->len, lens[i]);
			if (lens[i] > 0)
				assert_memory_equal(back->data, pt, lens[i]);
			kw_secret_free(back);
			free(c1);
			free(c2);
		}
	}
	free(pt);
}

static void test_gcm_tamper(void **state)
{
	(void)state;
	kw_ckey *k = t_key(KW_KEY_AES_256);
	static const uint8_t aad[] = "record:key:7:v1";
	static const uint8_t pt[] = "the plaintext of a sealed record";
	uint8_t *c = NULL;
	size_t n = 0;
	kw_secret *back = NULL;
	assert_int_equal(kw_ckey_gcm_encrypt(k, NULL, aad, sizeof(aad), pt,
					     sizeof(pt), &c, &n),
			 KW_OK);
	/* Every single-bit flip anywhere (IV, ciphertext, tag) is caught. */
	for (size_t i = 0; i < n; i++) {
		c[i] ^= 0x01;
		assert_int_equal(
			kw_ckey_gcm_decrypt(k, aad, sizeof(aad), c, n, &back),
			KW_E_VERIFY);
		assert_null(back);
		c[i] ^= 0x01;
	}
	/* Other AAD (another record identity), no AAD, truncated input. */
	assert_int_equal(kw_ckey_gcm_decrypt(k,
					     (const uint8_t *)"record:key:7:v2",
					     sizeof(aad), c, n, &back),
			 KW_E_VERIFY);
	assert_int_equal(kw_ckey_gcm_decrypt(k, NULL, 0, c, n, &back),
			 KW_E_VERIFY);
	assert_int_equal(
		kw_ckey_gcm_decrypt(k, aad, sizeof(aad), c, n - 1, &back),
		KW_E_VERIFY);
	/* Another key of the same type. */
	kw_ckey *other = NULL;
	assert_int_equal(kw_ckey_generate(KW_KEY_AES_256, &other), KW_OK);
	assert_int_equal(
		kw_ckey_gcm_decrypt(other, aad, sizeof(aad), c, n, &back),
		KW_E_VERIFY);
	kw_ckey_free(other);
	assert_null(back);
	/* The context pool still works after failures. */
	assert_int_equal(kw_ckey_gcm_decrypt(k, aad, sizeof(aad), c, n, &back),
			 KW_OK);
	assert_memory_equal(back->data, pt, sizeof(pt));
	kw_secret_free(back);
	free(c);
}

static void test_gcm_bad_input(void **state)
{
	(void)state;
	kw_ckey *k = t_key(KW_KEY_AES_128);
	uint8_t buf[64] = {0};
	uint8_t *out = NULL;
	size_t n = 0;
	kw_secret *s = NULL;
	assert_int_equal(
		kw_ckey_gcm_encrypt(NULL, NULL, NULL, 0, buf, 1, &out, &n),
		KW_E_INVALID);
	assert_int_equal(
		kw_ckey_gcm_encrypt(k, NULL, NULL, 1, buf, 1, &out, &n),
		KW_E_INVALID);
	assert_int_equal(
		kw_ckey_gcm_encrypt(k, NULL, NULL, 0, NULL, 1, &out, &n),
		KW_E_INVALID);
	assert_int_equal(
		kw_ckey_gcm_encrypt(k, NULL, NULL, 0, buf, 1, NULL, &n),
		KW_E_INVALID);
	assert_int_equal(
		kw_ckey_gcm_encrypt(k, NULL, NULL, 0, buf, 1, &out, NULL),
		KW_E_INVALID);
	assert_int_equal(kw_ckey_gcm_encrypt(k, NULL, NULL, 0, buf,
					     KW_CRYPTO_INPUT_MAX + 1, &out, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_gcm_encrypt(k, NULL, buf,
					     KW_CRYPTO_INPUT_MAX + 1, buf, 1,
					     &out, &n),
			 KW_E_INVALID);
	assert_null(out);
	assert_int_equal(kw_ckey_gcm_decrypt(NULL, NULL, 0, buf, 28, &s),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_gcm_decrypt(k, NULL, 0, NULL, 28, &s),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_gcm_decrypt(k, NULL, 0, buf, 28, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_gcm_decrypt(k, NULL, 3, buf, 28, &s),
			 KW_E_INVALID);
	/* Shorter than IV + tag. */
	assert_int_equal(kw_ckey_gcm_decrypt(k, NULL, 0, buf, 27, &s),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_gcm_decrypt(k, NULL, 0, buf, 0, &s),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_gcm_decrypt(k, NULL, 0, buf,
					     KW_CRYPTO_INPUT_MAX + 29, &s),
			 KW_E_INVALID);
	/* All zeros is not a valid ciphertext. */
	assert_int_equal(kw_ckey_gcm_decrypt(k, NULL, 0, buf, 28, &s),
			 KW_E_VERIFY);
	assert_null(s);
	/* Keys of other types cannot do GCM. */
	static const kw_key_type others[] = {KW_KEY_HMAC_SHA256,
					     KW_KEY_RSA_2048, KW_KEY_EC_P256,
					     KW_KEY_ED25519};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		kw_ckey *o = t_key(others[i]);
		assert_int_equal(
			kw_ckey_gcm_encrypt(o, NULL, NULL, 0, buf, 1, &out, &n),
			KW_E_UNSUPPORTED);
		assert_int_equal(kw_ckey_gcm_decrypt(o, NULL, 0, buf, 28, &s),
				 KW_E_UNSUPPORTED);
	}
	assert_null(out);
	assert_null(s);
}

static const kw_hash sha_all[] = {KW_HASH_SHA1, KW_HASH_SHA224, KW_HASH_SHA256,
				  KW_HASH_SHA384, KW_HASH_SHA512};

/* Every hash, with and without a label, the longest message a key takes
 * (k - 2 hLen - 2) and the empty one. */
static void test_oaep_roundtrip(void **state)
{
	(void)state;
	static const kw_key_type types[] = {KW_KEY_RSA_2048, KW_KEY_RSA_3072};
	uint8_t pt[512];
	assert_int_equal(kw_random(pt, sizeof(pt)), KW_OK);
	for (size_t t = 0; t < 2; t++) {
		kw_ckey *k = t_key(types[t]);
		size_t klen = kw_key_type_bits(types[t]) / 8;
		for (size_t h = 0; h < 5; h++) {
			size_t max = klen - 2 * kw_hash_size(sha_all[h]) - 2;
			const size_t lens[] = {0, 1, 32, max};
			for (size_t i = 0; i < 4; i++) {
				const uint8_t *label =
					i % 2 ? (const uint8_t *)"label" : NULL;
				size_t label_len = i % 2 ? 5 : 0;
				uint8_t *ct = NULL;
				size_t n = 0;
				kw_secret *back = NULL;
				assert_int_equal(kw_ckey_oaep_encrypt(
							 k, sha_all[h], label,
							 label_len, pt, lens[i],
							 &ct, &n),
						 KW_OK);
				assert_int_equal(n, klen);
				assert_int_equal(
					kw_ckey_oaep_decrypt(k, sha_all[h],
							     label, label_len,
							     ct, n, &back),
					KW_OK);
				assert_int_equal(back->len, lens[i]);
				if (lens[i] > 0)
					assert_memory_equal(back->data, pt,
							    lens[i]);
				kw_secret_free(back);
				free(ct);
			}
			/* One byte more than the key can carry. */
			uint8_t *ct = NULL;
			size_t n = 0;
			assert_int_equal(kw_ckey_oaep_encrypt(k, sha_all[h],
							      NULL, 0, pt,
							      max + 1, &ct, &n),
					 KW_E_LIMIT);
			assert_null(ct);
		}
	}
}

/* A wrong label, another hash, a changed byte, a wrong length and another
 * key all give the one KW_E_VERIFY. A public-only key encrypts but cannot
 * decrypt. */
static void test_oaep_failures(void **state)
{
	(void)state;
	kw_ckey *k = t_key(KW_KEY_RSA_2048);
	uint8_t *ct = NULL, *der = NULL;
	size_t n = 0, dl = 0;
	kw_secret *back = NULL;
	static const uint8_t label[] = "record-key-label";
	assert_int_equal(
		kw_ckey_oaep_encrypt(k, KW_HASH_SHA256, label, sizeof(label),
				     (const uint8_t *)"secret", 6, &ct, &n),
		KW_OK);
	assert_int_equal(kw_ckey_oaep_decrypt(k, KW_HASH_SHA256,
					      (const uint8_t *)"other-label",
					      11, ct, n, &back),
			 KW_E_VERIFY);
	assert_int_equal(
		kw_ckey_oaep_decrypt(k, KW_HASH_SHA256, NULL, 0, ct, n, &back),
		KW_E_VERIFY);
	assert_int_equal(kw_ckey_oaep_decrypt(k, KW_HASH_SHA384, label,
					      sizeof(label), ct, n, &back),
			 KW_E_VERIFY);
	assert_int_equal(kw_ckey_oaep_decrypt(k, KW_HASH_SHA256, label,
					      sizeof(label), ct, n - 1, &back),
			 KW_E_VERIFY);
	ct[n / 2] ^= 0x04;
	assert_int_equal(kw_ckey_oaep_decrypt(k, KW_HASH_SHA256, label,
					      sizeof(label), ct, n, &back),
			 KW_E_VERIFY);
	ct[n / 2] ^= 0x04;
	assert_null(back);
	/* The pooled context forgot the wrong label: the right one works. */
	assert_int_equal(kw_ckey_oaep_decrypt(k, KW_HASH_SHA256, label,
					      sizeof(label), ct, n, &back),
			 KW_OK);
	assert_memory_equal(back->data, "secret", 6);
	kw_secret_free(back);
	back = NULL;
	/* Encrypt with the public key alone; only the private key opens. */
	kw_ckey *pub = NULL;
	uint8_t *ct2 = NULL;
	size_t n2 = 0;
	assert_int_equal(kw_ckey_public_der(k, &der, &dl), KW_OK);
	assert_int_equal(kw_ckey_from_public(KW_KEY_RSA_2048, der, dl, &pub),
			 KW_OK);
	assert_int_equal(kw_ckey_oaep_encrypt(pub, KW_HASH_SHA1, NULL, 0,
					      (const uint8_t *)"x", 1, &ct2,
					      &n2),
			 KW_OK);
	assert_int_equal(kw_ckey_oaep_decrypt(pub, KW_HASH_SHA1, NULL, 0, ct2,
					      n2, &back),
			 KW_E_UNSUPPORTED);
	assert_int_equal(
		kw_ckey_oaep_decrypt(k, KW_HASH_SHA1, NULL, 0, ct2, n2, &back),
		KW_OK);
	assert_memory_equal(back->data, "x", 1);
	kw_secret_free(back);
	back = NULL;
	kw_ckey_free(pub);
	free(der);
	free(ct2);
	/* Another key of the same size. */
	assert_int_equal(kw_ckey_oaep_decrypt(t_key(KW_KEY_RSA_3072),
					      KW_HASH_SHA256, label,
					      sizeof(label), ct, n, &back),
			 KW_E_VERIFY);
	free(ct);
}

static void test_oaep_bad_input(void **state)
{
	(void)state;
	kw_ckey *k = t_key(KW_KEY_RSA_2048);
	uint8_t buf[256] = {1};
	uint8_t *ct = NULL;
	size_t n = 0;
	kw_secret *s = NULL;
	assert_int_equal(kw_ckey_oaep_encrypt(NULL, KW_HASH_SHA256, NULL, 0,
					      buf, 1, &ct, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_oaep_encrypt(k, KW_HASH_SHA256, NULL, 1, buf,
					      1, &ct, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_oaep_encrypt(k, KW_HASH_SHA256, NULL, 0, NULL,
					      1, &ct, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_oaep_encrypt(k, KW_HASH_SHA256, NULL, 0, buf,
					      1, NULL, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_oaep_encrypt(k, KW_HASH_SHA256, NULL, 0, buf,
					      1, &ct, NULL),
			 KW_E_INVALID);
	assert_int_equal(
		kw_ckey_oaep_encrypt(k, (kw_hash)77, NULL, 0, buf, 1, &ct, &n),
		KW_E_INVALID);
	assert_int_equal(
		kw_ckey_oaep_encrypt(k, KW_HASH_NONE, NULL, 0, buf, 1, &ct, &n),
		KW_E_UNSUPPORTED);
	assert_int_equal(kw_ckey_oaep_encrypt(k, KW_HASH_SHA256, buf,
					      KW_CRYPTO_INPUT_MAX + 1, buf, 1,
					      &ct, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_oaep_encrypt(k, KW_HASH_SHA256, NULL, 0, buf,
					      KW_CRYPTO_INPUT_MAX + 1, &ct, &n),
			 KW_E_INVALID);
	assert_null(ct);
	assert_int_equal(kw_ckey_oaep_decrypt(NULL, KW_HASH_SHA256, NULL, 0,
					      buf, 256, &s),
			 KW_E_INVALID);
	assert_int_equal(
		kw_ckey_oaep_decrypt(k, KW_HASH_SHA256, NULL, 0, NULL, 256, &s),
		KW_E_INVALID);
	assert_int_equal(
		kw_ckey_oaep_decrypt(k, KW_HASH_SHA256, NULL, 0, buf, 0, &s),
		KW_E_INVALID);
	assert_int_equal(kw_ckey_oaep_decrypt(k, KW_HASH_SHA256, NULL, 0, buf,
					      256, NULL),
			 KW_E_INVALID);
	assert_int_equal(
		kw_ckey_oaep_decrypt(k, (kw_hash)-3, NULL, 0, buf, 256, &s),
		KW_E_INVALID);
	assert_null(s);
	/* Only RSA keys do OAEP. */
	static const kw_key_type others[] = {KW_KEY_AES_256, KW_KEY_EC_P384,
					     KW_KEY_ED25519,
					     KW_KEY_HMAC_SHA512};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		assert_int_equal(kw_ckey_oaep_encrypt(t_key(others[i]),
						      KW_HASH_SHA256, NULL, 0,
						      buf, 1, &ct, &n),
				 KW_E_UNSUPPORTED);
		assert_int_equal(kw_ckey_oaep_decrypt(t_key(others[i]),
						      KW_HASH_SHA256, NULL, 0,
						      buf, 256, &s),
				 KW_E_UNSUPPORTED);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gcm_known_answer),
		cmocka_unit_test(test_gcm_roundtrip),
		cmocka_unit_test(test_gcm_tamper),
		cmocka_unit_test(test_gcm_bad_input),
		cmocka_unit_test(test_oaep_roundtrip),
		cmocka_unit_test(test_oaep_failures),
		cmocka_unit_test(test_oaep_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, t_keys_free);
}
