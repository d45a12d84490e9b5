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

static void open_store(bfx *f)
{
	kw_store_config cfg = {.backend = f->backend,
			       .path = f->path[0] != '\0' ? f->path : NULL};
	if (f->fault != NULL)
		assert_int_equal(kw_store_fault_open(f->fault, &cfg, &f->store),
				 KW_OK);
	else
		assert_int_equal(kw_store_open(&cfg, &f->store), KW_OK);
}

bfx *bfx_new_empty(const char *backend, bool fault_injection)
{
	bfx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->backend = backend;
	if (strcmp(backend, "sqlite") == 0) {
		snprintf(f->dir, sizeof(f->dir), "/tmp/kwbackup-XXXXXX");
		assert_non_null(mkdtemp(f->dir));
		snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
	}
	if (fault_injection)
		assert_int_equal(kw_store_fault_new(kw_store_backend(backend),
						    &f->fault),
				 KW_OK);
	open_store(f);
	return f;
}

bfx *bfx_new(const char *backend, bool fault_injection)
{
	bfx *f = bfx_new_empty(backend, fault_injection);
	assert_int_equal(kw_barrier_open(f->store, &f->b), KW_OK);
	assert_int_equal(kw_barrier_init(f->b, 3, 2, &f->shares), KW_OK);
	assert_int_equal(kw_keys_open(f->b, f->store, 64, &f->ks), KW_OK);
	return f;
}

void bfx_open_with_master(bfx *f, const kw_secret *master)
{
	assert_null(f->b);
	assert_int_equal(kw_barrier_open(f->store, &f->b), KW_OK);
	assert_int_equal(kw_barrier_unseal_with_key(f->b, master), KW_OK);
	assert_int_equal(kw_keys_open(f->b, f->store, 64, &f->ks), KW_OK);
}

void bfx_free(bfx *f)
{
	if (f == NULL)
		return;
	kw_keys_free(f->ks);
	kw_barrier_free(f->b);
	kw_store_close(f->store);
	kw_store_fault_free(f->fault);
	kw_barrier_shares_free(f->shares, 3);
	if (f->path[0] != '\0') {
		char p[160];
		unlink(f->path);
		snprintf(p, sizeof(p), "%s-wal", f->path);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", f->path);
		unlink(p);
		rmdir(f->dir);
	}
	free(f);
}

kw_key_info *bfx_key(bfx *f, const char *name, kw_key_type t, uint32_t usages,
		     bool exportable)
{
	kw_key_info *k = NULL;
	kw_key_spec spec = {.partition = BFX_PART,
			    .name = name,
			    .type = t,
			    .usages = usages,
			    .exportable = exportable};
	assert_int_equal(kw_key_create(f->ks, &spec, &k), KW_OK);
	return k;
}

uint64_t bfx_audit_last(bfx *f)
{
	kw_store_txn *t = NULL;
	uint64_t last = 0;
	assert_int_equal(kw_store_txn_begin(f->store, false, &t), KW_OK);
	assert_int_equal(kw_store_audit_last(t, &last), KW_OK);
	kw_store_txn_abort(t);
	return last;
}

void bfx_audit(bfx *f, unsigned n)
{
	kw_store_txn *t = NULL;
	uint64_t last = bfx_audit_last(f);
	char e[160];
	assert_int_equal(kw_store_txn_begin(f->store, true, &t), KW_OK);
	for (unsigned i = 1; i <= n; i++) {
		/* About the size of a real entry. */
		int len = snprintf(e, sizeof(e),
				   "{\"seq\":%llu,\"op\":\"key_sign\","
				   "\"pad\":\"%0100llu\"}",
				   (unsigned long long)(last + i),
				   (unsigned long long)(last + i));
		assert_int_equal(kw_store_audit_append(t, last + i,
						       (uint8_t *)e,
						       (size_t)len),
				 KW_OK);
	}
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
}

static kw_rc keep_entry(uint64_t seq, const uint8_t *entry, size_t len,
			void *arg)
{
	char **out = arg;
	(void)seq;
	*out = calloc(1, len + 1);
	assert_non_null(*out);
	memcpy(*out, entry, len);
	return KW_OK;
}

char *bfx_audit_entry(bfx *f, uint64_t seq)
{
	kw_store_txn *t = NULL;
	char *e = NULL;
	assert_int_equal(kw_store_txn_begin(f->store, false, &t), KW_OK);
	assert_int_equal(kw_store_audit_read(t, seq, 1, keep_entry, &e), KW_OK);
	kw_store_txn_abort(t);
	assert_non_null(e);
	return e;
}

uint64_t bfx_records(bfx *f)
{
	kw_store_txn *t = NULL;
	uint64_t sum = 0, n = 0;
	assert_int_equal(kw_store_txn_begin(f->store, false, &t), KW_OK);
	for (uint32_t type = 1; type <= KW_REC_TYPE_MAX_; type++) {
		assert_int_equal(kw_store_rec_count(t, type, NULL, &n), KW_OK);
		sum += n;
	}
	kw_store_txn_abort(t);
	return sum;
}

kw_rc bfx_buf_write(void *arg, const void *p, size_t len)
{
	bfx_buf *b = arg;
	if (b->fail_after != 0 && b->len + len > b->fail_after)
		return KW_E_STORAGE;
	if (b->len + len > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 4096;
		while (cap < b->len + len)
			cap *= 2;
		uint8_t *n = realloc(b->p, cap);
		assert_non_null(n);
		b->p = n;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	return KW_OK;
}

void bfx_backup(bfx *f, kw_backup_keying k, size_t chunk, bfx_buf *out,
		kw_secret ***shares)
{
	kw_backup_params p = {.keying = k, .chunk_size = chunk};
	if (k == KW_BACKUP_KEYING_CUSTODIANS) {
		p.shares = 5;
		p.threshold = 3;
	}
	memset(out, 0, sizeof(*out));
	assert_int_equal(kw_backup_create(f->store, f->b, &p, bfx_buf_write,
					  out, NULL, shares),
			 KW_OK);
}

kw_backup_key *bfx_master_backup(bfx *f, size_t chunk, bfx_buf *out)
{
	kw_backup_key *k = NULL;
	char why[KW_BACKUP_WHY_MAX];
	bfx_backup(f, KW_BACKUP_KEYING_MASTER, chunk, out, NULL);
	assert_int_equal(kw_backup_key_from_barrier(out->p, out->len, f->b, &k,
						    why, sizeof(why)),
			 KW_OK);
	return k;
}
