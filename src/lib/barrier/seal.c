/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "barrier"

#include <stdlib.h>
#include <string.h>

#include "barrier/internal.h"
#include "keywarden/log.h"

/* HKDF info strings: one per derived key, none a prefix of another, and
 * none starting with the prefix of kw_barrier_derive_key ("/derive/"). */
#define INFO_RECORD   "keywarden/v1/barrier/record"
#define INFO_INDEX    "keywarden/v1/barrier/index"
#define INFO_MANIFEST "keywarden/v1/barrier/manifest"

/* Record AAD: format (1) || type (u32 BE) || id length (u8) || id ||
 * version (u64 BE) || flags (bit 0 group, bit 1 lookup) || tags present. */
_Static_assert(KW_BARRIER_DATA_MAX == KW_STORE_DATA_MAX - KW_SEALED_OVERHEAD,
	       "barrier.h states the sealing overhead");

#define AAD_FORMAT 1
#define AAD_MAX	   (1 + 4 + 1 + KW_STORE_ID_MAX + 8 + 1 + 2 * KW_STORE_TAG_LEN)

kw_rc kw_barrier_hkdf(const kw_secret *master, const char *info,
		      size_t info_len, size_t len, kw_secret **out)
{
	return kw_hkdf_sha256(master, NULL, 0, info, info_len, len, out);
}

/* A prepared key of type t from 32 bytes of HKDF(master, info): kw_ckey
 * keeps ready OpenSSL contexts, so no record operation sets up a key. */
static kw_rc derive_ckey(const kw_secret *master, const char *info,
			 kw_key_type t, kw_ckey **out)
{
	kw_secret *raw = NULL;
	kw_rc rc = kw_barrier_hkdf(master, info, strlen(info), 32, &raw);
	if (rc == KW_OK)
		rc = kw_ckey_from_private(t, raw->data, raw->len, out);
	kw_secret_free(raw);
	return rc;
}

kw_rc kw_barrier_keys_derive(const kw_secret *master, kw_barrier_keys **out)
{
	kw_rc rc = KW_E_INTERNAL;
	kw_barrier_keys *k = NULL;

	if (master == NULL || master->len != KW_MASTER_KEY_LEN || out == NULL) {
		rc = KW_E_INVALID;
		goto out;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	rc = kw_secret_from(master->data, master->len, &k->master);
	if (rc != KW_OK)
		goto out;
	rc = derive_ckey(master, INFO_RECORD, KW_KEY_AES_256, &k->record);
	if (rc == KW_OK)
		rc = derive_ckey(master, INFO_INDEX, KW_KEY_HMAC_SHA256,
				 &k->index);
	if (rc == KW_OK)
		rc = derive_ckey(master, INFO_MANIFEST, KW_KEY_HMAC_SHA256,
				 &k->manifest);
	if (rc != KW_OK)
		goto out;
	*out = k;
	k = NULL;
out:
	kw_barrier_keys_free(k);
	return rc;
}

void kw_barrier_keys_free(kw_barrier_keys *k)
{
	if (k == NULL)
		return;
	kw_secret_free(k->master);
	kw_ckey_free(k->record);
	kw_ckey_free(k->index);
	kw_ckey_free(k->manifest);
	free(k);
}

kw_rc kw_barrier_mac(kw_ckey *k, const void *in, size_t len,
		     uint8_t out[static 32])
{
	uint8_t *mac = NULL;
	size_t mac_len = 0;
	kw_rc rc = kw_ckey_mac(k, in, len, &mac, &mac_len);
	if (rc == KW_OK && mac_len != 32)
		rc = KW_E_INTERNAL;
	if (rc == KW_OK)
		memcpy(out, mac, 32);
	free(mac);
	return rc;
}

kw_rc kw_barrier_tag(const kw_barrier_keys *k, uint32_t type, char kind,
		     const char *name, uint8_t out[static KW_STORE_TAG_LEN])
{
	kw_rc rc = KW_E_INTERNAL;
	uint8_t buf[4 + 2 + KW_BARRIER_NAME_MAX];
	size_t n = 0;

	if (k == NULL || name == NULL || out == NULL) {
		rc = KW_E_INVALID;
		goto out;
	}
	n = strnlen(name, KW_BARRIER_NAME_MAX + 1);
	if (n == 0 || n > KW_BARRIER_NAME_MAX) {
		rc = KW_E_INVALID;
		goto out;
	}
	kw_be32_put(buf, type);
	buf[4] = (uint8_t)kind;
	buf[5] = 0;
	memcpy(buf + 6, name, n);
	rc = kw_barrier_mac(k->index, buf, 6 + n, out);
out:
	/* Names are not keys, but they are what the tags hide. */
	kw_wipe(buf, 6 + n);
	return rc;
}

void kw_seal_ident_of(const kw_store_rec *rec, kw_seal_ident *out)
{
	out->type = rec->type;
	out->id = rec->id;
	out->version = rec->version;
	out->group = rec->has_group ? rec->group : NULL;
	out->lookup = rec->has_lookup ? rec->lookup : NULL;
}

/* Encodes ident into aad (AAD_MAX bytes); KW_E_INVALID if it cannot be a
 * record's identity. */
static kw_rc aad_encode(const kw_seal_ident *ident, uint8_t aad[AAD_MAX],
			size_t *out_len)
{
	kw_rc rc = KW_E_INVALID;
	size_t id_len = 0, n = 0;

	if (ident->id == NULL || !kw_store_id_valid(ident->id) ||
	    ident->version == 0)
		goto out;
	id_len = strlen(ident->id);
	aad[n++] = AAD_FORMAT;
	kw_be32_put(aad + n, ident->type);
	n += 4;
	aad[n++] = (uint8_t)id_len;
	memcpy(aad + n, ident->id, id_len);
	n += id_len;
	kw_be64_put(aad + n, ident->version);
	n += 8;
	aad[n++] = (uint8_t)((ident->group ? 1 : 0) | (ident->lookup ? 2 : 0));
	if (ident->group) {
		memcpy(aad + n, ident->group, KW_STORE_TAG_LEN);
		n += KW_STORE_TAG_LEN;
	}
	if (ident->lookup) {
		memcpy(aad + n, ident->lookup, KW_STORE_TAG_LEN);
		n += KW_STORE_TAG_LEN;
	}
	*out_len = n;
	rc = KW_OK;
out:
	return rc;
}

kw_rc kw_barrier_data_seal(kw_ckey *k, const kw_seal_ident *ident,
			   const uint8_t *pt, size_t pt_len, uint8_t **out,
			   size_t *out_len)
{
	kw_rc rc = KW_E_INTERNAL;
	uint8_t aad[AAD_MAX];
	size_t aad_len = 0, ct_len = 0;
	uint8_t *ct = NULL, *res = NULL;

	if (k == NULL || ident == NULL || (pt == NULL && pt_len != 0) ||
	    out == NULL || out_len == NULL) {
		rc = KW_E_INVALID;
		goto out;
	}
	if (pt_len > KW_BARRIER_DATA_MAX) {
		rc = KW_E_LIMIT;
		goto out;
	}
	rc = aad_encode(ident, aad, &aad_len);
	if (rc != KW_OK)
		goto out;
	/* A fresh random nonce per seal; 2^32 seals per key keep the GCM
	 * collision bound (NIST SP 800-38D) far away for a key store. */
	rc = kw_ckey_gcm_encrypt(k, NULL, aad, aad_len, pt, pt_len, &ct,
				 &ct_len);
	if (rc != KW_OK)
		goto out;
	if (ct_len != pt_len + KW_GCM_IV_LEN + KW_GCM_TAG_LEN) {
		rc = KW_E_INTERNAL;
		goto out;
	}
	res = malloc(ct_len + 1);
	if (res == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	res[0] = KW_SEALED_FORMAT;
	memcpy(res + 1, ct, ct_len);
	*out = res;
	*out_len = ct_len + 1;
	res = NULL;
	rc = KW_OK;
out:
	free(ct);
	free(res);
	return rc;
}

kw_rc kw_barrier_data_open(kw_ckey *k, const kw_seal_ident *ident,
			   const uint8_t *in, size_t in_len, kw_secret **out)
{
	kw_rc rc = KW_E_INTERNAL;
	uint8_t aad[AAD_MAX];
	size_t aad_len = 0;

	if (k == NULL || ident == NULL || (in == NULL && in_len != 0) ||
	    out == NULL) {
		rc = KW_E_INVALID;
		goto out;
	}
	rc = aad_encode(ident, aad, &aad_len);
	if (rc != KW_OK)
		goto out;
	if (in_len < KW_SEALED_OVERHEAD || in_len > KW_STORE_DATA_MAX ||
	    in[0] != KW_SEALED_FORMAT) {
		rc = KW_E_INTEGRITY;
		goto out;
	}
	rc = kw_ckey_gcm_decrypt(k, aad, aad_len, in + 1, in_len - 1, out);
	if (rc == KW_E_VERIFY || rc == KW_E_INVALID)
		rc = KW_E_INTEGRITY;
out:
	return rc;
}
