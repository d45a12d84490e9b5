/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: kw_random, kw_digest (one-shot and streaming), kw_hmac,
 * kw_hkdf_sha256. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "crypto/crypto.h"

static void test_random(void **state)
{
	(void)state;
	uint8_t a[64] = {0}, b[64] = {0}, zero[64] = {0};
	assert_int_equal(kw_random(a, sizeof(a)), KW_OK);
	assert_int_equal(kw_random(b, sizeof(b)), KW_OK);
	/* 2^-512 chance of a false failure. */
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_int_equal(kw_random(NULL, 0), KW_OK);
	assert_int_equal(kw_random(a, 0), KW_OK);
	assert_int_equal(kw_random(NULL, 1), KW_E_INVALID);
	assert_int_equal(kw_random(a, KW_CRYPTO_INPUT_MAX + 1), KW_E_INVALID);
}

/* FIPS 180-2 appendix examples: "abc" for every hash. */
static void test_digest_abc(void **state)
{
	(void)state;
	static const struct {
		kw_hash h;
		const char *want;
	} v[] = {
		{KW_HASH_SHA1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{KW_HASH_SHA224,
		 "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"},
		{KW_HASH_SHA256, "ba7816bf8f01cfea414140de5dae2223b00361a39617"
				 "7a9cb410ff61f20015ad"},
		{KW_HASH_SHA384, "cb00753f45a35e8bb5a03d699ac65007272c32ab0ede"
				 "d1631a8b605a43ff5bed8086072ba1e7cc2358baeca1"
				 "34c825a7"},
		{KW_HASH_SHA512, "ddaf35a193617abacc417349ae20413112e6fa4e89a9"
				 "7ea20a9eeee64b55d39a2192992a274fc1a836ba3c23"
				 "a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t out[KW_DIGEST_MAX];
		size_t n = 0;
		assert_int_equal(kw_digest(v[i].h, "abc", 3, out, &n), KW_OK);
		assert_int_equal(n, kw_hash_size(v[i].h));
		t_assert_hex(out, n, v[i].want);
	}
}

/* FIPS 180-2 §B.3: SHA-256 of one million 'a', streamed in odd chunks; and
 * the empty message. */
static void test_digest_stream(void **state)
{
	(void)state;
	kw_digest_ctx *c = NULL;
	uint8_t out[KW_DIGEST_MAX];
	size_t n = 0;
	char *a = malloc(1000000);
	assert_non_null(a);
	memset(a, 'a', 1000000);
	assert_int_equal(kw_digest_ctx_new(KW_HASH_SHA256, &c), KW_OK);
	size_t done = 0, step = 1;
	while (done < 1000000) {
		size_t len = step < 1000000 - done ? step : 1000000 - done;
		assert_int_equal(kw_digest_ctx_update(c, a + done, len), KW_OK);
		done += len;
		step = step * 3 + 1;
	}
	assert_int_equal(kw_digest_ctx_update(c, NULL, 0), KW_OK);
	assert_int_equal(kw_digest_ctx_final(c, out, &n), KW_OK);
	t_assert_hex(out, n,
		     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39cc"
		     "c7112cd0");
	/* A finished context refuses more work. */
	assert_int_equal(kw_digest_ctx_update(c, "x", 1), KW_E_STATE);
	n = 0;
	assert_int_equal(kw_digest_ctx_final(c, out, &n), KW_E_STATE);
	assert_int_equal(n, 0);
	kw_digest_ctx_free(c);

	/* The one-shot function agrees. */
	assert_int_equal(kw_digest(KW_HASH_SHA256, a, 1000000, out, &n), KW_OK);
	t_assert_hex(out, n,
		     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39cc"
		     "c7112cd0");
	free(a);

	assert_int_equal(kw_digest(KW_HASH_SHA256, NULL, 0, out, &n), KW_OK);
	t_assert_hex(out, n,
		     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
		     "7852b855");
}

static void test_digest_bad_input(void **state)
{
	(void)state;
	uint8_t out[KW_DIGEST_MAX];
	size_t n = 7;
	kw_digest_ctx *c = NULL;
	assert_int_equal(kw_digest(KW_HASH_NONE, "a", 1, out, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_digest((kw_hash)99, "a", 1, out, &n), KW_E_INVALID);
	assert_int_equal(kw_digest(KW_HASH_SHA256, NULL, 1, out, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_digest(KW_HASH_SHA256, "a", 1, out, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_digest(KW_HASH_SHA256, "a", KW_CRYPTO_INPUT_MAX + 1,
				   out, &n),
			 KW_E_INVALID);
	assert_int_equal(n, 7); /* untouched */
	assert_int_equal(kw_digest_ctx_new(KW_HASH_NONE, &c), KW_E_INVALID);
	assert_int_equal(kw_digest_ctx_new((kw_hash)-1, &c), KW_E_INVALID);
	assert_int_equal(kw_digest_ctx_new(KW_HASH_SHA1, NULL), KW_E_INVALID);
	assert_null(c);
	assert_int_equal(kw_digest_ctx_update(NULL, "a", 1), KW_E_INVALID);
	assert_int_equal(kw_digest_ctx_final(NULL, out, &n), KW_E_INVALID);
	assert_int_equal(kw_digest_ctx_new(KW_HASH_SHA512, &c), KW_OK);
	assert_int_equal(kw_digest_ctx_update(c, NULL, 3), KW_E_INVALID);
	assert_int_equal(kw_digest_ctx_update(c, "a", KW_CRYPTO_INPUT_MAX + 1),
			 KW_E_INVALID);
	assert_int_equal(kw_digest_ctx_final(c, out, NULL), KW_E_INVALID);
	kw_digest_ctx_free(c);
	kw_digest_ctx_free(NULL);
}

/* RFC 4231 test cases 1, 2 and 6 (the 131-byte key). */
static void test_hmac_rfc4231(void **state)
{
	(void)state;
	static const struct {
		const char *key, *data;
		kw_hash h;
		const char *want;
	} v[] = {
		{"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
		 KW_HASH_SHA256,
		 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32"
		 "cff7"},
		{"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
		 KW_HASH_SHA384,
		 "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7ceb"
		 "c59cfaea9ea9076ede7f4af152e8b2fa9cb6"},
		{"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
		 KW_HASH_SHA512,
		 "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e1"
		 "7cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c20"
		 "3a126854"},
		{"4a656665",
		 "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		 KW_HASH_SHA256,
		 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec"
		 "3843"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaa",
		 "54657374205573696e67204c6172676572205468616e20426c6f636b2d53"
		 "697a65204b6579202d2048617368204b6579204669727374",
		 KW_HASH_SHA256,
		 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee3"
		 "7f54"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t kl = 0, dl = 0, n = 0;
		uint8_t *k = t_hex(v[i].key, &kl), *d = t_hex(v[i].data, &dl);
		kw_secret *key = NULL;
		uint8_t out[KW_DIGEST_MAX];
		assert_int_equal(kw_secret_from(k, kl, &key), KW_OK);
		assert_int_equal(kw_hmac(v[i].h, key, d, dl, out, &n), KW_OK);
		t_assert_hex(out, n, v[i].want);
		kw_secret_free(key);
		free(k);
		free(d);
	}
}

static void test_hmac_bad_input(void **state)
{
	(void)state;
	kw_secret *key = NULL;
	uint8_t out[KW_DIGEST_MAX];
	size_t n = 5;
	assert_int_equal(kw_secret_from("0123456789abcdef", 16, &key), KW_OK);
	assert_int_equal(kw_hmac(KW_HASH_SHA256, NULL, "a", 1, out, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_hmac(KW_HASH_SHA256, key, NULL, 1, out, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_hmac(KW_HASH_SHA256, key, "a", 1, out, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_hmac(KW_HASH_NONE, key, "a", 1, out, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_hmac((kw_hash)42, key, "a", 1, out, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_hmac(KW_HASH_SHA1, key, "a", 1, out, &n),
			 KW_E_UNSUPPORTED);
	assert_int_equal(kw_hmac(KW_HASH_SHA256, key, "a",
				 KW_CRYPTO_INPUT_MAX + 1, out, &n),
			 KW_E_INVALID);
	assert_int_equal(n, 5);
	/* An empty message is fine. */
	assert_int_equal(kw_hmac(KW_HASH_SHA512, key, NULL, 0, out, &n), KW_OK);
	assert_int_equal(n, 64);
	kw_secret_free(key);
}

/* RFC 5869 appendix A, test cases 1 and 3. */
static void test_hkdf_rfc5869(void **state)
{
	(void)state;
	size_t il = 0, sl = 0, nl = 0;
	uint8_t *ikm_b =
		t_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", &il);
	uint8_t *salt = t_hex("000102030405060708090a0b0c", &sl);
	uint8_t *info = t_hex("f0f1f2f3f4f5f6f7f8f9", &nl);
	kw_secret *ikm = NULL, *okm = NULL;
	assert_int_equal(kw_secret_from(ikm_b, il, &ikm), KW_OK);
	assert_int_equal(kw_hkdf_sha256(ikm, salt, sl, info, nl, 42, &okm),
			 KW_OK);
	t_assert_hex(okm->data, okm->len,
		     "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56"
		     "ecc4c5bf34007208d5b887185865");
	kw_secret_free(okm);
	okm = NULL;
	assert_int_equal(kw_hkdf_sha256(ikm, NULL, 0, NULL, 0, 42, &okm),
			 KW_OK);
	t_assert_hex(okm->data, okm->len,
		     "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f"
		     "3c738d2d9d201395faa4b61a96c8");
	kw_secret_free(okm);
	/* The longest output works; one more byte is refused. */
	okm = NULL;
	assert_int_equal(kw_hkdf_sha256(ikm, NULL, 0, "x", 1, 8160, &okm),
			 KW_OK);
	assert_int_equal(okm->len, 8160);
	kw_secret_free(okm);
	okm = NULL;
	assert_int_equal(kw_hkdf_sha256(ikm, NULL, 0, "x", 1, 8161, &okm),
			 KW_E_INVALID);
	assert_int_equal(kw_hkdf_sha256(ikm, NULL, 0, "x", 1, 0, &okm),
			 KW_E_INVALID);
	assert_int_equal(kw_hkdf_sha256(NULL, NULL, 0, "x", 1, 32, &okm),
			 KW_E_INVALID);
	assert_int_equal(kw_hkdf_sha256(ikm, NULL, 3, "x", 1, 32, &okm),
			 KW_E_INVALID);
	assert_int_equal(kw_hkdf_sha256(ikm, NULL, 0, NULL, 1, 32, &okm),
			 KW_E_INVALID);
	assert_int_equal(kw_hkdf_sha256(ikm, salt, KW_CRYPTO_INPUT_MAX + 1,
					NULL, 0, 32, &okm),
			 KW_E_INVALID);
	assert_int_equal(kw_hkdf_sha256(ikm, NULL, 0, NULL, 0, 32, NULL),
			 KW_E_INVALID);
	assert_null(okm);
	kw_secret *empty = NULL;
	assert_int_equal(kw_secret_new(0, &empty), KW_OK);
	assert_int_equal(kw_hkdf_sha256(empty, NULL, 0, NULL, 0, 32, &okm),
			 KW_E_INVALID);
	kw_secret_free(empty);
	kw_secret_free(ikm);
	free(ikm_b);
	free(salt);
	free(info);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_digest_abc),
		cmocka_unit_test(test_digest_stream),
		cmocka_unit_test(test_digest_bad_input),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_hmac_bad_input),
		cmocka_unit_test(test_hkdf_rfc5869),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
