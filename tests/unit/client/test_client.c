/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "client/client.h"
#include "fake_server.h"

#define JSON_HDR "Content-Type: application/json\r\n"
#define OK_BODY	 "{\"ok\":true}"
#define OK_RESP                                                 \
	"HTTP/1.1 200 OK\r\n" JSON_HDR "Content-Length: 11\r\n" \
	"X-Request-Id: r-1\r\n\r\n" OK_BODY

static kw_client *new_client(const char *addr, int io_ms)
{
	kw_client_opts o = {.addr = addr, .io_timeout_ms = io_ms};
	kw_client *c = NULL;
	assert_int_equal(kw_client_new(&o, NULL, &c), KW_OK);
	return c;
}

static void stop(fake_server *s)
{
	fake_server_stop(s);
	assert_string_equal(s->failure, "");
}

/* Two requests on one connection; the token and the JSON body arrive. */
static void test_keep_alive(void **state)
{
	(void)state;
	static const fake_step steps[] = {
		{FAKE_ACCEPT},
		{FAKE_EXPECT},
		{FAKE_SEND, OK_RESP},
		{FAKE_EXPECT},
		{FAKE_SEND,
		 "HTTP/1.1 201 Created\r\n" JSON_HDR
		 "Transfer-Encoding: chunked\r\n\r\n"
		 "4\r\n{\"a\"\r\n3;ext=1\r\n:1}\r\n0\r\nX-T: y\r\n\r\n"},
		{FAKE_DRAIN},
		{FAKE_END}};
	fake_server s;
	char h[128];
	long status = 0;
	json_t *j = NULL;
	assert_int_equal(fake_server_start(&s, steps), 0);
	kw_client *c = new_client(s.addr, 0);
	assert_int_equal(kw_client_set_token(c, "kwt_abc"), KW_OK);
	assert_int_equal(
		kw_client_call(c, "GET", "/v1/sys/status", NULL, &status, &j),
		KW_OK);
	assert_int_equal(status, 200);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	json_t *body = json_pack("{s:s}", "name", "k1");
	assert_int_equal(
		kw_client_call(c, "POST", "/v1/keys", body, &status, &j),
		KW_OK);
	json_decref(body);
	assert_int_equal(status, 201);
	assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
	json_decref(j);
	kw_client_free(c);
	stop(&s);
	assert_int_equal(s.connections, 1);
	assert_int_equal(s.nreq, 2);
	assert_string_equal(s.req[0].method, "GET");
	assert_string_equal(s.req[0].path, "/v1/sys/status");
	assert_string_equal(
		fake_header(&s.req[0], "Authorization", h, sizeof(h)),
		"Bearer kwt_abc");
	assert_string_equal(fake_header(&s.req[0], "Host", h, sizeof(h)),
			    "localhost");
	assert_null(fake_header(&s.req[0], "Content-Length", h, sizeof(h)));
	assert_string_equal(s.req[1].method, "POST");
	assert_string_equal(s.req[1].body, "{\"name\":\"k1\"}");
	assert_string_equal(
		fake_header(&s.req[1], "Content-Type", h, sizeof(h)),
		"application/json");
	fake_server_free(&s);
}

/* The server closed the idle connection: the client notices and opens a
 * new one before sending. */
static void test_idle_close_reconnects(void **state)
{
	(void)state;
	static const fake_step steps[] = {
		{FAKE_ACCEPT},	      {FAKE_EXPECT}, {FAKE_SEND, OK_RESP},
		{FAKE_CLOSE},	      {FAKE_ACCEPT}, {FAKE_EXPECT},
		{FAKE_SEND, OK_RESP}, {FAKE_DRAIN},  {FAKE_END}};
	fake_server s;
	assert_int_equal(fake_server_start(&s, steps), 0);
	kw_client *c = new_client(s.addr, 0);
	assert_int_equal(kw_client_call(c, "GET", "/v1/a", NULL, NULL, NULL),
			 KW_OK);
	struct timespec ts = {0, 50 * 1000000};
	nanosleep(&ts, NULL); /* let the close arrive */
	assert_int_equal(kw_client_call(c, "POST", "/v1/b", NULL, NULL, NULL),
			 KW_OK);
	kw_client_free(c);
	stop(&s);
	assert_int_equal(s.connections, 2);
	assert_int_equal(s.nreq, 2);
	fake_server_free(&s);
}

/* A reused connection closes after reading a GET without answering: the
 * GET is sent once more on a new connection. */
static void test_retry_idempotent(void **state)
{
	(void)state;
	static const fake_step steps[] = {
		{FAKE_ACCEPT}, {FAKE_EXPECT},	     {FAKE_SEND, OK_RESP},
		{FAKE_EXPECT}, {FAKE_CLOSE},	     {FAKE_ACCEPT},
		{FAKE_EXPECT}, {FAKE_SEND, OK_RESP}, {FAKE_DRAIN},
		{FAKE_END}};
	fake_server s;
	assert_int_equal(fake_server_start(&s, steps), 0);
	kw_client *c = new_client(s.addr, 0);
	assert_int_equal(kw_client_call(c, "GET", "/v1/a", NULL, NULL, NULL),
			 KW_OK);
	assert_int_equal(kw_client_call(c, "GET", "/v1/b", NULL, NULL, NULL),
			 KW_OK);
	kw_client_free(c);
	stop(&s);
	assert_int_equal(s.connections, 2);
	assert_int_equal(s.nreq, 3);
	assert_string_equal(s.req[1].path, "/v1/b");
	assert_string_equal(s.req[2].path, "/v1/b");
	fake_server_free(&s);
}

/* The same for a POST: it may have been acted on, so it is not resent. */
static void test_no_retry_post(void **state)
{
	(void)state;
	static const fake_step steps[] = {{FAKE_ACCEPT},	{FAKE_EXPECT},
					  {FAKE_SEND, OK_RESP}, {FAKE_EXPECT},
					  {FAKE_CLOSE},		{FAKE_END}};
	fake_server s;
	assert_int_equal(fake_server_start(&s, steps), 0);
	kw_client *c = new_client(s.addr, 0);
	assert_int_equal(kw_client_call(c, "GET", "/v1/a", NULL, NULL, NULL),
			 KW_OK);
	assert_int_equal(
		kw_client_call(c, "POST", "/v1/keys/k/sign", NULL, NULL, NULL),
		KW_E_UNAVAILABLE);
	const kw_client_error *e = kw_client_last_error(c);
	assert_string_equal(e->code, "connection_closed");
	assert_non_null(strstr(e->message, "closed the connection before"));
	kw_client_free(c);
	stop(&s);
	assert_int_equal(s.connections, 1);
	assert_int_equal(s.nreq, 2);
	fake_server_free(&s);
}

/* A server that never answers trips the I/O timeout. */
static void test_io_timeout(void **state)
{
	(void)state;
	static const fake_step steps[] = {
		{FAKE_ACCEPT}, {FAKE_EXPECT}, {FAKE_DRAIN}, {FAKE_END}};
	fake_server s;
	struct timespec t0, t1;
	assert_int_equal(fake_server_start(&s, steps), 0);
	kw_client *c = new_client(s.addr, 300);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(kw_client_call(c, "GET", "/v1/slow", NULL, NULL, NULL),
			 KW_E_UNAVAILABLE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		  (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 250 && ms < 3000);
	const kw_client_error *e = kw_client_last_error(c);
	assert_string_equal(e->code, "timeout");
	assert_non_null(strstr(e->message, "I/O timeout 300 ms"));
	kw_client_free(c);
	stop(&s);
	fake_server_free(&s);
}

/* A server that trickles bytes cannot hold the client past the timeout. */
static void test_trickle_timeout(void **state)
{
	(void)state;
	static const fake_step steps[] = {
		{FAKE_ACCEPT},	     {FAKE_EXPECT},
		{FAKE_SEND, "HTTP"}, {FAKE_SLEEP, NULL, 0, 200},
		{FAKE_SEND, "/1.1"}, {FAKE_DRAIN},
		{FAKE_END}};
	fake_server s;
	assert_int_equal(fake_server_start(&s, steps), 0);
	kw_client *c = new_client(s.addr, 300);
	assert_int_equal(kw_client_call(c, "GET", "/v1/a", NULL, NULL, NULL),
			 KW_E_UNAVAILABLE);
	assert_string_equal(kw_client_last_error(c)->code, "timeout");
	kw_client_free(c);
	stop(&s);
	fake_server_free(&s);
}

static void test_connect_failure(void **state)
{
	(void)state;
	kw_client *c = new_client("unix:///nonexistent/kw.sock", 0);
	assert_int_equal(kw_client_call(c, "GET", "/v1/a", NULL, NULL, NULL),
			 KW_E_UNAVAILABLE);
	const kw_client_error *e = kw_client_last_error(c);
	assert_string_equal(e->code, "connect_failed");
	assert_string_equal(e->message, "cannot connect to "
					"unix:///nonexistent/kw.sock: No such "
					"file or directory");
	assert_int_equal(e->status, 0);
	kw_client_free(c);
}

/* Each malformed response is refused with "invalid_response" (or
 * "response_too_large") and never crashes or hangs the client. */
static void test_malformed_responses(void **state)
{
	(void)state;
	static const struct {
		const char *resp;
		const char *code;
		const char *why;
	} cases[] = {
		{"HTTP/1.1 200 OK\nContent-Length: 2\n\n{}", "invalid_response",
		 "bare LF"},
		{"HTTP/1.1 2OO OK\r\n\r\n", "invalid_response", "status code"},
		{"HTTP/2 200\r\n\r\n", "invalid_response", "version"},
		{"SSH-2.0-OpenSSH\r\n", "invalid_response", "not an HTTP"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: "
		 "chunked\r\n\r\n{}",
		 "invalid_response", "both"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: "
		 "3\r\n\r\n{}",
		 "invalid_response", "conflicting"},
		{"HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\n{}",
		 "invalid_response", "Content-Length"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		 "invalid_response", "Transfer-Encoding"},
		{"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\n{}",
		 "invalid_response", "folding"},
		{"HTTP/1.1 200 OK\r\nBad Name: a\r\n\r\n", "invalid_response",
		 "header field"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"a\":",
		 "invalid_response", "truncated"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		 "invalid_response", "chunk size"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}}"
		 "\r\n0\r\n\r\n",
		 "invalid_response", "chunk longer"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		 "invalid_response", "not JSON"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]",
		 "invalid_response", "JSON object"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 9999999\r\n\r\n",
		 "response_too_large", "too large"},
		{"HTTP/1.1 101 Switching\r\n\r\n", "invalid_response",
		 "protocol switch"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const fake_step steps[] = {{FAKE_ACCEPT},
					   {FAKE_EXPECT},
					   {FAKE_SEND, cases[i].resp},
					   {FAKE_CLOSE},
					   {FAKE_END}};
		fake_server s;
		kw_client_opts o = {.max_body = 4096};
		kw_client *c = NULL;
		assert_int_equal(fake_server_start(&s, steps), 0);
		o.addr = s.addr;
		assert_int_equal(kw_client_new(&o, NULL, &c), KW_OK);
		json_t *j = NULL;
		kw_rc rc = kw_client_call(c, "GET", "/v1/a", NULL, NULL, &j);
		const kw_client_error *e = kw_client_last_error(c);
		if (rc != KW_E_UNAVAILABLE ||
		    strcmp(e->code, cases[i].code) != 0 ||
		    strstr(e->message, cases[i].why) == NULL)
			fail_msg("case %zu: rc %d code %s message %s", i, rc,
				 e->code, e->message);
		assert_null(j);
		kw_client_free(c);
		stop(&s);
		fake_server_free(&s);
	}
}

/* An API error: the code, message, status and request id reach the
 * caller, and the rc is the matching kw_rc. */
static void test_api_error(void **state)
{
	(void)state;
	static const char body[] = "{\"error\":{\"code\":\"permission_denied\","
				   "\"message\":\"role auditor may not "
				   "sign\\u001b[31m\"}}";
	char resp[512];
	snprintf(resp, sizeof(resp),
		 "HTTP/1.1 403 Forbidden\r\n" JSON_HDR
		 "X-Request-Id: req-42\r\nContent-Length: %zu\r\n\r\n%s",
		 strlen(body), body);
	const fake_step steps[] = {
		{FAKE_ACCEPT},
		{FAKE_EXPECT},
		{FAKE_SEND, resp},
		{FAKE_EXPECT},
		{FAKE_SEND,
		 "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"},
		{FAKE_EXPECT},
		{FAKE_SEND, "HTTP/1.1 204 No Content\r\n\r\n"},
		{FAKE_DRAIN},
		{FAKE_END}};
	fake_server s;
	long status = 0;
	json_t *j = (json_t *)&status; /* must stay untouched on failure */
	assert_int_equal(fake_server_start(&s, steps), 0);
	kw_client *c = new_client(s.addr, 0);
	assert_int_equal(
		kw_client_call(c, "POST", "/v1/keys/k/sign", NULL, &status, &j),
		KW_E_DENIED);
	assert_ptr_equal(j, (json_t *)&status);
	assert_int_equal(status, 0);
	const kw_client_error *e = kw_client_last_error(c);
	assert_int_equal(e->rc, KW_E_DENIED);
	assert_int_equal(e->status, 403);
	assert_string_equal(e->code, "permission_denied");
	/* control characters from the server are neutralised */
	assert_string_equal(e->message, "role auditor may not sign?[31m");
	assert_string_equal(e->request_id, "req-42");
	assert_int_equal(
		kw_client_call(c, "GET", "/v1/keys/x", NULL, NULL, NULL),
		KW_E_NOT_FOUND);
	assert_string_equal(kw_client_last_error(c)->code, "http_404");
	j = NULL;
	assert_int_equal(
		kw_client_call(c, "DELETE", "/v1/keys/x", NULL, &status, &j),
		KW_OK);
	assert_int_equal(status, 204);
	assert_null(j);
	assert_int_equal(kw_client_last_error(c)->rc, KW_OK);
	kw_client_free(c);
	stop(&s);
	assert_int_equal(s.connections, 1);
	fake_server_free(&s);
}

/* No length: the body ends with the connection, which is not reused; an
 * interim 100 response is skipped. */
static void test_close_delimited_and_interim(void **state)
{
	(void)state;
	static const fake_step steps[] = {
		{FAKE_ACCEPT},
		{FAKE_EXPECT},
		{FAKE_SEND, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
			    "Connection: close\r\n\r\n" OK_BODY},
		{FAKE_CLOSE},
		{FAKE_ACCEPT},
		{FAKE_EXPECT},
		{FAKE_SEND, OK_RESP},
		{FAKE_DRAIN},
		{FAKE_END}};
	fake_server s;
	json_t *j = NULL;
	assert_int_equal(fake_server_start(&s, steps), 0);
	kw_client *c = new_client(s.addr, 0);
	assert_int_equal(kw_client_call(c, "GET", "/v1/a", NULL, NULL, &j),
			 KW_OK);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	assert_int_equal(kw_client_call(c, "GET", "/v1/b", NULL, NULL, NULL),
			 KW_OK);
	kw_client_free(c);
	stop(&s);
	assert_int_equal(s.connections, 2);
	fake_server_free(&s);
}

static void test_config_errors(void **state)
{
	(void)state;
	static const struct {
		const char *addr;
		const char *msg;
	} cases[] = {
		{"http://localhost:8200", "plain HTTP is not supported"},
		{"tcp://x", "expected unix:///path or https://host:port"},
		{"unix://relative/path", "expected unix:///absolute/path"},
		{"https://", "expected https://host:port"},
		{"https://host:0", "expected https://host:port"},
		{"https://host:70000", "expected https://host:port"},
		{"https://ho st:1", "expected https://host:port"},
		{"https://[nothex]:1", "expected https://host:port"},
		{"https://host:1/path", "expected https://host:port"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kw_client_opts o = {.addr = cases[i].addr};
		kw_client_error e;
		kw_client *c = (kw_client *)&e;
		assert_int_equal(kw_client_new(&o, &e, &c), KW_E_INVALID);
		assert_ptr_equal(c, (kw_client *)&e);
		assert_string_equal(e.code, "invalid_address");
		if (strstr(e.message, cases[i].msg) == NULL)
			fail_msg("%s: %s", cases[i].addr, e.message);
	}
	kw_client_opts o = {.addr = "https://localhost:1",
			    .cacert = "/nonexistent/ca.pem"};
	kw_client_error e;
	kw_client *c = NULL;
	assert_int_equal(kw_client_new(&o, &e, &c), KW_E_INVALID);
	assert_string_equal(e.message, "cannot read CA file "
				       "/nonexistent/ca.pem: No such file or "
				       "directory");
	o.cacert = NULL;
	o.cert = "/nonexistent/cert.pem";
	assert_int_equal(kw_client_new(&o, &e, &c), KW_E_INVALID);
	assert_non_null(strstr(e.message, "needs its key"));
}

/* Tokens, methods and paths cannot smuggle header lines. */
static void test_request_validation(void **state)
{
	(void)state;
	kw_client *c = new_client("unix:///nonexistent/kw.sock", 0);
	assert_int_equal(kw_client_set_token(c, "kwt_a\r\nX-Evil: 1"),
			 KW_E_INVALID);
	assert_int_equal(kw_client_set_token(c, ""), KW_E_INVALID);
	assert_int_equal(kw_client_set_token(c, "kwt_ok"), KW_OK);
	assert_int_equal(kw_client_set_token(c, NULL), KW_OK);
	assert_int_equal(kw_client_call(c, "GET", "/v1/a b", NULL, NULL, NULL),
			 KW_E_INVALID);
	assert_string_equal(kw_client_last_error(c)->code, "invalid_request");
	assert_int_equal(kw_client_call(c, "GE T", "/v1/a", NULL, NULL, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_client_call(c, "GET", "v1/a", NULL, NULL, NULL),
			 KW_E_INVALID);
	kw_client_free(c);
}

static void test_path_builder(void **state)
{
	(void)state;
	kw_client_path p;
	kw_client_path_init(&p, "/v1/keys");
	kw_client_path_seg(&p, "release signing/ü");
	kw_client_path_lit(&p, "/rotate");
	kw_client_path_query(&p, "partition", "a&b=c");
	kw_client_path_query(&p, "skip", NULL);
	kw_client_path_query(&p, "limit", "5");
	assert_string_equal(kw_client_path_get(&p),
			    "/v1/keys/release%20signing%2F%C3%BC/rotate"
			    "?partition=a%26b%3Dc&limit=5");
	/* a prefix that has a query already: the next argument joins it */
	kw_client_path_init(&p, "/v1/keys?partition=a");
	kw_client_path_query(&p, "approval", "a-1");
	assert_string_equal(kw_client_path_get(&p),
			    "/v1/keys?partition=a&approval=a-1");
	kw_client_path_init(&p, "/v1/keys");
	kw_client_path_seg(&p, "..");
	assert_null(kw_client_path_get(&p));
	char big[3000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	kw_client_path_init(&p, "/v1/keys");
	kw_client_path_seg(&p, big);
	assert_null(kw_client_path_get(&p));
}

static void test_rc_mapping(void **state)
{
	(void)state;
	assert_int_equal(kw_client_rc_from_api("sealed", 503), KW_E_SEALED);
	assert_int_equal(kw_client_rc_from_api("token_expired", 401),
			 KW_E_EXPIRED);
	assert_int_equal(kw_client_rc_from_api("unknown_field", 400),
			 KW_E_INVALID);
	assert_int_equal(kw_client_rc_from_api("verification_failed", 400),
			 KW_E_VERIFY);
	assert_int_equal(kw_client_rc_from_api("brand_new_code", 409),
			 KW_E_CONFLICT);
	assert_int_equal(kw_client_rc_from_api(NULL, 418), KW_E_INVALID);
	assert_int_equal(kw_client_rc_from_api(NULL, 502), KW_E_INTERNAL);
	assert_int_equal(kw_client_rc_from_api(NULL, 302), KW_E_UNAVAILABLE);
}

static void test_json_b64(void **state)
{
	(void)state;
	uint8_t *b = NULL;
	size_t n = 0;
	json_t *s = kw_client_json_b64_new((const uint8_t *)"foobar", 6);
	json_t *o = json_pack("{s:o,s:s,s:i}", "v", s, "bad", "Zm9v!", "i", 1);
	assert_string_equal(json_string_value(json_object_get(o, "v")),
			    "Zm9vYmFy");
	assert_int_equal(kw_client_json_b64(o, "v", &b, &n), KW_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(b, "foobar", 6);
	free(b);
	assert_int_equal(kw_client_json_b64(o, "bad", &b, &n), KW_E_INVALID);
	assert_int_equal(kw_client_json_b64(o, "i", &b, &n), KW_E_INVALID);
	assert_int_equal(kw_client_json_b64(o, "none", &b, &n), KW_E_INVALID);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_idle_close_reconnects),
		cmocka_unit_test(test_retry_idempotent),
		cmocka_unit_test(test_no_retry_post),
		cmocka_unit_test(test_io_timeout),
		cmocka_unit_test(test_trickle_timeout),
		cmocka_unit_test(test_connect_failure),
		cmocka_unit_test(test_malformed_responses),
		cmocka_unit_test(test_api_error),
		cmocka_unit_test(test_close_delimited_and_interim),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_request_validation),
		cmocka_unit_test(test_path_builder),
		cmocka_unit_test(test_rc_mapping),
		cmocka_unit_test(test_json_b64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
