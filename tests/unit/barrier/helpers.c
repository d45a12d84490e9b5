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

#include "barrier/shamir.h"
#include "helpers.h"

bfx *bfx_new(const char *backend)
{
	bfx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->backend = backend;
	if (strcmp(f->backend, "sqlite") == 0) {
		snprintf(f->dir, sizeof(f->dir), "/tmp/kwbarrier-XXXXXX");
		assert_non_null(mkdtemp(f->dir));
		snprintf(f->path, sizeof(f->path), "%s/kw.db", f->dir);
	}
	return f;
}

int bfx_setup(void **state)
{
	bfx *f = bfx_new(*state);
	bfx_open(f);
	*state = f;
	return 0;
}

static void unlink_suffix(const bfx *f, const char *suffix)
{
	char p[160];
	snprintf(p, sizeof(p), "%s%s", f->path, suffix);
	unlink(p);
}

int bfx_teardown(void **state)
{
	bfx *f = *state;
	bfx_close(f);
	kw_barrier_shares_free(f->shares, f->n);
	if (f->dir[0] != '\0') {
		unlink_suffix(f, "");
		unlink_suffix(f, "-wal");
		unlink_suffix(f, "-shm");
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

void bfx_open(bfx *f)
{
	kw_store_config cfg = {.backend = f->backend,
			       .path = f->dir[0] ? f->path : NULL};
	if (f->fault != NULL)
		assert_int_equal(kw_store_fault_open(f->fault, &cfg, &f->store),
				 KW_OK);
	else
		assert_int_equal(kw_store_open(&cfg, &f->store), KW_OK);
	assert_int_equal(kw_barrier_open(f->store, &f->b), KW_OK);
}

void bfx_close(bfx *f)
{
	kw_barrier_free(f->b);
	kw_store_close(f->store);
	f->b = NULL;
	f->store = NULL;
}

void bfx_init(bfx *f, unsigned n, unsigned m)
{
	assert_int_equal(kw_barrier_init(f->b, n, m, &f->shares), KW_OK);
	f->n = n;
	f->m = m;
}

void bfx_unseal(bfx *f, unsigned i0)
{
	kw_barrier_status st;
	for (unsigned i = 0; i < f->m; i++) {
		const kw_secret *s = f->shares[(i0 + i) % f->n];
		assert_int_equal(kw_barrier_unseal(f->b, (const char *)s->data,
						   s->len, &st),
				 KW_OK);
		assert_int_equal(st.sealed, i + 1 < f->m);
	}
}

uint64_t bfx_put(bfx *f, uint32_t type, const char *id, const char *group,
		 const char *lookup, const char *data, uint64_t expected)
{
	kw_store_txn *t = NULL;
	uint64_t v = 0;
	assert_int_equal(kw_store_txn_begin(f->store, true, &t), KW_OK);
	assert_int_equal(kw_barrier_rec_put(f->b, t, type, id, group, lookup,
					    (const uint8_t *)data, strlen(data),
					    expected, &v),
			 KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	assert_int_equal(v, expected + 1);
	return v;
}

kw_rc bfx_get(bfx *f, uint32_t type, const char *id, const char *want)
{
	kw_store_txn *t = NULL;
	kw_secret *data = NULL;
	uint64_t v = 0;
	assert_int_equal(kw_store_txn_begin(f->store, false, &t), KW_OK);
	kw_rc rc = kw_barrier_rec_get(f->b, t, type, id, &data, &v);
	kw_store_txn_abort(t);
	if (rc == KW_OK) {
		assert_true(v >= 1);
		if (want != NULL) {
			assert_int_equal(data->len, strlen(want));
			assert_memory_equal(data->data, want, data->len);
		}
	} else {
		assert_null(data);
	}
	kw_secret_free(data);
	return rc;
}

void bfx_delete(bfx *f, uint32_t type, const char *id, uint64_t expected)
{
	kw_store_txn *t = NULL;
	assert_int_equal(kw_store_txn_begin(f->store, true, &t), KW_OK);
	assert_int_equal(kw_barrier_rec_delete(f->b, t, type, id, expected),
			 KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
}

kw_secret *bfx_master(bfx *f)
{
	kw_shamir_share pts[KW_SHARES_MAX];
	kw_share s;
	kw_secret *master = NULL;
	for (unsigned i = 0; i < f->m; i++) {
		assert_int_equal(
			kw_share_decode((const char *)f->shares[i]->data,
					f->shares[i]->len, &s),
			KW_OK);
		pts[i] = s.point;
	}
	assert_int_equal(kw_secret_new(KW_MASTER_KEY_LEN, &master), KW_OK);
	assert_int_equal(kw_shamir_combine(pts, f->m, master->data), KW_OK);
	kw_wipe(pts, sizeof(pts));
	kw_wipe(&s, sizeof(s));
	return master;
}

kw_rc bfx_count_cb(const char *id, uint64_t version, const uint8_t *data,
		   size_t len, void *arg)
{
	assert_non_null(id);
	assert_true(version >= 1);
	assert_true(data != NULL || len == 0);
	(*(int *)arg)++;
	return KW_OK;
}

bool bfx_file_contains(const char *path, const void *needle, size_t len)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return false;
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	long size = ftell(fp);
	assert_true(size >= 0);
	rewind(fp);
	uint8_t *buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);
	bool found = memmem(buf, (size_t)size, needle, len) != NULL;
	free(buf);
	return found;
}
