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

static void open_store(afx *f)
{
	/* Long busy timeout: some tests hold the write gate on purpose. */
	kw_store_config cfg = {.backend = f->backend,
			       .path = f->dir[0] ? f->path : NULL,
			       .busy_timeout_ms = 60000};

	assert_int_equal(kw_store_fault_open(f->fault, &cfg, &f->store), KW_OK);
	assert_int_equal(kw_barrier_open(f->store, &f->b), KW_OK);
}

static int setup(void **state, const char *backend, bool unseal)
{
	afx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->backend = backend;
	/* No checkpoint by the clock unless a test asks: entry counts stay
	 * exact however slowly the test runs (valgrind). */
	f->cfg.checkpoint_interval_s = 3600;
	if (strcmp(backend, "sqlite") == 0) {
		snprintf(f->dir, sizeof(f->dir), "/tmp/kwaudit-XXXXXX");
		assert_non_null(mkdtemp(f->dir));
		snprintf(f->path, sizeof(f->path), "%s/kw.db", f->dir);
	}
	assert_int_equal(
		kw_store_fault_new(kw_store_backend(backend), &f->fault),
		KW_OK);
	open_store(f);
	assert_int_equal(kw_barrier_init(f->b, 1, 1, &f->shares), KW_OK);
	if (!unseal)
		afx_seal(f);
	*state = f;
	return 0;
}

int afx_setup_mem(void **state)
{
	return setup(state, "mem", true);
}

int afx_setup_sqlite(void **state)
{
	return setup(state, "sqlite", true);
}

int afx_setup_sealed(void **state)
{
	return setup(state, "sqlite", false);
}

static void close_all(afx *f)
{
	afx_close_audit(f);
	kw_barrier_free(f->b);
	f->b = NULL;
	kw_store_close(f->store);
	f->store = NULL;
}

int afx_teardown(void **state)
{
	afx *f = *state;
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};

	close_all(f);
	kw_store_fault_free(f->fault);
	kw_barrier_shares_free(f->shares, 1);
	if (f->dir[0] != '\0') {
		for (size_t i = 0; i < 4; i++) {
			char p[160];

			snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
			unlink(p);
		}
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

void afx_open_audit(afx *f)
{
	assert_null(f->audit);
	if (f->cfg.node == NULL)
		f->cfg.node = "node-1";
	assert_int_equal(kw_audit_open(f->store, f->b, &f->cfg, &f->audit),
			 KW_OK);
}

void afx_close_audit(afx *f)
{
	kw_audit_close(f->audit);
	f->audit = NULL;
}

void afx_unseal(afx *f)
{
	const kw_secret *s = f->shares[0];
	kw_barrier_status st;

	assert_int_equal(
		kw_barrier_unseal(f->b, (const char *)s->data, s->len, &st),
		KW_OK);
	assert_false(st.sealed);
	kw_audit_barrier_changed(f->audit);
}

void afx_seal(afx *f)
{
	assert_int_equal(kw_barrier_seal(f->b), KW_OK);
	kw_audit_barrier_changed(f->audit);
}

void afx_restart(afx *f, bool unseal)
{
	close_all(f);
	open_store(f);
	afx_open_audit(f);
	if (unseal)
		afx_unseal(f);
}

kw_audit_event afx_event(const char *op, const char *principal,
			 kw_audit_result result)
{
	kw_audit_event ev = {
		.principal = principal,
		.partition = "default",
		.op = op,
		.result = result,
		.reason = result == KW_AUDIT_OK ? "" : "not_allowed",
		.request_id = "req-1",
		.source = "unix",
	};
	return ev;
}

typedef struct lines {
	char **v;
	size_t n;
	uint64_t next_seq;
} lines;

static kw_rc collect(uint64_t seq, const uint8_t *entry, size_t len, void *arg)
{
	lines *l = arg;
	char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));

	assert_non_null(nv);
	l->v = nv;
	assert_int_equal(seq, l->next_seq); /* the store's own numbering */
	l->next_seq++;
	l->v[l->n] = malloc(len + 1);
	assert_non_null(l->v[l->n]);
	memcpy(l->v[l->n], entry, len);
	l->v[l->n][len] = '\0';
	l->n++;
	return KW_OK;
}

size_t afx_export(afx *f, char ***out_lines)
{
	lines l = {NULL, 0, 1};
	kw_store_txn *t = NULL;

	assert_int_equal(kw_store_txn_begin(f->store, false, &t), KW_OK);
	assert_int_equal(kw_store_audit_read(t, 1, 0, collect, &l), KW_OK);
	kw_store_txn_abort(t);
	*out_lines = l.v;
	return l.n;
}

void afx_lines_free(char **lines_v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines_v[i]);
	free(lines_v);
}

char *afx_pubkeys_pem(afx *f)
{
	kw_audit_pubkey *keys = NULL;
	size_t n = 0;
	size_t len = 1;
	char *pem;

	assert_int_equal(kw_audit_pubkeys(f->audit, &keys, &n), KW_OK);
	for (size_t i = 0; i < n; i++)
		len += strlen(keys[i].pem);
	pem = calloc(1, len);
	assert_non_null(pem);
	for (size_t i = 0; i < n; i++)
		strcat(pem, keys[i].pem);
	kw_audit_pubkeys_free(keys, n);
	return pem;
}

kw_rc afx_verify(char **lines_v, size_t n, const char *pem,
		 const kw_audit_verify_opts *opts, kw_audit_verify_report *out)
{
	kw_audit_verifier *v = NULL;
	kw_rc rc = KW_OK;

	assert_int_equal(kw_audit_verifier_new(opts, &v), KW_OK);
	assert_int_equal(kw_audit_verifier_add_keys(v, (const uint8_t *)pem,
						    strlen(pem)),
			 KW_OK);
	for (size_t i = 0; i < n && rc == KW_OK; i++)
		rc = kw_audit_verifier_line(v, lines_v[i], strlen(lines_v[i]));
	rc = kw_audit_verifier_finish(v, out);
	kw_audit_verifier_free(v);
	return rc;
}
