/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "keys/internal.h"
#include "util/tlv.h"

/*
 * The plaintext of a KW_REC_KEY record (tags in internal.h) and the
 * kw_key_info helpers. The decoder is a parser of data that has passed the
 * barrier's authentication, but it is still strict: whatever does not match
 * what the encoder writes is KW_E_INTEGRITY, so a bug or a format mix-up
 * never turns into a key with surprising rules. The encoding is canonical
 * (fixed tag order, fixed integer width): a record the decoder accepts
 * re-encodes to the same bytes.
 */

#define REQUIRED_TAGS                                                        \
	((1u << KW_KT_FORMAT) | (1u << KW_KT_ID) | (1u << KW_KT_PARTITION) | \
	 (1u << KW_KT_NAME) | (1u << KW_KT_TYPE) | (1u << KW_KT_USAGES) |    \
	 (1u << KW_KT_STATE) | (1u << KW_KT_EXPORTABLE) |                    \
	 (1u << KW_KT_PRIMARY) | (1u << KW_KT_ROTATION) |                    \
	 (1u << KW_KT_NEXT_ROTATION) | (1u << KW_KT_CREATED) |               \
	 (1u << KW_KT_UPDATED) | (1u << KW_KT_DESTROY_AFTER) |               \
	 (1u << KW_KT_VERSION))

void kw_keys_info_clear(kw_key_info *k)
{
	if (k == NULL)
		return;
	free(k->versions);
	for (size_t i = 0; i < k->label_count; i++) {
		free(k->labels[i].key);
		free(k->labels[i].value);
	}
	free(k->labels);
	free(k->policy);
	k->versions = NULL;
	k->version_count = 0;
	k->labels = NULL;
	k->label_count = 0;
	k->policy = NULL;
}

void kw_key_info_free(kw_key_info *k)
{
	kw_keys_info_clear(k);
	free(k);
}

void kw_keys_rec_free(kw_key_rec *r)
{
	if (r == NULL)
		return;
	if (r->material != NULL)
		for (size_t i = 0; i < r->info.version_count; i++)
			kw_secret_free(r->material[i]);
	free(r->material);
	kw_keys_info_clear(&r->info);
	free(r);
}

kw_rc kw_keys_info_copy(const kw_key_info *in, kw_key_info **out)
{
	kw_rc rc = KW_E_NOMEM;
	kw_key_info *k = malloc(sizeof(*k));
	if (k == NULL)
		return KW_E_NOMEM;
	*k = *in;
	k->versions = NULL;
	k->labels = NULL;
	k->label_count = 0;
	k->policy = NULL;
	k->versions = malloc(in->version_count * sizeof(*k->versions) + 1);
	if (k->versions == NULL)
		goto out;
	if (in->version_count > 0)
		memcpy(k->versions, in->versions,
		       in->version_count * sizeof(*k->versions));
	k->labels = calloc(in->label_count + 1, sizeof(*k->labels));
	if (k->labels == NULL)
		goto out;
	for (size_t i = 0; i < in->label_count; i++) {
		k->labels[i].key = strdup(in->labels[i].key);
		k->labels[i].value = strdup(in->labels[i].value);
		k->label_count = i + 1;
		if (k->labels[i].key == NULL || k->labels[i].value == NULL)
			goto out;
	}
	if (in->policy != NULL) {
		k->policy = strdup(in->policy);
		if (k->policy == NULL)
			goto out;
	}
	*out = k;
	k = NULL;
	rc = KW_OK;
out:
	kw_key_info_free(k);
	return rc;
}

/* ---- encoding ----------------------------------------------------------- */

kw_rc kw_keys_rec_encode(const kw_key_rec *r, kw_secret **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_tlv_writer w, sub;
	kw_tlv_writer_init(&w);
	kw_tlv_writer_init(&sub);
	kw_secret *item = NULL;
	const kw_key_info *k = &r->info;
	bool tomb = k->state == KW_KEY_DESTROYED;

	if (k->version_count == 0 || r->material == NULL)
		goto out;
	kw_tlv_put_u64(&w, KW_KT_FORMAT, KW_KEY_REC_FORMAT);
	kw_tlv_put_str(&w, KW_KT_ID, k->id);
	kw_tlv_put_str(&w, KW_KT_PARTITION, k->partition);
	kw_tlv_put_str(&w, KW_KT_NAME, k->name);
	kw_tlv_put_u64(&w, KW_KT_TYPE, (uint64_t)k->type);
	kw_tlv_put_u64(&w, KW_KT_USAGES, k->usages);
	kw_tlv_put_u64(&w, KW_KT_STATE, (uint64_t)k->state);
	kw_tlv_put_u64(&w, KW_KT_EXPORTABLE, k->exportable ? 1 : 0);
	kw_tlv_put_u64(&w, KW_KT_PRIMARY, k->primary_version);
	kw_tlv_put_u64(&w, KW_KT_ROTATION, k->rotation_period_s);
	kw_tlv_put_i64(&w, KW_KT_NEXT_ROTATION, k->next_rotation);
	kw_tlv_put_i64(&w, KW_KT_CREATED, k->created);
	kw_tlv_put_i64(&w, KW_KT_UPDATED, k->updated);
	kw_tlv_put_i64(&w, KW_KT_DESTROY_AFTER, k->destroy_after);
	for (size_t i = 0; i < k->label_count; i++) {
		kw_tlv_put_str(&sub, KW_KT_LABEL_KEY, k->labels[i].key);
		kw_tlv_put_str(&sub, KW_KT_LABEL_VALUE, k->labels[i].value);
		rc = kw_tlv_writer_finish(&sub, &item);
		if (rc != KW_OK)
			goto out;
		kw_tlv_put_bytes(&w, KW_KT_LABEL, item->data, item->len);
		kw_secret_free(item);
		item = NULL;
	}
	if (k->policy != NULL)
		kw_tlv_put_str(&w, KW_KT_POLICY, k->policy);
	for (size_t i = 0; i < k->version_count; i++) {
		const kw_secret *m = r->material[i];
		rc = KW_E_INVALID;
		if ((m == NULL) != tomb)
			goto out;
		kw_tlv_put_u64(&sub, KW_KT_VER_NUMBER, k->versions[i].version);
		kw_tlv_put_i64(&sub, KW_KT_VER_CREATED, k->versions[i].created);
		if (m != NULL)
			kw_tlv_put_bytes(&sub, KW_KT_VER_MATERIAL, m->data,
					 m->len);
		rc = kw_tlv_writer_finish(&sub, &item);
		if (rc != KW_OK)
			goto out;
		kw_tlv_put_bytes(&w, KW_KT_VERSION, item->data, item->len);
		kw_secret_free(item);
		item = NULL;
	}
	rc = kw_tlv_writer_finish(&w, out);
out:
	kw_secret_free(item);
	kw_tlv_writer_clear(&sub);
	kw_tlv_writer_clear(&w);
	return rc;
}

/* ---- decoding ----------------------------------------------------------- */

static kw_rc get_u64_max(const kw_tlv_item *it, uint64_t max, uint64_t *out)
{
	uint64_t v;
	if (kw_tlv_item_u64(it, &v) != KW_OK || v > max)
		return KW_E_INTEGRITY;
	*out = v;
	return KW_OK;
}

static kw_rc decode_label(const kw_tlv_item *outer, kw_label *out)
{
	kw_rc rc = KW_E_INTEGRITY;
	kw_tlv_reader rd;
	kw_tlv_item it;
	char *key = NULL, *value = NULL;
	kw_tlv_reader_init(&rd, outer->val, outer->len);
	while ((rc = kw_tlv_next(&rd, &it)) == KW_OK) {
		/* Exactly KEY, then VALUE. */
		char **dst = it.tag == KW_KT_LABEL_KEY && key == NULL ? &key
			     : it.tag == KW_KT_LABEL_VALUE && key != NULL &&
					     value == NULL
				     ? &value
				     : NULL;
		rc = KW_E_INTEGRITY;
		if (dst == NULL)
			goto out;
		rc = kw_tlv_item_strdup(&it, KW_LABEL_MAX, dst);
		if (rc != KW_OK)
			goto out;
	}
	if (rc != KW_E_NOT_FOUND)
		goto out;
	rc = KW_E_INTEGRITY;
	if (key == NULL || value == NULL)
		goto out;
	out->key = key;
	out->value = value;
	key = value = NULL;
	rc = KW_OK;
out:
	free(key);
	free(value);
	return rc;
}

/* One VERSION item into v (and *material when want_material). has_material
 * tells whether the item carried material at all. */
static kw_rc decode_version(const kw_tlv_item *outer, bool want_material,
			    kw_key_version_info *v, kw_secret **material,
			    bool *has_material)
{
	kw_rc rc = KW_E_INTEGRITY;
	kw_tlv_reader rd;
	kw_tlv_item it, mat = {0};
	unsigned seen = 0, last = 0;
	uint64_t number = 0;
	int64_t created = 0;
	kw_tlv_reader_init(&rd, outer->val, outer->len);
	while ((rc = kw_tlv_next(&rd, &it)) == KW_OK) {
		rc = KW_E_INTEGRITY;
		/* Each at most once, in tag order. */
		if (it.tag <= last || it.tag > KW_KT_VER_MATERIAL)
			goto out;
		last = it.tag;
		seen |= 1u << it.tag;
		if (it.tag == KW_KT_VER_NUMBER)
			rc = get_u64_max(&it, KW_KEY_VERSIONS_MAX, &number);
		else if (it.tag == KW_KT_VER_CREATED)
			rc = kw_tlv_item_i64(&it, &created);
		else if (it.len >= 1 && it.len <= KW_KEY_MATERIAL_MAX) {
			mat = it;
			rc = KW_OK;
		}
		if (rc != KW_OK)
			goto out;
	}
	if (rc != KW_E_NOT_FOUND)
		goto out;
	rc = KW_E_INTEGRITY;
	if ((seen & (1u << KW_KT_VER_NUMBER)) == 0 ||
	    (seen & (1u << KW_KT_VER_CREATED)) == 0)
		goto out;
	rc = KW_OK;
	if (want_material && mat.val != NULL)
		rc = kw_secret_from(mat.val, mat.len, material);
	if (rc != KW_OK)
		goto out;
	v->version = (uint32_t)number;
	v->created = created;
	*has_material = mat.val != NULL;
out:
	return rc;
}

/* First pass: checks the framing and counts the repeated items. */
static kw_rc count_items(const uint8_t *p, size_t len, size_t *out_versions,
			 size_t *out_labels)
{
	kw_tlv_reader rd;
	kw_tlv_item it;
	kw_rc rc;
	size_t nv = 0, nl = 0;
	kw_tlv_reader_init(&rd, p, len);
	while ((rc = kw_tlv_next(&rd, &it)) == KW_OK) {
		if (it.tag == KW_KT_VERSION && ++nv > KW_KEY_VERSIONS_MAX)
			return KW_E_INTEGRITY;
		if (it.tag == KW_KT_LABEL && ++nl > KW_LABELS_MAX)
			return KW_E_INTEGRITY;
	}
	if (rc != KW_E_NOT_FOUND)
		return KW_E_INTEGRITY;
	*out_versions = nv;
	*out_labels = nl;
	return KW_OK;
}

/* One non-repeating top-level item into r. */
static kw_rc decode_field(const kw_tlv_item *it, kw_key_rec *r)
{
	kw_key_info *k = &r->info;
	uint64_t v = 0;
	kw_rc rc = KW_E_INTEGRITY;
	switch (it->tag) {
	case KW_KT_FORMAT:
		rc = get_u64_max(it, KW_KEY_REC_FORMAT, &v);
		if (rc == KW_OK && v != KW_KEY_REC_FORMAT)
			rc = KW_E_INTEGRITY;
		break;
	case KW_KT_ID:
		rc = kw_tlv_item_str(it, k->id, KW_KEY_ID_LEN);
		break;
	case KW_KT_PARTITION:
		rc = kw_tlv_item_str(it, k->partition, KW_NAME_MAX);
		break;
	case KW_KT_NAME:
		rc = kw_tlv_item_str(it, k->name, KW_NAME_MAX);
		break;
	case KW_KT_TYPE:
		rc = get_u64_max(it, KW_KEY_TYPE_COUNT_ - 1, &v);
		k->type = (kw_key_type)v;
		break;
	case KW_KT_USAGES:
		rc = get_u64_max(it, KW_USAGE_ALL_, &v);
		k->usages = (uint32_t)v;
		break;
	case KW_KT_STATE:
		rc = get_u64_max(it, KW_KEY_STATE_COUNT_ - 1, &v);
		k->state = (kw_key_state)v;
		break;
	case KW_KT_EXPORTABLE:
		rc = get_u64_max(it, 1, &v);
		k->exportable = v == 1;
		break;
	case KW_KT_PRIMARY:
		rc = get_u64_max(it, KW_KEY_VERSIONS_MAX, &v);
		k->primary_version = (uint32_t)v;
		break;
	case KW_KT_ROTATION:
		rc = kw_tlv_item_u64(it, &k->rotation_period_s);
		break;
	case KW_KT_NEXT_ROTATION:
		rc = kw_tlv_item_i64(it, &k->next_rotation);
		break;
	case KW_KT_CREATED:
		rc = kw_tlv_item_i64(it, &k->created);
		break;
	case KW_KT_UPDATED:
		rc = kw_tlv_item_i64(it, &k->updated);
		break;
	case KW_KT_DESTROY_AFTER:
		rc = kw_tlv_item_i64(it, &k->destroy_after);
		break;
	case KW_KT_POLICY:
		rc = KW_E_INTEGRITY;
		if (it->len >= 1)
			rc = kw_tlv_item_strdup(it, KW_POLICY_MAX, &k->policy);
		break;
	default:
		break;
	}
	return rc == KW_OK	  ? KW_OK
	       : rc == KW_E_NOMEM ? KW_E_NOMEM
				  : KW_E_INTEGRITY;
}

/* The rules that span fields. */
static bool rec_consistent(const kw_key_rec *r, bool any_material_missing,
			   bool any_material_present)
{
	const kw_key_info *k = &r->info;
	if (!kw_keys_id_valid(k->id) ||
	    !kw_keys_partition_valid(k->partition) ||
	    !kw_keys_name_valid(k->name) || k->type == KW_KEY_NONE ||
	    k->state == KW_KEY_STATE_NONE || k->usages == 0 ||
	    (k->usages & ~kw_key_type_usages_possible(k->type)) != 0 ||
	    k->primary_version < 1 || k->primary_version > k->version_count ||
	    !kw_keys_labels_valid(k->labels, k->label_count))
		return false;
	for (size_t i = 0; i < k->version_count; i++)
		if (k->versions[i].version != i + 1)
			return false;
	if (k->state == KW_KEY_DESTROYED)
		return !any_material_present;
	return !any_material_missing;
}

kw_rc kw_keys_rec_decode(const uint8_t *p, size_t len, bool want_material,
			 kw_key_rec **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_key_rec *r = NULL;
	kw_tlv_reader rd;
	kw_tlv_item it;
	size_t nv = 0, nl = 0;
	uint32_t seen = 0;
	uint16_t last = 0;
	bool missing = false, present = false;

	if ((p == NULL && len != 0) || out == NULL)
		goto out;
	rc = count_items(p, len, &nv, &nl);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto out;
	r->info.versions = calloc(nv + 1, sizeof(*r->info.versions));
	r->info.labels = calloc(nl + 1, sizeof(*r->info.labels));
	r->material = calloc(nv + 1, sizeof(*r->material));
	if (r->info.versions == NULL || r->info.labels == NULL ||
	    r->material == NULL)
		goto out;

	kw_tlv_reader_init(&rd, p, len);
	while (kw_tlv_next(&rd, &it) == KW_OK) {
		/* Ascending tag order, the one the encoder writes: an item
		 * out of order is also how a duplicate shows. Only LABEL and
		 * VERSION repeat (next to each other). */
		rc = KW_E_INTEGRITY;
		if (it.tag == 0 || it.tag > KW_KT_MAX_ || it.tag < last ||
		    (it.tag == last && it.tag != KW_KT_LABEL &&
		     it.tag != KW_KT_VERSION))
			goto out;
		last = it.tag;
		if (it.tag == KW_KT_LABEL) {
			rc = decode_label(&it,
					  &r->info.labels[r->info.label_count]);
			if (rc == KW_OK)
				r->info.label_count++;
		} else if (it.tag == KW_KT_VERSION) {
			size_t i = r->info.version_count;
			bool has = false;
			rc = decode_version(&it, want_material,
					    &r->info.versions[i],
					    &r->material[i], &has);
			if (rc == KW_OK)
				r->info.version_count++;
			missing |= !has;
			present |= has;
		} else {
			rc = decode_field(&it, r);
		}
		if (rc != KW_OK)
			goto out;
		seen |= 1u << it.tag;
	}
	rc = KW_E_INTEGRITY;
	if ((seen & REQUIRED_TAGS) != REQUIRED_TAGS ||
	    !rec_consistent(r, missing, present))
		goto out;
	if (!want_material) {
		free(r->material);
		r->material = NULL;
	}
	*out = r;
	r = NULL;
	rc = KW_OK;
out:
	kw_keys_rec_free(r);
	return rc;
}
