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

#include "client/client.h"
#include "fake_server.h"

#define OK_RESP                                                 \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" \
	"Content-Length: 11\r\n\r\n{\"ok\":true}"

static char server_pem[512], server_key[512], other_pem[512], other_key[512];

static const fake_step serve_two[] = {
	{FAKE_ACCEPT}, {FAKE_EXPECT},	     {FAKE_SEND, OK_RESP},
	{FAKE_EXPECT}, {FAKE_SEND, OK_RESP}, {FAKE_DRAIN},
	{FAKE_END}};
static const fake_step refuse[] = {{FAKE_ACCEPT}, {FAKE_END}};

/* Runs one GET against a TLS fake server; returns the rc, copies the
 * error message. addr_host replaces "localhost" in the address if set. */
static kw_rc tls_get(const fake_step *steps, const char *cert, const char *key,
		     const char *client_ca, kw_client_opts o,
		     const char *addr_host, char *msg, size_t msg_len)
{
	fake_server s;
	char addr[300];
	kw_client *c = NULL;
	assert_int_equal(fake_server_start_tls(&s, steps, cert, key, client_ca),
			 0);
	const char *port = strrchr(s.addr, ':');
	snprintf(addr, sizeof(addr), "https://%s%s",
		 addr_host != NULL ? addr_host : "localhost", port);
	o.addr = addr;
	assert_int_equal(kw_client_new(&o, NULL, &c), KW_OK);
	kw_rc rc = kw_client_call(c, "GET", "/v1/sys/health", NULL, NULL, NULL);
	if (rc == KW_OK) /* and once more on the same session */
		rc = kw_client_call(c, "GET", "/v1/sys/health", NULL, NULL,
				    NULL);
	snprintf(msg, msg_len, "%s", kw_client_last_error(c)->message);
	kw_client_free(c);
	fake_server_stop(&s);
	if (rc == KW_OK) {
		assert_string_equal(s.failure, "");
		assert_int_equal(s.connections, 1);
		assert_int_equal(s.nreq, 2);
	}
	fake_server_free(&s);
	return rc;
}

static void test_verified(void **state)
{
	(void)state;
	char msg[1024];
	kw_client_opts o = {.cacert = server_pem};
	assert_int_equal(tls_get(serve_two, server_pem, server_key, NULL, o,
				 NULL, msg, sizeof(msg)),
			 KW_OK);
	/* by IP address (the certificate has IP:127.0.0.1) */
	assert_int_equal(tls_get(serve_two, server_pem, server_key, NULL, o,
				 "127.0.0.1", msg, sizeof(msg)),
			 KW_OK);
	/* CA from the environment */
	o.cacert = NULL;
	setenv("KEYWARDEN_CACERT", server_pem, 1);
	assert_int_equal(tls_get(serve_two, server_pem, server_key, NULL, o,
				 NULL, msg, sizeof(msg)),
			 KW_OK);
	unsetenv("KEYWARDEN_CACERT");
}

static void test_untrusted(void **state)
{
	(void)state;
	char msg[1024];
	kw_client_opts o = {.cacert = other_pem};
	assert_int_equal(tls_get(refuse, server_pem, server_key, NULL, o, NULL,
				 msg, sizeof(msg)),
			 KW_E_UNAVAILABLE);
	assert_non_null(strstr(msg, "TLS handshake with https://localhost:"));
	assert_non_null(strstr(msg, "server certificate not trusted"));
}

static void test_name_mismatch(void **state)
{
	(void)state;
	char msg[1024];
	kw_client_opts o = {.cacert = other_pem};
	assert_int_equal(tls_get(refuse, other_pem, other_key, NULL, o, NULL,
				 msg, sizeof(msg)),
			 KW_E_UNAVAILABLE);
	assert_non_null(strstr(msg, "hostname mismatch"));
	assert_int_equal(tls_get(refuse, other_pem, other_key, NULL, o,
				 "127.0.0.1", msg, sizeof(msg)),
			 KW_E_UNAVAILABLE);
	assert_non_null(strstr(msg, "IP address mismatch"));
}

static void test_client_certificate(void **state)
{
	(void)state;
	char msg[1024];
	kw_client_opts o = {
		.cacert = server_pem, .cert = other_pem, .key = other_key};
	assert_int_equal(tls_get(serve_two, server_pem, server_key, other_pem,
				 o, NULL, msg, sizeof(msg)),
			 KW_OK);
	o.cert = NULL;
	o.key = NULL;
	assert_int_equal(tls_get(refuse, server_pem, server_key, other_pem, o,
				 NULL, msg, sizeof(msg)),
			 KW_E_UNAVAILABLE);
	/* TLS 1.3: the server refuses after the client's handshake is done;
	 * the client sees the alert, or the reset if the alert was lost */
	if (strstr(msg, "certificate required") == NULL &&
	    strstr(msg, "lost: Connection reset") == NULL &&
	    strstr(msg, "lost: Broken pipe") == NULL)
		fail_msg("%s", msg);
	/* a mismatched certificate and key are refused up front */
	kw_client_opts bad = {.addr = "https://localhost:1",
			      .cacert = server_pem,
			      .cert = other_pem,
			      .key = server_key};
	kw_client_error e;
	kw_client *c = NULL;
	assert_int_equal(kw_client_new(&bad, &e, &c), KW_E_INVALID);
	assert_non_null(strstr(e.message, "cannot use client certificate"));
}

/* The server hangs up while a large request is being written: the call
 * fails, and the SIGPIPE of that write does not kill the process. */
static void test_write_to_closed(void **state)
{
	(void)state;
	static const fake_step steps[] = {
		{FAKE_ACCEPT}, {FAKE_CLOSE}, {FAKE_END}};
	fake_server s;
	kw_client *c = NULL;
	kw_client_opts o = {.cacert = server_pem};
	assert_int_equal(
		fake_server_start_tls(&s, steps, server_pem, server_key, NULL),
		0);
	o.addr = s.addr;
	assert_int_equal(kw_client_new(&o, NULL, &c), KW_OK);
	size_t n = 8u << 20;
	char *big = malloc(n + 1);
	memset(big, 'a', n);
	big[n] = '\0';
	json_t *body = json_pack("{s:s}", "input", big);
	free(big);
	assert_int_equal(
		kw_client_call(c, "POST", "/v1/keys/k/sign", body, NULL, NULL),
		KW_E_UNAVAILABLE);
	json_decref(body);
	kw_client_free(c);
	fake_server_stop(&s);
	fake_server_free(&s);
}

int main(void)
{
	const char *dir = getenv("KW_TEST_CERTS");
	if (dir == NULL) {
		fprintf(stderr, "KW_TEST_CERTS is not set\n");
		return 1;
	}
	snprintf(server_pem, sizeof(server_pem), "%s/server.pem", dir);
	snprintf(server_key, sizeof(server_key), "%s/server.key", dir);
	snprintf(other_pem, sizeof(other_pem), "%s/other.pem", dir);
	snprintf(other_key, sizeof(other_key), "%s/other.key", dir);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verified),
		cmocka_unit_test(test_untrusted),
		cmocka_unit_test(test_name_mismatch),
		cmocka_unit_test(test_client_certificate),
		cmocka_unit_test(test_write_to_closed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
