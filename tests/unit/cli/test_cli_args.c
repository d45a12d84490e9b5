/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "run.h"

/* Every command the CLI must have (DESIGN.md §4, docs/cli.md). */
static const char *const commands[][2] = {
	{"sys", "init"},
	{"sys", "unseal"},
	{"sys", "seal"},
	{"sys", "status"},
	{"login", NULL},
	{"logout", NULL},
	{"whoami", NULL},
	{"partition", "create"},
	{"partition", "list"},
	{"partition", "show"},
	{"partition", "delete"},
	{"principal", "create"},
	{"principal", "list"},
	{"principal", "show"},
	{"principal", "set-roles"},
	{"principal", "set-password"},
	{"principal", "delete"},
	{"token", "create"},
	{"token", "list"},
	{"token", "revoke"},
	{"key", "create"},
	{"key", "list"},
	{"key", "show"},
	{"key", "update"},
	{"key", "rotate"},
	{"key", "enable"},
	{"key", "disable"},
	{"key", "compromise"},
	{"key", "destroy"},
	{"key", "cancel-destroy"},
	{"key", "public"},
	{"key", "export"},
	{"key", "import"},
	{"sign", NULL},
	{"verify", NULL},
	{"encrypt", NULL},
	{"decrypt", NULL},
	{"mac", NULL},
	{"random", NULL},
	{"datakey", NULL},
	{"audit", "list"},
	{"audit", "export"},
	{"audit", "verify"},
	{"audit", "pubkey"},
	{"approval", "list"},
	{"approval", "show"},
	{"approval", "approve"},
	{"approval", "reject"},
	{"backup", "create"},
	{"backup", "verify"},
	{"backup", "restore"},
	{"bench", NULL},
	{"agent", "enroll"},
	{"agent", "attest"},
	{"agent", "device"},
	{"ca", "create-root"},
	{"ca", "create-intermediate"},
	{"ca", "list"},
	{"ca", "show"},
	{"ca", "chain"},
	{"ca", "update"},
	{"ca", "issue"},
	{"ca", "certs"},
	{"ca", "cert"},
	{"ca", "revoke"},
	{"ca", "crl"},
	{"ca", "tsa-set"},
	{"ca", "tsa-show"},
	{"codesign", NULL},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void expect(const char *const *argv, const char *input, int status,
		   const char *out_has, const char *err_has)
{
	cli_run r;
	cli_exec(&r, input, NULL, argv);
	if (r.status != status ||
	    (out_has != NULL && strstr(r.out, out_has) == NULL) ||
	    (err_has != NULL && strstr(r.err, err_has) == NULL))
		fail_msg("keywarden %s %s: exit %d\nstdout: %s\nstderr: %s",
			 argv[0], argv[1] != NULL ? argv[1] : "", r.status,
			 r.out, r.err);
	cli_run_free(&r);
}

/* --help and -h on every command: exit 0, usage on stdout, nothing on
 * stderr, and an example. */
static void test_help_every_command(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		for (int h = 0; h < 2; h++) {
			const char *help = h == 0 ? "--help" : "-h";
			const char *argv[4] = {
				commands[i][0],
				commands[i][1] != NULL ? commands[i][1] : help,
				commands[i][1] != NULL ? help : NULL, NULL};
			char usage[96];
			snprintf(usage, sizeof(usage),
				 "Usage: keywarden %s%s%s", commands[i][0],
				 commands[i][1] ? " " : "",
				 commands[i][1] ? commands[i][1] : "");
			cli_run r;
			cli_exec(&r, NULL, NULL, argv);
			if (r.status != 0 ||
			    strncmp(r.out, usage, strlen(usage)) != 0 ||
			    r.err[0] != '\0' ||
			    strstr(r.out, "\nExample:\n  ") == NULL)
				fail_msg("%s --help: exit %d\n%s\n%s", usage,
					 r.status, r.out, r.err);
			cli_run_free(&r);
		}
	}
}

/* The top-level and noun help list exactly the expected commands. */
static void test_help_lists(void **state)
{
	(void)state;
	cli_run r;
	const char *top[] = {"--help", NULL};
	cli_exec(&r, NULL, NULL, top);
	assert_int_equal(r.status, 0);
	size_t listed = 0;
	for (const char *l = strstr(r.out, "Commands:\n"); l != NULL;) {
		l = strchr(l, '\n');
		if (l == NULL || strncmp(l + 1, "  ", 2) != 0)
			break;
		char noun[32];
		sscanf(l + 3, "%31s", noun);
		bool known = false;
		for (size_t i = 0; i < NCOMMANDS; i++)
			known |= strcmp(commands[i][0], noun) == 0;
		if (!known)
			fail_msg("unexpected command %s", noun);
		listed++;
		l++;
	}
	/* ... and every noun of the table is listed. */
	size_t nouns_in_table = 0;
	for (size_t i = 0; i < NCOMMANDS; i++)
		nouns_in_table += i == 0 || strcmp(commands[i][0],
						   commands[i - 1][0]) != 0;
	assert_int_equal(listed, nouns_in_table);
	cli_run_free(&r);
	static const char *const nouns[] = {"sys",   "partition", "principal",
					    "token", "key",	  "audit"};
	for (size_t n = 0; n < 6; n++) {
		const char *argv[] = {nouns[n], "--help", NULL};
		cli_exec(&r, NULL, NULL, argv);
		assert_int_equal(r.status, 0);
		size_t verbs = 0, want = 0;
		for (size_t i = 0; i < NCOMMANDS; i++) {
			if (strcmp(commands[i][0], nouns[n]) != 0)
				continue;
			char line[64];
			snprintf(line, sizeof(line), "\n  %s ", commands[i][1]);
			want++;
			verbs += strstr(r.out, line) != NULL;
		}
		assert_int_equal(verbs, want);
		cli_run_free(&r);
	}
}

static void test_usage_errors(void **state)
{
	(void)state;
	static const struct {
		const char *argv[16];
		const char *err;
	} cases[] = {
		{{NULL}, "missing command"},
		{{"frobnicate", NULL}, "unknown command 'frobnicate'"},
		{{"key", NULL}, "missing verb"},
		{{"key", "frob", NULL}, "unknown verb 'frob' for key"},
		{{"key", "create", NULL}, "missing NAME"},
		{{"key", "create", "k1", NULL}, "missing --type TYPE"},
		{{"key", "create", "k1", "--type", "rsa-1024", NULL},
		 "--type: unknown key type"},
		{{"key", "create", "k1", "--type", "ed25519", "--usage", "fly",
		  NULL},
		 "--usage: unknown usage"},
		{{"key", "create", "k1", "--type", "aes-256", "--label", "x",
		  NULL},
		 "--label: expected KEY=VALUE"},
		{{"key", "list", "--bogus", NULL}, "unknown option --bogus"},
		{{"key", "list", "--limit", NULL},
		 "option --limit needs a value"},
		{{"key", "list", "--json=yes", NULL},
		 "option --json takes no value"},
		{{"key", "list", "--type", "a", "--type", "b", NULL},
		 "option --type given twice"},
		{{"key", "show", "a", "b", NULL}, "unexpected argument 2"},
		{{"key", "compromise", "k1", NULL}, "missing --yes"},
		{{"key", "update", "k1", NULL}, "nothing to update"},
		{{"key", "public", "k1", "--format", "der", NULL},
		 "--format: expected pem or jwk"},
		{{"sign", "--key", "k", "--in", "f", NULL},
		 "missing --out FILE"},
		{{"sign", "--key", "k", "--in", "/dev/null", "--out", "s",
		  "--hash", "md5", NULL},
		 "--hash: unsupported digest"},
		{{"sign", "--key", "k", "--in", "f", "--out", "s", "--scheme",
		  "dsa", NULL},
		 "--scheme: expected pkcs1, pss, ecdsa or eddsa"},
		{{"verify", "--key", "k", "--in", "f", NULL}, "missing --sig"},
		{{"mac", "--key", "k", "--in", "f", "--out", "a", "--verify",
		  "b", NULL},
		 "--verify and --out exclude each other"},
		{{"token", "create", "--principal", "p", "--ttl", "abc", NULL},
		 "--ttl: expected a whole number"},
		{{"sys", "init", "--shares", "3", "--threshold", "4", NULL},
		 "--threshold 4 is more than --shares 3"},
		{{"random", "--bytes", "0", NULL}, "--bytes: expected a whole"},
		{{"principal", "create", "a", "--kind", "robot", NULL},
		 "--kind: expected user or app"},
		{{"principal", "create", "a", "--role", "king", NULL},
		 "--role: unknown role"},
		{{"principal", "set-roles", "a", NULL}, "missing --role ROLE"},
		{{"encrypt", "--key", "k", "--in", "f", "--out", "o", "--aad",
		  "x", "--aad-file", "y", NULL},
		 "--aad and --aad-file exclude each other"},
		{{"--timeout", "5", NULL}, "missing command"},
		{{"--bogus", "key", "list", NULL}, "only global options"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cli_run r;
		cli_exec(&r, NULL, NULL, cases[i].argv);
		if (r.status != 2 || strstr(r.err, cases[i].err) == NULL ||
		    strstr(r.err, "Try 'keywarden") == NULL || r.out[0] != 0)
			fail_msg("case %zu: exit %d\nstdout: %s\nstderr: %s", i,
				 r.status, r.out, r.err);
		cli_run_free(&r);
	}
}

/* A password, share or token on the command line is refused before
 * anything happens, and never repeated in the message. */
static void test_secrets_refused(void **state)
{
	(void)state;
	static const char *const cases[][8] = {
		{"principal", "create", "alice", "--password", "hunter2xyz",
		 NULL},
		{"principal", "create", "alice", "--password=hunter2xyz", NULL},
		{"principal", "set-password", "alice", "--new-password",
		 "hunter2xyz", NULL},
		{"login", "--user", "alice", "--password", "hunter2xyz", NULL},
		{"sys", "init", "--root-password=hunter2xyz", NULL},
		{"sys", "unseal", "--share", "hunter2xyz", NULL},
		{"sys", "unseal", "kwshare1-hunter2xyz", NULL},
		{"key", "show", "kwt_hunter2xyz", NULL},
		{"whoami", "--token", "hunter2xyz", NULL},
		{"whoami", "--token=hunter2xyz", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cli_run r;
		const char *env[] = {"KEYWARDEN_ADDR=unix:///nonexistent/s",
				     NULL};
		cli_exec(&r, NULL, env, cases[i]);
		if (r.status != 2 ||
		    strstr(r.err, "never taken from the "
				  "command line") == NULL ||
		    strstr(r.err, "hunter2") != NULL ||
		    strstr(r.out, "hunter2") != NULL)
			fail_msg("case %zu: exit %d\n%s", i, r.status, r.err);
		cli_run_free(&r);
	}
}

/* Passwords and shares from stdin: an empty stdin is a usage error, an
 * empty line is refused, and nothing is sent anywhere. */
static void test_secret_input_errors(void **state)
{
	(void)state;
	const char *unseal[] = {"sys", "unseal", NULL};
	const char *login[] = {"login", "--user", "alice", NULL};
	expect(unseal, "", 2, NULL, "no share on stdin");
	expect(login, NULL, 2, NULL, "no password on stdin");
	expect(login, "\n", 1, NULL, "empty password");
	char *longline = malloc(5000);
	memset(longline, 'p', 4999);
	longline[4999] = '\0';
	expect(login, longline, 1, NULL, "longer than 4096 bytes");
	free(longline);
}

static void test_version_and_errors_without_daemon(void **state)
{
	(void)state;
	const char *version[] = {"--version", NULL};
	expect(version, NULL, 0, "keywarden 0.", NULL);
	cli_run r;
	const char *status[] = {"sys", "status", NULL};
	const char *env[] = {"KEYWARDEN_ADDR=unix:///nonexistent/kw.sock",
			     NULL};
	cli_exec(&r, NULL, env, status);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "keywarden: cannot connect to "
				   "unix:///nonexistent/kw.sock: No such file "
				   "or directory\n");
	cli_run_free(&r);
	const char *list[] = {"key", "list", NULL};
	cli_exec(&r, NULL, env, list);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "no token: set KEYWARDEN_TOKEN"));
	cli_run_free(&r);
	const char *bad[] = {"--addr", "http://localhost:8200", "sys", "status",
			     NULL};
	cli_exec(&r, NULL, NULL, bad);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "plain HTTP is not supported"));
	cli_run_free(&r);
	const char *garbled[] = {"--addr", "bogus://x", "sys", "status", NULL};
	cli_exec(&r, NULL, NULL, garbled);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "invalid address bogus://x"));
	cli_run_free(&r);
	const char *nocert[] = {"--addr",   "https://127.0.0.1:1",
				"--cacert", "/nonexistent/ca.pem",
				"sys",	    "status",
				NULL};
	cli_exec(&r, NULL, NULL, nocert);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "/nonexistent/ca.pem"));
	cli_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_every_command),
		cmocka_unit_test(test_help_lists),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_secrets_refused),
		cmocka_unit_test(test_secret_input_errors),
		cmocka_unit_test(test_version_and_errors_without_daemon),
	};
	return cli_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
