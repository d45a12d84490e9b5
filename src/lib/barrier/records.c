/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "barrier"

#include <stdlib.h>
#include <string.h>

#include "barrier/internal.h"
#include "keywarden/log.h"

/*
 * Sealed record operations. Each runs under the shared lock (taken by
 * kw_barrier_enter) so a seal waits for it; list releases the lock around
 * its callback, so a callback may call any barrier function.
 *
 * Reads open the row with its identity as AAD and then check its version
 * against its manifest bucket; writes check the manifest first (it is the
 * authenticated truth; a store that disagrees with it was tampered with),
 * then write the row, its bucket and the root in the caller's transaction.
 */

#define LIST_PAGE 256

/* A type and id callers may use: not the barrier's own records. */
static bool user_rec_valid(uint32_t type, const char *id)
{
	if (type < 1 || type > KW_REC_TYPE_MAX_ || type == KW_REC_BUCKET)
		return false;
	if (id == NULL)
		return true;
	if (!kw_store_id_valid(id))
		return false;
	return type != KW_REC_META || (strcmp(id, KW_BARRIER_META_ID) != 0 &&
				       strcmp(id, KW_BARRIER_ROOT_ID) != 0);
}

/* Opens a stored row and checks it against its manifest. */
static kw_rc open_checked(const kw_barrier_keys *k, kw_store_txn *t,
			  const kw_store_rec *rec, kw_secret **out)
{
	kw_seal_ident ident;
	kw_secret *plain = NULL;

	kw_seal_ident_of(rec, &ident);
	kw_rc rc = kw_barrier_data_open(k->record, &ident, rec->data,
					rec->data_len, &plain);
	if (rc == KW_E_INTEGRITY)
		KW_LOG_WARN("record %u/%s fails to open: edited or moved",
			    (unsigned)rec->type, rec->id);
	if (rc == KW_OK)
		rc = kw_manifest_check(k, t, rec->type, rec->id, rec->version);
	if (rc == KW_OK) {
		*out = plain;
		plain = NULL;
	}
	kw_secret_free(plain);
	return rc;
}

/* Opens and checks rec; on success gives its data, version and (if out_id
 * is not NULL) id to the caller. */
static kw_rc open_to_caller(const kw_barrier_keys *k, kw_store_txn *t,
			    const kw_store_rec *rec, char *out_id,
			    kw_secret **out_data, uint64_t *out_version)
{
	kw_secret *plain = NULL;
	kw_rc rc = open_checked(k, t, rec, &plain);
	if (rc == KW_OK) {
		if (out_id != NULL)
			memcpy(out_id, rec->id, strlen(rec->id) + 1);
		if (out_version != NULL)
			*out_version = rec->version;
		*out_data = plain;
	}
	return rc;
}

kw_rc kw_barrier_rec_get(kw_barrier *b, kw_store_txn *t, uint32_t type,
			 const char *id, kw_secret **out_data,
			 uint64_t *out_version)
{
	kw_rc rc = KW_E_INVALID;
	const kw_barrier_keys *k = NULL;
	kw_store_rec rec;
	bool entered = false;

	memset(&rec, 0, sizeof(rec));
	if (b == NULL || t == NULL || id == NULL || out_data == NULL ||
	    !user_rec_valid(type, id))
		goto out;
	rc = kw_barrier_enter(b, &k);
	if (rc != KW_OK)
		goto out;
	entered = true;
	rc = kw_store_rec_get(t, type, id, &rec);
	if (rc == KW_E_NOT_FOUND) {
		/* Absent: fine if the manifest agrees, else it was deleted
		 * behind the barrier's back. */
		rc = kw_manifest_check(k, t, type, id, 0);
		if (rc == KW_OK)
			rc = KW_E_NOT_FOUND;
		goto out;
	}
	if (rc == KW_OK)
		rc = open_to_caller(k, t, &rec, NULL, out_data, out_version);
out:
	if (entered)
		kw_barrier_leave(b);
	kw_store_rec_clear(&rec);
	return rc;
}

kw_rc kw_barrier_rec_find(kw_barrier *b, kw_store_txn *t, uint32_t type,
			  const char *lookup, char *out_id,
			  kw_secret **out_data, uint64_t *out_version)
{
	kw_rc rc = KW_E_INVALID;
	const kw_barrier_keys *k = NULL;
	kw_store_rec rec;
	uint8_t tag[KW_STORE_TAG_LEN];
	bool entered = false;

	memset(&rec, 0, sizeof(rec));
	if (b == NULL || t == NULL || lookup == NULL || out_id == NULL ||
	    out_data == NULL || !user_rec_valid(type, NULL))
		goto out;
	rc = kw_barrier_enter(b, &k);
	if (rc != KW_OK)
		goto out;
	entered = true;
	rc = kw_barrier_tag(k, type, 'l', lookup, tag);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_rec_get_by_lookup(t, type, tag, &rec);
	if (rc != KW_OK)
		goto out;
	/* The tag is in the AAD, so a row whose lookup column was changed
	 * fails to open; this guards against a backend returning a row with
	 * another tag. */
	if (!rec.has_lookup || memcmp(rec.lookup, tag, sizeof(tag)) != 0 ||
	    !user_rec_valid(type, rec.id)) {
		rc = KW_E_INTEGRITY;
		goto out;
	}
	rc = open_to_caller(k, t, &rec, out_id, out_data, out_version);
out:
	if (entered)
		kw_barrier_leave(b);
	kw_store_rec_clear(&rec);
	return rc;
}

/* After the store refused a write the manifest allowed: a tampered store,
 * unless an insert met another record's lookup tag (a caller error). */
static kw_rc write_refused(kw_store_txn *t, uint32_t type, const char *id,
			   uint64_t expected, kw_rc store_rc)
{
	kw_store_rec rec;
	kw_rc rc = store_rc;

	memset(&rec, 0, sizeof(rec));
	if (store_rc == KW_E_EXISTS && expected == 0) {
		/* The id is free in the manifest: is there a row anyway? */
		rc = kw_store_rec_get(t, type, id, &rec);
		if (rc == KW_E_NOT_FOUND)
			rc = KW_E_EXISTS; /* no: the lookup name is taken */
		else if (rc == KW_OK)
			rc = KW_E_INTEGRITY;
	} else if (store_rc == KW_E_CONFLICT || store_rc == KW_E_NOT_FOUND) {
		rc = KW_E_INTEGRITY;
	}
	if (rc == KW_E_INTEGRITY)
		KW_LOG_WARN("record %u/%s: the store disagrees with its "
			    "manifest",
			    (unsigned)type, id);
	kw_store_rec_clear(&rec);
	return rc;
}

kw_rc kw_barrier_rec_put(kw_barrier *b, kw_store_txn *t, uint32_t type,
			 const char *id, const char *group, const char *lookup,
			 const uint8_t *data, size_t data_len,
			 uint64_t expected_version, uint64_t *out_version)
{
	kw_rc rc = KW_E_INVALID;
	const kw_barrier_keys *k = NULL;
	kw_manifest_edit e;
	kw_store_rec rec;
	kw_seal_ident ident;
	bool entered = false;

	memset(&e, 0, sizeof(e));
	memset(&rec, 0, sizeof(rec));
	if (b == NULL || t == NULL || id == NULL || !user_rec_valid(type, id) ||
	    (data == NULL && data_len != 0) || expected_version >= INT64_MAX)
		goto out;
	rc = KW_E_LIMIT;
	if (data_len > KW_BARRIER_DATA_MAX)
		goto out;
	rc = kw_barrier_enter(b, &k);
	if (rc != KW_OK)
		goto out;
	entered = true;
	rec.type = type;
	memcpy(rec.id, id, strlen(id) + 1);
	rec.version = expected_version + 1;
	if (group != NULL) {
		rc = kw_barrier_tag(k, type, 'g', group, rec.group);
		if (rc != KW_OK)
			goto out;
		rec.has_group = true;
	}
	if (lookup != NULL) {
		rc = kw_barrier_tag(k, type, 'l', lookup, rec.lookup);
		if (rc != KW_OK)
			goto out;
		rec.has_lookup = true;
	}
	rc = kw_manifest_edit_begin(k, t, type, id, &e);
	if (rc != KW_OK)
		goto out;
	if (e.version != expected_version) {
		rc = expected_version == 0 ? KW_E_EXISTS : KW_E_CONFLICT;
		goto out;
	}
	kw_seal_ident_of(&rec, &ident);
	rc = kw_barrier_data_seal(k->record, &ident, data, data_len, &rec.data,
				  &rec.data_len);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_rec_put(t, &rec, expected_version);
	if (rc != KW_OK) {
		rc = write_refused(t, type, id, expected_version, rc);
		goto out;
	}
	rc = kw_manifest_edit_commit(k, t, &e, rec.version);
	if (rc != KW_OK)
		goto out;
	if (out_version != NULL)
		*out_version = rec.version;
out:
	if (entered)
		kw_barrier_leave(b);
	kw_manifest_edit_clear(&e);
	kw_store_rec_clear(&rec);
	return rc;
}

kw_rc kw_barrier_rec_delete(kw_barrier *b, kw_store_txn *t, uint32_t type,
			    const char *id, uint64_t expected_version)
{
	kw_rc rc = KW_E_INVALID;
	const kw_barrier_keys *k = NULL;
	kw_manifest_edit e;
	bool entered = false;

	memset(&e, 0, sizeof(e));
	if (b == NULL || t == NULL || id == NULL || !user_rec_valid(type, id) ||
	    expected_version == 0)
		goto out;
	rc = kw_barrier_enter(b, &k);
	if (rc != KW_OK)
		goto out;
	entered = true;
	rc = kw_manifest_edit_begin(k, t, type, id, &e);
	if (rc != KW_OK)
		goto out;
	if (e.version != expected_version) {
		rc = e.version == 0 ? KW_E_NOT_FOUND : KW_E_CONFLICT;
		goto out;
	}
	rc = kw_store_rec_delete(t, type, id, expected_version);
	if (rc != KW_OK) {
		rc = write_refused(t, type, id, expected_version, rc);
		goto out;
	}
	rc = kw_manifest_edit_commit(k, t, &e, 0);
out:
	if (entered)
		kw_barrier_leave(b);
	kw_manifest_edit_clear(&e);
	return rc;
}

/* One page of rows copied out of a store listing. */
typedef struct list_page {
	kw_store_rec rows[LIST_PAGE];
	size_t n;
} list_page;

static kw_rc page_add(const kw_store_rec *rec, void *arg)
{
	kw_rc rc = KW_E_INTERNAL;
	list_page *p = arg;
	if (p->n >= LIST_PAGE)
		goto out; /* the store gave more than the limit */
	kw_store_rec *r = &p->rows[p->n];
	*r = *rec;
	r->data = malloc(rec->data_len > 0 ? rec->data_len : 1);
	rc = KW_E_NOMEM;
	if (r->data == NULL)
		goto out;
	if (rec->data_len > 0)
		memcpy(r->data, rec->data, rec->data_len);
	p->n++;
	rc = KW_OK;
out:
	return rc;
}

static void page_clear(list_page *p)
{
	for (size_t i = 0; i < p->n; i++)
		kw_store_rec_clear(&p->rows[i]);
	p->n = 0;
}

/* Opens and checks one listed row under the lock, then hands it to cb with
 * the lock released. */
static kw_rc list_deliver(kw_barrier *b, kw_store_txn *t,
			  const kw_store_rec *rec, kw_barrier_list_cb cb,
			  void *arg)
{
	const kw_barrier_keys *k = NULL;
	kw_secret *plain = NULL;
	kw_rc rc = kw_barrier_enter(b, &k);
	if (rc != KW_OK)
		goto out;
	rc = open_checked(k, t, rec, &plain);
	kw_barrier_leave(b);
	if (rc == KW_OK)
		rc = cb(rec->id, rec->version, plain->data, plain->len, arg);
out:
	kw_secret_free(plain);
	return rc;
}

/* The keyed group tag, computed under the lock; KW_E_SEALED if sealed. */
static kw_rc group_tag(kw_barrier *b, uint32_t type, const char *group,
		       uint8_t tag[static KW_STORE_TAG_LEN])
{
	const kw_barrier_keys *k = NULL;
	kw_rc rc = kw_barrier_enter(b, &k);
	if (rc != KW_OK)
		goto out;
	if (group != NULL)
		rc = kw_barrier_tag(k, type, 'g', group, tag);
	kw_barrier_leave(b);
out:
	return rc;
}

kw_rc kw_barrier_rec_list(kw_barrier *b, kw_store_txn *t, uint32_t type,
			  const char *group, const char *after_id, size_t limit,
			  kw_barrier_list_cb cb, void *arg)
{
	kw_rc rc = KW_E_INVALID;
	uint8_t tag[KW_STORE_TAG_LEN];
	char cursor[KW_STORE_ID_MAX + 1];
	bool has_cursor = after_id != NULL;
	size_t done = 0;
	list_page *page = NULL;

	if (b == NULL || t == NULL || cb == NULL ||
	    !user_rec_valid(type, NULL) ||
	    (after_id != NULL && !kw_store_id_valid(after_id)))
		goto out;
	rc = group_tag(b, type, group, tag);
	if (rc != KW_OK)
		goto out;
	if (has_cursor)
		memcpy(cursor, after_id, strlen(after_id) + 1);
	rc = KW_E_NOMEM;
	page = calloc(1, sizeof(*page));
	if (page == NULL)
		goto out;
	/* Page through copies, so no barrier or store call runs inside the
	 * store's own listing. */
	for (;;) {
		size_t want = LIST_PAGE;
		if (limit != 0 && limit - done < want)
			want = limit - done;
		rc = kw_store_rec_list(t, type, group ? tag : NULL,
				       has_cursor ? cursor : NULL, want,
				       page_add, page);
		if (rc != KW_OK)
			goto out;
		for (size_t i = 0; i < page->n; i++) {
			const kw_store_rec *r = &page->rows[i];
			if (!user_rec_valid(type, r->id))
				continue; /* the barrier's own META rows */
			rc = list_deliver(b, t, r, cb, arg);
			if (rc != KW_OK)
				goto out;
			done++;
		}
		if (page->n < want || (limit != 0 && done >= limit))
			break;
		memcpy(cursor, page->rows[page->n - 1].id,
		       sizeof(page->rows[0].id));
		has_cursor = true;
		page_clear(page);
	}
	rc = KW_OK;
out:
	if (page != NULL)
		page_clear(page);
	free(page);
	return rc;
}

kw_rc kw_barrier_rec_count(kw_barrier *b, kw_store_txn *t, uint32_t type,
			   const char *group, uint64_t *out_count)
{
	kw_rc rc = KW_E_INVALID;
	uint8_t tag[KW_STORE_TAG_LEN];
	uint64_t n = 0;

	if (b == NULL || t == NULL || out_count == NULL ||
	    !user_rec_valid(type, NULL))
		goto out;
	rc = group_tag(b, type, group, tag);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_rec_count(t, type, group ? tag : NULL, &n);
	if (rc != KW_OK)
		goto out;
	/* The barrier's own "barrier" and "root" rows have no group. */
	if (type == KW_REC_META && group == NULL) {
		if (n < 2) {
			rc = KW_E_INTEGRITY;
			goto out;
		}
		n -= 2;
	}
	*out_count = n;
out:
	return rc;
}
