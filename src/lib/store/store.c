/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "store"

#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "keywarden/log.h"
#include "keywarden/store.h"
#include "store/internal.h"

/*
 * The wrappers validate every argument once, here, so that the backends
 * (and any ops table a test injects) only ever see well-formed calls. They
 * also make a failed transaction fail-closed: after a backend reports
 * KW_E_STORAGE, KW_E_NOMEM or KW_E_INTERNAL, every further call on that
 * transaction returns KW_E_STORAGE and commit rolls back.
 */

struct kw_store {
	const kw_store_ops *ops;
	void *be;
	atomic_uint open_txns; /* for the "all transactions finished" rule */
};

struct kw_store_txn {
	kw_store *s;
	void *be_txn;
	bool write;
	bool failed; /* a backend failure: only abort (or commit = abort) */
};

static const kw_store_ops *const backends[] = {
	&kw_store_sqlite_ops,
	&kw_store_mem_ops,
};

const kw_store_ops *kw_store_backend(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

bool kw_store_id_valid(const char *id)
{
	if (id == NULL)
		return false;
	size_t n = strnlen(id, KW_STORE_ID_MAX + 1);
	if (n == 0 || n > KW_STORE_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e)
			return false;
	return true;
}

static bool type_valid(uint32_t type)
{
	return type >= 1 && type <= KW_REC_TYPE_MAX_;
}

void kw_store_rec_clear(kw_store_rec *rec)
{
	if (rec == NULL)
		return;
	free(rec->data);
	memset(rec, 0, sizeof(*rec));
}

static bool ops_complete(const kw_store_ops *ops)
{
	return ops->name != NULL && ops->open != NULL && ops->close != NULL &&
	       ops->txn_begin != NULL && ops->txn_commit != NULL &&
	       ops->txn_abort != NULL && ops->rec_get != NULL &&
	       ops->rec_get_by_lookup != NULL && ops->rec_put != NULL &&
	       ops->rec_delete != NULL && ops->rec_list != NULL &&
	       ops->rec_count != NULL && ops->audit_append != NULL &&
	       ops->audit_read != NULL && ops->audit_last != NULL;
}

kw_rc kw_store_open_with_ops(const kw_store_ops *ops,
			     const kw_store_config *cfg, kw_store **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_store *s = NULL;
	if (ops == NULL || cfg == NULL || out == NULL)
		goto out;
	if (ops->version != KW_STORE_OPS_VERSION) {
		KW_LOG_ERROR("store ops table of version %u, expected %u",
			     ops->version, KW_STORE_OPS_VERSION);
		goto out;
	}
	if (!ops_complete(ops)) {
		KW_LOG_ERROR("store ops table \"%s\" lacks a function",
			     ops->name != NULL ? ops->name : "?");
		goto out;
	}
	rc = KW_E_NOMEM;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto out;
	s->ops = ops;
	atomic_init(&s->open_txns, 0);
	rc = ops->open(cfg, &s->be);
	if (rc != KW_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	free(s);
	return rc;
}

kw_rc kw_store_open(const kw_store_config *cfg, kw_store **out)
{
	kw_rc rc = KW_E_INVALID;
	if (cfg == NULL || out == NULL)
		goto out;
	const char *name = cfg->backend != NULL ? cfg->backend : "sqlite";
	const kw_store_ops *ops = kw_store_backend(name);
	if (ops == NULL) {
		KW_LOG_ERROR("unknown store backend \"%s\"", name);
		goto out;
	}
	rc = kw_store_open_with_ops(ops, cfg, out);
out:
	return rc;
}

void kw_store_close(kw_store *s)
{
	if (s == NULL)
		return;
	unsigned open = atomic_load(&s->open_txns);
	if (open != 0)
		KW_LOG_ERROR("store closed with %u transaction(s) still open",
			     open);
	assert(open == 0);
	s->ops->close(s->be);
	free(s);
}

const char *kw_store_backend_name(const kw_store *s)
{
	return s != NULL ? s->ops->name : NULL;
}

kw_rc kw_store_txn_begin(kw_store *s, bool write, kw_store_txn **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_store_txn *t = NULL;
	if (s == NULL || out == NULL)
		goto out;
	rc = KW_E_NOMEM;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto out;
	t->s = s;
	t->write = write;
	rc = s->ops->txn_begin(s->be, write, &t->be_txn);
	if (rc != KW_OK)
		goto out;
	atomic_fetch_add(&s->open_txns, 1);
	*out = t;
	t = NULL;
out:
	free(t);
	return rc;
}

static void txn_free(kw_store_txn *t)
{
	atomic_fetch_sub(&t->s->open_txns, 1);
	free(t);
}

void kw_store_txn_abort(kw_store_txn *t)
{
	if (t == NULL)
		return;
	t->s->ops->txn_abort(t->be_txn);
	txn_free(t);
}

kw_rc kw_store_txn_commit(kw_store_txn *t)
{
	kw_rc rc = KW_E_INVALID;
	if (t == NULL)
		goto out;
	if (t->failed) {
		/* Fail-closed: part of the transaction's work may be lost. */
		t->s->ops->txn_abort(t->be_txn);
		rc = KW_E_STORAGE;
	} else {
		rc = t->s->ops->txn_commit(t->be_txn);
	}
	txn_free(t);
out:
	return rc;
}

/* Common checks for every operation on a transaction. */
static kw_rc txn_usable(const kw_store_txn *t, bool needs_write)
{
	if (t == NULL)
		return KW_E_INVALID;
	if (needs_write && !t->write)
		return KW_E_INVALID;
	if (t->failed)
		return KW_E_STORAGE;
	return KW_OK;
}

/* Passes a backend result through, remembering failures that leave the
 * transaction in an unknown state. */
static kw_rc track(kw_store_txn *t, kw_rc rc)
{
	if (rc == KW_E_STORAGE || rc == KW_E_NOMEM || rc == KW_E_INTERNAL)
		t->failed = true;
	return rc;
}

kw_rc kw_store_rec_get(kw_store_txn *t, uint32_t type, const char *id,
		       kw_store_rec *out)
{
	kw_rc rc = txn_usable(t, false);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_INVALID;
	if (!type_valid(type) || !kw_store_id_valid(id) || out == NULL)
		goto out;
	rc = track(t, t->s->ops->rec_get(t->be_txn, type, id, out));
out:
	return rc;
}

kw_rc kw_store_rec_get_by_lookup(kw_store_txn *t, uint32_t type,
				 const uint8_t lookup[KW_STORE_TAG_LEN],
				 kw_store_rec *out)
{
	kw_rc rc = txn_usable(t, false);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_INVALID;
	if (!type_valid(type) || lookup == NULL || out == NULL)
		goto out;
	rc = track(t,
		   t->s->ops->rec_get_by_lookup(t->be_txn, type, lookup, out));
out:
	return rc;
}

static bool rec_valid(const kw_store_rec *rec, uint64_t expected_version)
{
	if (rec == NULL || !type_valid(rec->type) ||
	    !kw_store_id_valid(rec->id))
		return false;
	if (rec->data_len > KW_STORE_DATA_MAX ||
	    (rec->data == NULL && rec->data_len != 0))
		return false;
	/* Versions are SQLite integers: at most INT64_MAX. */
	if (expected_version >= INT64_MAX)
		return false;
	return rec->version == expected_version + 1;
}

kw_rc kw_store_rec_put(kw_store_txn *t, const kw_store_rec *rec,
		       uint64_t expected_version)
{
	kw_rc rc = txn_usable(t, true);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_INVALID;
	if (!rec_valid(rec, expected_version))
		goto out;
	rc = track(t, t->s->ops->rec_put(t->be_txn, rec, expected_version));
out:
	return rc;
}

kw_rc kw_store_rec_load(kw_store_txn *t, const kw_store_rec *rec)
{
	kw_rc rc = txn_usable(t, true);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_INVALID;
	if (rec == NULL || rec->version == 0 ||
	    !rec_valid(rec, rec->version - 1))
		goto out;
	/* An insert (expected version 0) carrying the record's own version:
	 * every backend's insert stores rec->version as given. */
	rc = track(t, t->s->ops->rec_put(t->be_txn, rec, 0));
out:
	return rc;
}

kw_rc kw_store_rec_delete(kw_store_txn *t, uint32_t type, const char *id,
			  uint64_t expected_version)
{
	kw_rc rc = txn_usable(t, true);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_INVALID;
	if (!type_valid(type) || !kw_store_id_valid(id) ||
	    expected_version == 0 || expected_version > INT64_MAX)
		goto out;
	rc = track(t, t->s->ops->rec_delete(t->be_txn, type, id,
					    expected_version));
out:
	return rc;
}

kw_rc kw_store_rec_list(kw_store_txn *t, uint32_t type, const uint8_t *group,
			const char *after_id, size_t limit, kw_store_list_cb cb,
			void *arg)
{
	kw_rc rc = txn_usable(t, false);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_INVALID;
	if (!type_valid(type) || cb == NULL ||
	    (after_id != NULL && !kw_store_id_valid(after_id)))
		goto out;
	rc = track(t, t->s->ops->rec_list(t->be_txn, type, group, after_id,
					  limit, cb, arg));
out:
	return rc;
}

kw_rc kw_store_rec_count(kw_store_txn *t, uint32_t type, const uint8_t *group,
			 uint64_t *out_count)
{
	kw_rc rc = txn_usable(t, false);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_INVALID;
	if (!type_valid(type) || out_count == NULL)
		goto out;
	rc = track(t, t->s->ops->rec_count(t->be_txn, type, group, out_count));
out:
	return rc;
}

kw_rc kw_store_audit_append(kw_store_txn *t, uint64_t seq, const uint8_t *entry,
			    size_t len)
{
	kw_rc rc = txn_usable(t, true);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_INVALID;
	if (seq == 0 || seq > INT64_MAX || entry == NULL || len == 0 ||
	    len > KW_STORE_DATA_MAX)
		goto out;
	rc = track(t, t->s->ops->audit_append(t->be_txn, seq, entry, len));
out:
	return rc;
}

kw_rc kw_store_audit_read(kw_store_txn *t, uint64_t from_seq, size_t limit,
			  kw_store_audit_cb cb, void *arg)
{
	kw_rc rc = txn_usable(t, false);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_INVALID;
	if (cb == NULL)
		goto out;
	rc = track(t,
		   t->s->ops->audit_read(t->be_txn, from_seq, limit, cb, arg));
out:
	return rc;
}

kw_rc kw_store_audit_last(kw_store_txn *t, uint64_t *out_seq)
{
	kw_rc rc = txn_usable(t, false);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_INVALID;
	if (out_seq == NULL)
		goto out;
	rc = track(t, t->s->ops->audit_last(t->be_txn, out_seq));
out:
	return rc;
}
