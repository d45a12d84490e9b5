/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "keywarden/secret.h"
#include "objects/objects.h"
#include "util/codec.h"

/*
 * Objects as sealed JSON documents. Group name "obj/<partition>", lookup
 * name "obj/<partition>/<class>/<label>" (the barrier turns both into
 * keyed tags). Each write is one write transaction.
 */

#define LIST_MAX 1000

static bool cls_valid(const char *c)
{
	return c != NULL &&
	       (strcmp(c, "certificate") == 0 || strcmp(c, "data") == 0);
}

/* The attribute map: at most 256 members "<1..16 hex digits>" with
 * base64 string values. */
static bool attrs_valid(const json_t *a)
{
	const char *k;
	json_t *v;

	if (!json_is_object(a) || json_object_size(a) > 256)
		return false;
	json_object_foreach((json_t *)a, k, v)
	{
		size_t n = strlen(k);
		if (n == 0 || n > 16 || strspn(k, "0123456789abcdef") != n ||
		    !json_is_string(v))
			return false;
	}
	return true;
}

static void names(const char *partition, const char *cls, const char *label,
		  char *group, size_t glen, char *lookup, size_t llen)
{
	snprintf(group, glen, "obj/%s", partition);
	if (lookup != NULL)
		snprintf(lookup, llen, "obj/%s/%s/%s", partition, cls,
			 label != NULL ? label : "");
}

/* Applies spec to doc (a new or a stored document). */
static kw_rc apply(json_t *doc, const kw_object_spec *spec, bool create,
		   const char **why)
{
	const char *w = NULL;

	if (create && !cls_valid(spec->cls))
		w = "class is certificate or data";
	else if ((create || spec->set_label) && spec->label != NULL &&
		 (spec->label[0] == '\0' ||
		  strlen(spec->label) > KW_OBJECT_LABEL_MAX))
		w = "a label has 1..256 bytes";
	else if ((create || spec->set_ckaid) && spec->ckaid != NULL &&
		 (spec->ckaid_len == 0 ||
		  spec->ckaid_len > KW_OBJECT_CKAID_MAX))
		w = "ckaid has 1..255 bytes";
	else if (spec->attrs != NULL && !attrs_valid(spec->attrs))
		w = "attrs maps attribute types (hex) to base64 values";
	if (w != NULL) {
		if (why != NULL)
			*why = w;
		return KW_E_INVALID;
	}
	if (create)
		json_object_set_new(doc, "class", json_string(spec->cls));
	if ((create || spec->set_label) && spec->label != NULL)
		json_object_set_new(doc, "label", json_string(spec->label));
	else if (spec->set_label)
		json_object_del(doc, "label");
	if ((create || spec->set_ckaid) && spec->ckaid != NULL) {
		char *b = NULL;
		if (kw_base64_encode_alloc(spec->ckaid, spec->ckaid_len, false,
					   &b) != KW_OK)
			return KW_E_NOMEM;
		json_object_set_new(doc, "ckaid", json_string(b));
		free(b);
	} else if (spec->set_ckaid) {
		json_object_del(doc, "ckaid");
	}
	if (create || spec->set_private)
		json_object_set_new(doc, "private",
				    json_boolean(spec->private_obj));
	if (spec->attrs != NULL)
		json_object_set_new(doc, "attrs", json_deep_copy(spec->attrs));
	else if (create)
		json_object_set_new(doc, "attrs", json_object());
	json_object_set_new(doc, "updated", json_integer(time(NULL)));
	return KW_OK;
}

/* Seals doc as record id (expected_version 0: create). */
static kw_rc put(kw_barrier *b, kw_store_txn *t, const char *partition,
		 const json_t *doc, uint64_t expected)
{
	const char *id = json_string_value(json_object_get(doc, "id"));
	const char *cls = json_string_value(json_object_get(doc, "class"));
	const char *label = json_string_value(json_object_get(doc, "label"));
	char group[KW_BARRIER_NAME_MAX], lookup[KW_BARRIER_NAME_MAX];
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	kw_rc rc = KW_E_NOMEM;

	if (text == NULL)
		goto out;
	rc = KW_E_LIMIT;
	if (strlen(text) > KW_OBJECT_DATA_MAX)
		goto out;
	names(partition, cls, label, group, sizeof(group), lookup,
	      sizeof(lookup));
	rc = kw_barrier_rec_put(
		b, t, KW_REC_OBJECT, id, group, label != NULL ? lookup : NULL,
		(const uint8_t *)text, strlen(text), expected, NULL);
out:
	free(text);
	return rc;
}

/* The document of a record, if it belongs to partition. */
static kw_rc decode(const uint8_t *data, size_t len, const char *partition,
		    json_t **out)
{
	json_t *doc = json_loadb((const char *)data, len,
				 JSON_REJECT_DUPLICATES, NULL);
	const char *p = json_string_value(json_object_get(doc, "partition"));

	if (doc == NULL || p == NULL) {
		json_decref(doc);
		return KW_E_INTEGRITY;
	}
	if (strcmp(p, partition) != 0) {
		json_decref(doc);
		return KW_E_NOT_FOUND;
	}
	*out = doc;
	return KW_OK;
}

static kw_rc get_in(kw_barrier *b, kw_store_txn *t, const char *partition,
		    const char *id, json_t **out, uint64_t *out_version)
{
	kw_secret *data = NULL;
	kw_rc rc;

	if (id == NULL || strlen(id) != KW_OBJECT_ID_LEN ||
	    strncmp(id, "o-", 2) != 0)
		return KW_E_NOT_FOUND;
	rc = kw_barrier_rec_get(b, t, KW_REC_OBJECT, id, &data, out_version);
	if (rc == KW_OK)
		rc = decode(data->data, data->len, partition, out);
	kw_secret_free(data);
	return rc;
}

kw_rc kw_object_create(kw_barrier *b, kw_store *s, const char *partition,
		       const kw_object_spec *spec, json_t **out,
		       const char **why)
{
	uint8_t raw[16];
	char id[KW_OBJECT_ID_LEN + 1] = "o-";
	json_t *doc = json_object();
	kw_store_txn *t = NULL;
	kw_rc rc = KW_E_NOMEM;

	if (doc == NULL)
		goto out;
	rc = kw_random(raw, sizeof(raw));
	if (rc != KW_OK)
		goto out;
	kw_hex_encode(raw, sizeof(raw), id + 2);
	json_object_set_new(doc, "id", json_string(id));
	json_object_set_new(doc, "partition", json_string(partition));
	json_object_set_new(doc, "created", json_integer(time(NULL)));
	rc = apply(doc, spec, true, why);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_txn_begin(s, true, &t);
	if (rc == KW_OK)
		rc = put(b, t, partition, doc, 0);
	if (rc == KW_OK)
		rc = kw_store_txn_commit(t);
	else
		kw_store_txn_abort(t);
	if (rc != KW_OK)
		goto out;
	*out = doc;
	doc = NULL;
out:
	json_decref(doc);
	return rc;
}

kw_rc kw_object_get(kw_barrier *b, kw_store *s, const char *partition,
		    const char *id, json_t **out)
{
	kw_store_txn *t = NULL;
	kw_rc rc = kw_store_txn_begin(s, false, &t);

	if (rc == KW_OK)
		rc = get_in(b, t, partition, id, out, NULL);
	kw_store_txn_abort(t);
	return rc;
}

typedef struct list_ctx {
	const char *partition;
	const kw_object_filter *f;
	json_t *arr;
	size_t limit;
	bool more;
	char last[KW_STORE_ID_MAX + 1];
} list_ctx;

static bool match(const json_t *doc, const kw_object_filter *f)
{
	const char *cls = json_string_value(json_object_get(doc, "class"));
	const char *ck = json_string_value(json_object_get(doc, "ckaid"));
	uint8_t *id = NULL;
	size_t n = 0;
	bool ok;

	if (f->cls != NULL && (cls == NULL || strcmp(cls, f->cls) != 0))
		return false;
	if (!f->has_ckaid)
		return true;
	ok = ck != NULL &&
	     kw_base64_decode_alloc(ck, strlen(ck), false, &id, &n) == KW_OK &&
	     n == f->ckaid_len && memcmp(id, f->ckaid, n) == 0;
	free(id);
	return ok;
}

static kw_rc list_one(const char *id, uint64_t version, const uint8_t *data,
		      size_t len, void *arg)
{
	list_ctx *c = arg;
	json_t *doc = NULL;
	kw_rc rc;

	(void)version;
	rc = decode(data, len, c->partition, &doc);
	if (rc != KW_OK)
		return rc;
	if (match(doc, c->f)) {
		if (json_array_size(c->arr) == c->limit) {
			c->more = true;
			json_decref(doc);
			return KW_E_LIMIT; /* stops the listing */
		}
		json_array_append(c->arr, doc);
		snprintf(c->last, sizeof(c->last), "%s", id);
	}
	json_decref(doc);
	return KW_OK;
}

/* By label: one indexed lookup per class. */
static kw_rc by_label(kw_barrier *b, kw_store_txn *t, list_ctx *c)
{
	static const char *const classes[] = {"certificate", "data"};
	char group[KW_BARRIER_NAME_MAX], lookup[KW_BARRIER_NAME_MAX];
	char id[KW_STORE_ID_MAX + 1];
	kw_rc rc = KW_OK;

	for (size_t i = 0; i < 2 && rc == KW_OK; i++) {
		kw_secret *data = NULL;
		json_t *doc = NULL;
		if (c->f->cls != NULL && strcmp(c->f->cls, classes[i]) != 0)
			continue;
		names(c->partition, classes[i], c->f->label, group,
		      sizeof(group), lookup, sizeof(lookup));
		rc = kw_barrier_rec_find(b, t, KW_REC_OBJECT, lookup, id, &data,
					 NULL);
		if (rc == KW_OK)
			rc = decode(data->data, data->len, c->partition, &doc);
		if (rc == KW_OK && match(doc, c->f))
			json_array_append(c->arr, doc);
		json_decref(doc);
		kw_secret_free(data);
		if (rc == KW_E_NOT_FOUND)
			rc = KW_OK;
	}
	return rc;
}

kw_rc kw_object_list(kw_barrier *b, kw_store *s, const char *partition,
		     const kw_object_filter *f, const char *cursor,
		     size_t limit, json_t **out, char **out_next)
{
	list_ctx c = {.partition = partition, .f = f, .limit = limit};
	char group[KW_BARRIER_NAME_MAX];
	kw_store_txn *t = NULL;
	kw_rc rc = KW_E_INVALID;

	if (limit == 0 || limit > LIST_MAX ||
	    (f->cls != NULL && !cls_valid(f->cls)))
		return rc;
	rc = KW_E_NOMEM;
	c.arr = json_array();
	if (c.arr == NULL)
		goto out;
	rc = kw_store_txn_begin(s, false, &t);
	if (rc == KW_OK && f->label != NULL) {
		rc = by_label(b, t, &c);
	} else if (rc == KW_OK) {
		names(partition, NULL, NULL, group, sizeof(group), NULL, 0);
		rc = kw_barrier_rec_list(b, t, KW_REC_OBJECT, group, cursor, 0,
					 list_one, &c);
		if (rc == KW_E_LIMIT && c.more)
			rc = KW_OK;
	}
	kw_store_txn_abort(t);
	if (rc != KW_OK)
		goto out;
	*out_next = NULL;
	if (c.more && (*out_next = strdup(c.last)) == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	*out = c.arr;
	c.arr = NULL;
out:
	json_decref(c.arr);
	return rc;
}

/* One change of a stored object in a write transaction: spec applied
 * (update), or the record deleted (spec NULL). */
static kw_rc change(kw_barrier *b, kw_store *s, const char *partition,
		    const char *id, const kw_object_spec *spec, json_t **out,
		    const char **why)
{
	json_t *doc = NULL;
	uint64_t version = 0;
	kw_store_txn *t = NULL;
	kw_rc rc = kw_store_txn_begin(s, true, &t);

	if (rc == KW_OK)
		rc = get_in(b, t, partition, id, &doc, &version);
	if (rc == KW_OK && spec != NULL) {
		rc = apply(doc, spec, false, why);
		if (rc == KW_OK)
			rc = put(b, t, partition, doc, version);
	} else if (rc == KW_OK) {
		rc = kw_barrier_rec_delete(b, t, KW_REC_OBJECT, id, version);
	}
	if (rc == KW_OK)
		rc = kw_store_txn_commit(t);
	else
		kw_store_txn_abort(t);
	if (rc == KW_OK && out != NULL) {
		*out = doc;
		doc = NULL;
	}
	json_decref(doc);
	return rc;
}

kw_rc kw_object_update(kw_barrier *b, kw_store *s, const char *partition,
		       const char *id, const kw_object_spec *spec, json_t **out,
		       const char **why)
{
	if (spec == NULL)
		return KW_E_INVALID;
	return change(b, s, partition, id, spec, out, why);
}

kw_rc kw_object_delete(kw_barrier *b, kw_store *s, const char *partition,
		       const char *id)
{
	return change(b, s, partition, id, NULL, NULL, NULL);
}
