/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

/*
 * Encryption: AES-GCM with AAD (the barrier seals every record with it) and
 * RSA-OAEP. AES contexts are pooled with the key schedule already set, so a
 * call only sets the IV; OAEP contexts are pooled with padding and digests
 * set, so a call only sets the label.
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "crypto/internal.h"
#include "keywarden/log.h"

/* The cipher of an AES key for a mode variant (KW_AES_*). */
static const EVP_CIPHER *aes_cipher(kw_key_type t, unsigned variant)
{
	bool k256 = t == KW_KEY_AES_256;

	switch (variant) {
	case KW_AES_GCM:
		return kw_cipher(k256 ? KW_CIPHER_AES256_GCM
				      : KW_CIPHER_AES128_GCM);
	case KW_AES_KW:
		return kw_cipher(k256 ? KW_CIPHER_AES256_KW
				      : KW_CIPHER_AES128_KW);
	case KW_AES_KWP:
		return kw_cipher(k256 ? KW_CIPHER_AES256_KWP
				      : KW_CIPHER_AES128_KWP);
	default:
		return NULL;
	}
}

kw_rc kw_aes_ctx_make(const kw_ckey *k, unsigned tag, void **out_ctx)
{
	kw_rc rc = KW_E_UNSUPPORTED;
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned op = tag >> 8;
	const EVP_CIPHER *c = aes_cipher(k->type, tag & 0xff);

	if (c == NULL || k->raw == NULL ||
	    (op != KW_OP_ENCRYPT && op != KW_OP_DECRYPT))
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	/* Key wrap ciphers refuse to run without this flag. */
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	/* The key schedule is computed here, once per context. */
	if (EVP_CipherInit_ex(ctx, c, NULL, k->raw->data, NULL,
			      op == KW_OP_ENCRYPT) != 1) {
		rc = kw_ossl_fail("EVP_CipherInit_ex");
		goto out;
	}
	*out_ctx = ctx;
	ctx = NULL;
	rc = KW_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* Common argument checks of the GCM functions. */
static kw_rc gcm_check(const kw_ckey *k, const uint8_t *aad, size_t aad_len,
		       const uint8_t *in, size_t in_len, const void *out)
{
	kw_rc rc = KW_E_INVALID;

	if (k == NULL || out == NULL || (aad == NULL && aad_len != 0) ||
	    aad_len > KW_CRYPTO_INPUT_MAX || (in == NULL && in_len != 0) ||
	    in_len > KW_CRYPTO_INPUT_MAX)
		goto out;
	rc = k->cls == KW_CLASS_AES ? KW_OK : KW_E_UNSUPPORTED;
out:
	return rc;
}

kw_rc kw_ckey_gcm_encrypt(kw_ckey *k, const uint8_t *iv, const uint8_t *aad,
			  size_t aad_len, const uint8_t *pt, size_t pt_len,
			  uint8_t **out, size_t *out_len)
{
	kw_rc rc = gcm_check(k, aad, aad_len, pt, pt_len, out);
	kw_pooled *p = NULL;
	uint8_t *buf = NULL;
	size_t len = KW_GCM_IV_LEN + pt_len + KW_GCM_TAG_LEN;
	int n = 0, fn = 0;

	if (rc == KW_OK && out_len == NULL)
		rc = KW_E_INVALID;
	if (rc != KW_OK)
		goto out;
	buf = malloc(len);
	if (buf == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	if (iv != NULL)
		memcpy(buf, iv, KW_GCM_IV_LEN);
	else if ((rc = kw_random(buf, KW_GCM_IV_LEN)) != KW_OK)
		goto out;
	rc = kw_pool_take(k, KW_TAG(KW_OP_ENCRYPT, KW_AES_GCM), KW_CTX_CIPHER,
			  kw_aes_ctx_make, &p);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_CRYPTO;
	if (EVP_EncryptInit_ex(p->ctx, NULL, NULL, NULL, buf) != 1 ||
	    (aad_len > 0 &&
	     EVP_EncryptUpdate(p->ctx, NULL, &n, aad, (int)aad_len) != 1) ||
	    (pt_len > 0 && EVP_EncryptUpdate(p->ctx, buf + KW_GCM_IV_LEN, &n,
					     pt, (int)pt_len) != 1)) {
		rc = kw_ossl_fail("AES-GCM encrypt");
		goto out;
	}
	if (pt_len == 0)
		n = 0;
	if (EVP_EncryptFinal_ex(p->ctx, buf + KW_GCM_IV_LEN + n, &fn) != 1 ||
	    (size_t)n + (size_t)fn != pt_len ||
	    EVP_CIPHER_CTX_ctrl(p->ctx, EVP_CTRL_GCM_GET_TAG, KW_GCM_TAG_LEN,
				buf + KW_GCM_IV_LEN + pt_len) != 1) {
		rc = kw_ossl_fail("AES-GCM final");
		goto out;
	}
	*out = buf;
	*out_len = len;
	buf = NULL;
	rc = KW_OK;
out:
	kw_pool_put(k, p, rc == KW_OK);
	free(buf);
	return rc;
}

kw_rc kw_ckey_gcm_decrypt(kw_ckey *k, const uint8_t *aad, size_t aad_len,
			  const uint8_t *in, size_t in_len, kw_secret **out)
{
	kw_rc rc = gcm_check(k, aad, aad_len, in, in_len, out);
	kw_pooled *p = NULL;
	kw_secret *pt = NULL;
	size_t pt_len = 0;
	uint8_t tag[KW_GCM_TAG_LEN];
	int n = 0, fn = 0;

	if (rc == KW_OK && in_len < KW_GCM_IV_LEN + KW_GCM_TAG_LEN)
		rc = KW_E_INVALID;
	if (rc != KW_OK)
		goto out;
	pt_len = in_len - KW_GCM_IV_LEN - KW_GCM_TAG_LEN;
	rc = kw_secret_new(pt_len, &pt);
	if (rc != KW_OK)
		goto out;
	/* The tag ctrl takes a non-const buffer. */
	memcpy(tag, in + in_len - KW_GCM_TAG_LEN, KW_GCM_TAG_LEN);
	rc = kw_pool_take(k, KW_TAG(KW_OP_DECRYPT, KW_AES_GCM), KW_CTX_CIPHER,
			  kw_aes_ctx_make, &p);
	if (rc != KW_OK)
		goto out;
	if (EVP_DecryptInit_ex(p->ctx, NULL, NULL, NULL, in) != 1 ||
	    (aad_len > 0 &&
	     EVP_DecryptUpdate(p->ctx, NULL, &n, aad, (int)aad_len) != 1) ||
	    (pt_len > 0 &&
	     EVP_DecryptUpdate(p->ctx, pt->data, &n, in + KW_GCM_IV_LEN,
			       (int)pt_len) != 1) ||
	    EVP_CIPHER_CTX_ctrl(p->ctx, EVP_CTRL_GCM_SET_TAG, KW_GCM_TAG_LEN,
				tag) != 1) {
		rc = kw_ossl_fail("AES-GCM decrypt");
		goto out;
	}
	if (pt_len == 0)
		n = 0;
	/* The tag check (constant time inside OpenSSL) covers IV, AAD and
	 * ciphertext. The plaintext written so far is wiped on failure. */
	if (EVP_DecryptFinal_ex(p->ctx, pt->data + n, &fn) != 1 ||
	    (size_t)n + (size_t)fn != pt_len) {
		ERR_clear_error();
		rc = KW_E_VERIFY;
		goto out;
	}
	*out = pt;
	pt = NULL;
	rc = KW_OK;
out:
	/* A context whose tag did not match is reset by the next IV. */
	kw_pool_put(k, p, rc == KW_OK || rc == KW_E_VERIFY);
	kw_secret_free(pt);
	return rc;
}

/* kw_pool_make_fn for OAEP: tag KW_TAG(KW_OP_ENCRYPT or KW_OP_DECRYPT, hash),
 * with padding, OAEP digest and MGF1 digest set. */
static kw_rc oaep_ctx_make(const kw_ckey *k, unsigned tag, void **out_ctx)
{
	kw_rc rc = KW_E_CRYPTO;
	bool enc = tag >> 8 == KW_OP_ENCRYPT;
	const EVP_MD *md = kw_md((kw_hash)(tag & 0xff));
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);

	if (ctx == NULL || md == NULL ||
	    (enc ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) !=
		    1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1) {
		rc = kw_ossl_fail("RSA-OAEP set-up");
		goto out;
	}
	*out_ctx = ctx;
	ctx = NULL;
	rc = KW_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* Common checks of the OAEP functions and the pooled context for them, with
 * the label set (an empty one replaces whatever the context had). */
static kw_rc oaep_begin(kw_ckey *k, unsigned op, kw_hash h,
			const uint8_t *label, size_t label_len,
			const uint8_t *in, size_t in_len, const void *out,
			kw_pooled **ctx)
{
	static const uint8_t empty[1];
	kw_rc rc = KW_E_INVALID;
	OSSL_PARAM params[2];

	if (k == NULL || out == NULL || (label == NULL && label_len != 0) ||
	    label_len > KW_CRYPTO_INPUT_MAX || (in == NULL && in_len != 0) ||
	    in_len > KW_CRYPTO_INPUT_MAX || (unsigned)h >= KW_HASH_COUNT_)
		goto out;
	rc = KW_E_UNSUPPORTED;
	if (k->cls != KW_CLASS_RSA || h == KW_HASH_NONE ||
	    (op == KW_OP_DECRYPT && !k->priv))
		goto out;
	rc = kw_pool_take(k, KW_TAG(op, h), KW_CTX_PKEY, oaep_ctx_make, ctx);
	if (rc != KW_OK)
		goto out;
	/* OpenSSL copies the label; a NULL pointer would be refused. */
	params[0] = OSSL_PARAM_construct_octet_string(
		OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL,
		(void *)(label_len > 0 ? label : empty), label_len);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_CTX_set_params((*ctx)->ctx, params) != 1) {
		rc = kw_ossl_fail("set OAEP label");
		kw_pool_put(k, *ctx, false);
		*ctx = NULL;
	}
out:
	return rc;
}

kw_rc kw_ckey_oaep_encrypt(kw_ckey *k, kw_hash h, const uint8_t *label,
			   size_t label_len, const uint8_t *pt, size_t pt_len,
			   uint8_t **out, size_t *out_len)
{
	kw_pooled *c = NULL;
	kw_rc rc = oaep_begin(k, KW_OP_ENCRYPT, h, label, label_len, pt, pt_len,
			      out_len, &c);
	uint8_t *buf = NULL;
	size_t len = 0;

	if (rc == KW_OK && out == NULL)
		rc = KW_E_INVALID;
	if (rc != KW_OK)
		goto out;
	/* RFC 8017 §7.1.1: mLen <= k - 2 hLen - 2. */
	if (pt_len + 2 * kw_hash_size(h) + 2 > k->sig_max) {
		rc = KW_E_LIMIT;
		goto out;
	}
	len = k->sig_max;
	buf = malloc(len);
	if (buf == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	if (EVP_PKEY_encrypt(c->ctx, buf, &len, pt, pt_len) != 1) {
		rc = kw_ossl_fail("EVP_PKEY_encrypt");
		goto out;
	}
	*out = buf;
	*out_len = len;
	buf = NULL;
out:
	kw_pool_put(k, c, rc == KW_OK);
	free(buf);
	return rc;
}

kw_rc kw_ckey_oaep_decrypt(kw_ckey *k, kw_hash h, const uint8_t *label,
			   size_t label_len, const uint8_t *in, size_t in_len,
			   kw_secret **out)
{
	kw_pooled *c = NULL;
	kw_rc rc = oaep_begin(k, KW_OP_DECRYPT, h, label, label_len, in, in_len,
			      out, &c);
	kw_secret *pt = NULL;
	size_t len = 0;

	if (rc == KW_OK && in_len == 0)
		rc = KW_E_INVALID;
	if (rc != KW_OK)
		goto out;
	rc = kw_secret_new(k->sig_max, &pt);
	if (rc != KW_OK)
		goto out;
	len = pt->len;
	/* RFC 8017 §7.1.2: a wrong length, a bad padding and a wrong label
	 * are all the one "decryption error". */
	if (in_len != k->sig_max ||
	    EVP_PKEY_decrypt(c->ctx, pt->data, &len, in, in_len) != 1) {
		ERR_clear_error();
		rc = KW_E_VERIFY;
		goto out;
	}
	kw_secret_shrink(pt, len);
	*out = pt;
	pt = NULL;
out:
	kw_pool_put(k, c, rc == KW_OK || rc == KW_E_VERIFY);
	kw_secret_free(pt);
	return rc;
}
