/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "keywarden/secret.h"

/* scrypt password hashes (src/lib/crypto/password.c). Low cost (N = 2^4)
 * keeps the suite fast; the format and checks do not depend on it. */

static const kw_password_params low = {4, 8, 1};

static kw_secret *pw(const char *s)
{
	kw_secret *sec = NULL;
	assert_int_equal(kw_secret_from(s, strlen(s), &sec), KW_OK);
	return sec;
}

static void test_hash_verify(void **state)
{
	(void)state;
	kw_secret *good = pw("correct horse battery");
	kw_secret *bad = pw("correct horse battery!");
	char *h1 = NULL, *h2 = NULL;
	assert_int_equal(kw_password_hash(&low, good, &h1), KW_OK);
	assert_int_equal(kw_password_hash(&low, good, &h2), KW_OK);
	/* "$scrypt$ln=4,r=8,p=1$" + 22 + "$" + 43 */
	assert_int_equal(strncmp(h1, "$scrypt$ln=4,r=8,p=1$", 21), 0);
	assert_int_equal(strlen(h1), 21 + 22 + 1 + 43);
	assert_true(strlen(h1) <= KW_PASSWORD_HASH_MAX);
	/* Fresh salt each time. */
	assert_string_not_equal(h1, h2);
	assert_null(strstr(h1, "horse"));
	assert_int_equal(kw_password_verify(h1, good), KW_OK);
	assert_int_equal(kw_password_verify(h2, good), KW_OK);
	assert_int_equal(kw_password_verify(h1, bad), KW_E_VERIFY);
	kw_password_params got = {0};
	assert_int_equal(kw_password_params_get(h1, &got), KW_OK);
	assert_int_equal(got.log2_n, 4);
	assert_int_equal(got.r, 8);
	assert_int_equal(got.p, 1);
	free(h1);
	free(h2);
	kw_secret_free(good);
	kw_secret_free(bad);
}

/* Known answers. The RFC 7914 vectors use 4-byte salts, which this format
 * does not take, so these were computed with Python's hashlib.scrypt (which
 * reproduces RFC 7914 §12: "password"/"NaCl"/1024/8/16 -> fdbabe1c...):
 *   hashlib.scrypt(P, salt=bytes(range(16)), n=N, r=r, p=p, dklen=32)
 * They pin the mapping of ln/r/p and the salt and hash fields. */
static void test_known_answers(void **state)
{
	(void)state;
	kw_secret *p1 = pw("password");
	kw_secret *p2 = pw("pleaseletmein");
	const char *enc1 = "$scrypt$ln=4,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
			   "SifLA7K0t5yM6JUFWSfwEu2b21TUGoi7m1p3x7fgMoI";
	const char *enc2 = "$scrypt$ln=10,r=8,p=2$AAECAwQFBgcICQoLDA0ODw$"
			   "aZc1Owg6UWvFi14jrlfEt3C8Ah1L0bZsLjorbNCKHOM";
	assert_int_equal(kw_password_verify(enc1, p1), KW_OK);
	assert_int_equal(kw_password_verify(enc2, p2), KW_OK);
	assert_int_equal(kw_password_verify(enc1, p2), KW_E_VERIFY);
	assert_int_equal(kw_password_verify(enc2, p1), KW_E_VERIFY);
	kw_secret_free(p1);
	kw_secret_free(p2);
}

static void test_malformed_encodings(void **state)
{
	(void)state;
	kw_secret *p = pw("password");
	char *h = NULL;
	assert_int_equal(kw_password_hash(&low, p, &h), KW_OK);
	const char *salt = h + 21;
	char buf[256];
	static const char *const bad_params[] = {
		"$scrypt$ln=04,r=8,p=1$",  "$scrypt$ln=4,r=08,p=1$",
		"$scrypt$ln=0,r=8,p=1$",   "$scrypt$ln=21,r=8,p=1$",
		"$scrypt$ln=4,r=0,p=1$",   "$scrypt$ln=4,r=8,p=0$",
		"$scrypt$ln=4,r=33,p=1$",  "$scrypt$ln=4,r=8,p=17$",
		"$scrypt$ln=+4,r=8,p=1$",  "$scrypt$ln=4,p=1,r=8$",
		"$scrypt$ln=4,r=8$",	   "$scrypt$ln=99999,r=8,p=1$",
		"$scrypt$ln=4 ,r=8,p=1$",  "$SCRYPT$ln=4,r=8,p=1$",
		"$argon2id$ln=4,r=8,p=1$", "$scrypt$ln=20,r=32,p=16$",
	};
	for (size_t i = 0; i < sizeof(bad_params) / sizeof(bad_params[0]);
	     i++) {
		snprintf(buf, sizeof(buf), "%s%s", bad_params[i], salt);
		if (kw_password_verify(buf, p) != KW_E_INVALID)
			fail_msg("accepted %s", buf);
	}
	/* Salt / hash fields: truncated, padded, wrong alphabet, extra. */
	char *cut = strdup(h);
	cut[strlen(cut) - 1] = '\0';
	assert_int_equal(kw_password_verify(cut, p), KW_E_INVALID);
	snprintf(buf, sizeof(buf), "%s=", h);
	assert_int_equal(kw_password_verify(buf, p), KW_E_INVALID);
	snprintf(buf, sizeof(buf), "%s$", h);
	assert_int_equal(kw_password_verify(buf, p), KW_E_INVALID);
	snprintf(buf, sizeof(buf), "%s", h);
	buf[25] = '+'; /* standard alphabet, not base64url */
	assert_int_equal(kw_password_verify(buf, p), KW_E_INVALID);
	snprintf(buf, sizeof(buf), "%s", h);
	buf[21 + 22] = ':'; /* the separator */
	assert_int_equal(kw_password_verify(buf, p), KW_E_INVALID);
	assert_int_equal(kw_password_verify("", p), KW_E_INVALID);
	assert_int_equal(kw_password_verify(NULL, p), KW_E_INVALID);
	assert_int_equal(kw_password_verify(h, NULL), KW_E_INVALID);
	/* A changed byte of the hash: a well-formed mismatch. */
	snprintf(buf, sizeof(buf), "%s", h);
	buf[strlen(buf) - 5] = buf[strlen(buf) - 5] == 'A' ? 'B' : 'A';
	assert_int_equal(kw_password_verify(buf, p), KW_E_VERIFY);
	/* Over-long input. */
	char *huge = malloc(10000);
	memset(huge, 'a', 9999);
	huge[9999] = '\0';
	assert_int_equal(kw_password_verify(huge, p), KW_E_INVALID);
	free(huge);
	free(cut);
	free(h);
	kw_secret_free(p);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	kw_secret *p = pw("password");
	char *h = (char *)"untouched";
	const kw_password_params bad[] = {
		{0, 8, 1},
		{21, 8, 1},
		{4, 0, 1},
		{4, 33, 1},
		{4, 8, 0},
		/* within each range, but 128 * 32 * 2^20 bytes > 1 GiB */
		{20, 32, 1},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kw_password_hash(&bad[i], p, &h),
				 KW_E_INVALID);
	assert_string_equal(h, "untouched");
	assert_int_equal(kw_password_hash(NULL, p, &h), KW_E_INVALID);
	assert_int_equal(kw_password_hash(&low, NULL, &h), KW_E_INVALID);
	assert_int_equal(kw_password_hash(&low, p, NULL), KW_E_INVALID);
	kw_password_params pp = {1, 2, 3};
	assert_int_equal(kw_password_params_get("$scrypt$", &pp), KW_E_INVALID);
	assert_int_equal(pp.log2_n, 1);
	assert_int_equal(kw_password_params_get(NULL, &pp), KW_E_INVALID);
	kw_secret_free(p);

	/* The empty password hashes and verifies like any other. */
	kw_secret *empty = NULL;
	assert_int_equal(kw_secret_new(0, &empty), KW_OK);
	assert_int_equal(kw_password_hash(&low, empty, &h), KW_OK);
	assert_int_equal(kw_password_verify(h, empty), KW_OK);
	free(h);
	kw_secret_free(empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_verify),
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_malformed_encodings),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
