/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

/*
 * Signatures: RSA PKCS#1 v1.5 (also raw type-1 padding for CKM_RSA_PKCS),
 * RSA-PSS, ECDSA (DER or r||s) and pure Ed25519.
 *
 * Each key keeps pooled contexts that are already through
 * EVP_PKEY_sign_init / EVP_PKEY_verify_init with padding and digest set, one
 * kind per (scheme, hash) "variant", so a call only hashes (EVP_Digest) and
 * signs; setting a digest on a context fetches it by name, which is why the
 * digest is part of the variant and not set per call. Ed25519 has no
 * EVP_PKEY_sign in OpenSSL 3.0; its pooled EVP_MD_CTX stays initialised
 * across EVP_DigestSign calls (pure EdDSA keeps no state between messages).
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto/internal.h"
#include "keywarden/log.h"

/* RSA variants: padding in the high nibble, digest in the low one. */
enum { RSA_RAW = 0, RSA_PKCS1 = 1, RSA_PSS = 2 };
#define RSA_VARIANT(pad, h) ((unsigned)(pad) << 4 | (unsigned)(h))

/* PKCS#1 v1.5 type-1 padding needs 11 bytes (RFC 8017 §9.2 step 3). */
#define PKCS1_OVERHEAD 11

/* What a validated kw_sign_params asks of a key. */
typedef struct sig_plan {
	kw_sig_scheme scheme; /* resolved: never KW_SIG_DEFAULT */
	kw_hash hash;
	bool digest;	  /* hash the input here first */
	unsigned variant; /* of the pooled context */
	int salt;	  /* PSS salt length in bytes */
} sig_plan;

static kw_sig_scheme natural_scheme(kw_key_class c)
{
	switch (c) {
	case KW_CLASS_RSA:
		return KW_SIG_RSA_PKCS1;
	case KW_CLASS_EC:
		return KW_SIG_ECDSA;
	default:
		return KW_SIG_EDDSA;
	}
}

/* The RSA part of plan_make: PKCS#1 v1.5 or PSS. */
static kw_rc plan_rsa(const kw_ckey *k, const kw_sign_params *p, size_t in_len,
		      sig_plan *pl)
{
	kw_rc rc = KW_E_UNSUPPORTED;
	size_t em_len = 0, hlen = kw_hash_size(p->hash);
	int bits = EVP_PKEY_get_bits(k->pkey);

	if (pl->scheme == KW_SIG_RSA_PKCS1 && p->hash == KW_HASH_NONE) {
		/* CKM_RSA_PKCS: the caller's DigestInfo, padded as-is. */
		if (!p->prehashed)
			goto out;
		rc = KW_E_INVALID;
		if (in_len == 0 || in_len + PKCS1_OVERHEAD > k->sig_max)
			goto out;
		pl->variant = RSA_VARIANT(RSA_RAW, 0);
	} else if (pl->scheme == KW_SIG_RSA_PKCS1) {
		pl->variant = RSA_VARIANT(RSA_PKCS1, p->hash);
	} else if (pl->scheme == KW_SIG_RSA_PSS) {
		if (p->hash == KW_HASH_NONE)
			goto out;
		/* RFC 8017 §9.1.1: emLen >= hLen + sLen + 2. */
		rc = KW_E_INVALID;
		em_len = ((size_t)bits - 1 + 7) / 8;
		pl->salt = p->pss_salt_len == -1 ? (int)hlen : p->pss_salt_len;
		if (p->pss_salt_len < -1 ||
		    (size_t)pl->salt + hlen + 2 > em_len)
			goto out;
		pl->variant = RSA_VARIANT(RSA_PSS, p->hash);
	} else {
		goto out;
	}
	rc = KW_OK;
out:
	return rc;
}

/* Validates p for key k and an input of in_len bytes. */
static kw_rc plan_make(const kw_ckey *k, const kw_sign_params *p, size_t in_len,
		       sig_plan *pl)
{
	kw_rc rc = KW_E_INVALID;

	memset(pl, 0, sizeof(*pl));
	if ((unsigned)p->scheme >= KW_SIG_SCHEME_COUNT_ ||
	    (unsigned)p->hash >= KW_HASH_COUNT_ ||
	    (p->format != KW_SIG_FORMAT_DER && p->format != KW_SIG_FORMAT_RAW))
		goto out;
	rc = KW_E_UNSUPPORTED;
	if (k->pkey == NULL)
		goto out;
	pl->scheme = p->scheme == KW_SIG_DEFAULT ? natural_scheme(k->cls)
						 : p->scheme;
	pl->hash = p->hash;
	pl->digest = p->hash != KW_HASH_NONE && !p->prehashed;
	/* A digest we are given must be exactly a digest. */
	if (p->prehashed && p->hash != KW_HASH_NONE &&
	    in_len != kw_hash_size(p->hash)) {
		rc = KW_E_INVALID;
		goto out;
	}
	switch (k->cls) {
	case KW_CLASS_RSA:
		rc = plan_rsa(k, p, in_len, pl);
		break;
	case KW_CLASS_EC:
		if (pl->scheme != KW_SIG_ECDSA ||
		    (p->hash == KW_HASH_NONE && !p->prehashed))
			goto out;
		/* CKM_ECDSA: any digest up to the longest we know; X9.62
		 * truncates it to the order's length. */
		rc = KW_E_INVALID;
		if (p->hash == KW_HASH_NONE &&
		    (in_len == 0 || in_len > KW_DIGEST_MAX))
			goto out;
		rc = KW_OK;
		break;
	case KW_CLASS_EDDSA:
		/* Pure Ed25519 only: no prehash, no Ed25519ph. */
		if (pl->scheme != KW_SIG_EDDSA || p->hash != KW_HASH_NONE ||
		    p->prehashed)
			goto out;
		rc = KW_OK;
		break;
	default:
		break;
	}
out:
	return rc;
}

/* kw_pool_make_fn for signature contexts: tag's op is KW_OP_SIGN or
 * KW_OP_VERIFY, its variant a sig_plan variant. */
static kw_rc sig_ctx_make(const kw_ckey *k, unsigned tag, void **out_ctx)
{
	kw_rc rc = KW_E_CRYPTO;
	bool sign = tag >> 8 == KW_OP_SIGN;
	unsigned pad = (tag & 0xff) >> 4;
	const EVP_MD *md = kw_md((kw_hash)(tag & 0xf));
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD_CTX *mctx = NULL;

	if (k->cls == KW_CLASS_EDDSA) {
		mctx = EVP_MD_CTX_new();
		if (mctx == NULL ||
		    (sign ? EVP_DigestSignInit_ex(mctx, NULL, NULL, NULL, NULL,
						  k->pkey, NULL)
			  : EVP_DigestVerifyInit_ex(mctx, NULL, NULL, NULL,
						    NULL, k->pkey, NULL)) !=
			    1) {
			rc = kw_ossl_fail("EVP_DigestSignInit_ex");
			goto out;
		}
		*out_ctx = mctx;
		mctx = NULL;
		rc = KW_OK;
		goto out;
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (ctx == NULL ||
	    (sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) != 1) {
		rc = kw_ossl_fail("EVP_PKEY_sign_init");
		goto out;
	}
	if (k->cls == KW_CLASS_RSA &&
	    (EVP_PKEY_CTX_set_rsa_padding(
		     ctx, pad == RSA_PSS ? RSA_PKCS1_PSS_PADDING
					 : RSA_PKCS1_PADDING) != 1 ||
	     (pad != RSA_RAW && EVP_PKEY_CTX_set_signature_md(ctx, md) != 1) ||
	     (pad == RSA_PSS && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1))) {
		rc = kw_ossl_fail("RSA signature set-up");
		goto out;
	}
	*out_ctx = ctx;
	ctx = NULL;
	rc = KW_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_MD_CTX_free(mctx);
	return rc;
}

/* DER ECDSA-Sig-Value to r||s, each padded to flen bytes (2 * flen bytes at
 * out). Only used on signatures made here, so a failure is KW_E_CRYPTO. */
static kw_rc ecdsa_der_to_raw(const uint8_t *der, size_t der_len, size_t flen,
			      uint8_t *out)
{
	kw_rc rc = KW_E_CRYPTO;
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);

	if (s == NULL ||
	    BN_bn2binpad(ECDSA_SIG_get0_r(s), out, (int)flen) != (int)flen ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(s), out + flen, (int)flen) !=
		    (int)flen) {
		rc = kw_ossl_fail("ECDSA signature conversion");
		goto out;
	}
	rc = KW_OK;
out:
	ECDSA_SIG_free(s);
	return rc;
}

/* r||s (exactly 2 * flen bytes) to DER (malloc). KW_E_VERIFY if the length
 * is wrong: such a signature cannot be valid. */
static kw_rc ecdsa_raw_to_der(const uint8_t *raw, size_t raw_len, size_t flen,
			      uint8_t **out, size_t *out_len)
{
	kw_rc rc = KW_E_VERIFY;
	ECDSA_SIG *s = NULL;
	BIGNUM *r = NULL, *sv = NULL;
	unsigned char *der = NULL;
	int n = 0;

	if (raw_len != 2 * flen)
		goto out;
	rc = KW_E_NOMEM;
	s = ECDSA_SIG_new();
	r = BN_bin2bn(raw, (int)flen, NULL);
	sv = BN_bin2bn(raw + flen, (int)flen, NULL);
	if (s == NULL || r == NULL || sv == NULL)
		goto out;
	ECDSA_SIG_set0(s, r, sv);
	r = sv = NULL;
	n = i2d_ECDSA_SIG(s, &der);
	if (n <= 0) {
		rc = kw_ossl_fail("i2d_ECDSA_SIG");
		goto out;
	}
	*out = der;
	*out_len = (size_t)n;
	der = NULL;
	rc = KW_OK;
out:
	OPENSSL_free(der);
	BN_free(r);
	BN_free(sv);
	ECDSA_SIG_free(s);
	return rc;
}

/* Common argument checks of sign and verify. */
static kw_rc sig_args(const kw_ckey *k, const kw_sign_params *p,
		      const uint8_t *in, size_t in_len, sig_plan *pl)
{
	kw_rc rc = KW_E_INVALID;

	if (k == NULL || p == NULL || (in == NULL && in_len != 0) ||
	    in_len > KW_CRYPTO_INPUT_MAX)
		goto out;
	rc = plan_make(k, p, in_len, pl);
out:
	return rc;
}

/* The to-be-signed bytes of an asymmetric (non-EdDSA) signature: in, or its
 * digest in dig. */
static kw_rc sig_tbs(const sig_plan *pl, const uint8_t *in, size_t in_len,
		     uint8_t dig[static KW_DIGEST_MAX], const uint8_t **tbs,
		     size_t *tbs_len)
{
	kw_rc rc = KW_OK;

	*tbs = in;
	*tbs_len = in_len;
	if (pl->digest) {
		rc = kw_digest(pl->hash, in, in_len, dig, tbs_len);
		*tbs = dig;
	}
	return rc;
}

kw_rc kw_ckey_sign(kw_ckey *k, const kw_sign_params *p, const uint8_t *in,
		   size_t in_len, uint8_t **out_sig, size_t *out_len)
{
	sig_plan pl;
	kw_rc rc = sig_args(k, p, in, in_len, &pl);
	kw_pooled *c = NULL;
	uint8_t dig[KW_DIGEST_MAX];
	uint8_t der[2 * 66 + 16]; /* the largest ECDSA DER (P-521) */
	const uint8_t *tbs = NULL;
	size_t tbs_len = 0, len = 0, flen = 0;
	uint8_t *sig = NULL;

	if (rc == KW_OK && (out_sig == NULL || out_len == NULL))
		rc = KW_E_INVALID;
	if (rc == KW_OK && !k->priv)
		rc = KW_E_UNSUPPORTED; /* a verify-only key */
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	len = k->sig_max;
	sig = malloc(len);
	if (sig == NULL)
		goto out;
	rc = kw_pool_take(k, KW_TAG(KW_OP_SIGN, pl.variant),
			  k->cls == KW_CLASS_EDDSA ? KW_CTX_MD : KW_CTX_PKEY,
			  sig_ctx_make, &c);
	if (rc != KW_OK)
		goto out;
	if (k->cls == KW_CLASS_EDDSA) {
		if (EVP_DigestSign(c->ctx, sig, &len, in, in_len) != 1) {
			rc = kw_ossl_fail("EVP_DigestSign");
			goto out;
		}
	} else {
		rc = sig_tbs(&pl, in, in_len, dig, &tbs, &tbs_len);
		if (rc != KW_OK)
			goto out;
		if ((pl.scheme == KW_SIG_RSA_PSS &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(c->ctx, pl.salt) != 1) ||
		    EVP_PKEY_sign(c->ctx, sig, &len, tbs, tbs_len) != 1) {
			rc = kw_ossl_fail("EVP_PKEY_sign");
			goto out;
		}
	}
	if (k->cls == KW_CLASS_EC && p->format == KW_SIG_FORMAT_RAW) {
		/* r||s is shorter than the DER form: convert in place. */
		flen = kw_ec_field_len(k->type);
		if (len > sizeof(der)) {
			rc = KW_E_INTERNAL;
			goto out;
		}
		memcpy(der, sig, len);
		rc = ecdsa_der_to_raw(der, len, flen, sig);
		if (rc != KW_OK)
			goto out;
		len = 2 * flen;
	}
	*out_sig = sig;
	*out_len = len;
	sig = NULL;
out:
	kw_pool_put(k, c, rc == KW_OK);
	free(sig);
	return rc;
}

kw_rc kw_ckey_verify(kw_ckey *k, const kw_sign_params *p, const uint8_t *in,
		     size_t in_len, const uint8_t *sig, size_t sig_len)
{
	sig_plan pl;
	kw_rc rc = sig_args(k, p, in, in_len, &pl);
	kw_pooled *c = NULL;
	uint8_t dig[KW_DIGEST_MAX];
	const uint8_t *tbs = NULL;
	size_t tbs_len = 0;
	uint8_t *der = NULL;
	int ok = 0;

	if (rc == KW_OK && (sig == NULL || sig_len > KW_CRYPTO_INPUT_MAX))
		rc = KW_E_INVALID;
	if (rc != KW_OK)
		goto out;
	if (k->cls == KW_CLASS_EC && p->format == KW_SIG_FORMAT_RAW) {
		rc = ecdsa_raw_to_der(sig, sig_len, kw_ec_field_len(k->type),
				      &der, &sig_len);
		if (rc != KW_OK)
			goto out;
		sig = der;
	}
	rc = kw_pool_take(k, KW_TAG(KW_OP_VERIFY, pl.variant),
			  k->cls == KW_CLASS_EDDSA ? KW_CTX_MD : KW_CTX_PKEY,
			  sig_ctx_make, &c);
	if (rc != KW_OK)
		goto out;
	if (k->cls == KW_CLASS_EDDSA) {
		ok = EVP_DigestVerify(c->ctx, sig, sig_len, in, in_len);
	} else {
		rc = sig_tbs(&pl, in, in_len, dig, &tbs, &tbs_len);
		if (rc != KW_OK)
			goto out;
		if (pl.scheme == KW_SIG_RSA_PSS &&
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(c->ctx, pl.salt) != 1) {
			rc = kw_ossl_fail("EVP_PKEY_CTX_set_rsa_pss_saltlen");
			goto out;
		}
		ok = EVP_PKEY_verify(c->ctx, sig, sig_len, tbs, tbs_len);
	}
	/* 0 is "does not verify"; a negative value a malformed signature
	 * (wrong length, bad DER): for the caller both are invalid. */
	ERR_clear_error();
	rc = ok == 1 ? KW_OK : KW_E_VERIFY;
out:
	/* A failed verification leaves the context reusable. */
	kw_pool_put(k, c, rc == KW_OK || rc == KW_E_VERIFY);
	OPENSSL_free(der);
	return rc;
}
