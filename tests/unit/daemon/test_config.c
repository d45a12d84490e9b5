/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/config.h"
#include "keywarden/log.h"

static char dir[] = "/tmp/kw-config-test-XXXXXX";
static char path[256];

static void write_config(const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Loads text; returns the config (or NULL, with err). */
static kw_config *load(const char *text, char *err, size_t err_len)
{
	kw_config *c = NULL;
	write_config(text);
	err[0] = '\0';
	if (kw_config_load(path, &c, err, err_len) != KW_OK)
		return NULL;
	return c;
}

static const char base[] = "listeners:\n"
			   "  - unix:\n"
			   "      path: /run/kw.sock\n"
			   "store:\n"
			   "  path: /var/lib/kw.db\n";

static void test_defaults(void **state)
{
	char err[KW_CONFIG_ERR_MAX];
	kw_config *c = load(base, err, sizeof(err));
	(void)state;
	assert_non_null(c);
	assert_int_equal(c->n_listeners, 1);
	assert_true(c->listeners[0].is_unix);
	assert_string_equal(c->listeners[0].path, "/run/kw.sock");
	assert_int_equal(c->listeners[0].mode, 0600);
	assert_string_equal(c->store_backend, "sqlite");
	assert_int_equal(c->max_body_bytes, KW_CFG_MAX_BODY);
	assert_int_equal(c->max_header_bytes, KW_CFG_MAX_HEADER);
	assert_int_equal(c->max_connections, KW_CFG_MAX_CONNECTIONS);
	assert_int_equal(c->idle_timeout_s, KW_CFG_IDLE_TIMEOUT);
	assert_int_equal(c->max_batch_items, KW_CFG_MAX_BATCH);
	assert_int_equal(c->log_level, KW_LOG_LEVEL_INFO);
	assert_int_equal(c->mlock, KW_MLOCK_REQUIRED);
	assert_int_equal(c->secure_heap_bytes, KW_CFG_SECURE_HEAP);
	kw_config_free(c);
}

static void test_everything(void **state)
{
	char err[KW_CONFIG_ERR_MAX];
	char text[2048];
	char cert[300];
	(void)state;
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	write_config("x");
	rename(path, cert);
	snprintf(text, sizeof(text),
		 "listeners:\n"
		 "  - unix: {path: /run/a.sock, mode: \"0660\"}\n"
		 "  - tcp:\n"
		 "      address: \"[::1]:8443\"\n"
		 "      tls:\n"
		 "        cert: %s\n"
		 "        key: %s\n"
		 "        client_ca: %s\n"
		 "        require_client_cert: true\n"
		 "        min_version: \"1.3\"\n"
		 "store: {backend: mem}\n"
		 "limits: {max_body_bytes: 2048, max_header_bytes: 4096,\n"
		 "  max_connections: 7, idle_timeout: 9, max_batch_items: 10}\n"
		 "auth: {session_ttl: 600, max_failed_logins: 4, lockout: 30,\n"
		 "  failed_login_rate: 5, scrypt_log2_n: 12}\n"
		 "audit: {node: n1, checkpoint_every: 50, "
		 "checkpoint_interval: 2}\n"
		 "cache: {keys: 99}\n"
		 "log: {level: error, file: /var/log/kw.log}\n"
		 "security: {secure_heap: 131072, mlock: off}\n"
		 "threads: 3\n",
		 cert, cert, cert);
	kw_config *c = load(text, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->n_listeners, 2);
	assert_int_equal(c->listeners[0].mode, 0660);
	assert_false(c->listeners[1].is_unix);
	assert_string_equal(c->listeners[1].address, "[::1]:8443");
	assert_true(c->listeners[1].require_client_cert);
	assert_int_equal(c->listeners[1].tls_min, 13);
	assert_string_equal(c->store_backend, "mem");
	assert_int_equal(c->max_body_bytes, 2048);
	assert_int_equal(c->max_connections, 7);
	assert_int_equal(c->idle_timeout_s, 9);
	assert_int_equal(c->max_batch_items, 10);
	assert_int_equal(c->auth.session_ttl_s, 600);
	assert_int_equal(c->auth.max_failed_logins, 4);
	assert_int_equal(c->auth.scrypt_log2_n, 12);
	assert_int_equal(c->audit.checkpoint_every, 50);
	assert_string_equal(c->audit_node, "n1");
	assert_int_equal(c->cache_keys, 99);
	assert_int_equal(c->log_level, KW_LOG_LEVEL_ERROR);
	assert_int_equal(c->secure_heap_bytes, 131072);
	assert_int_equal(c->mlock, KW_MLOCK_OFF);
	assert_int_equal(c->threads, 3);
	kw_config_free(c);
	unlink(cert);
}

/* text must fail with "PATH:line: " and contain words. */
static void expect_error(const char *text, unsigned line, const char *words)
{
	char err[KW_CONFIG_ERR_MAX];
	char prefix[320];
	kw_config *c = load(text, err, sizeof(err));
	if (c != NULL)
		fail_msg("accepted: %s", text);
	snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
	if (strncmp(err, prefix, strlen(prefix)) != 0 ||
	    strstr(err, words) == NULL)
		fail_msg("got \"%s\", want \"%s...%s\"", err, prefix, words);
}

static void test_errors(void **state)
{
	char text[512];
	(void)state;
	snprintf(text, sizeof(text), "%sfoo: 1\n", base);
	expect_error(text, 6, "Unexpected key: foo");
	snprintf(text, sizeof(text),
		 "%slimits:\n  max_connections: 5\n"
		 "  max_conections: 5\n",
		 base);
	expect_error(text, 8, "limits: Unexpected key: max_conections");
	snprintf(text, sizeof(text), "%slimits:\n  idle_timeout: soon\n", base);
	expect_error(text, 7, "limits.idle_timeout");
	snprintf(text, sizeof(text), "%slimits:\n  idle_timeout: 7200\n", base);
	expect_error(text, 7,
		     "limits.idle_timeout: must be between 1 and "
		     "3600");
	snprintf(text, sizeof(text), "%slog:\n  level: loud\n", base);
	expect_error(text, 7, "loud");
	snprintf(text, sizeof(text), "%ssecurity:\n  secure_heap: 100000\n",
		 base);
	expect_error(text, 7, "power of two");
	snprintf(text, sizeof(text), "%sthreads: [1]\n", base);
	expect_error(text, 6, "threads");
	expect_error(
		"listeners:\n  - unix:\n      path: /a\n      mode: \"0644x\"\n"
		"store: {path: /b}\n",
		4, "listeners.0.unix.mode");
	expect_error("listeners:\n  - unix:\n      path: /a\n"
		     "  - tcp:\n      address: 1.2.3.4\n"
		     "      tls: {cert: /nonexistent, key: /nonexistent}\n"
		     "store: {path: /b}\n",
		     5, "listeners.1.tcp.address");
	expect_error("listeners: []\nstore: {path: /b}\n", 1, "listeners");
	expect_error("store: {backend: sqlite}\nlisteners:\n  - unix: {path: "
		     "/a}\n",
		     1, "the sqlite backend needs a path");
}

static void test_address_split(void **state)
{
	char host[64];
	unsigned port = 0;
	(void)state;
	assert_int_equal(
		kw_address_split("127.0.0.1:8200", host, sizeof(host), &port),
		0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 8200);
	assert_int_equal(kw_address_split("[::1]:0", host, sizeof(host), &port),
			 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 0);
	static const char *const bad[] = {
		"localhost:80", "1.2.3.4", "1.2.3.4:",	 "1.2.3.4:65536",
		"[::1]8200",	":80",	   "1.2.3.4:8x", "::1:80"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
			kw_address_split(bad[i], host, sizeof(host), &port),
			-1);
}

static void test_locate(void **state)
{
	(void)state;
	write_config("# comment\n"
		     "listeners:\n"
		     "  - unix:\n"
		     "      path: /a\n"
		     "  - tcp: {address: x,\n"
		     "          tls: {cert: c}}\n"
		     "limits:\n"
		     "  idle_timeout: 3\n");
	assert_int_equal(kw_yaml_locate(path, "listeners"), 2);
	assert_int_equal(kw_yaml_locate(path, "listeners.0.unix.path"), 4);
	assert_int_equal(kw_yaml_locate(path, "listeners.1.tcp.address"), 5);
	assert_int_equal(kw_yaml_locate(path, "listeners.1.tcp.tls.cert"), 6);
	assert_int_equal(kw_yaml_locate(path, "limits.idle_timeout"), 8);
	assert_int_equal(kw_yaml_locate(path, "limits.nothing"), 0);
	assert_int_equal(kw_yaml_locate("/nonexistent", "limits"), 0);
}

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/kw.yaml", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_everything),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_address_split),
		cmocka_unit_test(test_locate),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
