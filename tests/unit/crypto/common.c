/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "util/codec.h"

uint8_t *t_hex(const char *s, size_t *len)
{
	size_t n = strlen(s);
	assert_int_equal(n % 2, 0);
	uint8_t *b = malloc(n / 2 + 1);
	assert_non_null(b);
	assert_int_equal(kw_hex_decode(s, n, b), KW_OK);
	*len = n / 2;
	return b;
}

void t_assert_hex(const uint8_t *buf, size_t len, const char *s)
{
	size_t n = 0;
	uint8_t *want = t_hex(s, &n);
	assert_int_equal(len, n);
	assert_memory_equal(buf, want, n);
	free(want);
}

kw_ckey *t_import_hex(kw_key_type t, const char *hex)
{
	size_t n = 0;
	uint8_t *b = t_hex(hex, &n);
	kw_ckey *k = NULL;
	assert_int_equal(kw_ckey_from_private(t, b, n, &k), KW_OK);
	free(b);
	return k;
}

static kw_ckey *keys[KW_KEY_TYPE_COUNT_];
static char tmpdir[64];

kw_ckey *t_key(kw_key_type t)
{
	assert_true((unsigned)t < KW_KEY_TYPE_COUNT_);
	if (keys[t] != NULL)
		return keys[t];
	if (kw_key_type_class(t) == KW_CLASS_RSA) {
		/* RSA generation under valgrind takes tens of seconds: have
		 * the openssl tool make the key natively and import it. */
		keys[t] = t_openssl_key(t, "rsa");
	} else {
		assert_int_equal(kw_ckey_generate(t, &keys[t]), KW_OK);
	}
	return keys[t];
}

kw_ckey *t_openssl_key(kw_key_type t, const char *name)
{
	char pem[256], alg[96];
	const char *path = NULL;
	size_t len = 0;
	kw_ckey *k = NULL;

	switch (kw_key_type_class(t)) {
	case KW_CLASS_RSA:
		snprintf(alg, sizeof(alg), "RSA -pkeyopt rsa_keygen_bits:%u",
			 kw_key_type_bits(t));
		break;
	case KW_CLASS_EC:
		snprintf(alg, sizeof(alg), "EC -pkeyopt ec_paramgen_curve:P-%u",
			 kw_key_type_bits(t));
		break;
	default:
		snprintf(alg, sizeof(alg), "ED25519");
		break;
	}
	/* genpkey writes PKCS#8 in PEM (its DER output is the traditional
	 * format), so convert with pkcs8 -topk8. */
	snprintf(pem, sizeof(pem), "%s/%s.pem", t_tmpdir(), name);
	assert_int_equal(
		t_run("openssl genpkey -algorithm %s -out %s", alg, pem), 0);
	path = t_write_file(name, "", 0);
	assert_int_equal(t_run("openssl pkcs8 -topk8 -nocrypt -in %s "
			       "-outform DER -out %s",
			       pem, path),
			 0);
	uint8_t *der = t_read_file(path, &len);
	assert_int_equal(kw_ckey_from_private(t, der, len, &k), KW_OK);
	free(der);
	return k;
}

int t_keys_free(void **state)
{
	(void)state;
	for (int i = 0; i < KW_KEY_TYPE_COUNT_; i++) {
		kw_ckey_free(keys[i]);
		keys[i] = NULL;
	}
	return t_tmpdir_remove(state);
}

const char *t_tmpdir(void)
{
	if (tmpdir[0] == '\0') {
		strcpy(tmpdir, "/tmp/kw-crypto-test-XXXXXX");
		assert_non_null(mkdtemp(tmpdir));
	}
	return tmpdir;
}

int t_tmpdir_remove(void **state)
{
	(void)state;
	if (tmpdir[0] != '\0') {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			return -1;
		tmpdir[0] = '\0';
	}
	return 0;
}

const char *t_write_file(const char *name, const void *data, size_t len)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", t_tmpdir(), name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

uint8_t *t_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	uint8_t *b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

int t_run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof(cmd) - 32, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(cmd) - 32);
	strcat(cmd, " >/dev/null 2>&1");
	int st = system(cmd);
	assert_true(st != -1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
