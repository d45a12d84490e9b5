/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "barrier/shamir.h"
#include "crypto/crypto.h"
#include "util/codec.h"

/* ---- GF(2^8) ------------------------------------------------------------ */

static void test_gf_known_products(void **state)
{
	(void)state;
	/* FIPS-197 section 4.2 and 4.2.1. */
	assert_int_equal(kw_gf256_mul(0x57, 0x83), 0xc1);
	assert_int_equal(kw_gf256_mul(0x57, 0x13), 0xfe);
	assert_int_equal(kw_gf256_mul(0x57, 0x02), 0xae);
	assert_int_equal(kw_gf256_mul(0x57, 0x04), 0x47);
	assert_int_equal(kw_gf256_mul(0x57, 0x08), 0x8e);
	assert_int_equal(kw_gf256_mul(0x57, 0x10), 0x07);
	/* The AES S-box is built on inverses: inv(0x53) = 0xca. */
	assert_int_equal(kw_gf256_inv(0x53), 0xca);
	assert_int_equal(kw_gf256_inv(0x01), 0x01);
	assert_int_equal(kw_gf256_inv(0x00), 0x00);
}

static void test_gf_field_laws(void **state)
{
	(void)state;
	for (unsigned a = 0; a < 256; a++) {
		assert_int_equal(kw_gf256_mul((uint8_t)a, 1), a);
		assert_int_equal(kw_gf256_mul((uint8_t)a, 0), 0);
		if (a != 0)
			assert_int_equal(kw_gf256_mul((uint8_t)a,
						      kw_gf256_inv((uint8_t)a)),
					 1);
		for (unsigned b = 0; b < 256; b += 7) {
			uint8_t ab = kw_gf256_mul((uint8_t)a, (uint8_t)b);
			assert_int_equal(ab,
					 kw_gf256_mul((uint8_t)b, (uint8_t)a));
			/* distributive over xor, with c = a + 1 */
			uint8_t c = (uint8_t)(a + 1);
			assert_int_equal(
				kw_gf256_mul((uint8_t)b, (uint8_t)(a ^ c)),
				ab ^ kw_gf256_mul((uint8_t)b, c));
		}
	}
	/* 0x03 generates the multiplicative group: 255 distinct powers. */
	uint8_t seen[256] = {0};
	uint8_t g = 1;
	for (int i = 0; i < 255; i++) {
		assert_int_equal(seen[g], 0);
		seen[g] = 1;
		g = kw_gf256_mul(g, 0x03);
	}
	assert_int_equal(g, 1);
}

/* ---- split and combine -------------------------------------------------- */

static void random_secret(uint8_t s[KW_SHAMIR_SECRET_LEN])
{
	assert_int_equal(kw_random(s, KW_SHAMIR_SECRET_LEN), KW_OK);
}

static void test_every_subset_of_3_of_5(void **state)
{
	(void)state;
	uint8_t secret[32], got[32];
	kw_shamir_share sh[5], pick[3];
	random_secret(secret);
	assert_int_equal(kw_shamir_split(secret, 5, 3, sh), KW_OK);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sh[i].x, i + 1);
	int subsets = 0;
	for (int a = 0; a < 5; a++)
		for (int b = a + 1; b < 5; b++)
			for (int c = b + 1; c < 5; c++) {
				/* also in a shuffled order */
				pick[0] = sh[c];
				pick[1] = sh[a];
				pick[2] = sh[b];
				memset(got, 0, sizeof(got));
				assert_int_equal(
					kw_shamir_combine(pick, 3, got), KW_OK);
				assert_memory_equal(got, secret, 32);
				subsets++;
			}
	assert_int_equal(subsets, 10);
	/* More than M shares work too. */
	assert_int_equal(kw_shamir_combine(sh, 5, got), KW_OK);
	assert_memory_equal(got, secret, 32);
}

static void test_fewer_than_m_shares(void **state)
{
	(void)state;
	uint8_t secret[32], got[32];
	kw_shamir_share sh[5], pick[2];
	random_secret(secret);
	assert_int_equal(kw_shamir_split(secret, 5, 3, sh), KW_OK);
	for (int a = 0; a < 5; a++) {
		for (int b = a + 1; b < 5; b++) {
			pick[0] = sh[a];
			pick[1] = sh[b];
			assert_int_equal(kw_shamir_combine(pick, 2, got),
					 KW_OK);
			assert_memory_not_equal(got, secret, 32);
		}
		assert_int_equal(kw_shamir_combine(&sh[a], 1, got), KW_OK);
		assert_memory_not_equal(got, secret, 32);
	}
}

static void test_splits_are_random(void **state)
{
	(void)state;
	uint8_t secret[32];
	kw_shamir_share a[2], b[2];
	random_secret(secret);
	assert_int_equal(kw_shamir_split(secret, 2, 2, a), KW_OK);
	assert_int_equal(kw_shamir_split(secret, 2, 2, b), KW_OK);
	assert_memory_not_equal(a[0].y, b[0].y, 32);
	/* no share equals the secret when M > 1 */
	assert_memory_not_equal(a[0].y, secret, 32);
}

static void test_1_of_1(void **state)
{
	(void)state;
	uint8_t secret[32], got[32];
	kw_shamir_share sh[1];
	random_secret(secret);
	assert_int_equal(kw_shamir_split(secret, 1, 1, sh), KW_OK);
	assert_int_equal(sh[0].x, 1);
	assert_int_equal(kw_shamir_combine(sh, 1, got), KW_OK);
	assert_memory_equal(got, secret, 32);
}

static void test_255_of_255(void **state)
{
	(void)state;
	uint8_t secret[32], got[32];
	kw_shamir_share *sh = calloc(255, sizeof(*sh));
	assert_non_null(sh);
	random_secret(secret);
	assert_int_equal(kw_shamir_split(secret, 255, 255, sh), KW_OK);
	assert_int_equal(sh[254].x, 255);
	assert_int_equal(kw_shamir_combine(sh, 255, got), KW_OK);
	assert_memory_equal(got, secret, 32);
	assert_int_equal(kw_shamir_combine(sh + 1, 254, got), KW_OK);
	assert_memory_not_equal(got, secret, 32);
	free(sh);
}

static void test_split_bad_arguments(void **state)
{
	(void)state;
	uint8_t secret[32] = {1};
	kw_shamir_share sh[3];
	memset(sh, 0xaa, sizeof(sh));
	assert_int_equal(kw_shamir_split(secret, 2, 3, sh), KW_E_INVALID);
	assert_int_equal(kw_shamir_split(secret, 3, 0, sh), KW_E_INVALID);
	assert_int_equal(kw_shamir_split(secret, 256, 2, sh), KW_E_INVALID);
	assert_int_equal(kw_shamir_split(secret, 0, 0, sh), KW_E_INVALID);
	assert_int_equal(kw_shamir_split(secret, 3, 2, NULL), KW_E_INVALID);
	/* outputs untouched on failure */
	for (size_t i = 0; i < sizeof(sh); i++)
		assert_int_equal(((uint8_t *)sh)[i], 0xaa);
}

static void test_combine_bad_arguments(void **state)
{
	(void)state;
	uint8_t secret[32] = {7}, got[32];
	kw_shamir_share sh[3];
	assert_int_equal(kw_shamir_split(secret, 3, 2, sh), KW_OK);
	memset(got, 0x55, sizeof(got));
	assert_int_equal(kw_shamir_combine(NULL, 2, got), KW_E_INVALID);
	assert_int_equal(kw_shamir_combine(sh, 0, got), KW_E_INVALID);
	assert_int_equal(kw_shamir_combine(sh, 256, got), KW_E_INVALID);
	kw_shamir_share dup[2] = {sh[1], sh[1]};
	assert_int_equal(kw_shamir_combine(dup, 2, got), KW_E_EXISTS);
	kw_shamir_share zero[2] = {sh[0], sh[1]};
	zero[1].x = 0;
	assert_int_equal(kw_shamir_combine(zero, 2, got), KW_E_INVALID);
	for (size_t i = 0; i < sizeof(got); i++)
		assert_int_equal(got[i], 0x55);
}

/* ---- share text --------------------------------------------------------- */

static kw_share sample_share(void)
{
	kw_share s;
	assert_int_equal(kw_random(&s, sizeof(s)), KW_OK);
	s.threshold = 3;
	s.point.x = 2;
	return s;
}

static void test_share_text_round_trip(void **state)
{
	(void)state;
	kw_share s = sample_share(), d;
	kw_secret *text = NULL;
	assert_int_equal(kw_share_encode(&s, &text), KW_OK);
	assert_int_equal(text->len, KW_SHARE_TEXT_LEN);
	assert_int_equal(text->len, 77);
	assert_memory_equal(text->data, "kwshare1-", 9);
	for (size_t i = 9; i < text->len; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
				       "nopqrstuvwxyz0123456789-_",
				       text->data[i]));
	memset(&d, 0, sizeof(d));
	assert_int_equal(
		kw_share_decode((const char *)text->data, text->len, &d),
		KW_OK);
	assert_memory_equal(d.split_id, s.split_id, KW_SHARE_SPLIT_ID_LEN);
	assert_int_equal(d.threshold, 3);
	assert_int_equal(d.point.x, 2);
	assert_memory_equal(d.point.y, s.point.y, 32);
	kw_secret_free(text);
}

/* The 51 binary bytes of a share text. */
static void text_to_bin(const char *text, uint8_t bin[KW_SHARE_BIN_LEN + 3])
{
	size_t n = 0;
	assert_int_equal(kw_base64_decode(text + 9, 68, true, bin, &n), KW_OK);
	assert_int_equal(n, KW_SHARE_BIN_LEN);
}

static void bin_to_text(const uint8_t *bin, char text[KW_SHARE_TEXT_LEN + 1])
{
	memcpy(text, "kwshare1-", 9);
	kw_base64_encode(bin, KW_SHARE_BIN_LEN, true, text + 9);
}

static void test_share_every_binary_bit_flip(void **state)
{
	(void)state;
	kw_share s = sample_share(), d;
	kw_secret *text = NULL;
	uint8_t bin[KW_SHARE_BIN_LEN + 3];
	char t[KW_SHARE_TEXT_LEN + 1];
	assert_int_equal(kw_share_encode(&s, &text), KW_OK);
	memcpy(t, text->data, text->len);
	t[KW_SHARE_TEXT_LEN] = 0;
	text_to_bin(t, bin);
	int flips = 0;
	for (size_t i = 0; i < KW_SHARE_BIN_LEN; i++)
		for (int bit = 0; bit < 8; bit++) {
			bin[i] ^= (uint8_t)(1u << bit);
			bin_to_text(bin, t);
			assert_int_equal(
				kw_share_decode(t, KW_SHARE_TEXT_LEN, &d),
				KW_E_INTEGRITY);
			bin[i] ^= (uint8_t)(1u << bit);
			flips++;
		}
	assert_int_equal(flips, KW_SHARE_BIN_LEN * 8);
	/* and unflipped it decodes again */
	bin_to_text(bin, t);
	assert_int_equal(kw_share_decode(t, KW_SHARE_TEXT_LEN, &d), KW_OK);
	kw_secret_free(text);
}

static void test_share_every_text_bit_flip(void **state)
{
	(void)state;
	kw_share s = sample_share(), d;
	kw_secret *text = NULL;
	char t[KW_SHARE_TEXT_LEN];
	assert_int_equal(kw_share_encode(&s, &text), KW_OK);
	memcpy(t, text->data, sizeof(t));
	for (size_t i = 0; i < sizeof(t); i++)
		for (int bit = 0; bit < 8; bit++) {
			t[i] ^= (char)(1u << bit);
			assert_int_equal(kw_share_decode(t, sizeof(t), &d),
					 KW_E_INTEGRITY);
			t[i] ^= (char)(1u << bit);
		}
	/* A transposition of two different characters is caught too. */
	for (size_t i = 9; i + 1 < sizeof(t); i++) {
		if (t[i] == t[i + 1])
			continue;
		char c = t[i];
		t[i] = t[i + 1];
		t[i + 1] = c;
		assert_int_equal(kw_share_decode(t, sizeof(t), &d),
				 KW_E_INTEGRITY);
		t[i + 1] = t[i];
		t[i] = c;
	}
	kw_secret_free(text);
}

/* A share with a valid checksum over the given (odd) fields. */
static void forge(uint8_t version, uint8_t m, uint8_t x,
		  char text[KW_SHARE_TEXT_LEN + 1])
{
	uint8_t bin[KW_SHARE_BIN_LEN] = {0}, md[KW_DIGEST_MAX];
	size_t md_len = 0;
	bin[0] = version;
	bin[9] = m;
	bin[10] = x;
	memset(bin + 11, 0x5a, 32);
	assert_int_equal(kw_digest(KW_HASH_SHA256, bin, 43, md, &md_len),
			 KW_OK);
	memcpy(bin + 43, md, 8);
	bin_to_text(bin, text);
}

static void test_share_malformed(void **state)
{
	(void)state;
	kw_share s = sample_share(), d;
	kw_secret *text = NULL;
	char t[KW_SHARE_TEXT_LEN + 2];
	assert_int_equal(kw_share_encode(&s, &text), KW_OK);
	memcpy(t, text->data, KW_SHARE_TEXT_LEN);
	t[KW_SHARE_TEXT_LEN] = '\n';
	t[KW_SHARE_TEXT_LEN + 1] = 0;

	memset(&d, 0x33, sizeof(d));
	kw_share before = d;
	assert_int_equal(kw_share_decode(NULL, 77, &d), KW_E_INVALID);
	assert_int_equal(kw_share_decode(t, 77, NULL), KW_E_INVALID);
	assert_int_equal(kw_share_decode(t, 0, &d), KW_E_INVALID);
	assert_int_equal(kw_share_decode(t, 76, &d), KW_E_INVALID);
	assert_int_equal(kw_share_decode(t, 78, &d), KW_E_INVALID);
	assert_int_equal(kw_share_decode("kwshare1-", 9, &d), KW_E_INVALID);
	assert_int_equal(kw_share_decode("hello", 5, &d), KW_E_INVALID);
	/* Two wrong prefix characters: not a share at all. */
	char u[KW_SHARE_TEXT_LEN + 1];
	memcpy(u, t, KW_SHARE_TEXT_LEN);
	memcpy(u, "xx", 2);
	assert_int_equal(kw_share_decode(u, 77, &d), KW_E_INVALID);
	/* A future version prefix of the same length. */
	memcpy(u, "kwshare2_", 9);
	assert_int_equal(kw_share_decode(u, 77, &d), KW_E_INVALID);
	/* Intact checksum but impossible fields. */
	forge(2, 3, 1, u);
	assert_int_equal(kw_share_decode(u, 77, &d), KW_E_INVALID);
	forge(1, 0, 1, u);
	assert_int_equal(kw_share_decode(u, 77, &d), KW_E_INVALID);
	forge(1, 3, 0, u);
	assert_int_equal(kw_share_decode(u, 77, &d), KW_E_INVALID);
	forge(1, 3, 1, u);
	assert_int_equal(kw_share_decode(u, 77, &d), KW_OK);
	assert_int_equal(d.point.y[0], 0x5a);
	memset(&d, 0x33, sizeof(d));
	/* A padded standard-base64 alphabet character is corruption. */
	memcpy(u, t, KW_SHARE_TEXT_LEN);
	u[20] = '+';
	assert_int_equal(kw_share_decode(u, 77, &d), KW_E_INTEGRITY);
	assert_memory_equal(&d, &before, sizeof(d));
	kw_secret_free(text);
}

static void test_share_encode_bad_arguments(void **state)
{
	(void)state;
	kw_share s = sample_share();
	kw_secret *text = NULL;
	assert_int_equal(kw_share_encode(NULL, &text), KW_E_INVALID);
	assert_int_equal(kw_share_encode(&s, NULL), KW_E_INVALID);
	s.threshold = 0;
	assert_int_equal(kw_share_encode(&s, &text), KW_E_INVALID);
	s.threshold = 1;
	s.point.x = 0;
	assert_int_equal(kw_share_encode(&s, &text), KW_E_INVALID);
	assert_null(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gf_known_products),
		cmocka_unit_test(test_gf_field_laws),
		cmocka_unit_test(test_every_subset_of_3_of_5),
		cmocka_unit_test(test_fewer_than_m_shares),
		cmocka_unit_test(test_splits_are_random),
		cmocka_unit_test(test_1_of_1),
		cmocka_unit_test(test_255_of_255),
		cmocka_unit_test(test_split_bad_arguments),
		cmocka_unit_test(test_combine_bad_arguments),
		cmocka_unit_test(test_share_text_round_trip),
		cmocka_unit_test(test_share_every_binary_bit_flip),
		cmocka_unit_test(test_share_every_text_bit_flip),
		cmocka_unit_test(test_share_malformed),
		cmocka_unit_test(test_share_encode_bad_arguments),
	};
	return cmocka_run_group_tests_name("shamir", tests, NULL, NULL);
}
