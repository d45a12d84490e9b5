/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

/* Random bytes, digests (one-shot and streaming), HMAC with a raw key and
 * HKDF-SHA-256. */

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto/internal.h"
#include "keywarden/log.h"

/* The largest HKDF-SHA-256 output, 255 * HashLen (RFC 5869 §2.3). */
#define HKDF_SHA256_MAX (255u * 32u)

struct kw_digest_ctx {
	EVP_MD_CTX *md;
	kw_hash hash;
	bool done; /* final was called: no more updates */
};

kw_rc kw_random(void *buf, size_t len)
{
	kw_rc rc = KW_E_INVALID;
	uint8_t *p = buf;

	if ((buf == NULL && len != 0) || len > KW_CRYPTO_INPUT_MAX)
		goto out;
	/* RAND_bytes takes an int; KW_CRYPTO_INPUT_MAX fits, but stay
	 * independent of that. */
	while (len > 0) {
		int n = len > INT_MAX ? INT_MAX : (int)len;
		if (RAND_bytes(p, n) != 1) {
			rc = kw_ossl_fail("RAND_bytes");
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	rc = KW_OK;
out:
	return rc;
}

kw_rc kw_digest(kw_hash h, const void *in, size_t in_len,
		uint8_t out[static KW_DIGEST_MAX], size_t *out_len)
{
	kw_rc rc = KW_E_INVALID;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	const EVP_MD *m = kw_md(h);

	if ((in == NULL && in_len != 0) || in_len > KW_CRYPTO_INPUT_MAX ||
	    out == NULL || out_len == NULL || (unsigned)h >= KW_HASH_COUNT_ ||
	    h == KW_HASH_NONE)
		goto out;
	if (m == NULL) {
		rc = KW_E_UNSUPPORTED;
		goto out;
	}
	if (EVP_Digest(in, in_len, md, &n, m, NULL) != 1) {
		rc = kw_ossl_fail("EVP_Digest");
		goto out;
	}
	memcpy(out, md, n);
	*out_len = n;
	rc = KW_OK;
out:
	return rc;
}

kw_rc kw_digest_ctx_new(kw_hash h, kw_digest_ctx **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_digest_ctx *c = NULL;
	const EVP_MD *m = kw_md(h);

	if (out == NULL || (unsigned)h >= KW_HASH_COUNT_ || h == KW_HASH_NONE)
		goto out;
	if (m == NULL) {
		rc = KW_E_UNSUPPORTED;
		goto out;
	}
	rc = KW_E_NOMEM;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto out;
	c->hash = h;
	c->md = EVP_MD_CTX_new();
	if (c->md == NULL)
		goto out;
	if (EVP_DigestInit_ex2(c->md, m, NULL) != 1) {
		rc = kw_ossl_fail("EVP_DigestInit_ex2");
		goto out;
	}
	*out = c;
	c = NULL;
	rc = KW_OK;
out:
	kw_digest_ctx_free(c);
	return rc;
}

kw_rc kw_digest_ctx_update(kw_digest_ctx *c, const void *in, size_t len)
{
	kw_rc rc = KW_E_INVALID;

	if (c == NULL || (in == NULL && len != 0) || len > KW_CRYPTO_INPUT_MAX)
		goto out;
	if (c->done) {
		rc = KW_E_STATE;
		goto out;
	}
	if (EVP_DigestUpdate(c->md, in, len) != 1) {
		rc = kw_ossl_fail("EVP_DigestUpdate");
		goto out;
	}
	rc = KW_OK;
out:
	return rc;
}

kw_rc kw_digest_ctx_final(kw_digest_ctx *c, uint8_t out[static KW_DIGEST_MAX],
			  size_t *out_len)
{
	kw_rc rc = KW_E_INVALID;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (c == NULL || out == NULL || out_len == NULL)
		goto out;
	if (c->done) {
		rc = KW_E_STATE;
		goto out;
	}
	c->done = true;
	if (EVP_DigestFinal_ex(c->md, md, &n) != 1) {
		rc = kw_ossl_fail("EVP_DigestFinal_ex");
		goto out;
	}
	memcpy(out, md, n);
	*out_len = n;
	rc = KW_OK;
out:
	return rc;
}

void kw_digest_ctx_free(kw_digest_ctx *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

/* A new HMAC context for digest h with key[0..key_len) set. Shared with the
 * HMAC keys of mac.c. */
kw_rc kw_hmac_ctx_new(kw_hash h, const uint8_t *key, size_t key_len,
		      EVP_MAC_CTX **out)
{
	kw_rc rc = KW_E_UNSUPPORTED;
	EVP_MAC_CTX *ctx = NULL;
	const EVP_MD *m = kw_md(h);
	EVP_MAC *mac = kw_mac_hmac();
	OSSL_PARAM params[2];

	if (m == NULL || mac == NULL)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(
		OSSL_MAC_PARAM_DIGEST, (char *)EVP_MD_get0_name(m), 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, key_len, params) != 1) {
		rc = kw_ossl_fail("EVP_MAC_init");
		goto out;
	}
	*out = ctx;
	ctx = NULL;
	rc = KW_OK;
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

/* Runs an initialised HMAC context over in and writes the tag to out
 * (EVP_MAX_MD_SIZE bytes of room). */
kw_rc kw_hmac_ctx_run(EVP_MAC_CTX *ctx, const uint8_t *in, size_t in_len,
		      uint8_t *out, size_t *out_len)
{
	kw_rc rc = KW_E_CRYPTO;
	size_t n = 0;

	if (EVP_MAC_update(ctx, in, in_len) != 1) {
		rc = kw_ossl_fail("EVP_MAC_update");
		goto out;
	}
	if (EVP_MAC_final(ctx, out, &n, EVP_MAX_MD_SIZE) != 1) {
		rc = kw_ossl_fail("EVP_MAC_final");
		goto out;
	}
	*out_len = n;
	rc = KW_OK;
out:
	return rc;
}

kw_rc kw_hmac(kw_hash h, const kw_secret *key, const void *in, size_t in_len,
	      uint8_t out[static KW_DIGEST_MAX], size_t *out_len)
{
	kw_rc rc = KW_E_INVALID;
	EVP_MAC_CTX *ctx = NULL;
	uint8_t tag[EVP_MAX_MD_SIZE];
	size_t n = 0;

	if (key == NULL || key->data == NULL || (in == NULL && in_len != 0) ||
	    in_len > KW_CRYPTO_INPUT_MAX || out == NULL || out_len == NULL ||
	    (unsigned)h >= KW_HASH_COUNT_ || h == KW_HASH_NONE)
		goto out;
	if (h == KW_HASH_SHA1) {
		rc = KW_E_UNSUPPORTED; /* SHA-2 only, by contract */
		goto out;
	}
	rc = kw_hmac_ctx_new(h, key->data, key->len, &ctx);
	if (rc != KW_OK)
		goto out;
	rc = kw_hmac_ctx_run(ctx, in, in_len, tag, &n);
	if (rc != KW_OK)
		goto out;
	memcpy(out, tag, n);
	*out_len = n;
out:
	/* Tags of internal uses (share checksums) may be secret-derived. The
	 * HMAC state holds key-derived pads; EVP_MAC_CTX_free cleanses them. */
	kw_wipe(tag, sizeof(tag));
	EVP_MAC_CTX_free(ctx);
	return rc;
}

kw_rc kw_hkdf_sha256(const kw_secret *ikm, const void *salt, size_t salt_len,
		     const void *info, size_t info_len, size_t out_len,
		     kw_secret **out)
{
	kw_rc rc = KW_E_INVALID;
	EVP_KDF_CTX *ctx = NULL;
	kw_secret *okm = NULL;
	EVP_KDF *kdf = kw_kdf_hkdf();
	OSSL_PARAM params[5];
	size_t np = 0;

	if (ikm == NULL || ikm->data == NULL || ikm->len == 0 ||
	    ikm->len > KW_CRYPTO_INPUT_MAX || (salt == NULL && salt_len != 0) ||
	    salt_len > KW_CRYPTO_INPUT_MAX || (info == NULL && info_len != 0) ||
	    info_len > KW_CRYPTO_INPUT_MAX || out_len == 0 ||
	    out_len > HKDF_SHA256_MAX || out == NULL)
		goto out;
	if (kdf == NULL) {
		rc = KW_E_UNSUPPORTED;
		goto out;
	}
	ctx = EVP_KDF_CTX_new(kdf);
	if (ctx == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	params[np++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
							"SHA2-256", 0);
	params[np++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
							 ikm->data, ikm->len);
	/* An absent salt is HashLen zeros (RFC 5869 §2.2), which is what
	 * OpenSSL does when no salt is given. */
	if (salt_len > 0)
		params[np++] = OSSL_PARAM_construct_octet_string(
			OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
	if (info_len > 0)
		params[np++] = OSSL_PARAM_construct_octet_string(
			OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	params[np] = OSSL_PARAM_construct_end();
	rc = kw_secret_new(out_len, &okm);
	if (rc != KW_OK)
		goto out;
	if (EVP_KDF_derive(ctx, okm->data, okm->len, params) != 1) {
		rc = kw_ossl_fail("EVP_KDF_derive");
		goto out;
	}
	*out = okm;
	okm = NULL;
	rc = KW_OK;
out:
	kw_secret_free(okm);
	EVP_KDF_CTX_free(ctx); /* cleanses its copy of the IKM */
	return rc;
}
