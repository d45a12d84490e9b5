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

#include "crypto/crypto.h"
#include "fixture.h"
#include "keys/internal.h"

static kw_secret *rsa_material[KW_KEY_TYPE_COUNT_];

kfx *kfx_new(const char *backend, const kw_store_ops *ops, size_t cache_max)
{
	kfx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->backend = backend;
	f->ops = ops;
	f->cache_max = cache_max;
	if (strcmp(f->backend, "sqlite") == 0) {
		snprintf(f->dir, sizeof(f->dir), "/tmp/kwkeys-XXXXXX");
		assert_non_null(mkdtemp(f->dir));
		snprintf(f->path, sizeof(f->path), "%s/keys.db", f->dir);
	}
	kfx_open(f);
	return f;
}

int kfx_setup(void **state)
{
	*state = kfx_new(*state, NULL, 64);
	return 0;
}

static void unlink_suffix(const kfx *f, const char *suffix)
{
	char p[160];
	snprintf(p, sizeof(p), "%s%s", f->path, suffix);
	unlink(p);
}

int kfx_teardown(void **state)
{
	kfx *f = *state;
	kfx_close(f);
	kw_barrier_shares_free(f->shares, 1);
	if (f->dir[0] != '\0') {
		unlink_suffix(f, "");
		unlink_suffix(f, "-wal");
		unlink_suffix(f, "-shm");
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

void kfx_open(kfx *f)
{
	kw_store_config cfg = {.backend = f->backend,
			       .path = f->dir[0] ? f->path : NULL};
	if (f->ops != NULL)
		assert_int_equal(
			kw_store_open_with_ops(f->ops, &cfg, &f->store), KW_OK);
	else
		assert_int_equal(kw_store_open(&cfg, &f->store), KW_OK);
	assert_int_equal(kw_barrier_open(f->store, &f->b), KW_OK);
	if (f->shares == NULL)
		assert_int_equal(kw_barrier_init(f->b, 1, 1, &f->shares),
				 KW_OK);
	else
		kfx_unseal(f);
	assert_int_equal(kw_keys_open(f->b, f->store, f->cache_max, &f->ks),
			 KW_OK);
}

void kfx_close(kfx *f)
{
	kw_keys_free(f->ks);
	kw_barrier_free(f->b);
	kw_store_close(f->store);
	f->ks = NULL;
	f->b = NULL;
	f->store = NULL;
}

void kfx_unseal(kfx *f)
{
	kw_barrier_status st;
	assert_int_equal(kw_barrier_unseal(f->b,
					   (const char *)f->shares[0]->data,
					   f->shares[0]->len, &st),
			 KW_OK);
	assert_false(st.sealed);
}

kw_key_info *kfx_create(kfx *f, const char *name, kw_key_type t,
			uint32_t usages)
{
	kw_key_spec spec = {.partition = KFX_PART,
			    .name = name,
			    .type = t,
			    .usages = usages};
	kw_key_info *k = NULL;
	assert_int_equal(kw_key_create(f->ks, &spec, &k), KW_OK);
	assert_non_null(k);
	return k;
}

kw_key_info *kfx_import_rsa(kfx *f, const char *name, kw_key_type t,
			    uint32_t usages)
{
	assert_int_equal(kw_key_type_class(t), KW_CLASS_RSA);
	if (rsa_material[t] == NULL) {
		kw_ckey *k = NULL;
		assert_int_equal(kw_ckey_generate(t, &k), KW_OK);
		assert_int_equal(kw_ckey_private_export(k, &rsa_material[t]),
				 KW_OK);
		kw_ckey_free(k);
	}
	kw_key_spec spec = {.partition = KFX_PART,
			    .name = name,
			    .type = t,
			    .usages = usages};
	kw_key_info *k = NULL;
	assert_int_equal(kw_key_import(f->ks, &spec, rsa_material[t], &k),
			 KW_OK);
	return k;
}

void kfx_rsa_keep(kw_key_type t, kw_secret *m)
{
	if (rsa_material[t] == NULL)
		rsa_material[t] = m;
	else
		kw_secret_free(m);
}

bool kfx_rsa_have(kw_key_type t)
{
	return rsa_material[t] != NULL;
}

kw_key_rec *kfx_load(kfx *f, const char *name)
{
	kw_store_txn *t = NULL;
	kw_key_rec *r = NULL;
	assert_int_equal(kw_store_txn_begin(f->store, false, &t), KW_OK);
	assert_int_equal(kw_keys_load(f->ks, t, KFX_PART, name, true, &r),
			 KW_OK);
	kw_store_txn_abort(t);
	return r;
}

void kfx_rsa_free(void)
{
	for (int i = 0; i < KW_KEY_TYPE_COUNT_; i++) {
		kw_secret_free(rsa_material[i]);
		rsa_material[i] = NULL;
	}
}

uint8_t *kfx_file_read(const char *path, size_t *out_len)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n = 0;
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
	} while (n > 0);
	assert_int_equal(ferror(fp), 0);
	fclose(fp);
	*out_len = len;
	return buf;
}
