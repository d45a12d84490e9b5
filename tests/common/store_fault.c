/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdlib.h>

#include "store_fault.h"

typedef struct fault_rule {
	bool armed;
	uint64_t from;	/* first failing call number (absolute, 1-based) */
	uint64_t until; /* first call number that passes again; 0 = never */
	kw_rc rc;
} fault_rule;

struct kw_store_fault {
	kw_store_ops ops; /* the wrapping table handed to the store */
	const kw_store_ops *inner;
	pthread_mutex_t mu; /* guards everything below */
	fault_rule rules[KW_FAULT_OP_COUNT_];
	uint64_t calls[KW_FAULT_OP_COUNT_];
	uint64_t failures[KW_FAULT_OP_COUNT_];
	bool disk_full;
};

typedef struct fault_be {
	kw_store_fault *f;
	void *inner;
} fault_be;

typedef struct fault_txn {
	kw_store_fault *f;
	void *inner;
	bool write;
} fault_txn;

/* ops->open() only gets the config; kw_store_fault_open() passes the
 * injector to it through this. */
static _Thread_local kw_store_fault *opening;

/* Counts a call of op and decides whether it fails: KW_OK to go on. */
static kw_rc should_fail(kw_store_fault *f, kw_fault_op op, bool writes)
{
	kw_rc rc = KW_OK;
	pthread_mutex_lock(&f->mu);
	uint64_t n = ++f->calls[op];
	const fault_rule *r = &f->rules[op];
	if (r->armed && n >= r->from && (r->until == 0 || n < r->until))
		rc = r->rc;
	else if (writes && f->disk_full)
		rc = KW_E_STORAGE;
	if (rc != KW_OK)
		f->failures[op]++;
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static kw_rc f_open(const kw_store_config *cfg, void **out_be)
{
	kw_store_fault *f = opening;
	kw_rc rc = KW_E_INVALID;
	fault_be *be = NULL;
	if (f == NULL)
		goto out;
	rc = should_fail(f, KW_FAULT_OPEN, false);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	be = calloc(1, sizeof(*be));
	if (be == NULL)
		goto out;
	be->f = f;
	rc = f->inner->open(cfg, &be->inner);
	if (rc != KW_OK)
		goto out;
	*out_be = be;
	be = NULL;
out:
	free(be);
	return rc;
}

static void f_close(void *p)
{
	fault_be *be = p;
	be->f->inner->close(be->inner);
	free(be);
}

static kw_rc f_txn_begin(void *p, bool write, void **out_txn)
{
	fault_be *be = p;
	fault_txn *t = NULL;
	kw_rc rc = should_fail(be->f, KW_FAULT_TXN_BEGIN, false);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto out;
	t->f = be->f;
	t->write = write;
	rc = be->f->inner->txn_begin(be->inner, write, &t->inner);
	if (rc != KW_OK)
		goto out;
	*out_txn = t;
	t = NULL;
out:
	free(t);
	return rc;
}

static kw_rc f_txn_commit(void *p)
{
	fault_txn *t = p;
	kw_rc rc = should_fail(t->f, KW_FAULT_TXN_COMMIT, t->write);
	if (rc == KW_OK)
		rc = t->f->inner->txn_commit(t->inner);
	else
		t->f->inner->txn_abort(t->inner); /* nothing applied */
	free(t);
	return rc;
}

static void f_txn_abort(void *p)
{
	fault_txn *t = p;
	t->f->inner->txn_abort(t->inner);
	free(t);
}

static kw_rc f_rec_get(void *p, uint32_t type, const char *id,
		       kw_store_rec *out)
{
	fault_txn *t = p;
	kw_rc rc = should_fail(t->f, KW_FAULT_REC_GET, false);
	return rc != KW_OK ? rc : t->f->inner->rec_get(t->inner, type, id, out);
}

static kw_rc f_rec_get_by_lookup(void *p, uint32_t type,
				 const uint8_t lookup[KW_STORE_TAG_LEN],
				 kw_store_rec *out)
{
	fault_txn *t = p;
	kw_rc rc = should_fail(t->f, KW_FAULT_REC_GET_BY_LOOKUP, false);
	return rc != KW_OK ? rc
			   : t->f->inner->rec_get_by_lookup(t->inner, type,
							    lookup, out);
}

static kw_rc f_rec_put(void *p, const kw_store_rec *rec,
		       uint64_t expected_version)
{
	fault_txn *t = p;
	kw_rc rc = should_fail(t->f, KW_FAULT_REC_PUT, true);
	return rc != KW_OK
		       ? rc
		       : t->f->inner->rec_put(t->inner, rec, expected_version);
}

static kw_rc f_rec_delete(void *p, uint32_t type, const char *id,
			  uint64_t expected_version)
{
	fault_txn *t = p;
	kw_rc rc = should_fail(t->f, KW_FAULT_REC_DELETE, true);
	return rc != KW_OK ? rc
			   : t->f->inner->rec_delete(t->inner, type, id,
						     expected_version);
}

static kw_rc f_rec_list(void *p, uint32_t type, const uint8_t *group,
			const char *after_id, size_t limit, kw_store_list_cb cb,
			void *arg)
{
	fault_txn *t = p;
	kw_rc rc = should_fail(t->f, KW_FAULT_REC_LIST, false);
	return rc != KW_OK ? rc
			   : t->f->inner->rec_list(t->inner, type, group,
						   after_id, limit, cb, arg);
}

static kw_rc f_rec_count(void *p, uint32_t type, const uint8_t *group,
			 uint64_t *out_count)
{
	fault_txn *t = p;
	kw_rc rc = should_fail(t->f, KW_FAULT_REC_COUNT, false);
	return rc != KW_OK ? rc
			   : t->f->inner->rec_count(t->inner, type, group,
						    out_count);
}

static kw_rc f_audit_append(void *p, uint64_t seq, const uint8_t *entry,
			    size_t len)
{
	fault_txn *t = p;
	kw_rc rc = should_fail(t->f, KW_FAULT_AUDIT_APPEND, true);
	return rc != KW_OK
		       ? rc
		       : t->f->inner->audit_append(t->inner, seq, entry, len);
}

static kw_rc f_audit_read(void *p, uint64_t from_seq, size_t limit,
			  kw_store_audit_cb cb, void *arg)
{
	fault_txn *t = p;
	kw_rc rc = should_fail(t->f, KW_FAULT_AUDIT_READ, false);
	return rc != KW_OK ? rc
			   : t->f->inner->audit_read(t->inner, from_seq, limit,
						     cb, arg);
}

static kw_rc f_audit_last(void *p, uint64_t *out_seq)
{
	fault_txn *t = p;
	kw_rc rc = should_fail(t->f, KW_FAULT_AUDIT_LAST, false);
	return rc != KW_OK ? rc : t->f->inner->audit_last(t->inner, out_seq);
}

static const kw_store_ops fault_ops = {
	.version = KW_STORE_OPS_VERSION,
	.name = "fault",
	.open = f_open,
	.close = f_close,
	.txn_begin = f_txn_begin,
	.txn_commit = f_txn_commit,
	.txn_abort = f_txn_abort,
	.rec_get = f_rec_get,
	.rec_get_by_lookup = f_rec_get_by_lookup,
	.rec_put = f_rec_put,
	.rec_delete = f_rec_delete,
	.rec_list = f_rec_list,
	.rec_count = f_rec_count,
	.audit_append = f_audit_append,
	.audit_read = f_audit_read,
	.audit_last = f_audit_last,
};

kw_rc kw_store_fault_new(const kw_store_ops *inner, kw_store_fault **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_store_fault *f = NULL;
	if (inner == NULL || out == NULL)
		goto out;
	rc = KW_E_NOMEM;
	f = calloc(1, sizeof(*f));
	if (f == NULL || pthread_mutex_init(&f->mu, NULL) != 0)
		goto out;
	f->ops = fault_ops;
	f->inner = inner;
	*out = f;
	f = NULL;
	rc = KW_OK;
out:
	free(f);
	return rc;
}

void kw_store_fault_free(kw_store_fault *f)
{
	if (f == NULL)
		return;
	pthread_mutex_destroy(&f->mu);
	free(f);
}

kw_rc kw_store_fault_open(kw_store_fault *f, const kw_store_config *cfg,
			  kw_store **out)
{
	if (f == NULL)
		return KW_E_INVALID;
	opening = f;
	kw_rc rc = kw_store_open_with_ops(&f->ops, cfg, out);
	opening = NULL;
	return rc;
}

void kw_store_fault_fail(kw_store_fault *f, kw_fault_op op, uint64_t nth,
			 uint64_t count, kw_rc rc)
{
	if ((unsigned)op >= KW_FAULT_OP_COUNT_)
		return;
	pthread_mutex_lock(&f->mu);
	fault_rule *r = &f->rules[op];
	r->armed = true;
	r->from = f->calls[op] + (nth == 0 ? 1 : nth);
	r->until = count == 0 ? 0 : r->from + count;
	r->rc = rc;
	pthread_mutex_unlock(&f->mu);
}

void kw_store_fault_fail_always(kw_store_fault *f, kw_fault_op op, kw_rc rc)
{
	kw_store_fault_fail(f, op, 1, 0, rc);
}

void kw_store_fault_disk_full(kw_store_fault *f, bool on)
{
	pthread_mutex_lock(&f->mu);
	f->disk_full = on;
	pthread_mutex_unlock(&f->mu);
}

void kw_store_fault_clear(kw_store_fault *f)
{
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < KW_FAULT_OP_COUNT_; i++)
		f->rules[i].armed = false;
	f->disk_full = false;
	pthread_mutex_unlock(&f->mu);
}

static uint64_t counter(kw_store_fault *f, const uint64_t *v, kw_fault_op op)
{
	if ((unsigned)op >= KW_FAULT_OP_COUNT_)
		return 0;
	pthread_mutex_lock(&f->mu);
	uint64_t n = v[op];
	pthread_mutex_unlock(&f->mu);
	return n;
}

uint64_t kw_store_fault_calls(kw_store_fault *f, kw_fault_op op)
{
	return counter(f, f->calls, op);
}

uint64_t kw_store_fault_failures(kw_store_fault *f, kw_fault_op op)
{
	return counter(f, f->failures, op);
}
