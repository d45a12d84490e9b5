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

/* Joins the parts of kw_jcs_encode_parts(obj) with the members named by
 * cuts taken from full, and compares with kw_jcs_encode(full). */
static void assert_parts(const char *full_text, const char *const *cuts,
			 size_t n)
{
	json_t *full = NULL;
	json_t *obj = NULL;
	char *want = NULL;
	char *parts = NULL;
	size_t ends[8];
	char got[1024] = "{";
	size_t start = 0;

	assert_true(n < 8);
	assert_int_equal(kw_jcs_parse(full_text, strlen(full_text), &full),
			 KW_OK);
	assert_int_equal(kw_jcs_encode(full, NULL, &want, NULL), KW_OK);
	obj = json_deep_copy(full);
	for (size_t k = 0; k < n; k++)
		json_object_del(obj, cuts[k]);
	assert_int_equal(kw_jcs_encode_parts(obj, cuts, n, &parts, ends),
			 KW_OK);
	for (size_t k = 0; k <= n; k++) {
		assert_true(ends[k] >= start);
		if (ends[k] > start) {
			if (strlen(got) > 1)
				strcat(got, ",");
			strncat(got, parts + start, ends[k] - start);
		}
		start = ends[k];
		if (k < n && json_object_get(full, cuts[k]) != NULL) {
			char *v = NULL;

			assert_int_equal(
				kw_jcs_encode(json_object_get(full, cuts[k]),
					      NULL, &v, NULL),
				KW_OK);
			if (strlen(got) > 1)
				strcat(got, ",");
			strcat(got, "\"");
			strcat(got, cuts[k]);
			strcat(got, "\":");
			strcat(got, v);
			free(v);
		}
	}
	assert_int_equal(start, strlen(parts));
	strcat(got, "}");
	assert_string_equal(got, want);
	free(parts);
	free(want);
	json_decref(obj);
	json_decref(full);
}

/* The writer's way of completing an entry gives its canonical form, for
 * cuts at the start, the end, between every member, and none at all. */
static void test_parts_join_to_canonical(void **state)
{
	static const char *const chain[] = {"hash", "prev", "seq", "time"};
	static const char *const edge[] = {"a", "zz"};
	const char *entry =
		"{\"seq\":7,\"time\":\"2026-11-26T15:00:00.000Z\","
		"\"node\":\"n\\u00e9\",\"principal\":\"al\\nice\","
		"\"partition\":\"p\",\"op\":\"key.sign\","
		"\"key\":{\"name\":\"k\",\"version\":2},"
		"\"result\":\"ok\",\"reason\":\"\",\"request_id\":\"r\","
		"\"source\":\"unix\",\"prev\":\"00\",\"hash\":\"ff\","
		"\"detail\":{\"z\":[1,{\"b\":null,\"a\":true}],"
		"\"\\ud83d\\ude00\":\"x\"}}";
	char *parts = NULL;
	size_t ends[3];
	json_t *o = json_pack("{s:s}", "seq", "x");
	static const char *const unsorted[] = {"time", "hash"};
	static const char *const member[] = {"seq"};

	(void)state;
	assert_parts(entry, chain, 4);
	assert_parts(entry, edge, 2);
	assert_parts(entry, NULL, 0);
	assert_parts("{}", chain, 4);
	assert_parts("{\"hash\":1,\"time\":2}", chain, 4);
	assert_parts("{\"a\":1,\"zz\":2,\"m\":3}", edge, 2);
	/* refused: unsorted cuts, a cut that is a member, not an object */
	assert_int_equal(kw_jcs_encode_parts(o, unsorted, 2, &parts, ends),
			 KW_E_INVALID);
	assert_int_equal(kw_jcs_encode_parts(o, member, 1, &parts, ends),
			 KW_E_INVALID);
	assert_int_equal(kw_jcs_encode_parts(json_object_get(o, "seq"), member,
					     1, &parts, ends),
			 KW_E_INVALID);
	assert_int_equal(kw_jcs_encode_parts(o, NULL, 1, &parts, ends),
			 KW_E_INVALID);
	json_decref(o);
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
		cmocka_unit_test(test_parts_join_to_canonical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
