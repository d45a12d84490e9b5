/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "barrier/internal.h"
#include "util/tlv.h"

/*
 * The barrier metadata record (KW_REC_META "barrier") is read before the
 * master key exists, so it is not sealed. It is authenticated by its key
 * check value instead: an AES-GCM encryption of a fixed block under a key
 * derived from the master key, with every other field as AAD. A combined
 * key is verified against it before use, and an edit of any field makes the
 * check fail at unseal.
 *
 * TLV items, each exactly once and in this order:
 *   1 format (u64, 1)   2 N (u64)   3 M (u64)   4 split id (8 bytes)
 *   5 instance id (16 bytes)   6 kcv (iv || 16 bytes || tag)
 */
enum {
	T_FORMAT = 1,
	T_SHARES = 2,
	T_THRESHOLD = 3,
	T_SPLIT_ID = 4,
	T_INSTANCE_ID = 5,
	T_KCV = 6,
};

#define INFO_KCV  "keywarden/v1/barrier/kcv"
#define KCV_PLAIN "keywarden kcv v1"
#define AAD_LEN	  (16 + 1 + 1 + 1 + KW_SHARE_SPLIT_ID_LEN + KW_INSTANCE_ID_LEN)

_Static_assert(sizeof(KCV_PLAIN) - 1 == KW_KCV_PLAIN_LEN, "kcv block");

kw_rc kw_barrier_meta_encode(const kw_barrier_meta *m, kw_secret **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_tlv_writer w;

	if (m == NULL || out == NULL)
		goto out;
	kw_tlv_writer_init(&w);
	kw_tlv_put_u64(&w, T_FORMAT, KW_BARRIER_FORMAT);
	kw_tlv_put_u64(&w, T_SHARES, m->shares);
	kw_tlv_put_u64(&w, T_THRESHOLD, m->threshold);
	kw_tlv_put_bytes(&w, T_SPLIT_ID, m->split_id, sizeof(m->split_id));
	kw_tlv_put_bytes(&w, T_INSTANCE_ID, m->instance_id,
			 sizeof(m->instance_id));
	kw_tlv_put_bytes(&w, T_KCV, m->kcv, sizeof(m->kcv));
	rc = kw_tlv_writer_finish(&w, out);
	kw_tlv_writer_clear(&w);
out:
	return rc;
}

/* The next item, which must have tag `tag` and, if len != 0, that length. */
static kw_rc next_item(kw_tlv_reader *r, uint16_t tag, size_t len,
		       kw_tlv_item *it)
{
	kw_rc rc = kw_tlv_next(r, it);
	if (rc != KW_OK || it->tag != tag || (len != 0 && it->len != len))
		rc = KW_E_INTEGRITY;
	return rc;
}

kw_rc kw_barrier_meta_decode(const uint8_t *p, size_t len, kw_barrier_meta *out)
{
	kw_rc rc = KW_E_INTEGRITY;
	kw_barrier_meta m;
	kw_tlv_reader r;
	kw_tlv_item it;
	uint64_t format = 0, n = 0, k = 0;

	memset(&m, 0, sizeof(m));
	if ((p == NULL && len != 0) || out == NULL) {
		rc = KW_E_INVALID;
		goto out;
	}
	kw_tlv_reader_init(&r, p, len);
	if (next_item(&r, T_FORMAT, 0, &it) != KW_OK ||
	    kw_tlv_item_u64(&it, &format) != KW_OK ||
	    format != KW_BARRIER_FORMAT)
		goto out;
	if (next_item(&r, T_SHARES, 0, &it) != KW_OK ||
	    kw_tlv_item_u64(&it, &n) != KW_OK)
		goto out;
	if (next_item(&r, T_THRESHOLD, 0, &it) != KW_OK ||
	    kw_tlv_item_u64(&it, &k) != KW_OK)
		goto out;
	if (k < 1 || k > n || n > KW_SHARES_MAX)
		goto out;
	m.shares = (unsigned)n;
	m.threshold = (unsigned)k;
	if (next_item(&r, T_SPLIT_ID, sizeof(m.split_id), &it) != KW_OK)
		goto out;
	memcpy(m.split_id, it.val, it.len);
	if (next_item(&r, T_INSTANCE_ID, sizeof(m.instance_id), &it) != KW_OK)
		goto out;
	memcpy(m.instance_id, it.val, it.len);
	if (next_item(&r, T_KCV, sizeof(m.kcv), &it) != KW_OK)
		goto out;
	memcpy(m.kcv, it.val, it.len);
	/* Nothing may follow. */
	if (kw_tlv_next(&r, &it) != KW_E_NOT_FOUND)
		goto out;
	*out = m;
	rc = KW_OK;
out:
	return rc;
}

/* The AAD of the key check value: a label and every field but the kcv. */
static void kcv_aad(const kw_barrier_meta *m, uint8_t aad[static AAD_LEN])
{
	size_t n = 0;
	memcpy(aad, "keywarden kcv v1", 16);
	n += 16;
	aad[n++] = KW_BARRIER_FORMAT;
	aad[n++] = (uint8_t)m->shares;
	aad[n++] = (uint8_t)m->threshold;
	memcpy(aad + n, m->split_id, KW_SHARE_SPLIT_ID_LEN);
	n += KW_SHARE_SPLIT_ID_LEN;
	memcpy(aad + n, m->instance_id, KW_INSTANCE_ID_LEN);
}

static kw_rc kcv_key(const kw_secret *master, kw_ckey **out)
{
	kw_secret *raw = NULL;
	kw_rc rc =
		kw_barrier_hkdf(master, INFO_KCV, strlen(INFO_KCV), 32, &raw);
	if (rc != KW_OK)
		goto out;
	rc = kw_ckey_from_private(KW_KEY_AES_256, raw->data, raw->len, out);
out:
	kw_secret_free(raw);
	return rc;
}

/* What making and checking a kcv start with: valid fields, the kcv key,
 * the AAD. */
static kw_rc kcv_setup(const kw_secret *master, const kw_barrier_meta *m,
		       kw_ckey **out_key, uint8_t aad[static AAD_LEN])
{
	kw_rc rc = KW_E_INVALID;
	if (master == NULL || m == NULL || m->threshold < 1 ||
	    m->threshold > m->shares || m->shares > KW_SHARES_MAX)
		goto out;
	rc = kcv_key(master, out_key);
	if (rc == KW_OK)
		kcv_aad(m, aad);
out:
	return rc;
}

kw_rc kw_barrier_meta_kcv_make(const kw_secret *master, kw_barrier_meta *m)
{
	kw_rc rc = KW_E_INTERNAL;
	kw_ckey *key = NULL;
	uint8_t aad[AAD_LEN];
	uint8_t *ct = NULL;
	size_t ct_len = 0;

	rc = kcv_setup(master, m, &key, aad);
	if (rc != KW_OK)
		goto out;
	rc = kw_ckey_gcm_encrypt(key, NULL, aad, sizeof(aad),
				 (const uint8_t *)KCV_PLAIN, KW_KCV_PLAIN_LEN,
				 &ct, &ct_len);
	if (rc != KW_OK)
		goto out;
	if (ct_len != KW_KCV_LEN) {
		rc = KW_E_INTERNAL;
		goto out;
	}
	memcpy(m->kcv, ct, KW_KCV_LEN);
out:
	free(ct);
	kw_ckey_free(key);
	return rc;
}

kw_rc kw_barrier_meta_kcv_check(const kw_secret *master,
				const kw_barrier_meta *m)
{
	kw_rc rc = KW_E_INTERNAL;
	kw_ckey *key = NULL;
	kw_secret *pt = NULL;
	uint8_t aad[AAD_LEN];

	rc = kcv_setup(master, m, &key, aad);
	if (rc != KW_OK)
		goto out;
	rc = kw_ckey_gcm_decrypt(key, aad, sizeof(aad), m->kcv, KW_KCV_LEN,
				 &pt);
	if (rc == KW_E_INVALID) /* cannot happen for a fixed-size kcv */
		rc = KW_E_VERIFY;
	if (rc != KW_OK)
		goto out;
	if (pt->len != KW_KCV_PLAIN_LEN ||
	    !kw_ct_equal(pt->data, KCV_PLAIN, KW_KCV_PLAIN_LEN))
		rc = KW_E_VERIFY;
out:
	kw_secret_free(pt);
	kw_ckey_free(key);
	return rc;
}
