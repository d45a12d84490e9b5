/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/http.h"
#include "kw_config.h"

/* Feeds text in pieces of step bytes (0: all at once), then EOF if eof. */
static kw_rc parse(kw_http_parser *p, const char *text, size_t step,
		   size_t max_body, bool eof)
{
	size_t len = strlen(text), off = 0;
	kw_http_parser_init(p, max_body, false);
	while (off < len && !kw_http_parser_done(p)) {
		size_t n = step == 0 || step > len - off ? len - off : step;
		size_t used = 0;
		kw_rc rc = kw_http_parser_feed(p, (const uint8_t *)text + off,
					       n, &used);
		if (rc != KW_OK)
			return rc;
		off += used;
	}
	return eof ? kw_http_parser_eof(p) : KW_OK;
}

/* The same response parses the same way whatever the read boundaries. */
static void test_split_anywhere(void **state)
{
	(void)state;
	static const char text[] =
		"HTTP/1.1 200 OK\r\nX-Request-Id: abc-1\r\nTransfer-Encoding: "
		"Chunked\r\n\r\n5;a=b\r\nhello\r\n1\r\n!\r\n0\r\nT: v\r\n\r\n";
	for (size_t step = 0; step <= 7; step++) {
		kw_http_parser p;
		assert_int_equal(parse(&p, text, step, 1024, false), KW_OK);
		assert_true(kw_http_parser_done(&p));
		assert_int_equal(p.status, 200);
		assert_false(p.close);
		assert_string_equal(p.request_id, "abc-1");
		assert_int_equal(p.body_len, 6);
		assert_memory_equal(p.body, "hello!", 6);
		assert_int_equal(p.total_in, strlen(text));
		kw_http_parser_release(&p);
	}
}

static void test_content_length_and_leftover(void **state)
{
	(void)state;
	static const char text[] = "HTTP/1.1 201 Created\r\ncontent-length: "
				   "2\r\nContent-Length: 2\r\n\r\n{}EXTRA";
	kw_http_parser p;
	size_t used = 0;
	kw_http_parser_init(&p, 100, false);
	assert_int_equal(kw_http_parser_feed(&p, (const uint8_t *)text,
					     strlen(text), &used),
			 KW_OK);
	assert_true(kw_http_parser_done(&p));
	assert_int_equal(used, strlen(text) - 5);
	assert_int_equal(p.status, 201);
	assert_memory_equal(p.body, "{}", 2);
	kw_http_parser_release(&p);
	assert_null(p.body);
}

static void test_no_body_statuses(void **state)
{
	(void)state;
	kw_http_parser p;
	assert_int_equal(parse(&p,
			       "HTTP/1.1 204 No Content\r\nContent-Length:"
			       " 5\r\n\r\n",
			       0, 100, false),
			 KW_OK);
	assert_true(kw_http_parser_done(&p));
	assert_int_equal(p.body_len, 0);
	kw_http_parser_release(&p);
	assert_int_equal(
		parse(&p, "HTTP/1.1 304 Not Modified\r\n\r\n", 0, 100, false),
		KW_OK);
	assert_true(kw_http_parser_done(&p));
	kw_http_parser_release(&p);
	kw_http_parser_init(&p, 100, true); /* HEAD */
	static const char head[] =
		"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n";
	assert_int_equal(kw_http_parser_feed(&p, (const uint8_t *)head,
					     strlen(head), NULL),
			 KW_OK);
	assert_true(kw_http_parser_done(&p));
	kw_http_parser_release(&p);
}

static void test_http10_and_close(void **state)
{
	(void)state;
	kw_http_parser p;
	assert_int_equal(parse(&p,
			       "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
			       0, 100, false),
			 KW_OK);
	assert_true(p.close);
	kw_http_parser_release(&p);
	assert_int_equal(parse(&p,
			       "HTTP/1.0 200 OK\r\nConnection: Keep-Alive"
			       "\r\nContent-Length: 0\r\n\r\n",
			       0, 100, false),
			 KW_OK);
	assert_false(p.close);
	kw_http_parser_release(&p);
	assert_int_equal(parse(&p,
			       "HTTP/1.1 200\r\nConnection: foo, close\r\n"
			       "Content-Length: 0\r\n\r\n",
			       0, 100, false),
			 KW_OK);
	assert_true(p.close);
	kw_http_parser_release(&p);
	/* until close: not done before EOF, done after */
	assert_int_equal(parse(&p, "HTTP/1.1 200 OK\r\n\r\nabc", 0, 100, false),
			 KW_OK);
	assert_false(kw_http_parser_done(&p));
	assert_true(kw_http_parser_until_close(&p));
	assert_int_equal(kw_http_parser_eof(&p), KW_OK);
	assert_int_equal(p.body_len, 3);
	kw_http_parser_release(&p);
}

static void test_rejects(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		kw_rc rc;
	} cases[] = {
		{"HTTP/1.1 200 OK\r\nA: b\rC\r\n\r\n", KW_E_INVALID},
		{"HTTP/1.1 200 OK\r\nA: b\x01\r\n\r\n", KW_E_INVALID},
		{"HTTP/1.1 200 OK\r\n: b\r\n\r\n", KW_E_INVALID},
		{"HTTP/1.1 200 OK\r\nA : b\r\n\r\n", KW_E_INVALID},
		{"HTTP/1.1 099 Low\r\n\r\n", KW_E_INVALID},
		{"HTTP/1.1 600 High\r\n\r\n", KW_E_INVALID},
		{"HTTP/1.1 200OK\r\n\r\n", KW_E_INVALID},
		{"HTTP/1.1  200 OK\r\n\r\n", KW_E_INVALID},
		{"http/1.1 200 OK\r\n\r\n", KW_E_INVALID},
		{"HTTP/3.0 200 OK\r\n\r\n", KW_E_UNSUPPORTED},
		{"HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n",
		 KW_E_INVALID},
		{"HTTP/1.1 200 OK\r\nContent-Length: "
		 "99999999999999999999\r\n\r\n",
		 KW_E_INVALID},
		{"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", KW_E_INVALID},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, "
		 "chunked\r\n\r\n",
		 KW_E_INVALID},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n\r\n",
		 KW_E_INVALID},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		 KW_E_UNSUPPORTED},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "11111111111111111\r\n",
		 KW_E_LIMIT},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1 x\r\n",
		 KW_E_INVALID},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: "
		 "chunked\r\n\r\n1\r\nab\r\n",
		 KW_E_INVALID},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "0\r\nbad trailer\r\n\r\n",
		 KW_E_INVALID},
		{"HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", KW_E_LIMIT},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n",
		 KW_E_LIMIT},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t step = 0; step <= 1; step++) {
			kw_http_parser p;
			kw_rc rc = parse(&p, cases[i].text, step, 100, false);
			if (rc != cases[i].rc)
				fail_msg("case %zu step %zu: rc %d", i, step,
					 rc);
			assert_non_null(p.error);
			/* the parser stays failed */
			assert_int_equal(
				kw_http_parser_feed(&p, (const uint8_t *)"x", 1,
						    NULL),
				cases[i].rc);
			assert_int_equal(kw_http_parser_eof(&p), cases[i].rc);
			kw_http_parser_release(&p);
		}
	}
}

/* Bounds: line length, field count, header bytes, interim responses. */
static void test_limits(void **state)
{
	(void)state;
	kw_http_parser p;
	char *text = malloc(2 * KW_HTTP_MAX_HEADER_BYTES);
	strcpy(text, "HTTP/1.1 200 OK\r\nA: ");
	memset(text + strlen(text), 'x', KW_HTTP_MAX_LINE);
	strcpy(text + strlen("HTTP/1.1 200 OK\r\nA: ") + KW_HTTP_MAX_LINE,
	       "\r\n\r\n");
	assert_int_equal(parse(&p, text, 0, 100, false), KW_E_LIMIT);
	assert_string_equal(p.error, "header line too long");
	kw_http_parser_release(&p);

	strcpy(text, "HTTP/1.1 200 OK\r\n");
	for (unsigned i = 0; i <= KW_HTTP_MAX_HEADERS; i++)
		strcat(text, "A: b\r\n");
	strcat(text, "\r\n");
	assert_int_equal(parse(&p, text, 0, 100, false), KW_E_LIMIT);
	assert_string_equal(p.error, "too many header fields");
	kw_http_parser_release(&p);

	strcpy(text, "HTTP/1.1 200 OK\r\n");
	size_t off = strlen(text);
	for (unsigned i = 0; i < 20; i++) {
		memcpy(text + off, "A: ", 3);
		memset(text + off + 3, 'y', 4000);
		memcpy(text + off + 4003, "\r\n", 3);
		off += 4005;
	}
	assert_int_equal(parse(&p, text, 0, 100, false), KW_E_LIMIT);
	assert_string_equal(p.error, "response header too large");
	kw_http_parser_release(&p);

	text[0] = '\0';
	for (unsigned i = 0; i < KW_HTTP_MAX_INTERIM; i++)
		strcat(text, "HTTP/1.1 102 Processing\r\nA: b\r\n\r\n");
	strcat(text, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nZ");
	assert_int_equal(parse(&p, text, 3, 100, false), KW_OK);
	assert_true(kw_http_parser_done(&p));
	assert_int_equal(p.status, 200);
	assert_int_equal(p.body[0], 'Z');
	kw_http_parser_release(&p);
	/* one interim response more is too many */
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	char *more = malloc(strlen(cont) + strlen(text) + 1);
	strcpy(more, cont);
	strcat(more, text);
	strcpy(text, more);
	free(more);
	assert_int_equal(parse(&p, text, 0, 100, false), KW_E_LIMIT);
	assert_string_equal(p.error, "too many interim responses");
	kw_http_parser_release(&p);
	free(text);
}

static void test_eof(void **state)
{
	(void)state;
	kw_http_parser p;
	kw_http_parser_init(&p, 100, false);
	assert_int_equal(kw_http_parser_eof(&p), KW_E_INVALID);
	assert_string_equal(p.error, "connection closed before a response");
	kw_http_parser_release(&p);
	assert_int_equal(
		parse(&p, "HTTP/1.1 200 OK\r\nContent-Le", 0, 100, true),
		KW_E_INVALID);
	assert_string_equal(p.error, "truncated response");
	kw_http_parser_release(&p);
	assert_int_equal(parse(&p,
			       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
			       "\r\nab",
			       0, 100, true),
			 KW_E_INVALID);
	kw_http_parser_release(&p);
	assert_int_equal(
		parse(&p, "HTTP/1.1 200 OK\r\n\r\n0123456789", 0, 5, true),
		KW_E_LIMIT);
	assert_string_equal(p.error, "response body too large");
	kw_http_parser_release(&p);
}

static void test_request_build(void **state)
{
	(void)state;
	uint8_t *r = NULL;
	size_t n = 0;
	assert_int_equal(kw_http_request_build(
				 "POST", "/v1/keys?limit=1", "localhost",
				 "kwt_x", 5, (const uint8_t *)"{}", 2, &r, &n),
			 KW_OK);
	char *want = NULL;
	assert_true(asprintf(&want,
			     "POST /v1/keys?limit=1 HTTP/1.1\r\n"
			     "Host: localhost\r\n"
			     "User-Agent: keywarden-client/%s\r\n"
			     "Accept: application/json\r\n"
			     "Authorization: Bearer kwt_x\r\n"
			     "Content-Type: application/json\r\n"
			     "Content-Length: 2\r\n\r\n{}",
			     KW_VERSION) > 0);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(r, want, n);
	free(want);
	free(r);
	assert_int_equal(kw_http_request_build("GET", "/v1/a", "h:1", NULL, 0,
					       NULL, 0, &r, &n),
			 KW_OK);
	assert_null(memmem(r, n, "Content-Length", 14));
	assert_null(memmem(r, n, "Authorization", 13));
	free(r);
	r = NULL;
	assert_int_equal(kw_http_request_build("GET", "/a\r\nX: y", "h", NULL,
					       0, NULL, 0, &r, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_http_request_build("GET", "/a", "h", "t\n", 2, NULL,
					       0, &r, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_http_request_build("G(T", "/a", "h", NULL, 0, NULL,
					       0, &r, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_http_request_build("GET", "/a", "h h", NULL, 0,
					       NULL, 0, &r, &n),
			 KW_E_INVALID);
	assert_null(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_anywhere),
		cmocka_unit_test(test_content_length_and_leftover),
		cmocka_unit_test(test_no_body_statuses),
		cmocka_unit_test(test_http10_and_close),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_eof),
		cmocka_unit_test(test_request_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
