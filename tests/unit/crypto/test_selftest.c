/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the known-answer self-test passes, and a wrong answer in any
 * vector is detected and named in the log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "crypto/internal.h"
#include "keywarden/log.h"

/* The expected failures of these tests are logged to a file in the test
 * directory, not to the test output. */
static int log_to_file(void **state)
{
	(void)state;
	char path[256];
	snprintf(path, sizeof(path), "%s/selftest.log", t_tmpdir());
	return kw_log_open(path);
}

static int teardown(void **state)
{
	kw_log_open(NULL);
	return t_keys_free(state);
}

static void test_selftest_passes(void **state)
{
	(void)state;
	assert_int_equal(kw_crypto_selftest(), KW_OK);
	/* Every kind of test is in the table. */
	unsigned seen = 0;
	for (size_t i = 0; i < kw_kat_count; i++)
		seen |= 1u << kw_kat_table[i].kind;
	for (int kind = KW_KAT_DIGEST; kind <= KW_KAT_OAEP_DEC; kind++)
		assert_true(seen & (1u << kind));
}

/* hex with the nibble at position n / div changed (malloc). */
static char *corrupt_at(const char *hex, size_t div)
{
	size_t n = strlen(hex);
	char *c = strdup(hex);
	assert_non_null(c);
	assert_true(n > 0);
	c[n / div] = c[n / div] == '0' ? '1' : '0';
	return c;
}

static char *corrupt(const char *hex)
{
	return corrupt_at(hex, 2);
}

/* Changing the expected answer of any one vector fails the self-test. */
static void test_selftest_detects_wrong_answer(void **state)
{
	(void)state;
	for (size_t i = 0; i < kw_kat_count; i++) {
		kw_kat t = kw_kat_table[i];
		char *bad = corrupt(t.expect);
		t.expect = bad;
		assert_int_equal(kw_crypto_selftest_table(&t, 1), KW_E_CRYPTO);
		/* The unchanged vector passes on its own. */
		assert_int_equal(kw_crypto_selftest_table(&kw_kat_table[i], 1),
				 KW_OK);
		free(bad);
	}
}

/* Changing the input (message, ciphertext, key) fails it too. */
static void test_selftest_detects_wrong_input(void **state)
{
	(void)state;
	for (size_t i = 0; i < kw_kat_count; i++) {
		kw_kat t = kw_kat_table[i];
		char *bad = NULL;
		if (t.msg != NULL && t.msg[0] != '\0') {
			bad = corrupt(t.msg);
			t.msg = bad;
		} else {
			/* Early in the key: in an RSA PKCS#8 that is the
			 * modulus. (A changed CRT parameter would not show:
			 * OpenSSL checks each CRT result and falls back to
			 * the plain exponent, which is its fault-attack
			 * defence.) */
			bad = corrupt_at(t.key, 8);
			t.key = bad;
		}
		assert_int_equal(kw_crypto_selftest_table(&t, 1), KW_E_CRYPTO);
		free(bad);
	}
}

/* The failing test is named in the log, and the run stops there. */
static void test_selftest_logs_failure(void **state)
{
	(void)state;
	kw_kat *copy = malloc(kw_kat_count * sizeof(*copy));
	assert_non_null(copy);
	memcpy(copy, kw_kat_table, kw_kat_count * sizeof(*copy));
	size_t victim = kw_kat_count / 2;
	char *bad = corrupt(copy[victim].expect);
	copy[victim].expect = bad;
	char path[256];
	snprintf(path, sizeof(path), "%s/failure.log", t_tmpdir());
	assert_int_equal(kw_log_open(path), 0);
	assert_int_equal(kw_crypto_selftest_table(copy, kw_kat_count),
			 KW_E_CRYPTO);
	assert_int_equal(log_to_file(NULL), 0);
	size_t n = 0;
	char *log = (char *)t_read_file(path, &n);
	log[n] = '\0';
	char want[128];
	snprintf(want, sizeof(want), "crypto self-test %s failed",
		 copy[victim].name);
	assert_non_null(strstr(log, want));
	/* Only the one failure: the run stopped at the first. */
	assert_null(strstr(strstr(log, want) + strlen(want), "failed"));
	free(log);
	free(bad);
	free(copy);
}

static void test_selftest_bad_table(void **state)
{
	(void)state;
	kw_kat t = kw_kat_table[0];
	assert_int_equal(kw_crypto_selftest_table(NULL, 1), KW_E_INVALID);
	assert_int_equal(kw_crypto_selftest_table(&t, 0), KW_E_INVALID);
	/* An unknown kind, and malformed hex, never pass. */
	t.kind = (kw_kat_kind)99;
	assert_int_equal(kw_crypto_selftest_table(&t, 1), KW_E_CRYPTO);
	t = kw_kat_table[0];
	t.expect = "zz";
	assert_int_equal(kw_crypto_selftest_table(&t, 1), KW_E_CRYPTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selftest_passes),
		cmocka_unit_test(test_selftest_detects_wrong_answer),
		cmocka_unit_test(test_selftest_detects_wrong_input),
		cmocka_unit_test(test_selftest_logs_failure),
		cmocka_unit_test(test_selftest_bad_table),
	};
	return cmocka_run_group_tests(tests, log_to_file, teardown);
}
