/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */

/* PKCS#10 certificate requests: parsed, their proof of possession checked,
 * and what they ask for reported (never copied into a certificate). */

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/internal.h"
#include "crypto/x509_int.h"

#define CSR_MAX (64u * 1024u)

static X509_REQ *req_read(const uint8_t *in, size_t len)
{
	static const char pem[] = "-----BEGIN";
	X509_REQ *r = NULL;

	if (len >= sizeof(pem) - 1 && memcmp(in, pem, sizeof(pem) - 1) == 0) {
		BIO *b = BIO_new_mem_buf(in, (int)len);
		r = b != NULL ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL)
			      : NULL;
		BIO_free(b);
	} else {
		const unsigned char *p = in;
		r = d2i_X509_REQ(NULL, &p, (long)len);
		if (r != NULL && p != in + len) {
			X509_REQ_free(r); /* trailing bytes */
			r = NULL;
		}
	}
	return r;
}

static kw_rc csr_sans(const X509_EXTENSION *e, kw_csr *c)
{
	GENERAL_NAMES *g = X509V3_EXT_d2i((X509_EXTENSION *)e);
	int n = g != NULL ? sk_GENERAL_NAME_num(g) : -1;
	kw_rc rc = KW_E_INVALID;

	if (n < 0 || c->sans != NULL)
		goto out; /* malformed, or a second subjectAltName */
	rc = KW_E_LIMIT;
	if (n > KW_SANS_MAX)
		goto out;
	rc = KW_E_NOMEM;
	c->sans = calloc((size_t)n + 1, sizeof(*c->sans));
	if (c->sans == NULL)
		goto out;
	rc = KW_OK;
	for (int i = 0; i < n && rc == KW_OK; i++) {
		rc = kw_san_from_gen(sk_GENERAL_NAME_value(g, i),
				     &c->sans[c->n_sans]);
		if (rc == KW_OK) {
			c->n_sans++;
		} else if (rc == KW_E_UNSUPPORTED) {
			c->unrepresentable = true;
			rc = KW_OK;
		}
	}
out:
	GENERAL_NAMES_free(g);
	return rc;
}

/* One requested extension. */
static kw_rc csr_ext(const X509_EXTENSION *e, kw_csr *c)
{
	X509_EXTENSION *m = (X509_EXTENSION *)e; /* X509V3_EXT_d2i's type */
	int nid = OBJ_obj2nid(X509_EXTENSION_get_object(m));
	kw_rc rc = KW_E_INVALID;

	switch (nid) {
	case NID_subject_alt_name:
		return csr_sans(e, c);
	case NID_key_usage: {
		ASN1_BIT_STRING *ku = X509V3_EXT_d2i(m);
		if (ku != NULL && !c->has_ku) {
			c->has_ku = true;
			c->ku = kw_ku_bits(ku);
			rc = KW_OK;
		}
		ASN1_BIT_STRING_free(ku);
		return rc;
	}
	case NID_ext_key_usage: {
		EXTENDED_KEY_USAGE *eku = X509V3_EXT_d2i(m);
		if (eku != NULL && !c->has_eku) {
			c->has_eku = true;
			c->eku = kw_eku_bits(eku);
			rc = KW_OK;
		}
		sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
		return rc;
	}
	case NID_basic_constraints: {
		BASIC_CONSTRAINTS *bc = X509V3_EXT_d2i(m);
		if (bc != NULL) {
			c->ca = c->ca || bc->ca;
			rc = KW_OK;
		}
		BASIC_CONSTRAINTS_free(bc);
		return rc;
	}
	default:
		c->n_other_ext++;
		return KW_OK;
	}
}

static kw_rc csr_fill(X509_REQ *r, kw_csr *c)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	EVP_PKEY *pk = X509_REQ_get0_pubkey(r);
	unsigned char *spki = NULL;
	bool odd = false;
	kw_rc rc = KW_E_INVALID;

	if (pk == NULL)
		goto out;
	rc = kw_pkey_key_type(pk, &c->key_type);
	if (rc != KW_OK)
		goto out;
	/* proof of possession: the request is signed by its own key */
	rc = KW_E_VERIFY;
	if (X509_REQ_verify(r, pk) != 1)
		goto out;
	rc = kw_dn_from_x509(X509_REQ_get_subject_name(r), &c->subject, &odd);
	if (rc != KW_OK)
		goto out;
	c->unrepresentable = odd;
	exts = X509_REQ_get_extensions(r);
	for (int i = 0; rc == KW_OK && i < sk_X509_EXTENSION_num(exts); i++)
		rc = csr_ext(sk_X509_EXTENSION_value(exts, i), c);
	if (rc != KW_OK)
		goto out;
	c->spki = kw_i2d_copy(&spki, i2d_PUBKEY(pk, &spki), &c->spki_len);
	rc = c->spki != NULL ? KW_OK : KW_E_NOMEM;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

kw_rc kw_csr_parse(const uint8_t *in, size_t len, kw_csr **out)
{
	X509_REQ *r = NULL;
	kw_csr *c = NULL;
	kw_rc rc = KW_E_INVALID;

	if (in == NULL || out == NULL || len == 0 || len > CSR_MAX)
		goto out;
	r = req_read(in, len);
	if (r == NULL)
		goto out;
	rc = KW_E_NOMEM;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto out;
	rc = csr_fill(r, c);
	if (rc == KW_OK) {
		*out = c;
		c = NULL;
	}
out:
	kw_csr_free(c);
	X509_REQ_free(r);
	ERR_clear_error();
	return rc;
}

void kw_csr_free(kw_csr *c)
{
	if (c == NULL)
		return;
	free(c->spki);
	free(c->sans);
	free(c);
}
