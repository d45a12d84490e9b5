/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/internal.h"

/*
 * Listing keys: a scan over the KW_REC_KEY records of one partition (or of
 * all, for the destruction sweep) in id order, in chunks, decoding only the
 * metadata, and the paginated, filtered kw_key_list on top of it.
 */

#define SCAN_CHUNK 256
#define LIST_MAX   1000

typedef struct scan_ctx {
	const char *partition; /* NULL = every partition */
	kw_keys_scan_fn fn;
	void *arg;
	char last_id[KW_STORE_ID_MAX + 1];
	size_t seen;  /* records in this chunk */
	bool stopped; /* fn asked to stop */
	kw_rc err;    /* fn's error */
} scan_ctx;

static kw_rc scan_one(const char *id, uint64_t version, const uint8_t *data,
		      size_t len, void *arg)
{
	scan_ctx *c = arg;
	kw_key_rec *r = NULL;
	bool stop = false;
	kw_rc rc;
	c->seen++;
	snprintf(c->last_id, sizeof(c->last_id), "%s", id);
	rc = kw_keys_rec_decode(data, len, false, &r);
	if (rc != KW_OK)
		goto out;
	/* The group tag selected the partition; the sealed content must
	 * agree with it and with the record's id. */
	rc = KW_E_INTEGRITY;
	if (strcmp(r->info.id, id) != 0 ||
	    (c->partition != NULL &&
	     strcmp(r->info.partition, c->partition) != 0))
		goto out;
	r->info.record_version = version;
	rc = c->fn(&r, c->arg, &stop);
	if (rc == KW_OK && stop) {
		c->stopped = true;
		rc = KW_E_LIMIT; /* any code stops the listing */
	}
out:
	c->err = rc;
	kw_keys_rec_free(r);
	return rc;
}

kw_rc kw_keys_scan(kw_keys *ks, const char *partition, const char *after_id,
		   kw_keys_scan_fn fn, void *arg)
{
	kw_rc rc;
	kw_store_txn *t = NULL;
	scan_ctx c = {.partition = partition, .fn = fn, .arg = arg};
	if (after_id != NULL)
		snprintf(c.last_id, sizeof(c.last_id), "%s", after_id);
	rc = kw_store_txn_begin(ks->store, false, &t);
	while (rc == KW_OK) {
		c.seen = 0;
		rc = kw_barrier_rec_list(ks->barrier, t, KW_REC_KEY, partition,
					 c.last_id[0] != '\0' ? c.last_id
							      : NULL,
					 SCAN_CHUNK, scan_one, &c);
		if (c.stopped && rc == KW_E_LIMIT) {
			rc = KW_OK;
			break;
		}
		if (rc == KW_OK && c.seen < SCAN_CHUNK)
			break;
	}
	kw_store_txn_abort(t);
	return rc;
}

/* ---- kw_key_list --------------------------------------------------------- */

typedef struct list_ctx {
	const kw_key_filter *f;
	size_t limit;
	kw_key_info **items;
	size_t n;
	bool more;
} list_ctx;

static bool filter_match(const kw_key_filter *f, const kw_key_info *k)
{
	if (f == NULL)
		return true;
	if ((f->type != KW_KEY_NONE && k->type != f->type) ||
	    (f->state != KW_KEY_STATE_NONE && k->state != f->state) ||
	    (f->name_prefix != NULL &&
	     strncmp(k->name, f->name_prefix, strlen(f->name_prefix)) != 0))
		return false;
	if (f->label_key == NULL)
		return true;
	for (size_t i = 0; i < k->label_count; i++)
		if (strcmp(k->labels[i].key, f->label_key) == 0)
			return f->label_value == NULL ||
			       strcmp(k->labels[i].value, f->label_value) == 0;
	return false;
}

static kw_rc list_one(kw_key_rec **r, void *arg, bool *stop)
{
	list_ctx *c = arg;
	if (!filter_match(c->f, &(*r)->info))
		return KW_OK;
	if (c->n == c->limit) {
		c->more = true;
		*stop = true;
		return KW_OK;
	}
	kw_key_info *k = malloc(sizeof(*k));
	if (k == NULL)
		return KW_E_NOMEM;
	/* Move the metadata out of the record. */
	*k = (*r)->info;
	memset(&(*r)->info, 0, sizeof((*r)->info));
	c->items[c->n++] = k;
	return KW_OK;
}

static bool filter_valid(const kw_key_filter *f)
{
	if (f == NULL)
		return true;
	return (unsigned)f->type < KW_KEY_TYPE_COUNT_ &&
	       (unsigned)f->state < KW_KEY_STATE_COUNT_ &&
	       (f->name_prefix == NULL ||
		strnlen(f->name_prefix, KW_NAME_MAX + 1) <= KW_NAME_MAX) &&
	       (f->label_key != NULL || f->label_value == NULL) &&
	       (f->label_key == NULL ||
		strnlen(f->label_key, KW_LABEL_MAX + 1) <= KW_LABEL_MAX) &&
	       (f->label_value == NULL ||
		strnlen(f->label_value, KW_LABEL_MAX + 1) <= KW_LABEL_MAX);
}

kw_rc kw_key_list(kw_keys *ks, const char *partition,
		  const kw_key_filter *filter, const char *cursor, size_t limit,
		  kw_key_info ***out, size_t *out_n, char **out_next)
{
	kw_rc rc = KW_E_INVALID;
	list_ctx c = {.f = filter, .limit = limit};
	char *next = NULL;
	if (ks == NULL || out == NULL || out_n == NULL || out_next == NULL ||
	    !kw_keys_partition_valid(partition) || limit == 0 ||
	    limit > LIST_MAX || !filter_valid(filter) ||
	    (cursor != NULL && !kw_keys_id_valid(cursor)))
		goto out;
	rc = kw_keys_check_unsealed(ks);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	c.items = calloc(limit, sizeof(*c.items));
	if (c.items == NULL)
		goto out;
	rc = kw_keys_scan(ks, partition, cursor, list_one, &c);
	if (rc != KW_OK)
		goto out;
	if (c.more) {
		rc = KW_E_NOMEM;
		next = strdup(c.items[c.n - 1]->id);
		if (next == NULL)
			goto out;
	}
	*out = c.items;
	*out_n = c.n;
	*out_next = next;
	c.items = NULL;
	rc = KW_OK;
out:
	if (c.items != NULL)
		kw_key_list_free(c.items, c.n, NULL);
	return rc;
}

void kw_key_list_free(kw_key_info **list, size_t n, char *next)
{
	if (list != NULL)
		for (size_t i = 0; i < n; i++)
			kw_key_info_free(list[i]);
	free(list);
	free(next);
}
