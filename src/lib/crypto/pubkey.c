/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

/* Public-key encodings of a kw_ckey: SubjectPublicKeyInfo (DER, PEM) and
 * the raw components used by JWK and PKCS#11 attributes. */

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/internal.h"
#include "keywarden/log.h"

/* Checks shared by the three functions. */
static kw_rc pub_check(const kw_ckey *k, const void *out)
{
	kw_rc rc = KW_E_INVALID;

	if (k == NULL || out == NULL)
		goto out;
	rc = k->pkey != NULL ? KW_OK : KW_E_UNSUPPORTED;
out:
	return rc;
}

kw_rc kw_ckey_public_der(const kw_ckey *k, uint8_t **out, size_t *out_len)
{
	kw_rc rc = pub_check(k, out);
	unsigned char *der = NULL;
	int n = 0;

	if (rc == KW_OK && out_len == NULL)
		rc = KW_E_INVALID;
	if (rc != KW_OK)
		goto out;
	n = i2d_PUBKEY(k->pkey, &der);
	if (n <= 0) {
		rc = kw_ossl_fail("i2d_PUBKEY");
		goto out;
	}
	/* Callers free with free(); OpenSSL's allocator is malloc here, but
	 * copy to keep that contract independent of it. */
	*out = malloc((size_t)n);
	if (*out == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	memcpy(*out, der, (size_t)n);
	*out_len = (size_t)n;
out:
	OPENSSL_free(der);
	return rc;
}

kw_rc kw_ckey_public_pem(const kw_ckey *k, char **out)
{
	kw_rc rc = pub_check(k, out);
	BIO *bio = NULL;
	char *mem = NULL, *pem = NULL;
	long n = 0;

	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL)
		goto out;
	if (PEM_write_bio_PUBKEY(bio, k->pkey) != 1) {
		rc = kw_ossl_fail("PEM_write_bio_PUBKEY");
		goto out;
	}
	n = BIO_get_mem_data(bio, &mem);
	if (n <= 0) {
		rc = kw_ossl_fail("BIO_get_mem_data");
		goto out;
	}
	pem = malloc((size_t)n + 1);
	if (pem == NULL)
		goto out;
	memcpy(pem, mem, (size_t)n);
	pem[n] = '\0';
	*out = pem;
	rc = KW_OK;
out:
	BIO_free(bio);
	return rc;
}

/* The BIGNUM parameter name of k as big-endian bytes (malloc), padded to
 * pad bytes if pad is not 0, else minimal (at least one byte). */
static kw_rc bn_param(const kw_ckey *k, const char *name, size_t pad,
		      uint8_t **out, size_t *out_len)
{
	kw_rc rc = KW_E_CRYPTO;
	BIGNUM *bn = NULL;
	uint8_t *b = NULL;
	size_t n = 0;

	if (EVP_PKEY_get_bn_param(k->pkey, name, &bn) != 1) {
		rc = kw_ossl_fail("EVP_PKEY_get_bn_param");
		goto out;
	}
	n = pad != 0 ? pad : (size_t)BN_num_bytes(bn);
	if (n == 0)
		n = 1;
	b = malloc(n);
	if (b == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	if (BN_bn2binpad(bn, b, (int)n) != (int)n) {
		rc = kw_ossl_fail("BN_bn2binpad");
		goto out;
	}
	*out = b;
	*out_len = n;
	b = NULL;
	rc = KW_OK;
out:
	free(b);
	BN_free(bn);
	return rc;
}

kw_rc kw_ckey_public_components(const kw_ckey *k, uint8_t **out_a,
				size_t *out_a_len, uint8_t **out_b,
				size_t *out_b_len)
{
	kw_rc rc = pub_check(k, out_a);
	uint8_t *a = NULL, *b = NULL;
	size_t a_len = 0, b_len = 0, flen = kw_ec_field_len(k ? k->type : 0);

	if (rc == KW_OK &&
	    (out_a_len == NULL || out_b == NULL || out_b_len == NULL))
		rc = KW_E_INVALID;
	if (rc != KW_OK)
		goto out;
	switch (k->cls) {
	case KW_CLASS_RSA:
		rc = bn_param(k, OSSL_PKEY_PARAM_RSA_N, 0, &a, &a_len);
		if (rc == KW_OK)
			rc = bn_param(k, OSSL_PKEY_PARAM_RSA_E, 0, &b, &b_len);
		break;
	case KW_CLASS_EC:
		rc = bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, flen, &a, &a_len);
		if (rc == KW_OK)
			rc = bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, flen, &b,
				      &b_len);
		break;
	default: /* Ed25519 */
		a_len = 32;
		a = malloc(a_len);
		if (a == NULL) {
			rc = KW_E_NOMEM;
			break;
		}
		if (EVP_PKEY_get_raw_public_key(k->pkey, a, &a_len) != 1 ||
		    a_len != 32)
			rc = kw_ossl_fail("EVP_PKEY_get_raw_public_key");
		break;
	}
	if (rc != KW_OK)
		goto out;
	*out_a = a;
	*out_a_len = a_len;
	*out_b = b;
	*out_b_len = b_len;
	a = b = NULL;
out:
	free(a);
	free(b);
	return rc;
}
