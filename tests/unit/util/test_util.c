/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keywarden/algs.h"
#include "keywarden/rc.h"
#include "util/codec.h"
#include "util/tlv.h"

static void test_rc_names(void **state)
{
	(void)state;
	assert_string_equal(kw_rc_str(KW_OK), "ok");
	assert_string_equal(kw_rc_str(KW_E_SEALED), "sealed");
	assert_string_equal(kw_rc_str(KW_E_AUDIT), "audit_unavailable");
	assert_string_equal(kw_rc_str((kw_rc)9999), "unknown");
	for (int i = 0; i < KW_RC_COUNT_; i++)
		assert_string_not_equal(kw_rc_str((kw_rc)i), "unknown");
}

static void test_alg_names(void **state)
{
	(void)state;
	for (int t = 1; t < KW_KEY_TYPE_COUNT_; t++) {
		kw_key_type back = KW_KEY_NONE;
		assert_int_equal(
			kw_key_type_parse(kw_key_type_name((kw_key_type)t),
					  &back),
			KW_OK);
		assert_int_equal(back, t);
		assert_true(kw_key_type_bits(back) > 0);
	}
	kw_key_type out = KW_KEY_AES_128;
	assert_int_equal(kw_key_type_parse("rsa-1024", &out), KW_E_UNSUPPORTED);
	assert_int_equal(out, KW_KEY_AES_128); /* untouched on failure */
	assert_int_equal(kw_key_type_parse(NULL, &out), KW_E_INVALID);
	kw_hash h;
	assert_int_equal(kw_hash_parse("sha384", &h), KW_OK);
	assert_int_equal(kw_hash_size(h), 48);
	assert_int_equal(kw_hash_parse("md5", &h), KW_E_UNSUPPORTED);
}

/* RFC 4648 §10 test vectors. */
static void test_base64_rfc4648(void **state)
{
	(void)state;
	static const char *const plain[] = {"",	    "f",     "fo",    "foo",
					    "foob", "fooba", "foobar"};
	static const char *const std[] = {
		"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	static const char *const url[] = {
		"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	for (size_t i = 0; i < 7; i++) {
		char enc[16];
		uint8_t dec[16];
		size_t n = 0;
		kw_base64_encode((const uint8_t *)plain[i], strlen(plain[i]),
				 false, enc);
		assert_string_equal(enc, std[i]);
		kw_base64_encode((const uint8_t *)plain[i], strlen(plain[i]),
				 true, enc);
		assert_string_equal(enc, url[i]);
		assert_int_equal(kw_base64_decode(std[i], strlen(std[i]), false,
						  dec, &n),
				 KW_OK);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(dec, plain[i], n);
		assert_int_equal(
			kw_base64_decode(url[i], strlen(url[i]), true, dec, &n),
			KW_OK);
		assert_int_equal(n, strlen(plain[i]));
	}
}

static void test_base64_rejects(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"Zg=",	 "Zg",	 "Z===", "Zh==", "Zm9v\n",
		"Zm 9v", "Zm9*", "=Zm9", "Zm=v"};
	uint8_t dec[16];
	size_t n = 77;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(kw_base64_decode(bad[i], strlen(bad[i]), false,
						  dec, &n),
				 KW_E_INVALID);
		assert_int_equal(n, 77);
	}
	assert_int_equal(kw_base64_decode("Zh", 2, true, dec, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_base64_decode("Z", 1, true, dec, &n), KW_E_INVALID);
	assert_int_equal(kw_base64_decode("Zg==", 4, true, dec, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_base64_decode(NULL, 4, false, dec, &n),
			 KW_E_INVALID);
}

static void test_hex(void **state)
{
	(void)state;
	uint8_t b[3] = {0x00, 0xab, 0xff};
	char s[7];
	kw_hex_encode(b, 3, s);
	assert_string_equal(s, "00abff");
	uint8_t back[3];
	assert_int_equal(kw_hex_decode("00ABff", 6, back), KW_OK);
	assert_memory_equal(back, b, 3);
	assert_int_equal(kw_hex_decode("0", 1, back), KW_E_INVALID);
	assert_int_equal(kw_hex_decode("0g", 2, back), KW_E_INVALID);
}

static void test_tlv_roundtrip(void **state)
{
	(void)state;
	kw_tlv_writer w;
	kw_tlv_writer_init(&w);
	kw_tlv_put_u64(&w, 1, 0x0102030405060708ull);
	kw_tlv_put_str(&w, 2, "hello");
	kw_tlv_put_bytes(&w, 3, NULL, 0);
	kw_tlv_put_i64(&w, 4, -5);
	kw_secret *enc = NULL;
	assert_int_equal(kw_tlv_writer_finish(&w, &enc), KW_OK);

	kw_tlv_reader r;
	kw_tlv_item it;
	uint64_t u = 0;
	int64_t i64 = 0;
	char str[8];
	kw_tlv_reader_init(&r, enc->data, enc->len);
	assert_int_equal(kw_tlv_next(&r, &it), KW_OK);
	assert_int_equal(it.tag, 1);
	assert_int_equal(kw_tlv_item_u64(&it, &u), KW_OK);
	assert_true(u == 0x0102030405060708ull);
	assert_int_equal(kw_tlv_next(&r, &it), KW_OK);
	assert_int_equal(kw_tlv_item_str(&it, str, sizeof(str) - 1), KW_OK);
	assert_string_equal(str, "hello");
	assert_int_equal(kw_tlv_item_str(&it, str, 4), KW_E_INTEGRITY);
	assert_int_equal(kw_tlv_next(&r, &it), KW_OK);
	assert_int_equal(it.len, 0);
	assert_int_equal(kw_tlv_next(&r, &it), KW_OK);
	assert_int_equal(kw_tlv_item_i64(&it, &i64), KW_OK);
	assert_true(i64 == -5);
	assert_int_equal(
		kw_tlv_item_u64(&(kw_tlv_item){.len = 7, .val = enc->data}, &u),
		KW_E_INTEGRITY);
	assert_int_equal(kw_tlv_next(&r, &it), KW_E_NOT_FOUND);

	/* Every truncation is reported, never read past. */
	for (size_t cut = 1; cut < enc->len; cut++) {
		kw_rc rc = KW_OK;
		kw_tlv_reader_init(&r, enc->data, cut);
		while ((rc = kw_tlv_next(&r, &it)) == KW_OK)
			;
		if (cut == 14 || cut == 25 || cut == 31)
			assert_int_equal(rc,
					 KW_E_NOT_FOUND); /* item boundaries */
		else
			assert_int_equal(rc, KW_E_INTEGRITY);
	}
	kw_secret_free(enc);

	/* A string with an embedded NUL is refused. */
	kw_tlv_writer_init(&w);
	kw_tlv_put_bytes(&w, 9, "a\0b", 3);
	assert_int_equal(kw_tlv_writer_finish(&w, &enc), KW_OK);
	kw_tlv_reader_init(&r, enc->data, enc->len);
	assert_int_equal(kw_tlv_next(&r, &it), KW_OK);
	assert_int_equal(kw_tlv_item_str(&it, str, sizeof(str) - 1),
			 KW_E_INTEGRITY);
	kw_secret_free(enc);

	/* Errors stick: a NULL string poisons the writer. */
	kw_tlv_writer_init(&w);
	kw_tlv_put_str(&w, 1, NULL);
	kw_tlv_put_u64(&w, 2, 1);
	enc = NULL;
	assert_int_equal(kw_tlv_writer_finish(&w, &enc), KW_E_INVALID);
	assert_null(enc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rc_names),
		cmocka_unit_test(test_alg_names),
		cmocka_unit_test(test_base64_rfc4648),
		cmocka_unit_test(test_base64_rejects),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_tlv_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
