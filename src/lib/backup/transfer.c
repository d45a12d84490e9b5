/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "backup/internal.h"

/*
 * Key transfer between instances (cloning, BYOK). The material of an
 * exportable key leaves only wrapped, for one receiver:
 *
 *  rsa-aes-kwp  PKCS#11 CKM_RSA_AES_KEY_WRAP (v2.40 §2.1.21): a fresh
 *               AES-256 key wraps the material with RFC 5649 and is itself
 *               encrypted with RSA-OAEP (SHA-256, MGF1-SHA-256, empty
 *               label) under the receiver's transport public key; the blob
 *               is the RSA ciphertext (modulus length) followed by the KWP
 *               output. Any PKCS#11 token with CKM_RSA_AES_KEY_WRAP can
 *               unwrap it with the matching private key.
 *  aes-kwp      RFC 5649 under an AES key both instances hold.
 *
 * The material is the encoding kw_key_import takes: PKCS#8 DER for private
 * keys, raw bytes for secret keys. The temporary AES key and the material
 * live in kw_secret only and are wiped.
 */

static const char *const wrap_names[] = {
	[KW_TRANSFER_RSA_AES_KWP] = "rsa-aes-kwp",
	[KW_TRANSFER_AES_KWP] = "aes-kwp",
};

const char *kw_transfer_wrap_name(kw_transfer_wrap w)
{
	if (w != KW_TRANSFER_RSA_AES_KWP && w != KW_TRANSFER_AES_KWP)
		return NULL;
	return wrap_names[w];
}

kw_rc kw_transfer_wrap_parse(const char *name, kw_transfer_wrap *out)
{
	if (name == NULL || out == NULL)
		return KW_E_INVALID;
	for (int w = KW_TRANSFER_RSA_AES_KWP; w <= KW_TRANSFER_AES_KWP; w++) {
		if (strcmp(name, wrap_names[w]) == 0) {
			*out = (kw_transfer_wrap)w;
			return KW_OK;
		}
	}
	return KW_E_INVALID;
}

/* An RSA public key of any size we support. */
static kw_rc rsa_public(const uint8_t *p, size_t len, kw_ckey **out)
{
	static const kw_key_type types[] = {KW_KEY_RSA_2048, KW_KEY_RSA_3072,
					    KW_KEY_RSA_4096};
	kw_rc rc = KW_E_INVALID;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		rc = kw_ckey_from_public(types[i], p, len, out);
		if (rc == KW_OK)
			break;
	}
	return rc != KW_OK ? KW_E_INVALID : KW_OK;
}

/* CKM_RSA_AES_KEY_WRAP of material under pub. */
static kw_rc rsa_aes_wrap(const uint8_t *pub, size_t pub_len,
			  const kw_secret *material, uint8_t **out,
			  size_t *out_len)
{
	kw_ckey *rsa = NULL, *aes = NULL;
	kw_secret *tmp = NULL;
	uint8_t *ek = NULL, *wk = NULL, *res = NULL;
	size_t ek_len = 0, wk_len = 0;

	kw_rc rc = rsa_public(pub, pub_len, &rsa);
	if (rc == KW_OK)
		rc = kw_secret_new(32, &tmp);
	if (rc == KW_OK)
		rc = kw_random(tmp->data, tmp->len);
	if (rc == KW_OK)
		rc = kw_ckey_from_private(KW_KEY_AES_256, tmp->data, tmp->len,
					  &aes);
	if (rc == KW_OK)
		rc = kw_ckey_wrap(aes, KW_WRAP_AES_KWP, material->data,
				  material->len, &wk, &wk_len);
	if (rc == KW_OK)
		rc = kw_ckey_oaep_encrypt(rsa, KW_HASH_SHA256, NULL, 0,
					  tmp->data, tmp->len, &ek, &ek_len);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	res = malloc(ek_len + wk_len);
	if (res == NULL)
		goto out;
	memcpy(res, ek, ek_len);
	memcpy(res + ek_len, wk, wk_len);
	*out = res;
	*out_len = ek_len + wk_len;
	res = NULL;
	rc = KW_OK;
out:
	free(ek);
	free(wk);
	free(res);
	kw_ckey_free(rsa);
	kw_ckey_free(aes);
	kw_secret_free(tmp);
	return rc;
}

kw_rc kw_backup_transfer_export(kw_keys *ks, const char *partition,
				const char *name, uint32_t version,
				kw_transfer_wrap w,
				const uint8_t *transport_pub,
				size_t transport_pub_len,
				const char *wrapping_key, uint8_t **out,
				size_t *out_len, uint32_t *out_version)
{
	kw_rc rc = KW_E_INVALID;
	kw_secret *material = NULL;
	uint32_t v = 0, wv = 0;

	if (out == NULL || out_len == NULL ||
	    (w == KW_TRANSFER_RSA_AES_KWP &&
	     (transport_pub == NULL || transport_pub_len == 0)) ||
	    (w == KW_TRANSFER_AES_KWP && wrapping_key == NULL) ||
	    kw_transfer_wrap_name(w) == NULL)
		goto out;
	/* Refuses a key that is not exportable, whatever the route. */
	rc = kw_key_export_material(ks, partition, name, version, &material,
				    &v);
	if (rc != KW_OK)
		goto out;
	if (w == KW_TRANSFER_RSA_AES_KWP)
		rc = rsa_aes_wrap(transport_pub, transport_pub_len, material,
				  out, out_len);
	else
		rc = kw_key_wrap(ks, partition, wrapping_key, KW_WRAP_AES_KWP,
				 material->data, material->len, out, out_len,
				 &wv);
	if (rc == KW_OK && out_version != NULL)
		*out_version = v;
out:
	kw_secret_free(material);
	return rc;
}

/* The RSA modulus length of a key type, 0 for non-RSA types. */
static size_t rsa_len(kw_key_type t)
{
	switch (t) {
	case KW_KEY_RSA_2048:
		return 256;
	case KW_KEY_RSA_3072:
		return 384;
	case KW_KEY_RSA_4096:
		return 512;
	default:
		return 0;
	}
}

/* Undoes rsa_aes_wrap with the RSA key `name` (usage decrypt). */
static kw_rc rsa_aes_unwrap(kw_keys *ks, const char *partition,
			    const char *name, uint32_t version,
			    const uint8_t *blob, size_t len, kw_secret **out)
{
	kw_key_info *info = NULL;
	kw_secret *tmp = NULL;
	kw_ckey *aes = NULL;
	kw_enc_params p = {.alg = KW_ENC_RSA_OAEP, .oaep_hash = KW_HASH_SHA256};

	kw_rc rc = kw_key_get(ks, partition, name, &info);
	if (rc != KW_OK)
		goto out;
	size_t k = rsa_len(info->type);
	rc = KW_E_UNSUPPORTED;
	if (k == 0)
		goto out;
	rc = KW_E_VERIFY;
	if (len <= k)
		goto out;
	rc = kw_key_decrypt(ks, partition, name,
			    version != 0 ? version : info->primary_version, &p,
			    blob, k, &tmp);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_VERIFY;
	if (tmp->len != 16 && tmp->len != 32)
		goto out;
	rc = kw_ckey_from_private(tmp->len == 16 ? KW_KEY_AES_128
						 : KW_KEY_AES_256,
				  tmp->data, tmp->len, &aes);
	if (rc == KW_OK)
		rc = kw_ckey_unwrap(aes, KW_WRAP_AES_KWP, blob + k, len - k,
				    out);
	if (rc == KW_E_INVALID)
		rc = KW_E_VERIFY;
out:
	kw_key_info_free(info);
	kw_secret_free(tmp);
	kw_ckey_free(aes);
	return rc;
}

kw_rc kw_backup_transfer_import(kw_keys *ks, const kw_key_spec *spec,
				kw_transfer_wrap w, const char *unwrapping_key,
				uint32_t unwrapping_version,
				const uint8_t *blob, size_t blob_len,
				kw_key_info **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_secret *material = NULL;
	kw_key_info *info = NULL;

	if (spec == NULL || unwrapping_key == NULL || blob == NULL ||
	    blob_len == 0 || out == NULL || kw_transfer_wrap_name(w) == NULL)
		goto out;
	if (w == KW_TRANSFER_RSA_AES_KWP) {
		rc = rsa_aes_unwrap(ks, spec->partition, unwrapping_key,
				    unwrapping_version, blob, blob_len,
				    &material);
	} else {
		uint32_t v = unwrapping_version;
		if (v == 0) {
			rc = kw_key_get(ks, spec->partition, unwrapping_key,
					&info);
			if (rc != KW_OK)
				goto out;
			v = info->primary_version;
		}
		rc = kw_key_unwrap(ks, spec->partition, unwrapping_key, v,
				   KW_WRAP_AES_KWP, blob, blob_len, &material);
		if (rc == KW_E_INVALID)
			rc = KW_E_VERIFY;
	}
	if (rc != KW_OK)
		goto out;
	rc = kw_key_import(ks, spec, material, out);
out:
	kw_key_info_free(info);
	kw_secret_free(material);
	return rc;
}
