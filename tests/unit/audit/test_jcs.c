/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/jcs.h"

/* Parses text (must succeed), encodes it and compares with want. */
static void assert_canonical(const char *text, const char *want)
{
	json_t *v = NULL;
	char *got = NULL;
	size_t len = 0;

	assert_int_equal(kw_jcs_parse(text, strlen(text), &v), KW_OK);
	assert_int_equal(kw_jcs_encode(v, NULL, &got, &len), KW_OK);
	assert_int_equal(len, strlen(want));
	assert_string_equal(got, want);
	free(got);
	json_decref(v);
}

/* RFC 8785 §3.2.3: names sorted as UTF-16 code units, so the emoji
 * (surrogates 0xD83D 0xDE00) sorts before U+FB33, which byte order or code
 * point order would put first. */
static void test_rfc8785_sorting(void **state)
{
	(void)state;
	assert_canonical(
		"{\n  \"\\u20ac\": \"Euro Sign\",\n"
		"  \"\\r\": \"Carriage Return\",\n"
		"  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n"
		"  \"1\": \"One\",\n"
		"  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\",\n"
		"  \"\\u0080\": \"Control\",\n"
		"  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"\n}",
		"{\"\\r\":\"Carriage Return\",\"1\":\"One\","
		"\"\xc2\x80\":\"Control\","
		"\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
		"\"\xe2\x82\xac\":\"Euro Sign\","
		"\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
		"\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

/* RFC 8785 §3.2.4's example without its (unsupported) real numbers. */
static void test_rfc8785_strings_and_literals(void **state)
{
	(void)state;
	assert_canonical("{\n  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042"
			 "\\u0022\\u005c\\\\\\\"\\/\",\n"
			 "  \"literals\": [null, true, false]\n}",
			 "{\"literals\":[null,true,false],"
			 "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\"
			 "\\\"/\"}");
}

/* Every control character: the five short escapes, lowercase \u00xx for
 * the rest; U+007F and '/' stay as they are. */
static void test_control_characters(void **state)
{
	char raw[40];
	char *got = NULL;
	json_t *v;
	size_t n = 0;

	(void)state;
	for (int c = 1; c < 0x20; c++)
		raw[n++] = (char)c;
	raw[n++] = 0x7f;
	raw[n++] = '/';
	v = json_stringn(raw, n);
	assert_non_null(v);
	assert_int_equal(kw_jcs_encode(v, NULL, &got, NULL), KW_OK);
	assert_string_equal(
		got, "\"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
		     "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012"
		     "\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a"
		     "\\u001b\\u001c\\u001d\\u001e\\u001f\x7f/\"");
	free(got);
	json_decref(v);
}

static void test_integers_and_nesting(void **state)
{
	(void)state;
	assert_canonical(
		"{\"b\":[1,-2,0,{\"z\":{},\"y\":[]}],\"a\":9007199254740991,"
		"\"c\":-9007199254740991}",
		"{\"a\":9007199254740991,\"b\":[1,-2,0,{\"y\":[],"
		"\"z\":{}}],\"c\":-9007199254740991}");
	/* A prefix sorts first. */
	assert_canonical("{\"ab\":1,\"a\":2,\"\":3}",
			 "{\"\":3,\"a\":2,\"ab\":1}");
}

static void test_omit_top_level_only(void **state)
{
	json_t *v = NULL;
	char *got = NULL;
	const char *text = "{\"hash\":\"x\",\"k\":{\"hash\":1},\"a\":true}";

	(void)state;
	assert_int_equal(kw_jcs_parse(text, strlen(text), &v), KW_OK);
	assert_int_equal(kw_jcs_encode(v, "hash", &got, NULL), KW_OK);
	assert_string_equal(got, "{\"a\":true,\"k\":{\"hash\":1}}");
	free(got);
	json_decref(v);
}

static void test_refused(void **state)
{
	char *got = NULL;
	json_t *v;
	json_t *deep;

	(void)state;
	/* Reals and integers beyond 2^53 - 1. */
	v = json_pack("{s:f}", "r", 1.5);
	assert_int_equal(kw_jcs_encode(v, NULL, &got, NULL), KW_E_UNSUPPORTED);
	json_decref(v);
	v = json_integer(9007199254740992LL);
	assert_int_equal(kw_jcs_encode(v, NULL, &got, NULL), KW_E_UNSUPPORTED);
	json_decref(v);
	/* Bad UTF-8 (overlong '/', a lone surrogate) and U+0000, which
	 * jansson lets through when told not to check. */
	v = json_stringn_nocheck("\xc0\xaf", 2);
	assert_int_equal(kw_jcs_encode(v, NULL, &got, NULL), KW_E_INVALID);
	json_decref(v);
	v = json_stringn_nocheck("\xed\xa0\x80", 3);
	assert_int_equal(kw_jcs_encode(v, NULL, &got, NULL), KW_E_INVALID);
	json_decref(v);
	v = json_stringn_nocheck("a\0b", 3);
	assert_int_equal(kw_jcs_encode(v, NULL, &got, NULL), KW_E_INVALID);
	json_decref(v);
	v = json_object();
	json_object_set_new_nocheck(v, "\xff", json_true());
	assert_int_equal(kw_jcs_encode(v, NULL, &got, NULL), KW_E_INVALID);
	json_decref(v);
	/* Too deep. */
	deep = json_array();
	for (int i = 0; i < KW_JCS_DEPTH_MAX + 1; i++) {
		json_t *outer = json_array();
		json_array_append_new(outer, deep);
		deep = outer;
	}
	assert_int_equal(kw_jcs_encode(deep, NULL, &got, NULL), KW_E_INVALID);
	json_decref(deep);
	assert_null(got); /* never written on failure */
	assert_int_equal(kw_jcs_encode(NULL, NULL, &got, NULL), KW_E_INVALID);
}

static void test_parse_strict(void **state)
{
	json_t *v = NULL;

	(void)state;
	assert_int_equal(kw_jcs_parse("{\"a\":1,\"a\":2}", 13, &v),
			 KW_E_INVALID);
	assert_int_equal(kw_jcs_parse("\"\\u0000\"", 8, &v), KW_E_INVALID);
	assert_int_equal(kw_jcs_parse("{} {}", 5, &v), KW_E_INVALID);
	assert_int_equal(kw_jcs_parse("{\"a\":\"\\ud800\"}", 14, &v),
			 KW_E_INVALID);
	assert_null(v);
	assert_int_equal(kw_jcs_parse("[]", 2, &v), KW_OK);
	assert_true(json_is_array(v));
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8785_sorting),
		cmocka_unit_test(test_rfc8785_strings_and_literals),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_integers_and_nesting),
		cmocka_unit_test(test_omit_top_level_only),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_parse_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
