/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */

/* Public keys and PEM text for the PKI: key types of SubjectPublicKeyInfo,
 * PEM in and out. */

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "crypto/internal.h"
#include "crypto/x509_int.h"

#define PEM_MAX (1024u * 1024u)

kw_rc kw_spki_key_type(const uint8_t *spki, size_t len, kw_key_type *out)
{
	const unsigned char *p = spki;
	EVP_PKEY *pk = NULL;
	kw_rc rc = KW_E_INVALID;

	if (spki == NULL || out == NULL || len == 0 || len > PEM_MAX)
		goto out;
	pk = d2i_PUBKEY(NULL, &p, (long)len);
	if (pk == NULL || p != spki + len)
		goto out;
	rc = kw_pkey_key_type(pk, out);
out:
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return rc;
}

kw_rc kw_spki_from_pem(const char *pem, uint8_t **out, size_t *out_len)
{
	BIO *b = NULL;
	EVP_PKEY *pk = NULL;
	unsigned char *der = NULL;
	kw_rc rc = KW_E_INVALID;

	if (pem == NULL || out == NULL || out_len == NULL ||
	    strlen(pem) > PEM_MAX)
		goto out;
	b = BIO_new_mem_buf(pem, -1);
	pk = b != NULL ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
	if (pk == NULL)
		goto out;
	*out = kw_i2d_copy(&der, i2d_PUBKEY(pk, &der), out_len);
	rc = *out != NULL ? KW_OK : KW_E_NOMEM;
out:
	EVP_PKEY_free(pk);
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

kw_rc kw_pem_encode(const char *label, const uint8_t *der, size_t len,
		    char **out)
{
	BIO *b = NULL;
	char *mem = NULL, *text = NULL;
	long n;
	kw_rc rc = KW_E_INVALID;

	if (label == NULL || der == NULL || out == NULL || len == 0 ||
	    len > KW_DER_MAX)
		goto out;
	rc = KW_E_NOMEM;
	b = BIO_new(BIO_s_mem());
	if (b == NULL || PEM_write_bio(b, label, "", der, (long)len) <= 0)
		goto out;
	n = BIO_get_mem_data(b, &mem);
	if (n <= 0 || (text = malloc((size_t)n + 1)) == NULL)
		goto out;
	memcpy(text, mem, (size_t)n);
	text[n] = '\0';
	*out = text;
	rc = KW_OK;
out:
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

void kw_blobs_free(uint8_t **p, size_t *lens, size_t n)
{
	for (size_t i = 0; p != NULL && i < n; i++)
		free(p[i]);
	free(p);
	free(lens);
}

/* Appends der (n bytes, OpenSSL-allocated, freed here) to the arrays. */
static kw_rc push_cert(uint8_t ***ps, size_t **lens, size_t *n, size_t max,
		       unsigned char *der, long len)
{
	const unsigned char *q = der;
	X509 *x = d2i_X509(NULL, &q, len);
	kw_rc rc = x != NULL && q == der + len ? KW_OK : KW_E_INVALID;
	uint8_t **np = NULL;
	size_t *nl = NULL;

	X509_free(x);
	if (rc == KW_OK && *n == max)
		rc = KW_E_LIMIT;
	if (rc == KW_OK) {
		rc = KW_E_NOMEM;
		np = realloc(*ps, (*n + 1) * sizeof(**ps));
		if (np != NULL)
			*ps = np;
		nl = realloc(*lens, (*n + 1) * sizeof(**lens));
		if (nl != NULL)
			*lens = nl;
		if (np != NULL && nl != NULL &&
		    (np[*n] = malloc((size_t)len)) != NULL) {
			memcpy(np[*n], der, (size_t)len);
			nl[*n] = (size_t)len;
			(*n)++;
			rc = KW_OK;
		}
	}
	OPENSSL_free(der);
	return rc;
}

kw_rc kw_pem_certs(const char *pem, size_t len, size_t max, uint8_t ***out,
		   size_t **out_lens, size_t *out_n)
{
	BIO *b = NULL;
	uint8_t **ps = NULL;
	size_t *lens = NULL, n = 0;
	kw_rc rc = KW_E_INVALID;

	if (pem == NULL || out == NULL || out_lens == NULL || out_n == NULL ||
	    len == 0 || len > PEM_MAX)
		goto out;
	b = BIO_new_mem_buf(pem, (int)len);
	rc = b != NULL ? KW_OK : KW_E_NOMEM;
	while (rc == KW_OK) {
		char *name = NULL, *header = NULL;
		unsigned char *der = NULL;
		long dlen = 0;
		if (PEM_read_bio(b, &name, &header, &der, &dlen) != 1) {
			/* the end of the text, or a broken block */
			unsigned long e = ERR_peek_last_error();
			if (ERR_GET_REASON(e) != PEM_R_NO_START_LINE)
				rc = KW_E_INVALID;
			break;
		}
		if (strcmp(name, "CERTIFICATE") == 0)
			rc = push_cert(&ps, &lens, &n, max, der, dlen);
		else
			OPENSSL_free(der);
		OPENSSL_free(name);
		OPENSSL_free(header);
	}
	if (rc == KW_OK && n == 0)
		rc = KW_E_INVALID;
	if (rc == KW_OK) {
		*out = ps;
		*out_lens = lens;
		*out_n = n;
		ps = NULL;
		lens = NULL;
		n = 0;
	}
out:
	kw_blobs_free(ps, lens, n);
	BIO_free(b);
	ERR_clear_error();
	return rc;
}
