/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: AES key wrap (RFC 3394, RFC 5649) and HMAC keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "crypto/crypto.h"

/* RFC 3394 §4.1 and §4.6 through kw_ckey (the self-test has them too; here
 * the user-facing function is checked on its own). */
static void test_wrap_rfc3394(void **state)
{
	(void)state;
	static const struct {
		kw_key_type t;
		const char *kek, *data, *wrapped;
	} v[] = {
		{KW_KEY_AES_128, "000102030405060708090a0b0c0d0e0f",
		 "00112233445566778899aabbccddeeff",
		 "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"},
		{KW_KEY_AES_256,
		 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1"
		 "e1f",
		 "00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0"
		 "e0f",
		 "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f"
		 "43b"
		 "fb988b9b7a02dd21"},
	};
	for (size_t i = 0; i < 2; i++) {
		kw_ckey *k = t_import_hex(v[i].t, v[i].kek);
		size_t dl = 0, n = 0;
		uint8_t *data = t_hex(v[i].data, &dl), *w = NULL;
		kw_secret *back = NULL;
		assert_int_equal(
			kw_ckey_wrap(k, KW_WRAP_AES_KW, data, dl, &w, &n),
			KW_OK);
		t_assert_hex(w, n, v[i].wrapped);
		assert_int_equal(kw_ckey_unwrap(k, KW_WRAP_AES_KW, w, n, &back),
				 KW_OK);
		assert_int_equal(back->len, dl);
		assert_memory_equal(back->data, data, dl);
		kw_secret_free(back);
		free(w);
		free(data);
		kw_ckey_free(k);
	}
}

static void test_wrap_roundtrip(void **state)
{
	(void)state;
	static const kw_key_type types[] = {KW_KEY_AES_128, KW_KEY_AES_256};
	uint8_t data[1024];
	assert_int_equal(kw_random(data, sizeof(data)), KW_OK);
	for (size_t t = 0; t < 2; t++) {
		kw_ckey *k = t_key(types[t]);
		for (size_t len = 1; len <= 1024;
		     len = len < 40 ? len + 1 : len * 2) {
			for (int m = KW_WRAP_AES_KW; m <= KW_WRAP_AES_KWP;
			     m++) {
				uint8_t *w = NULL;
				size_t n = 0;
				kw_secret *back = NULL;
				kw_rc want =
					m == KW_WRAP_AES_KWP || (len % 8 == 0 &&
								 len >= 16)
						? KW_OK
						: KW_E_INVALID;
				assert_int_equal(
					kw_ckey_wrap(k, (kw_wrap_mode)m, data,
						     len, &w, &n),
					want);
				if (want != KW_OK) {
					assert_null(w);
					continue;
				}
				/* KW adds 8 bytes; KWP pads to 8 and adds 8. */
				assert_int_equal(n, (len + 7) / 8 * 8 + 8);
				assert_int_equal(kw_ckey_unwrap(k,
								(kw_wrap_mode)m,
								w, n, &back),
						 KW_OK);
				assert_int_equal(back->len, len);
				assert_memory_equal(back->data, data, len);
				kw_secret_free(back);
				free(w);
			}
		}
	}
}

static void test_wrap_tamper(void **state)
{
	(void)state;
	kw_ckey *k = t_key(KW_KEY_AES_256);
	kw_ckey *other = NULL;
	uint8_t data[37];
	uint8_t *w = NULL, *w2 = NULL;
	size_t n = 0, n2 = 0;
	kw_secret *back = NULL;
	memset(data, 0x42, sizeof(data));
	assert_int_equal(
		kw_ckey_wrap(k, KW_WRAP_AES_KWP, data, sizeof(data), &w, &n),
		KW_OK);
	for (size_t i = 0; i < n; i++) {
		w[i] ^= 0x20;
		assert_int_equal(
			kw_ckey_unwrap(k, KW_WRAP_AES_KWP, w, n, &back),
			KW_E_VERIFY);
		w[i] ^= 0x20;
	}
	/* Dropped block, the other mode, another key. */
	assert_int_equal(kw_ckey_unwrap(k, KW_WRAP_AES_KWP, w, n - 8, &back),
			 KW_E_VERIFY);
	assert_int_equal(kw_ckey_unwrap(k, KW_WRAP_AES_KW, w, n, &back),
			 KW_E_VERIFY);
	assert_int_equal(kw_ckey_generate(KW_KEY_AES_256, &other), KW_OK);
	assert_int_equal(kw_ckey_unwrap(other, KW_WRAP_AES_KWP, w, n, &back),
			 KW_E_VERIFY);
	assert_null(back);
	/* A KW wrap of 32 bytes does not unwrap as KWP. */
	assert_int_equal(kw_ckey_wrap(k, KW_WRAP_AES_KW, data, 32, &w2, &n2),
			 KW_OK);
	assert_int_equal(kw_ckey_unwrap(k, KW_WRAP_AES_KWP, w2, n2, &back),
			 KW_E_VERIFY);
	w2[0] ^= 1;
	assert_int_equal(kw_ckey_unwrap(k, KW_WRAP_AES_KW, w2, n2, &back),
			 KW_E_VERIFY);
	assert_null(back);
	/* The pooled contexts still work after all those failures. */
	assert_int_equal(kw_ckey_unwrap(k, KW_WRAP_AES_KWP, w, n, &back),
			 KW_OK);
	assert_memory_equal(back->data, data, sizeof(data));
	kw_secret_free(back);
	kw_ckey_free(other);
	free(w);
	free(w2);
}

static void test_wrap_bad_input(void **state)
{
	(void)state;
	kw_ckey *k = t_key(KW_KEY_AES_128);
	uint8_t buf[64] = {0};
	uint8_t *w = NULL;
	size_t n = 0;
	kw_secret *s = NULL;
	assert_int_equal(kw_ckey_wrap(NULL, KW_WRAP_AES_KW, buf, 16, &w, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_wrap(k, KW_WRAP_AES_KW, NULL, 16, &w, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_wrap(k, KW_WRAP_AES_KW, buf, 16, NULL, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_wrap(k, KW_WRAP_AES_KW, buf, 16, &w, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_wrap(k, (kw_wrap_mode)0, buf, 16, &w, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_wrap(k, (kw_wrap_mode)3, buf, 16, &w, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_wrap(k, KW_WRAP_AES_KW, buf, 8, &w, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_wrap(k, KW_WRAP_AES_KW, buf, 0, &w, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_wrap(k, KW_WRAP_AES_KWP, buf, 0, &w, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_wrap(k, KW_WRAP_AES_KWP, buf,
				      KW_CRYPTO_INPUT_MAX + 1, &w, &n),
			 KW_E_INVALID);
	assert_null(w);
	assert_int_equal(kw_ckey_unwrap(NULL, KW_WRAP_AES_KW, buf, 24, &s),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_unwrap(k, KW_WRAP_AES_KW, NULL, 24, &s),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_unwrap(k, KW_WRAP_AES_KW, buf, 24, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_unwrap(k, (kw_wrap_mode)9, buf, 24, &s),
			 KW_E_INVALID);
	/* Wrapped lengths: KW at least 24, KWP at least 16, whole blocks. */
	assert_int_equal(kw_ckey_unwrap(k, KW_WRAP_AES_KW, buf, 16, &s),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_unwrap(k, KW_WRAP_AES_KW, buf, 25, &s),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_unwrap(k, KW_WRAP_AES_KWP, buf, 8, &s),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_unwrap(k, KW_WRAP_AES_KWP, buf, 17, &s),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_unwrap(k, KW_WRAP_AES_KWP, buf, 0, &s),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_unwrap(k, KW_WRAP_AES_KW, buf,
					KW_CRYPTO_INPUT_MAX + 8, &s),
			 KW_E_INVALID);
	/* Zeros are well-formed but do not unwrap. */
	assert_int_equal(kw_ckey_unwrap(k, KW_WRAP_AES_KW, buf, 24, &s),
			 KW_E_VERIFY);
	assert_null(s);
	static const kw_key_type others[] = {KW_KEY_HMAC_SHA256,
					     KW_KEY_RSA_2048, KW_KEY_EC_P256,
					     KW_KEY_ED25519};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		assert_int_equal(kw_ckey_wrap(t_key(others[i]), KW_WRAP_AES_KW,
					      buf, 16, &w, &n),
				 KW_E_UNSUPPORTED);
		assert_int_equal(kw_ckey_unwrap(t_key(others[i]),
						KW_WRAP_AES_KWP, buf, 16, &s),
				 KW_E_UNSUPPORTED);
	}
}

/* RFC 4231 test case 1 through HMAC keys of each hash. */
static void test_mac_rfc4231(void **state)
{
	(void)state;
	static const struct {
		kw_key_type t;
		const char *tag;
	} v[] = {
		{KW_KEY_HMAC_SHA256,
		 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833"
		 "da726e9376c2e32cff7"},
		{KW_KEY_HMAC_SHA384,
		 "afd03944d84895626b0825f4ab46907f15f9dadbe4101"
		 "ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8"
		 "b2fa9cb6"},
		{KW_KEY_HMAC_SHA512,
		 "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec"
		 "2787ad0b30545e17cdedaa833b7d6b8a702038b274e"
		 "aea3f4e4be9d914eeb61f1702e696c203a126854"},
	};
	for (size_t i = 0; i < 3; i++) {
		kw_ckey *k = t_import_hex(
			v[i].t, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
		uint8_t *tag = NULL;
		size_t n = 0, tl = 0;
		uint8_t *want = t_hex(v[i].tag, &tl);
		for (int round = 0; round < 2; round++) {
			assert_int_equal(
				kw_ckey_mac(k, (const uint8_t *)"Hi There", 8,
					    &tag, &n),
				KW_OK);
			t_assert_hex(tag, n, v[i].tag);
			free(tag);
			tag = NULL;
		}
		assert_int_equal(kw_ckey_mac_verify(k,
						    (const uint8_t *)"Hi There",
						    8, want, tl),
				 KW_OK);
		free(want);
		kw_ckey_free(k);
	}
}

static void test_mac_verify(void **state)
{
	(void)state;
	kw_ckey *k = t_key(KW_KEY_HMAC_SHA384);
	static const uint8_t msg[] = "an authenticated message";
	uint8_t *tag = NULL;
	size_t n = 0;
	assert_int_equal(kw_ckey_mac(k, msg, sizeof(msg), &tag, &n), KW_OK);
	assert_int_equal(n, 48);
	/* Truncated tags of 16.. bytes are checked on their prefix. */
	for (size_t len = 16; len <= n; len++)
		assert_int_equal(
			kw_ckey_mac_verify(k, msg, sizeof(msg), tag, len),
			KW_OK);
	assert_int_equal(kw_ckey_mac_verify(k, msg, sizeof(msg), tag, 15),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_mac_verify(k, msg, sizeof(msg), tag, 0),
			 KW_E_INVALID);
	uint8_t longer[49];
	memcpy(longer, tag, 48);
	longer[48] = 0;
	assert_int_equal(kw_ckey_mac_verify(k, msg, sizeof(msg), longer, 49),
			 KW_E_INVALID);
	for (size_t i = 0; i < n; i++) {
		tag[i] ^= 0x01;
		assert_int_equal(
			kw_ckey_mac_verify(k, msg, sizeof(msg), tag, n),
			KW_E_VERIFY);
		tag[i] ^= 0x01;
	}
	assert_int_equal(kw_ckey_mac_verify(k, msg, sizeof(msg) - 1, tag, n),
			 KW_E_VERIFY);
	assert_int_equal(kw_ckey_mac_verify(t_key(KW_KEY_HMAC_SHA512), msg,
					    sizeof(msg), tag, n),
			 KW_E_VERIFY);
	/* The key's MAC is the plain HMAC of its exported bytes. */
	kw_secret *raw = NULL;
	uint8_t plain[KW_DIGEST_MAX];
	size_t pl = 0;
	assert_int_equal(kw_ckey_private_export(k, &raw), KW_OK);
	assert_int_equal(
		kw_hmac(KW_HASH_SHA384, raw, msg, sizeof(msg), plain, &pl),
		KW_OK);
	assert_int_equal(pl, n);
	assert_memory_equal(plain, tag, n);
	kw_secret_free(raw);
	/* Empty messages are fine. */
	uint8_t *t2 = NULL;
	assert_int_equal(kw_ckey_mac(k, NULL, 0, &t2, &n), KW_OK);
	assert_int_equal(kw_ckey_mac_verify(k, NULL, 0, t2, n), KW_OK);
	free(t2);
	free(tag);
}

static void test_mac_bad_input(void **state)
{
	(void)state;
	kw_ckey *k = t_key(KW_KEY_HMAC_SHA256);
	uint8_t buf[64] = {0};
	uint8_t *tag = NULL;
	size_t n = 0;
	assert_int_equal(kw_ckey_mac(NULL, buf, 1, &tag, &n), KW_E_INVALID);
	assert_int_equal(kw_ckey_mac(k, NULL, 1, &tag, &n), KW_E_INVALID);
	assert_int_equal(kw_ckey_mac(k, buf, 1, NULL, &n), KW_E_INVALID);
	assert_int_equal(kw_ckey_mac(k, buf, 1, &tag, NULL), KW_E_INVALID);
	assert_int_equal(kw_ckey_mac(k, buf, KW_CRYPTO_INPUT_MAX + 1, &tag, &n),
			 KW_E_INVALID);
	assert_null(tag);
	assert_int_equal(kw_ckey_mac_verify(NULL, buf, 1, buf, 32),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_mac_verify(k, NULL, 1, buf, 32), KW_E_INVALID);
	assert_int_equal(kw_ckey_mac_verify(k, buf, 1, NULL, 32), KW_E_INVALID);
	assert_int_equal(
		kw_ckey_mac_verify(k, buf, KW_CRYPTO_INPUT_MAX + 1, buf, 32),
		KW_E_INVALID);
	static const kw_key_type others[] = {KW_KEY_AES_256, KW_KEY_RSA_2048,
					     KW_KEY_EC_P521, KW_KEY_ED25519};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		assert_int_equal(
			kw_ckey_mac(t_key(others[i]), buf, 1, &tag, &n),
			KW_E_UNSUPPORTED);
		assert_int_equal(
			kw_ckey_mac_verify(t_key(others[i]), buf, 1, buf, 32),
			KW_E_UNSUPPORTED);
	}
	assert_null(tag);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap_rfc3394),
		cmocka_unit_test(test_wrap_roundtrip),
		cmocka_unit_test(test_wrap_tamper),
		cmocka_unit_test(test_wrap_bad_input),
		cmocka_unit_test(test_mac_rfc4231),
		cmocka_unit_test(test_mac_verify),
		cmocka_unit_test(test_mac_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, t_keys_free);
}
