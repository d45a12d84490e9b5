/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "store.mem"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "keywarden/log.h"
#include "store/internal.h"
#include "store/mem/table.h"

/*
 * The in-memory backend, for tests. It behaves like the sqlite backend in
 * everything a caller can observe:
 *  - committed state is an immutable, reference-counted snapshot (one table
 *    per record type + the audit length); a transaction pins the snapshot
 *    that was current when it began, as a WAL reader does;
 *  - a write transaction first passes the writer gate (one writer at a time,
 *    KW_E_STORAGE after the busy timeout), then changes private clones of
 *    the tables it touches (copy-on-write per type); commit publishes a new
 *    snapshot in one pointer swap, abort drops the clones;
 *  - the audit trail is one append-only array; a snapshot sees its first
 *    audit_count entries. Entries below a committed count are never freed
 *    before close, so readers use them without holding a lock.
 */

#define NTYPES (KW_REC_TYPE_MAX_ + 1)

typedef struct mem_state {
	atomic_uint refs;
	kw_mem_table *tables[NTYPES]; /* NULL = no record of that type */
	uint64_t audit_count;
} mem_state;

typedef struct mem_entry {
	size_t len;
	uint8_t data[];
} mem_entry;

typedef struct mem_be {
	kw_store_gate gate;
	unsigned busy_ms;
	pthread_mutex_t state_mu; /* guards current (the pointer) */
	mem_state *current;	  /* holds one reference */
	pthread_mutex_t audit_mu; /* guards audit, audit_n, audit_cap */
	mem_entry **audit;	  /* entry seq is at index seq - 1 */
	size_t audit_n, audit_cap;
} mem_be;

typedef struct mem_txn {
	mem_be *be;
	mem_state *base; /* pinned snapshot, one reference */
	bool write;
	kw_mem_table **own;   /* write: private clones, NULL = untouched */
	uint64_t audit_count; /* entries visible to this transaction */
} mem_txn;

static void state_release(mem_state *s)
{
	if (s == NULL ||
	    atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < NTYPES; i++)
		kw_mem_table_release(s->tables[i]);
	free(s);
}

static kw_rc mem_open(const kw_store_config *cfg, void **out_be)
{
	kw_rc rc = KW_E_NOMEM;
	mem_be *be = calloc(1, sizeof(*be));
	if (be == NULL)
		goto out;
	be->current = calloc(1, sizeof(*be->current));
	if (be->current == NULL)
		goto out;
	atomic_init(&be->current->refs, 1);
	be->busy_ms = kw_store_busy_timeout(cfg);
	rc = KW_E_STORAGE;
	if (pthread_mutex_init(&be->state_mu, NULL) != 0)
		goto out;
	if (pthread_mutex_init(&be->audit_mu, NULL) != 0) {
		pthread_mutex_destroy(&be->state_mu);
		goto out;
	}
	rc = kw_store_gate_init(&be->gate);
	if (rc != KW_OK) {
		pthread_mutex_destroy(&be->audit_mu);
		pthread_mutex_destroy(&be->state_mu);
		goto out;
	}
	*out_be = be;
	be = NULL;
out:
	if (be != NULL)
		free(be->current);
	free(be);
	return rc;
}

static void mem_close(void *p)
{
	mem_be *be = p;
	state_release(be->current);
	for (size_t i = 0; i < be->audit_n; i++)
		free(be->audit[i]);
	free(be->audit);
	kw_store_gate_destroy(&be->gate);
	pthread_mutex_destroy(&be->audit_mu);
	pthread_mutex_destroy(&be->state_mu);
	free(be);
}

static mem_state *current_pin(mem_be *be)
{
	pthread_mutex_lock(&be->state_mu);
	mem_state *s = be->current;
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&be->state_mu);
	return s;
}

static kw_rc mem_txn_begin(void *p, bool write, void **out_txn)
{
	mem_be *be = p;
	kw_rc rc = KW_E_NOMEM;
	bool gated = false;
	mem_txn *t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto out;
	if (write) {
		t->own = calloc(NTYPES, sizeof(*t->own));
		if (t->own == NULL)
			goto out;
		rc = kw_store_gate_enter(&be->gate, be->busy_ms,
					 "mem write transaction");
		if (rc != KW_OK)
			goto out;
		gated = true;
	}
	/* Taken after the gate: a writer's base is the latest commit. */
	t->be = be;
	t->write = write;
	t->base = current_pin(be);
	t->audit_count = t->base->audit_count;
	*out_txn = t;
	t = NULL;
	rc = KW_OK;
out:
	if (t != NULL) {
		if (gated)
			kw_store_gate_leave(&be->gate);
		free(t->own);
	}
	free(t);
	return rc;
}

/* Ends t and frees it; the writer gate is left last, so the next writer
 * starts from what this one published. */
static void txn_end(mem_txn *t)
{
	if (t->write) {
		for (size_t i = 0; i < NTYPES; i++)
			kw_mem_table_release(t->own[i]);
		free(t->own);
	}
	state_release(t->base);
	if (t->write)
		kw_store_gate_leave(&t->be->gate);
	free(t);
}

static void mem_txn_abort(void *p)
{
	mem_txn *t = p;
	if (t->write) {
		mem_be *be = t->be;
		pthread_mutex_lock(&be->audit_mu);
		while (be->audit_n > t->base->audit_count)
			free(be->audit[--be->audit_n]);
		pthread_mutex_unlock(&be->audit_mu);
	}
	txn_end(t);
}

static kw_rc mem_txn_commit(void *p)
{
	mem_txn *t = p;
	kw_rc rc = KW_OK;
	if (!t->write)
		goto out;
	mem_state *next = calloc(1, sizeof(*next));
	if (next == NULL) {
		rc = KW_E_NOMEM;
		mem_txn_abort(t);
		t = NULL;
		goto out;
	}
	atomic_init(&next->refs, 1);
	for (size_t i = 0; i < NTYPES; i++) {
		if (t->own[i] != NULL) {
			next->tables[i] = t->own[i]; /* moves the reference */
			t->own[i] = NULL;
		} else if (t->base->tables[i] != NULL) {
			next->tables[i] =
				kw_mem_table_retain(t->base->tables[i]);
		}
	}
	next->audit_count = t->audit_count;
	mem_be *be = t->be;
	pthread_mutex_lock(&be->state_mu);
	assert(be->current == t->base);
	mem_state *old = be->current;
	be->current = next;
	pthread_mutex_unlock(&be->state_mu);
	state_release(old);
out:
	if (t != NULL)
		txn_end(t);
	return rc;
}

static const kw_mem_table *view(const mem_txn *t, uint32_t type)
{
	if (t->write && t->own[type] != NULL)
		return t->own[type];
	return t->base->tables[type];
}

static kw_rc writable(mem_txn *t, uint32_t type, kw_mem_table **out)
{
	assert(t->write);
	if (t->own[type] == NULL) {
		kw_rc rc = kw_mem_table_clone(t->base->tables[type],
					      &t->own[type]);
		if (rc != KW_OK)
			return rc;
	}
	*out = t->own[type];
	return KW_OK;
}

static kw_rc mem_rec_get(void *p, uint32_t type, const char *id,
			 kw_store_rec *out)
{
	const kw_mem_rec *r = kw_mem_table_get(view(p, type), id);
	return r != NULL ? kw_mem_rec_copy_out(r, out) : KW_E_NOT_FOUND;
}

static kw_rc mem_rec_get_by_lookup(void *p, uint32_t type,
				   const uint8_t lookup[KW_STORE_TAG_LEN],
				   kw_store_rec *out)
{
	const kw_mem_rec *r = kw_mem_table_get_by_lookup(view(p, type), lookup);
	return r != NULL ? kw_mem_rec_copy_out(r, out) : KW_E_NOT_FOUND;
}

/* The CAS rules, shared by put and delete (identical in sqlite). */
static kw_rc check_version(const kw_mem_rec *cur, uint64_t expected)
{
	if (expected == 0)
		return cur != NULL ? KW_E_EXISTS : KW_OK;
	if (cur == NULL)
		return KW_E_NOT_FOUND;
	return cur->r.version == expected ? KW_OK : KW_E_CONFLICT;
}

static kw_rc mem_rec_put(void *p, const kw_store_rec *rec,
			 uint64_t expected_version)
{
	mem_txn *t = p;
	kw_mem_rec *nr = NULL;
	kw_mem_table *tbl = NULL;
	const kw_mem_table *v = view(t, rec->type);
	kw_rc rc =
		check_version(kw_mem_table_get(v, rec->id), expected_version);
	if (rc != KW_OK)
		goto out;
	if (rec->has_lookup) {
		const kw_mem_rec *other =
			kw_mem_table_get_by_lookup(v, rec->lookup);
		if (other != NULL && strcmp(other->r.id, rec->id) != 0) {
			rc = KW_E_EXISTS;
			goto out;
		}
	}
	rc = kw_mem_rec_new(rec, &nr);
	if (rc != KW_OK)
		goto out;
	rc = writable(t, rec->type, &tbl);
	if (rc != KW_OK)
		goto out;
	rc = kw_mem_table_put(tbl, nr);
	if (rc == KW_OK)
		nr = NULL;
out:
	kw_mem_rec_release(nr);
	return rc;
}

static kw_rc mem_rec_delete(void *p, uint32_t type, const char *id,
			    uint64_t expected_version)
{
	mem_txn *t = p;
	kw_mem_table *tbl = NULL;
	kw_rc rc = check_version(kw_mem_table_get(view(t, type), id),
				 expected_version);
	if (rc != KW_OK)
		goto out;
	rc = writable(t, type, &tbl);
	if (rc != KW_OK)
		goto out;
	kw_mem_table_delete(tbl, id);
out:
	return rc;
}

/*
 * Each step searches again from the last id returned, so the callback may
 * change the table (in a write transaction) without invalidating the walk;
 * the record passed to it is pinned for the duration of the call.
 */
static kw_rc mem_rec_list(void *p, uint32_t type, const uint8_t *group,
			  const char *after_id, size_t limit,
			  kw_store_list_cb cb, void *arg)
{
	mem_txn *t = p;
	kw_rc rc = KW_OK;
	char last[KW_STORE_ID_MAX + 1];
	const char *after = after_id;
	for (size_t n = 0; limit == 0 || n < limit; n++) {
		kw_mem_rec *r = kw_mem_table_next(view(t, type), group, after);
		if (r == NULL)
			break;
		kw_mem_rec_retain(r);
		rc = cb(&r->r, arg);
		memcpy(last, r->r.id, sizeof(last));
		after = last;
		kw_mem_rec_release(r);
		if (rc != KW_OK)
			break;
	}
	return rc;
}

static kw_rc mem_rec_count(void *p, uint32_t type, const uint8_t *group,
			   uint64_t *out_count)
{
	*out_count = kw_mem_table_count(view(p, type), group);
	return KW_OK;
}

static kw_rc mem_audit_append(void *p, uint64_t seq, const uint8_t *entry,
			      size_t len)
{
	mem_txn *t = p;
	mem_be *be = t->be;
	kw_rc rc = KW_E_CONFLICT;
	mem_entry *e = NULL;
	if (seq != t->audit_count + 1)
		goto out;
	rc = KW_E_NOMEM;
	e = malloc(sizeof(*e) + len);
	if (e == NULL)
		goto out;
	e->len = len;
	memcpy(e->data, entry, len);
	pthread_mutex_lock(&be->audit_mu);
	assert(be->audit_n == t->audit_count);
	if (be->audit_n == be->audit_cap) {
		size_t cap = be->audit_cap < 64 ? 64 : be->audit_cap * 2;
		mem_entry **a = realloc(be->audit, cap * sizeof(*a));
		if (a != NULL) {
			be->audit = a;
			be->audit_cap = cap;
		}
	}
	if (be->audit_n < be->audit_cap) {
		be->audit[be->audit_n++] = e;
		e = NULL;
		rc = KW_OK;
	}
	pthread_mutex_unlock(&be->audit_mu);
	if (rc == KW_OK)
		t->audit_count++;
out:
	free(e);
	return rc;
}

static kw_rc mem_audit_read(void *p, uint64_t from_seq, size_t limit,
			    kw_store_audit_cb cb, void *arg)
{
	mem_txn *t = p;
	mem_be *be = t->be;
	kw_rc rc = KW_OK;
	uint64_t seq = from_seq == 0 ? 1 : from_seq;
	for (size_t n = 0; (limit == 0 || n < limit) && seq <= t->audit_count;
	     n++, seq++) {
		/* The array may move under a concurrent append; the entry
		 * itself does not. */
		pthread_mutex_lock(&be->audit_mu);
		const mem_entry *e = be->audit[seq - 1];
		pthread_mutex_unlock(&be->audit_mu);
		rc = cb(seq, e->data, e->len, arg);
		if (rc != KW_OK)
			break;
	}
	return rc;
}

static kw_rc mem_audit_last(void *p, uint64_t *out_seq)
{
	*out_seq = ((const mem_txn *)p)->audit_count;
	return KW_OK;
}

const kw_store_ops kw_store_mem_ops = {
	.version = KW_STORE_OPS_VERSION,
	.name = "mem",
	.open = mem_open,
	.close = mem_close,
	.txn_begin = mem_txn_begin,
	.txn_commit = mem_txn_commit,
	.txn_abort = mem_txn_abort,
	.rec_get = mem_rec_get,
	.rec_get_by_lookup = mem_rec_get_by_lookup,
	.rec_put = mem_rec_put,
	.rec_delete = mem_rec_delete,
	.rec_list = mem_rec_list,
	.rec_count = mem_rec_count,
	.audit_append = mem_audit_append,
	.audit_read = mem_audit_read,
	.audit_last = mem_audit_last,
};
