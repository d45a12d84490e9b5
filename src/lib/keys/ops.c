/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>

#include "keys/internal.h"

/*
 * Crypto operations on a key. The hot path: take the cached entry (one
 * short shard lock and a reference), check type, state, usage and version
 * against its immutable snapshot, run the crypto with no lock held, drop
 * the reference. A cached key never touches the store.
 */

typedef struct op {
	kw_keys_entry *e;
	kw_ckey *k;
	uint32_t version;
} op;

/*
 * Takes key (partition, name) for an operation of usage `u`. creating:
 * version 0 is the primary, any other version than the primary is refused
 * with KW_E_STATE (older versions only check and open what they made);
 * consuming: version must be given, KW_E_NOT_FOUND if the key has no such
 * version. On success o holds a reference: end with op_end().
 */
static kw_rc op_begin(kw_keys *ks, const char *partition, const char *name,
		      uint32_t u, bool creating, uint32_t version, op *o)
{
	kw_rc rc = KW_E_INVALID;
	kw_keys_entry *e = NULL;
	if (!creating && version == 0)
		goto out;
	rc = kw_keys_acquire(ks, partition, name, &e);
	if (rc != KW_OK)
		goto out;
	const kw_key_info *k = e->info;
	rc = kw_keys_op_allowed(k, u, creating);
	if (rc != KW_OK)
		goto out;
	if (creating && version == 0)
		version = k->primary_version;
	rc = KW_E_NOT_FOUND;
	if (version > k->version_count)
		goto out;
	rc = KW_E_STATE;
	if (creating && version != k->primary_version)
		goto out;
	/* Allowed states are never tombstones: every version has a key. */
	rc = KW_E_INTERNAL;
	if (e->ckeys == NULL || e->ckeys[version - 1] == NULL)
		goto out;
	o->e = e;
	o->k = e->ckeys[version - 1];
	o->version = version;
	e = NULL;
	rc = KW_OK;
out:
	kw_keys_entry_release(e);
	return rc;
}

/* Drops the reference op_begin took; a no-op if it took none. */
static void op_end(op *o)
{
	kw_keys_entry_release(o->e);
	o->e = NULL;
}

/* Hands a created output to the caller, on success only. */
static void op_give(kw_rc rc, const op *o, uint8_t *buf, size_t len,
		    uint8_t **out, size_t *out_len, uint32_t *out_version)
{
	if (rc != KW_OK)
		return;
	*out = buf;
	*out_len = len;
	*out_version = o->version;
}

kw_rc kw_key_sign(kw_keys *ks, const char *partition, const char *name,
		  uint32_t version, const kw_sign_params *p, const uint8_t *in,
		  size_t in_len, uint8_t **out_sig, size_t *out_sig_len,
		  uint32_t *out_version)
{
	op o = {0};
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	kw_rc rc = KW_E_INVALID;
	if (p == NULL || (in == NULL && in_len != 0) || out_sig == NULL ||
	    out_sig_len == NULL || out_version == NULL)
		goto out;
	rc = op_begin(ks, partition, name, KW_USAGE_SIGN, true, version, &o);
	if (rc != KW_OK)
		goto out;
	rc = kw_ckey_sign(o.k, p, in, in_len, &sig, &sig_len);
	op_give(rc, &o, sig, sig_len, out_sig, out_sig_len, out_version);
out:
	op_end(&o);
	return rc;
}

kw_rc kw_key_verify(kw_keys *ks, const char *partition, const char *name,
		    uint32_t version, const kw_sign_params *p,
		    const uint8_t *in, size_t in_len, const uint8_t *sig,
		    size_t sig_len)
{
	op o = {0};
	kw_rc rc = KW_E_INVALID;
	if (p == NULL || (in == NULL && in_len != 0) || sig == NULL ||
	    sig_len == 0)
		goto out;
	rc = op_begin(ks, partition, name, KW_USAGE_VERIFY, false, version, &o);
	if (rc != KW_OK)
		goto out;
	rc = kw_ckey_verify(o.k, p, in, in_len, sig, sig_len);
out:
	op_end(&o);
	return rc;
}

/* The encryption algorithm p asks for on a key of type t. */
static kw_rc enc_alg(const kw_enc_params *p, kw_key_type t, kw_enc_alg *out)
{
	kw_enc_alg a = p != NULL ? p->alg : KW_ENC_DEFAULT;
	kw_key_class c = kw_key_type_class(t);
	if (c == KW_CLASS_AES && (a == KW_ENC_DEFAULT || a == KW_ENC_AES_GCM))
		*out = KW_ENC_AES_GCM;
	else if (c == KW_CLASS_RSA &&
		 (a == KW_ENC_DEFAULT || a == KW_ENC_RSA_OAEP))
		*out = KW_ENC_RSA_OAEP;
	else
		return KW_E_UNSUPPORTED;
	return KW_OK;
}

static bool enc_params_valid(const kw_enc_params *p)
{
	return p == NULL ||
	       ((p->alg == KW_ENC_DEFAULT || p->alg == KW_ENC_AES_GCM ||
		 p->alg == KW_ENC_RSA_OAEP) &&
		(p->aad != NULL || p->aad_len == 0) &&
		(p->label != NULL || p->label_len == 0));
}

static kw_hash oaep_hash(const kw_enc_params *p)
{
	return p == NULL || p->oaep_hash == KW_HASH_NONE ? KW_HASH_SHA256
							 : p->oaep_hash;
}

kw_rc kw_key_encrypt(kw_keys *ks, const char *partition, const char *name,
		     const kw_enc_params *p, const uint8_t *pt, size_t pt_len,
		     uint8_t **out, size_t *out_len, uint32_t *out_version)
{
	op o = {0};
	kw_enc_alg alg;
	uint8_t *ct = NULL;
	size_t ct_len = 0;
	kw_rc rc = KW_E_INVALID;
	if (!enc_params_valid(p) || (pt == NULL && pt_len != 0) ||
	    out == NULL || out_len == NULL || out_version == NULL)
		goto out;
	rc = op_begin(ks, partition, name, KW_USAGE_ENCRYPT, true, 0, &o);
	if (rc != KW_OK)
		goto out;
	rc = enc_alg(p, o.e->info->type, &alg);
	if (rc != KW_OK)
		goto out;
	if (alg == KW_ENC_AES_GCM)
		rc = kw_ckey_gcm_encrypt(o.k, NULL, p ? p->aad : NULL,
					 p ? p->aad_len : 0, pt, pt_len, &ct,
					 &ct_len);
	else
		rc = kw_ckey_oaep_encrypt(
			o.k, oaep_hash(p), p ? p->label : NULL,
			p ? p->label_len : 0, pt, pt_len, &ct, &ct_len);
	op_give(rc, &o, ct, ct_len, out, out_len, out_version);
out:
	op_end(&o);
	return rc;
}

kw_rc kw_key_decrypt(kw_keys *ks, const char *partition, const char *name,
		     uint32_t version, const kw_enc_params *p,
		     const uint8_t *ct, size_t ct_len, kw_secret **out)
{
	op o = {0};
	kw_enc_alg alg;
	kw_rc rc = KW_E_INVALID;
	if (!enc_params_valid(p) || ct == NULL || ct_len == 0 || out == NULL)
		goto out;
	rc = op_begin(ks, partition, name, KW_USAGE_DECRYPT, false, version,
		      &o);
	if (rc != KW_OK)
		goto out;
	rc = enc_alg(p, o.e->info->type, &alg);
	if (rc != KW_OK)
		goto out;
	if (alg == KW_ENC_AES_GCM)
		rc = kw_ckey_gcm_decrypt(o.k, p ? p->aad : NULL,
					 p ? p->aad_len : 0, ct, ct_len, out);
	else
		rc = kw_ckey_oaep_decrypt(
			o.k, oaep_hash(p), p ? p->label : NULL,
			p ? p->label_len : 0, ct, ct_len, out);
out:
	op_end(&o);
	return rc;
}

kw_rc kw_key_mac(kw_keys *ks, const char *partition, const char *name,
		 const uint8_t *in, size_t in_len, uint8_t **out,
		 size_t *out_len, uint32_t *out_version)
{
	op o = {0};
	uint8_t *tag = NULL;
	size_t tag_len = 0;
	kw_rc rc = KW_E_INVALID;
	if ((in == NULL && in_len != 0) || out == NULL || out_len == NULL ||
	    out_version == NULL)
		goto out;
	rc = op_begin(ks, partition, name, KW_USAGE_MAC, true, 0, &o);
	if (rc != KW_OK)
		goto out;
	rc = kw_ckey_mac(o.k, in, in_len, &tag, &tag_len);
	op_give(rc, &o, tag, tag_len, out, out_len, out_version);
out:
	op_end(&o);
	return rc;
}

kw_rc kw_key_mac_verify(kw_keys *ks, const char *partition, const char *name,
			uint32_t version, const uint8_t *in, size_t in_len,
			const uint8_t *tag, size_t tag_len)
{
	op o = {0};
	kw_rc rc = KW_E_INVALID;
	if ((in == NULL && in_len != 0) || tag == NULL || tag_len == 0)
		goto out;
	rc = op_begin(ks, partition, name, KW_USAGE_MAC, false, version, &o);
	if (rc != KW_OK)
		goto out;
	rc = kw_ckey_mac_verify(o.k, in, in_len, tag, tag_len);
out:
	op_end(&o);
	return rc;
}

static bool wrap_mode_valid(kw_wrap_mode m)
{
	return m == KW_WRAP_AES_KW || m == KW_WRAP_AES_KWP;
}

kw_rc kw_key_wrap(kw_keys *ks, const char *partition, const char *name,
		  kw_wrap_mode m, const uint8_t *in, size_t in_len,
		  uint8_t **out, size_t *out_len, uint32_t *out_version)
{
	op o = {0};
	uint8_t *w = NULL;
	size_t w_len = 0;
	kw_rc rc = KW_E_INVALID;
	if (!wrap_mode_valid(m) || in == NULL || in_len == 0 || out == NULL ||
	    out_len == NULL || out_version == NULL)
		goto out;
	rc = op_begin(ks, partition, name, KW_USAGE_WRAP, true, 0, &o);
	if (rc != KW_OK)
		goto out;
	rc = kw_ckey_wrap(o.k, m, in, in_len, &w, &w_len);
	op_give(rc, &o, w, w_len, out, out_len, out_version);
out:
	op_end(&o);
	return rc;
}

kw_rc kw_key_unwrap(kw_keys *ks, const char *partition, const char *name,
		    uint32_t version, kw_wrap_mode m, const uint8_t *in,
		    size_t in_len, kw_secret **out)
{
	op o = {0};
	kw_rc rc = KW_E_INVALID;
	if (!wrap_mode_valid(m) || in == NULL || in_len == 0 || out == NULL)
		goto out;
	rc = op_begin(ks, partition, name, KW_USAGE_UNWRAP, false, version, &o);
	if (rc != KW_OK)
		goto out;
	rc = kw_ckey_unwrap(o.k, m, in, in_len, out);
out:
	op_end(&o);
	return rc;
}

kw_rc kw_key_public_pem(kw_keys *ks, const char *partition, const char *name,
			uint32_t version, char **out)
{
	kw_keys_entry *e = NULL;
	char *pem = NULL;
	kw_rc rc = KW_E_INVALID;
	if (out == NULL)
		goto out;
	rc = kw_keys_acquire(ks, partition, name, &e);
	if (rc != KW_OK)
		goto out;
	const kw_key_info *k = e->info;
	rc = KW_E_UNSUPPORTED;
	if (!kw_key_type_is_asymmetric(k->type))
		goto out;
	rc = KW_E_STATE;
	if (k->state == KW_KEY_DESTROYED || e->ckeys == NULL)
		goto out;
	rc = KW_E_NOT_FOUND;
	if (version > k->version_count)
		goto out;
	if (version == 0)
		version = k->primary_version;
	rc = kw_ckey_public_pem(e->ckeys[version - 1], &pem);
	if (rc != KW_OK)
		goto out;
	*out = pem;
out:
	kw_keys_entry_release(e);
	return rc;
}
