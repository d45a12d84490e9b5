/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

static int64_t afx_clock(void *arg)
{
	return ((afx *)arg)->now;
}

int afx_setup(void **state)
{
	afx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->backend = *state;
	assert_int_equal(
		kw_store_fault_new(kw_store_backend(f->backend), &f->fault),
		KW_OK);
	f->now = AFX_T0;
	f->cfg.scrypt_log2_n = 4; /* fast: the cost is not under test */
	f->cfg.now = afx_clock;
	f->cfg.now_arg = f;
	if (strcmp(f->backend, "sqlite") == 0) {
		snprintf(f->dir, sizeof(f->dir), "/tmp/kwauth-XXXXXX");
		assert_non_null(mkdtemp(f->dir));
		snprintf(f->path, sizeof(f->path), "%s/auth.db", f->dir);
	}
	afx_open(f);
	*state = f;
	return 0;
}

static void unlink_suffix(const afx *f, const char *suffix)
{
	char p[160];
	snprintf(p, sizeof(p), "%s%s", f->path, suffix);
	unlink(p);
}

int afx_teardown(void **state)
{
	afx *f = *state;
	afx_close(f);
	kw_barrier_shares_free(f->shares, 1);
	kw_store_fault_free(f->fault);
	if (f->dir[0] != '\0') {
		unlink_suffix(f, "");
		unlink_suffix(f, "-wal");
		unlink_suffix(f, "-shm");
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

void afx_open(afx *f)
{
	kw_store_config cfg = {.backend = f->backend,
			       .path = f->dir[0] ? f->path : NULL};
	assert_int_equal(kw_store_fault_open(f->fault, &cfg, &f->store), KW_OK);
	assert_int_equal(kw_barrier_open(f->store, &f->b), KW_OK);
	if (f->shares == NULL) {
		assert_int_equal(kw_barrier_init(f->b, 1, 1, &f->shares),
				 KW_OK);
	} else {
		kw_barrier_status st;
		assert_int_equal(kw_barrier_unseal(
					 f->b, (const char *)f->shares[0]->data,
					 f->shares[0]->len, &st),
				 KW_OK);
		assert_false(st.sealed);
	}
	assert_int_equal(kw_auth_open(f->b, f->store, &f->cfg, &f->a), KW_OK);
}

void afx_close(afx *f)
{
	kw_auth_free(f->a);
	kw_barrier_free(f->b);
	kw_store_close(f->store);
	f->a = NULL;
	f->b = NULL;
	f->store = NULL;
}

void afx_reconfigure(afx *f)
{
	kw_auth_free(f->a);
	f->a = NULL;
	assert_int_equal(kw_auth_open(f->b, f->store, &f->cfg, &f->a), KW_OK);
}

kw_secret *afx_bootstrap(afx *f)
{
	kw_secret *tok = NULL;
	assert_int_equal(kw_auth_bootstrap(f->a, NULL, &tok), KW_OK);
	assert_non_null(tok);
	return tok;
}

kw_secret *afx_secret(const char *s)
{
	kw_secret *sec = NULL;
	assert_int_equal(kw_secret_from(s, strlen(s), &sec), KW_OK);
	return sec;
}

void afx_principal(afx *f, const char *p, const char *name, uint32_t roles,
		   const char *pw)
{
	if (p[0] != '\0') {
		kw_rc rc = kw_partition_create(f->a, p, NULL);
		assert_true(rc == KW_OK || rc == KW_E_EXISTS);
	}
	kw_secret *s = pw != NULL ? afx_secret(pw) : NULL;
	kw_principal_info info;
	assert_int_equal(kw_principal_create(f->a, p, name,
					     pw != NULL ? KW_PRINCIPAL_USER
							: KW_PRINCIPAL_APP,
					     roles, s, &info),
			 KW_OK);
	assert_string_equal(info.name, name);
	kw_secret_free(s);
}

kw_rc afx_check(afx *f, const kw_secret *token, kw_caller *out)
{
	kw_caller c;
	kw_rc rc = kw_auth_token_check(f->a, (const char *)token->data,
				       token->len, "test", &c);
	if (rc == KW_OK && out != NULL)
		*out = c;
	return rc;
}

bool afx_file_contains(const char *path, const void *needle, size_t len)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return false;
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	assert_non_null(buf);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n, fp)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	fclose(fp);
	bool found = false;
	for (size_t i = 0; !found && len <= n && i <= n - len; i++)
		found = memcmp(buf + i, needle, len) == 0;
	free(buf);
	return found;
}
