/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "client/client.h"
#include "fake_server.h"
#include "run.h"

/* The CLI against a scripted server: what it sends (method, path, headers,
 * JSON body) and what the user sees (stdout, stderr, exit status, files). */

#define MAX_RESP 8

typedef struct scene {
	fake_server srv;
	char resp[MAX_RESP][4096];
	fake_step steps[2 * MAX_RESP + 3];
	char addr_env[300];
} scene;

/* A server that answers the n requests of one connection with the given
 * (status, JSON body) pairs. */
static void scene_start(scene *s, int n, ...)
{
	va_list ap;
	int k = 0;
	va_start(ap, n);
	s->steps[k++] = (fake_step){FAKE_ACCEPT};
	for (int i = 0; i < n; i++) {
		int status = va_arg(ap, int);
		const char *body = va_arg(ap, const char *);
		snprintf(s->resp[i], sizeof(s->resp[i]),
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
			 "X-Request-Id: r-%d\r\nContent-Length: %zu\r\n\r\n%s",
			 status, i + 1, strlen(body), body);
		s->steps[k++] = (fake_step){FAKE_EXPECT};
		s->steps[k++] = (fake_step){FAKE_SEND, s->resp[i]};
	}
	va_end(ap);
	s->steps[k++] = (fake_step){FAKE_DRAIN};
	s->steps[k] = (fake_step){FAKE_END};
	assert_int_equal(fake_server_start(&s->srv, s->steps), 0);
	snprintf(s->addr_env, sizeof(s->addr_env), "KEYWARDEN_ADDR=%s",
		 s->srv.addr);
}

static void scene_stop(scene *s)
{
	fake_server_stop(&s->srv);
	assert_string_equal(s->srv.failure, "");
}

/* Runs the CLI with KEYWARDEN_ADDR of the scene and a token. */
static void run(scene *s, cli_run *r, const char *input,
		const char *const *argv)
{
	const char *env[] = {s->addr_env, "KEYWARDEN_TOKEN=kwt_test", NULL};
	cli_exec(r, input, env, argv);
}

static json_t *req_json(const scene *s, int i)
{
	json_t *j = json_loads(s->srv.req[i].body, 0, NULL);
	assert_non_null(j);
	return j;
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	assert_non_null(v);
	return v;
}

static char *tmp_file(const char *name, const void *data, size_t n)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/%s", cli_home(), name) > 0);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
	return path;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = calloc(1, 1 << 20);
	*n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

static void test_unseal_shares_from_stdin(void **state)
{
	(void)state;
	scene s;
	cli_run r;
	scene_start(&s, 2, 200,
		    "{\"initialized\":true,\"sealed\":true,\"threshold\":2,"
		    "\"progress\":1}",
		    200,
		    "{\"initialized\":true,\"sealed\":false,\"threshold\":2,"
		    "\"progress\":0}");
	const char *argv[] = {"sys", "unseal", NULL};
	run(&s, &r, "kwshare1-aaa\nkwshare1-bbb\nkwshare1-ccc\n", argv);
	scene_stop(&s);
	assert_int_equal(r.status, 0);
	assert_int_equal(s.srv.nreq, 2); /* stops once unsealed */
	for (int i = 0; i < 2; i++) {
		char h[64];
		assert_string_equal(s.srv.req[i].method, "POST");
		assert_string_equal(s.srv.req[i].path, "/v1/sys/unseal");
		/* no token on an unauthenticated route */
		assert_null(fake_header(&s.srv.req[i], "Authorization", h,
					sizeof(h)));
		json_t *j = req_json(&s, i);
		assert_string_equal(jstr(j, "share"),
				    i == 0 ? "kwshare1-aaa" : "kwshare1-bbb");
		json_decref(j);
	}
	assert_non_null(strstr(r.out, "sealed           no\n"));
	assert_null(strstr(r.out, "kwshare"));
	cli_run_free(&r);
	fake_server_free(&s.srv);
}

static void test_init_prints_shares(void **state)
{
	(void)state;
	scene s;
	cli_run r;
	scene_start(
		&s, 1, 200,
		"{\"shares\":[\"kwshare1-a\",\"kwshare1-b\",\"kwshare1-c\"],"
		"\"root_token\":\"kwt_root\"}");
	const char *argv[] = {"sys",	     "init", "--shares", "3",
			      "--threshold", "2",    NULL};
	run(&s, &r, NULL, argv);
	scene_stop(&s);
	assert_int_equal(r.status, 0);
	json_t *j = req_json(&s, 0);
	assert_int_equal(json_integer_value(json_object_get(j, "shares")), 3);
	assert_int_equal(json_integer_value(json_object_get(j, "threshold")),
			 2);
	assert_null(json_object_get(j, "root_password"));
	json_decref(j);
	assert_string_equal(r.out, "Unseal share 1: kwshare1-a\n"
				   "Unseal share 2: kwshare1-b\n"
				   "Unseal share 3: kwshare1-c\n"
				   "Root token: kwt_root\n");
	assert_non_null(strstr(r.err, "any 2 of the 3 unseal it"));
	cli_run_free(&r);
	fake_server_free(&s.srv);
}

/* The password comes from stdin; the token alone goes to stdout. */
static void test_login_prints_token(void **state)
{
	(void)state;
	scene s;
	cli_run r;
	scene_start(&s, 1, 200,
		    "{\"token\":\"kwt_sess\",\"expires_at\":\"2026-11-26T11:00:"
		    "00Z\",\"principal\":\"alice\",\"partition\":\"default\","
		    "\"roles\":[\"crypto-officer\"]}");
	const char *argv[] = {"login",	     "--user",	 "alice",
			      "--partition", "payments", NULL};
	run(&s, &r, "correct horse battery\n", argv);
	scene_stop(&s);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "kwt_sess\n");
	assert_non_null(strstr(r.err, "Logged in as alice; the token expires "
				      "at 2026-11-26T11:00:00Z."));
	json_t *j = req_json(&s, 0);
	assert_string_equal(jstr(j, "user"), "alice");
	assert_string_equal(jstr(j, "password"), "correct horse battery");
	assert_string_equal(jstr(j, "partition"), "payments");
	json_decref(j);
	cli_run_free(&r);
	fake_server_free(&s.srv);
}

/* --save writes a private token file, later commands use it when
 * KEYWARDEN_TOKEN is unset, a loose mode makes it refused, logout
 * removes it. */
static void test_login_save(void **state)
{
	(void)state;
	scene s;
	cli_run r;
	char path[256], h[128];
	struct stat st;
	snprintf(path, sizeof(path), "%s/.config/keywarden/token", cli_home());
	scene_start(&s, 1, 200,
		    "{\"token\":\"kwt_saved\",\"principal\":\"alice\"}");
	const char *env[] = {s.addr_env, NULL};
	const char *login[] = {"login", "--user", "alice", "--save", NULL};
	cli_exec(&r, "pw-pw-pw-pw\n", env, login);
	scene_stop(&s);
	fake_server_free(&s.srv);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, path));
	cli_run_free(&r);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	size_t n = 0;
	char *content = slurp(path, &n);
	assert_string_equal(content, "kwt_saved\n");
	free(content);

	scene_start(&s, 1, 200,
		    "{\"principal\":\"alice\",\"partition\":\"default\","
		    "\"roles\":[\"crypto-officer\",\"auditor\"]}");
	const char *whoami[] = {"whoami", NULL};
	cli_exec(&r, NULL, env, whoami);
	scene_stop(&s);
	assert_int_equal(r.status, 0);
	assert_string_equal(
		fake_header(&s.srv.req[0], "Authorization", h, sizeof(h)),
		"Bearer kwt_saved");
	assert_non_null(strstr(r.out, "roles      crypto-officer, auditor\n"));
	cli_run_free(&r);
	fake_server_free(&s.srv);

	assert_int_equal(chmod(path, 0644), 0);
	cli_exec(&r, NULL, env, whoami);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "with mode 0600"));
	cli_run_free(&r);
	assert_int_equal(chmod(path, 0600), 0);

	fake_step bye[] = {{FAKE_ACCEPT},
			   {FAKE_EXPECT},
			   {FAKE_SEND, "HTTP/1.1 204 No Content\r\n\r\n"},
			   {FAKE_DRAIN},
			   {FAKE_END}};
	assert_int_equal(fake_server_start(&s.srv, bye), 0);
	snprintf(s.addr_env, sizeof(s.addr_env), "KEYWARDEN_ADDR=%s",
		 s.srv.addr);
	const char *logout[] = {"logout", NULL};
	cli_exec(&r, NULL, env, logout);
	scene_stop(&s);
	assert_int_equal(r.status, 0);
	assert_string_equal(s.srv.req[0].path, "/v1/auth/logout");
	assert_int_equal(stat(path, &st), -1);
	cli_run_free(&r);
	fake_server_free(&s.srv);
}

static void test_api_error_exit_1(void **state)
{
	(void)state;
	scene s;
	cli_run r;
	scene_start(&s, 1, 403,
		    "{\"error\":{\"code\":\"permission_denied\",\"message\":"
		    "\"role auditor may not read keys\"}}");
	const char *argv[] = {"key", "show", "release signing", NULL};
	run(&s, &r, NULL, argv);
	scene_stop(&s);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "keywarden: permission_denied: role auditor "
				   "may not read keys (request r-1)\n");
	assert_string_equal(s.srv.req[0].path, "/v1/keys/release%20signing");
	cli_run_free(&r);
	fake_server_free(&s.srv);
}

static const char key_json[] =
	"{\"id\":\"k-1\",\"name\":\"rs\",\"type\":\"ecdsa-p256\","
	"\"usages\":[\"sign\",\"verify\"],\"state\":\"active\","
	"\"exportable\":false,\"primary_version\":2,"
	"\"labels\":{\"team\":\"release\"}}";

static void test_key_create_and_json(void **state)
{
	(void)state;
	scene s;
	cli_run r;
	char *policy = tmp_file("policy.json", "{\"allow\":[]}", 12);
	scene_start(&s, 1, 201, key_json);
	const char *argv[] = {
		"key",	      "create",	     "rs",	     "--type",
		"ecdsa-p256", "--usage",     "sign",	     "--usage",
		"verify",     "--label",     "team=release", "--policy",
		policy,	      "--partition", "payments",     "--json",
		NULL};
	run(&s, &r, NULL, argv);
	scene_stop(&s);
	assert_int_equal(r.status, 0);
	assert_string_equal(s.srv.req[0].path, "/v1/keys?partition=payments");
	json_t *j = req_json(&s, 0);
	json_t *want = json_loads(
		"{\"name\":\"rs\",\"type\":\"ecdsa-p256\",\"usages\":[\"sign\","
		"\"verify\"],\"labels\":{\"team\":\"release\"},\"policy\":{"
		"\"allow\":[]}}",
		0, NULL);
	assert_true(json_equal(j, want));
	json_decref(want);
	json_decref(j);
	/* --json: the API's object, as it came */
	j = json_loads(r.out, 0, NULL);
	want = json_loads(key_json, 0, NULL);
	assert_true(json_equal(j, want));
	json_decref(want);
	json_decref(j);
	cli_run_free(&r);
	fake_server_free(&s.srv);
	free(policy);
}

static void test_key_list_and_actions(void **state)
{
	(void)state;
	scene s;
	cli_run r;
	char list[600];
	snprintf(list, sizeof(list), "{\"keys\":[%s],\"next_cursor\":\"c2\"}",
		 key_json);
	scene_start(&s, 1, 200, list);
	const char *argv[] = {"key",	    "list",    "--type",
			      "ecdsa-p256", "--label", "team:release",
			      "--limit",    "1",       NULL};
	run(&s, &r, NULL, argv);
	scene_stop(&s);
	assert_int_equal(r.status, 0);
	assert_string_equal(s.srv.req[0].path,
			    "/v1/keys?type=ecdsa-p256&label=team%3Arelease&"
			    "limit=1");
	assert_string_equal(r.out,
			    "NAME  TYPE        STATE   VERSION  USAGES        "
			    "LABELS\n"
			    "rs    ecdsa-p256  active  2        sign, verify  "
			    "team=release\n");
	assert_string_equal(r.err, "(more: add --cursor c2)\n");
	cli_run_free(&r);
	fake_server_free(&s.srv);

	static const char *const actions[][6] = {
		{"key", "rotate", "rs", NULL},
		{"key", "enable", "rs", NULL},
		{"key", "disable", "rs", NULL},
		{"key", "cancel-destroy", "rs", NULL},
		{"key", "destroy", "rs", "--waiting-period", "86400", NULL},
		{"key", "compromise", "rs", "--yes", NULL},
	};
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		char want[64];
		scene_start(&s, 1, 200, key_json);
		run(&s, &r, NULL, actions[i]);
		scene_stop(&s);
		assert_int_equal(r.status, 0);
		snprintf(want, sizeof(want), "/v1/keys/rs/%s", actions[i][1]);
		assert_string_equal(s.srv.req[0].method, "POST");
		assert_string_equal(s.srv.req[0].path, want);
		assert_non_null(strstr(r.out, "primary version  2\n"));
		if (i == 4)
			assert_string_equal(s.srv.req[0].body,
					    "{\"waiting_period\":86400}");
		cli_run_free(&r);
		fake_server_free(&s.srv);
	}
}

static void b64_of_sha256(const void *d, size_t n, char *out)
{
	unsigned char md[32];
	unsigned int l = 0;
	assert_int_equal(EVP_Digest(d, n, md, &l, EVP_sha256(), NULL), 1);
	json_t *j = kw_client_json_b64_new(md, l);
	strcpy(out, json_string_value(j));
	json_decref(j);
}

/* sign digests the file here (streaming) and sends only the digest; the
 * raw signature lands in --out; verify exits 0 / 1 on the verdict. */
static void test_sign_and_verify(void **state)
{
	(void)state;
	scene s;
	cli_run r;
	size_t big = 300000;
	char *data = malloc(big), want[64];
	for (size_t i = 0; i < big; i++)
		data[i] = (char)(i * 7);
	char *in = tmp_file("msg.bin", data, big);
	char *sig = NULL;
	assert_true(asprintf(&sig, "%s/msg.sig", cli_home()) > 0);
	b64_of_sha256(data, big, want);
	free(data);

	scene_start(&s, 1, 200, "{\"signature\":\"AQID\",\"key_version\":2}");
	const char *argv[] = {"sign", "--key", "rs", "--in",
			      in,     "--out", sig,  NULL};
	run(&s, &r, NULL, argv);
	scene_stop(&s);
	assert_int_equal(r.status, 0);
	assert_string_equal(s.srv.req[0].path, "/v1/keys/rs/sign");
	json_t *j = req_json(&s, 0);
	assert_string_equal(jstr(j, "digest"), want);
	assert_string_equal(jstr(j, "hash"), "sha256");
	assert_null(json_object_get(j, "input"));
	json_decref(j);
	size_t n = 0;
	char *got = slurp(sig, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(got, "\x01\x02\x03", 3);
	free(got);
	assert_non_null(strstr(r.err, "with rs version 2"));
	cli_run_free(&r);
	fake_server_free(&s.srv);

	for (int valid = 1; valid >= 0; valid--) {
		scene_start(&s, 1, 200,
			    valid ? "{\"valid\":true}" : "{\"valid\":false}");
		const char *v[] = {"verify", "--key", "rs", "--in",
				   in,	     "--sig", sig,  "--key-version",
				   "1",	     NULL};
		run(&s, &r, NULL, v);
		scene_stop(&s);
		assert_int_equal(r.status, valid ? 0 : 1);
		j = req_json(&s, 0);
		assert_string_equal(jstr(j, "signature"), "AQID");
		assert_string_equal(jstr(j, "digest"), want);
		assert_int_equal(
			json_integer_value(json_object_get(j, "key_version")),
			1);
		json_decref(j);
		if (valid)
			assert_string_equal(r.out, "the signature is valid\n");
		else
			assert_string_equal(r.err, "keywarden: the signature "
						   "is NOT valid\n");
		cli_run_free(&r);
		fake_server_free(&s.srv);
	}
	free(in);
	free(sig);
}

/* encrypt/decrypt: files in, files out; base64 and AAD handled here. */
static void test_encrypt_decrypt(void **state)
{
	(void)state;
	scene s;
	cli_run r;
	struct stat st;
	char *in = tmp_file("plain.txt", "attack at dawn", 14);
	char *ct = NULL, *out = NULL;
	assert_true(asprintf(&ct, "%s/plain.kw", cli_home()) > 0);
	assert_true(asprintf(&out, "%s/plain.out", cli_home()) > 0);
	scene_start(&s, 1, 200,
		    "{\"ciphertext\":\"kw:v3:QUJD\",\"key_version\":3}");
	const char *enc[] = {"encrypt", "--key", "dk",	  "--in", in,
			     "--out",	ct,	 "--aad", "ctx",  NULL};
	run(&s, &r, NULL, enc);
	scene_stop(&s);
	assert_int_equal(r.status, 0);
	json_t *j = req_json(&s, 0);
	assert_string_equal(jstr(j, "plaintext"), "YXR0YWNrIGF0IGRhd24=");
	assert_string_equal(jstr(j, "aad"), "Y3R4");
	json_decref(j);
	size_t n = 0;
	char *got = slurp(ct, &n);
	assert_string_equal(got, "kw:v3:QUJD\n");
	free(got);
	cli_run_free(&r);
	fake_server_free(&s.srv);

	scene_start(&s, 1, 200, "{\"plaintext\":\"YXR0YWNrIGF0IGRhd24=\"}");
	const char *dec[] = {"decrypt", "--key", "dk",	  "--in", ct,
			     "--out",	out,	 "--aad", "ctx",  NULL};
	run(&s, &r, NULL, dec);
	scene_stop(&s);
	assert_int_equal(r.status, 0);
	j = req_json(&s, 0);
	assert_string_equal(jstr(j, "ciphertext"), "kw:v3:QUJD");
	json_decref(j);
	got = slurp(out, &n);
	assert_int_equal(n, 14);
	assert_memory_equal(got, "attack at dawn", 14);
	free(got);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	cli_run_free(&r);
	fake_server_free(&s.srv);
	free(in);
	free(ct);
	free(out);
}

/* principal create: roles from --role, the password from stdin, the
 * partition as a query parameter. */
static void test_principal_create(void **state)
{
	(void)state;
	scene s;
	cli_run r;
	scene_start(
		&s, 1, 201,
		"{\"name\":\"bob\",\"kind\":\"user\",\"partition\":"
		"\"payments\",\"roles\":[\"crypto-user\"],\"locked\":false}");
	const char *argv[] = {"principal", "create",	  "bob",
			      "--role",	   "crypto-user", "--partition",
			      "payments",  NULL};
	run(&s, &r, "s3cret-passphrase\n", argv);
	scene_stop(&s);
	assert_int_equal(r.status, 0);
	assert_string_equal(s.srv.req[0].path,
			    "/v1/principals?partition=payments");
	json_t *j = req_json(&s, 0);
	assert_string_equal(jstr(j, "password"), "s3cret-passphrase");
	assert_string_equal(jstr(j, "kind"), "user");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(j, "roles"), 0)),
			    "crypto-user");
	json_decref(j);
	assert_non_null(strstr(r.out, "kind       user\n"));
	assert_null(strstr(r.out, "s3cret"));
	cli_run_free(&r);
	fake_server_free(&s.srv);
}

/* datakey: the plain key goes to its file only, never to stdout. */
static void test_datakey(void **state)
{
	(void)state;
	scene s;
	cli_run r;
	char *keyfile = NULL;
	struct stat st;
	assert_true(asprintf(&keyfile, "%s/dk.bin", cli_home()) > 0);
	scene_start(&s, 1, 200,
		    "{\"plaintext\":\"c2VjcmV0a2V5\",\"ciphertext\":\"kw:v1:"
		    "V1JBUA==\",\"key_version\":1}");
	const char *argv[] = {"datakey", "--key",  "kek", "--out",
			      keyfile,	 "--json", NULL};
	run(&s, &r, NULL, argv);
	scene_stop(&s);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "c2VjcmV0a2V5"));
	assert_non_null(strstr(r.out, "kw:v1:V1JBUA=="));
	size_t n = 0;
	char *got = slurp(keyfile, &n);
	assert_string_equal(got, "secretkey");
	free(got);
	assert_int_equal(stat(keyfile, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	cli_run_free(&r);
	fake_server_free(&s.srv);
	free(keyfile);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unseal_shares_from_stdin),
		cmocka_unit_test(test_init_prints_shares),
		cmocka_unit_test(test_login_prints_token),
		cmocka_unit_test(test_login_save),
		cmocka_unit_test(test_api_error_exit_1),
		cmocka_unit_test(test_key_create_and_json),
		cmocka_unit_test(test_key_list_and_actions),
		cmocka_unit_test(test_sign_and_verify),
		cmocka_unit_test(test_encrypt_decrypt),
		cmocka_unit_test(test_principal_create),
		cmocka_unit_test(test_datakey),
	};
	return cli_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
