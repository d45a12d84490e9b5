/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

/*
 * kw_ckey: creation (generate, private import, public import), private
 * export, and destruction. A key is parsed into an EVP_PKEY (or copied into
 * a kw_secret) exactly once here; operations only use prepared contexts.
 */

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/internal.h"
#include "keywarden/log.h"

#define HMAC_KEY_MIN 16
#define HMAC_KEY_MAX 128

size_t kw_ec_field_len(kw_key_type t)
{
	switch (t) {
	case KW_KEY_EC_P256:
		return 32;
	case KW_KEY_EC_P384:
		return 48;
	case KW_KEY_EC_P521:
		return 66;
	default:
		return 0;
	}
}

const char *kw_ec_group(kw_key_type t)
{
	switch (t) {
	case KW_KEY_EC_P256:
		return "prime256v1";
	case KW_KEY_EC_P384:
		return "secp384r1";
	case KW_KEY_EC_P521:
		return "secp521r1";
	default:
		return NULL;
	}
}

/* True if pkey is exactly of type t: algorithm, RSA modulus size, named
 * curve (explicit curve parameters are refused). */
static bool pkey_is_type(const EVP_PKEY *pkey, kw_key_type t)
{
	char name[64];
	size_t len = 0;

	switch (kw_key_type_class(t)) {
	case KW_CLASS_RSA:
		/* "RSA" only: an RSASSA-PSS-restricted key is another type. */
		return EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA &&
		       EVP_PKEY_get_bits(pkey) == (int)kw_key_type_bits(t);
	case KW_CLASS_EC:
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
			return false;
		if (EVP_PKEY_get_utf8_string_param(
			    pkey, OSSL_PKEY_PARAM_EC_ENCODING, name,
			    sizeof(name), &len) != 1 ||
		    strcmp(name, OSSL_PKEY_EC_ENCODING_GROUP) != 0)
			return false;
		if (EVP_PKEY_get_group_name(pkey, name, sizeof(name), &len) !=
		    1)
			return false;
		return strcmp(name, kw_ec_group(t)) == 0;
	case KW_CLASS_EDDSA:
		return EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519;
	default:
		return false;
	}
}

static kw_rc ckey_alloc(kw_key_type t, kw_ckey **out)
{
	kw_rc rc = KW_E_NOMEM;
	kw_ckey *k = calloc(1, sizeof(*k));

	if (k == NULL)
		goto out;
	if (pthread_mutex_init(&k->lock, NULL) != 0)
		goto out;
	k->type = t;
	k->cls = kw_key_type_class(t);
	*out = k;
	k = NULL;
	rc = KW_OK;
out:
	free(k);
	return rc;
}

kw_rc kw_ckey_from_pkey(kw_key_type t, EVP_PKEY *pkey, bool priv, kw_ckey **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_ckey *k = NULL;

	if (pkey == NULL || !kw_key_type_is_asymmetric(t) ||
	    !pkey_is_type(pkey, t))
		goto out;
	rc = ckey_alloc(t, &k);
	if (rc != KW_OK)
		goto out;
	k->pkey = pkey;
	pkey = NULL;
	k->priv = priv;
	k->sig_max = (size_t)EVP_PKEY_get_size(k->pkey);
	*out = k;
	rc = KW_OK;
out:
	EVP_PKEY_free(pkey);
	return rc;
}

/* Length check of raw symmetric key bytes for type t. */
static bool raw_len_ok(kw_key_type t, size_t len)
{
	switch (t) {
	case KW_KEY_AES_128:
		return len == 16;
	case KW_KEY_AES_256:
		return len == 32;
	case KW_KEY_HMAC_SHA256:
	case KW_KEY_HMAC_SHA384:
	case KW_KEY_HMAC_SHA512:
		return len >= HMAC_KEY_MIN && len <= HMAC_KEY_MAX;
	default:
		return false;
	}
}

static kw_rc from_raw(kw_key_type t, const uint8_t *in, size_t len,
		      kw_ckey **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_ckey *k = NULL;

	if (!raw_len_ok(t, len))
		goto out;
	rc = ckey_alloc(t, &k);
	if (rc != KW_OK)
		goto out;
	rc = kw_secret_from(in, len, &k->raw);
	if (rc != KW_OK)
		goto out;
	k->priv = true;
	*out = k;
	k = NULL;
out:
	kw_ckey_free(k);
	return rc;
}

/* Checks that a parsed private key is consistent: for EC and Ed25519 the
 * public point is the private scalar times the generator (tens of
 * microseconds); for RSA only the cheap range checks, since OpenSSL's full
 * RSA pairwise check tests primality (100+ ms) and keys are imported each
 * time they enter the key cache. (A wrong RSA CRT parameter cannot leak:
 * OpenSSL verifies each CRT result and falls back to the plain exponent.) */
static bool pkey_consistent(EVP_PKEY *pkey)
{
	bool ok = false;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

	if (ctx == NULL)
		goto out;
	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA)
		ok = EVP_PKEY_private_check(ctx) == 1;
	else
		ok = EVP_PKEY_pairwise_check(ctx) == 1;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* Parses a PKCS#8 PrivateKeyInfo (unencrypted) and nothing else: no
 * trailing bytes, no traditional formats. */
static kw_rc parse_pkcs8(const uint8_t *in, size_t len, EVP_PKEY **out)
{
	kw_rc rc = KW_E_INVALID;
	const unsigned char *p = in;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *pkey = NULL;

	if (len > LONG_MAX)
		goto out;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
	if (p8 == NULL || p != in + len)
		goto out;
	pkey = EVP_PKCS82PKEY(p8);
	if (pkey == NULL)
		goto out;
	*out = pkey;
	rc = KW_OK;
out:
	if (rc != KW_OK)
		ERR_clear_error();
	PKCS8_PRIV_KEY_INFO_free(p8); /* cleanses the key octets */
	return rc;
}

kw_rc kw_ckey_from_private(kw_key_type t, const uint8_t *in, size_t in_len,
			   kw_ckey **out)
{
	kw_rc rc = KW_E_INVALID;
	EVP_PKEY *pkey = NULL;

	if (in == NULL || in_len == 0 || in_len > KW_CRYPTO_INPUT_MAX ||
	    out == NULL || kw_key_type_class(t) == KW_CLASS_NONE)
		goto out;
	if (!kw_key_type_is_asymmetric(t)) {
		rc = from_raw(t, in, in_len, out);
		goto out;
	}
	rc = parse_pkcs8(in, in_len, &pkey);
	if (rc != KW_OK)
		goto out;
	if (!pkey_consistent(pkey)) {
		EVP_PKEY_free(pkey);
		rc = KW_E_INVALID;
		goto out;
	}
	rc = kw_ckey_from_pkey(t, pkey, true, out);
	if (rc != KW_OK)
		KW_LOG_DEBUG("private key is not of type %s",
			     kw_key_type_name(t));
out:
	return rc;
}

kw_rc kw_ckey_from_public(kw_key_type t, const uint8_t *in, size_t in_len,
			  kw_ckey **out)
{
	static const char pem_start[] = "-----BEGIN ";
	kw_rc rc = KW_E_INVALID;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	const unsigned char *p = in;

	if (in == NULL || in_len == 0 || in_len > KW_CRYPTO_INPUT_MAX ||
	    out == NULL || kw_key_type_class(t) == KW_CLASS_NONE)
		goto out;
	if (!kw_key_type_is_asymmetric(t)) {
		rc = KW_E_UNSUPPORTED;
		goto out;
	}
	if (in_len > sizeof(pem_start) - 1 &&
	    memcmp(in, pem_start, sizeof(pem_start) - 1) == 0) {
		bio = BIO_new_mem_buf(in, (int)in_len);
		if (bio == NULL) {
			rc = KW_E_NOMEM;
			goto out;
		}
		pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	} else {
		pkey = d2i_PUBKEY(NULL, &p, (long)in_len);
		if (pkey != NULL && p != in + in_len) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
	}
	if (pkey == NULL) {
		ERR_clear_error();
		goto out;
	}
	rc = kw_ckey_from_pkey(t, pkey, false, out);
out:
	BIO_free(bio);
	return rc;
}

kw_rc kw_ckey_private_export(const kw_ckey *k, kw_secret **out)
{
	kw_rc rc = KW_E_INVALID;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	kw_secret *s = NULL;
	unsigned char *p = NULL;
	int len = 0;

	if (k == NULL || out == NULL)
		goto out;
	if (!k->priv) {
		rc = KW_E_UNSUPPORTED;
		goto out;
	}
	if (k->raw != NULL) {
		rc = kw_secret_from(k->raw->data, k->raw->len, out);
		goto out;
	}
	p8 = EVP_PKEY2PKCS8(k->pkey);
	if (p8 == NULL) {
		rc = kw_ossl_fail("EVP_PKEY2PKCS8");
		goto out;
	}
	len = i2d_PKCS8_PRIV_KEY_INFO(p8, NULL);
	if (len <= 0) {
		rc = kw_ossl_fail("i2d_PKCS8_PRIV_KEY_INFO");
		goto out;
	}
	rc = kw_secret_new((size_t)len, &s);
	if (rc != KW_OK)
		goto out;
	/* Encode straight into the secret: no plain copy on the heap. */
	p = s->data;
	if (i2d_PKCS8_PRIV_KEY_INFO(p8, &p) != len) {
		rc = kw_ossl_fail("i2d_PKCS8_PRIV_KEY_INFO");
		goto out;
	}
	*out = s;
	s = NULL;
	rc = KW_OK;
out:
	kw_secret_free(s);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return rc;
}

/* A fresh EVP_PKEY of asymmetric type t. */
static kw_rc generate_pkey(kw_key_type t, EVP_PKEY **out)
{
	kw_rc rc = KW_E_CRYPTO;
	EVP_PKEY_CTX *ctx = NULL;
	const char *alg = NULL;

	switch (kw_key_type_class(t)) {
	case KW_CLASS_RSA:
		alg = "RSA";
		break;
	case KW_CLASS_EC:
		alg = "EC";
		break;
	default:
		alg = "ED25519";
		break;
	}
	ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1) {
		rc = kw_ossl_fail("EVP_PKEY_keygen_init");
		goto out;
	}
	if (kw_key_type_class(t) == KW_CLASS_RSA &&
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)kw_key_type_bits(t)) !=
		    1) {
		rc = kw_ossl_fail("EVP_PKEY_CTX_set_rsa_keygen_bits");
		goto out;
	}
	if (kw_key_type_class(t) == KW_CLASS_EC &&
	    EVP_PKEY_CTX_set_group_name(ctx, kw_ec_group(t)) != 1) {
		rc = kw_ossl_fail("EVP_PKEY_CTX_set_group_name");
		goto out;
	}
	if (EVP_PKEY_generate(ctx, out) != 1) {
		rc = kw_ossl_fail("EVP_PKEY_generate");
		goto out;
	}
	rc = KW_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

kw_rc kw_ckey_generate(kw_key_type t, kw_ckey **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_ckey *k = NULL;
	EVP_PKEY *pkey = NULL;
	kw_secret *raw = NULL;

	if (out == NULL || kw_key_type_class(t) == KW_CLASS_NONE)
		goto out;
	if (!kw_key_type_is_asymmetric(t)) {
		/* HMAC keys get the digest's output size (RFC 2104 §3). */
		rc = kw_secret_new(kw_key_type_bits(t) / 8, &raw);
		if (rc != KW_OK)
			goto out;
		rc = kw_random(raw->data, raw->len);
		if (rc != KW_OK)
			goto out;
		rc = from_raw(t, raw->data, raw->len, &k);
		if (rc != KW_OK)
			goto out;
	} else {
		rc = generate_pkey(t, &pkey);
		if (rc != KW_OK)
			goto out;
		rc = kw_ckey_from_pkey(t, pkey, true, &k);
		pkey = NULL;
		if (rc != KW_OK)
			goto out;
	}
	/* A key that does not work is never handed out (FIPS 140-3 style
	 * pairwise consistency test). */
	rc = kw_ckey_pairwise_test(k);
	if (rc != KW_OK) {
		KW_LOG_ERROR("pairwise test of a new %s key failed",
			     kw_key_type_name(t));
		goto out;
	}
	*out = k;
	k = NULL;
out:
	kw_secret_free(raw);
	kw_ckey_free(k);
	return rc;
}

kw_key_type kw_ckey_type(const kw_ckey *k)
{
	return k != NULL ? k->type : KW_KEY_NONE;
}

bool kw_ckey_has_private(const kw_ckey *k)
{
	return k != NULL && k->priv;
}

void kw_ckey_free(kw_ckey *k)
{
	if (k == NULL)
		return;
	kw_pool_drain(k);
	pthread_mutex_destroy(&k->lock);
	EVP_PKEY_free(k->pkey); /* OpenSSL wipes the private parts */
	kw_secret_free(k->raw);
	free(k);
}
