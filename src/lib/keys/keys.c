/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "keys"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/internal.h"
#include "keywarden/log.h"
#include "util/codec.h"

/*
 * The keys handle, loading keys from the barrier, the read-modify-write
 * helper every change goes through, and create / import / get.
 *
 * Records: one KW_REC_KEY record per key; id = the key id, group = the
 * partition name, lookup = partition "/" name (the barrier turns both into
 * keyed tags). A destroyed key keeps its record as a tombstone, so its name
 * stays taken: a name never silently comes to mean another key, for callers
 * that hold it in configuration or for an auditor reading the trail.
 */

#define CHANGE_ATTEMPTS 5
#define LOOKUP_MAX	(2 * KW_NAME_MAX + 2)

kw_rc kw_keys_open(kw_barrier *b, kw_store *s, size_t cache_max, kw_keys **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_keys *ks = NULL;
	if (b == NULL || s == NULL || cache_max == 0 || out == NULL)
		goto out;
	rc = KW_E_NOMEM;
	ks = calloc(1, sizeof(*ks));
	if (ks == NULL)
		goto out;
	ks->barrier = b;
	ks->store = s;
	rc = kw_keys_cache_new(cache_max, &ks->cache);
	if (rc != KW_OK)
		goto out;
	*out = ks;
	ks = NULL;
out:
	kw_keys_free(ks);
	return rc;
}

void kw_keys_free(kw_keys *ks)
{
	if (ks == NULL)
		return;
	kw_keys_cache_free(ks->cache);
	free(ks);
}

void kw_keys_cache_flush(kw_keys *ks)
{
	if (ks != NULL)
		kw_keys_cache_clear(ks->cache);
}

kw_keys_cache *kw_keys_cache_of(kw_keys *ks)
{
	return ks->cache;
}

kw_rc kw_keys_check_unsealed(kw_keys *ks)
{
	kw_barrier_status st;
	kw_rc rc = kw_barrier_status_get(ks->barrier, &st);
	if (rc == KW_OK && st.sealed) {
		/* The daemon flushes when it seals; this catches a seal that
		 * went around it, before any key is used again. */
		if (kw_keys_cache_count(ks->cache) > 0)
			kw_keys_cache_clear(ks->cache);
		rc = KW_E_SEALED;
	}
	return rc;
}

static void lookup_name(const char *partition, const char *name,
			char out[static LOOKUP_MAX])
{
	snprintf(out, LOOKUP_MAX, "%s/%s", partition, name);
}

kw_rc kw_keys_load(kw_keys *ks, kw_store_txn *t, const char *partition,
		   const char *name_or_id, bool want_material, kw_key_rec **out)
{
	kw_rc rc;
	kw_secret *data = NULL;
	kw_key_rec *r = NULL;
	uint64_t version = 0;
	char id[KW_STORE_ID_MAX + 1];
	bool by_id = kw_keys_id_valid(name_or_id);

	if (by_id) {
		snprintf(id, sizeof(id), "%s", name_or_id);
		rc = kw_barrier_rec_get(ks->barrier, t, KW_REC_KEY, id, &data,
					&version);
	} else {
		char lookup[LOOKUP_MAX];
		lookup_name(partition, name_or_id, lookup);
		rc = kw_barrier_rec_find(ks->barrier, t, KW_REC_KEY, lookup, id,
					 &data, &version);
	}
	if (rc != KW_OK)
		goto out;
	rc = kw_keys_rec_decode(data->data, data->len, want_material, &r);
	if (rc != KW_OK)
		goto out;
	/* The barrier authenticated (type, id, version); the record must
	 * also be the one asked for. An id of another partition is simply
	 * not there for this caller. */
	rc = KW_E_INTEGRITY;
	if (strcmp(r->info.id, id) != 0 ||
	    (!by_id && (strcmp(r->info.partition, partition) != 0 ||
			strcmp(r->info.name, name_or_id) != 0)))
		goto out;
	rc = KW_E_NOT_FOUND;
	if (strcmp(r->info.partition, partition) != 0)
		goto out;
	r->info.record_version = version;
	*out = r;
	r = NULL;
	rc = KW_OK;
out:
	kw_keys_rec_free(r);
	kw_secret_free(data);
	return rc;
}

static bool ref_valid(const char *partition, const char *name_or_id)
{
	return kw_keys_partition_valid(partition) &&
	       (kw_keys_name_valid(name_or_id) || kw_keys_id_valid(name_or_id));
}

kw_rc kw_keys_acquire(kw_keys *ks, const char *partition,
		      const char *name_or_id, kw_keys_entry **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_store_txn *t = NULL;
	kw_key_rec *r = NULL;
	kw_keys_entry *e = NULL;
	if (ks == NULL || !ref_valid(partition, name_or_id))
		goto out;
	rc = kw_keys_check_unsealed(ks);
	if (rc != KW_OK)
		goto out;
	e = kw_keys_cache_get(ks->cache, partition, name_or_id);
	if (e != NULL)
		goto done;

	uint64_t gen = kw_keys_cache_gen(ks->cache);
	rc = kw_store_txn_begin(ks->store, false, &t);
	if (rc != KW_OK)
		goto out;
	rc = kw_keys_load(ks, t, partition, name_or_id, true, &r);
	if (rc != KW_OK)
		goto out;
	rc = kw_keys_entry_new(r, &e);
	if (rc != KW_OK)
		goto out;
	kw_keys_cache_insert(ks->cache, e, gen);
done:
	*out = e;
	rc = KW_OK;
out:
	kw_store_txn_abort(t);
	kw_keys_rec_free(r);
	return rc;
}

kw_rc kw_keys_change(kw_keys *ks, const char *partition, const char *name,
		     kw_keys_change_fn fn, void *arg, kw_key_info **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_store_txn *t = NULL;
	kw_key_rec *r = NULL;
	kw_secret *data = NULL;
	kw_keys_entry *e = NULL;
	uint64_t version = 0;
	char lookup[LOOKUP_MAX];

	if (ks == NULL || !ref_valid(partition, name))
		goto out;
	rc = kw_keys_check_unsealed(ks);
	if (rc != KW_OK)
		goto out;
	for (int attempt = 1;; attempt++) {
		int64_t now = kw_keys_now();
		kw_keys_rec_free(r);
		r = NULL;
		kw_secret_free(data);
		data = NULL;
		rc = kw_store_txn_begin(ks->store, true, &t);
		if (rc == KW_OK)
			rc = kw_keys_load(ks, t, partition, name, true, &r);
		if (rc == KW_OK)
			rc = fn(r, now, arg);
		if (rc == KW_OK) {
			r->info.updated = now;
			rc = kw_keys_rec_encode(r, &data);
		}
		if (rc == KW_OK) {
			lookup_name(r->info.partition, r->info.name, lookup);
			rc = kw_barrier_rec_put(
				ks->barrier, t, KW_REC_KEY, r->info.id,
				r->info.partition, lookup, data->data,
				data->len, r->info.record_version, &version);
		}
		if (rc == KW_OK) {
			rc = kw_store_txn_commit(t);
			t = NULL;
		}
		kw_store_txn_abort(t);
		t = NULL;
		if (rc != KW_E_CONFLICT || attempt == CHANGE_ATTEMPTS)
			break;
		KW_LOG_DEBUG("key change lost a race (attempt %d); retrying",
			     attempt);
	}
	if (rc != KW_OK)
		goto out;

	r->info.record_version = version;
	uint64_t gen = 0;
	/* Replace a cached copy; a key nobody used stays out of the cache. A
	 * failure to build the copy only costs a later load. */
	if (kw_keys_cache_invalidate(ks->cache, r->info.id, version, &gen) &&
	    kw_keys_entry_new(r, &e) == KW_OK)
		kw_keys_cache_insert(ks->cache, e, gen);
	if (out != NULL)
		rc = kw_keys_info_copy(&r->info, out);
out:
	kw_keys_entry_release(e);
	kw_secret_free(data);
	kw_keys_rec_free(r);
	return rc;
}

/* ---- create, import ----------------------------------------------------- */

/* The checks create and import share. */
static kw_rc spec_check(const kw_key_spec *spec, uint32_t *out_usages)
{
	if (spec == NULL || !kw_keys_partition_valid(spec->partition) ||
	    !kw_keys_name_valid(spec->name) ||
	    (spec->usages & ~(uint32_t)KW_USAGE_ALL_) != 0 ||
	    spec->rotation_period_s > KW_KEY_ROTATION_MAX_S ||
	    (spec->initial_state != KW_KEY_STATE_NONE &&
	     spec->initial_state != KW_KEY_PRE_ACTIVE))
		return KW_E_INVALID;
	if (spec->label_count > KW_LABELS_MAX ||
	    (spec->policy != NULL &&
	     strnlen(spec->policy, KW_POLICY_MAX + 1) > KW_POLICY_MAX))
		return KW_E_LIMIT;
	if (!kw_keys_labels_valid(spec->labels, spec->label_count) ||
	    !kw_keys_policy_valid(spec->policy))
		return KW_E_INVALID;
	if (spec->type <= KW_KEY_NONE || spec->type >= KW_KEY_TYPE_COUNT_)
		return KW_E_UNSUPPORTED;
	uint32_t u = spec->usages != 0 ? spec->usages
				       : kw_key_type_usages_default(spec->type);
	if ((u & ~kw_key_type_usages_possible(spec->type)) != 0)
		return KW_E_UNSUPPORTED;
	*out_usages = u;
	return KW_OK;
}

/* The metadata of a new key, version 1 with `material` (taken). */
static kw_rc rec_new(const kw_key_spec *spec, uint32_t usages,
		     kw_secret *material, kw_key_rec **out)
{
	kw_rc rc = KW_E_NOMEM;
	uint8_t raw[16];
	int64_t now = kw_keys_now();
	kw_key_rec *r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto out;
	kw_key_info *k = &r->info;
	r->material = calloc(1, sizeof(*r->material));
	k->versions = calloc(1, sizeof(*k->versions));
	k->labels = calloc(spec->label_count + 1, sizeof(*k->labels));
	if (r->material == NULL || k->versions == NULL || k->labels == NULL)
		goto out;
	r->material[0] = material;
	material = NULL;
	k->version_count = 1;
	k->versions[0].version = 1;
	k->versions[0].created = now;
	for (size_t i = 0; i < spec->label_count; i++) {
		k->labels[i].key = strdup(spec->labels[i].key);
		k->labels[i].value = strdup(spec->labels[i].value);
		k->label_count = i + 1;
		if (k->labels[i].key == NULL || k->labels[i].value == NULL)
			goto out;
	}
	if (spec->policy != NULL && (k->policy = strdup(spec->policy)) == NULL)
		goto out;
	rc = kw_random(raw, sizeof(raw));
	if (rc != KW_OK)
		goto out;
	k->id[0] = 'k';
	k->id[1] = '-';
	kw_hex_encode(raw, sizeof(raw), k->id + 2);
	snprintf(k->partition, sizeof(k->partition), "%s", spec->partition);
	snprintf(k->name, sizeof(k->name), "%s", spec->name);
	k->type = spec->type;
	k->usages = usages;
	k->state = spec->initial_state == KW_KEY_PRE_ACTIVE ? KW_KEY_PRE_ACTIVE
							    : KW_KEY_ACTIVE;
	k->exportable = spec->exportable;
	k->primary_version = 1;
	k->rotation_period_s = spec->rotation_period_s;
	k->next_rotation = spec->rotation_period_s > 0
				   ? now + (int64_t)spec->rotation_period_s
				   : 0;
	k->created = k->updated = now;
	*out = r;
	r = NULL;
out:
	kw_secret_free(material);
	kw_keys_rec_free(r);
	return rc;
}

/* Writes the new key's record. The material is taken. */
static kw_rc create_with(kw_keys *ks, const kw_key_spec *spec, uint32_t usages,
			 kw_secret *material, kw_key_info **out)
{
	kw_rc rc;
	kw_store_txn *t = NULL;
	kw_key_rec *r = NULL;
	kw_secret *data = NULL, *old = NULL;
	uint64_t version = 0, old_version = 0;
	char lookup[LOOKUP_MAX], old_id[KW_STORE_ID_MAX + 1];

	rc = rec_new(spec, usages, material, &r);
	if (rc != KW_OK)
		goto out;
	rc = kw_keys_rec_encode(r, &data);
	if (rc != KW_OK)
		goto out;
	lookup_name(spec->partition, spec->name, lookup);
	rc = kw_store_txn_begin(ks->store, true, &t);
	if (rc != KW_OK)
		goto out;
	/* Asked first for a clear answer; the store's unique lookup tag is
	 * what makes it hold under concurrent creates. */
	rc = kw_barrier_rec_find(ks->barrier, t, KW_REC_KEY, lookup, old_id,
				 &old, &old_version);
	if (rc == KW_OK)
		rc = KW_E_EXISTS;
	if (rc != KW_E_NOT_FOUND)
		goto out;
	rc = kw_barrier_rec_put(ks->barrier, t, KW_REC_KEY, r->info.id,
				spec->partition, lookup, data->data, data->len,
				0, &version);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_txn_commit(t);
	t = NULL;
	if (rc != KW_OK)
		goto out;
	r->info.record_version = version;
	if (out != NULL)
		rc = kw_keys_info_copy(&r->info, out);
out:
	kw_store_txn_abort(t);
	kw_secret_free(old);
	kw_secret_free(data);
	kw_keys_rec_free(r);
	return rc;
}

/* Create (material NULL: fresh key) or import. The record stores the
 * canonical encoding from kw_ckey_private_export, whatever came in. */
static kw_rc create_key(kw_keys *ks, const kw_key_spec *spec,
			const kw_secret *material, kw_key_info **out)
{
	uint32_t usages = 0;
	kw_ckey *k = NULL;
	kw_secret *canon = NULL;
	kw_rc rc = KW_E_INVALID;
	if (ks == NULL || out == NULL)
		goto out;
	rc = spec_check(spec, &usages);
	if (rc != KW_OK)
		goto out;
	rc = kw_keys_check_unsealed(ks);
	if (rc != KW_OK)
		goto out;
	if (material == NULL)
		rc = kw_ckey_generate(spec->type, &k);
	else
		rc = kw_ckey_from_private(spec->type, material->data,
					  material->len, &k);
	if (rc != KW_OK)
		goto out;
	rc = kw_ckey_private_export(k, &canon);
	if (rc != KW_OK)
		goto out;
	rc = create_with(ks, spec, usages, canon, out);
out:
	kw_ckey_free(k);
	return rc;
}

kw_rc kw_key_create(kw_keys *ks, const kw_key_spec *spec, kw_key_info **out)
{
	return create_key(ks, spec, NULL, out);
}

kw_rc kw_key_import(kw_keys *ks, const kw_key_spec *spec,
		    const kw_secret *material, kw_key_info **out)
{
	if (material == NULL || material->len == 0)
		return KW_E_INVALID;
	return create_key(ks, spec, material, out);
}

kw_rc kw_key_get(kw_keys *ks, const char *partition, const char *name_or_id,
		 kw_key_info **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_store_txn *t = NULL;
	kw_key_rec *r = NULL;
	kw_keys_entry *e = NULL;
	if (ks == NULL || out == NULL || !ref_valid(partition, name_or_id))
		goto out;
	rc = kw_keys_check_unsealed(ks);
	if (rc != KW_OK)
		goto out;
	e = kw_keys_cache_get(ks->cache, partition, name_or_id);
	if (e != NULL) {
		rc = kw_keys_info_copy(e->info, out);
		goto out;
	}
	rc = kw_store_txn_begin(ks->store, false, &t);
	if (rc != KW_OK)
		goto out;
	rc = kw_keys_load(ks, t, partition, name_or_id, false, &r);
	if (rc != KW_OK)
		goto out;
	rc = kw_keys_info_copy(&r->info, out);
out:
	kw_keys_entry_release(e);
	kw_store_txn_abort(t);
	kw_keys_rec_free(r);
	return rc;
}
