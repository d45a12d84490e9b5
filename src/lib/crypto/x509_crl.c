/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

/* Certificate revocation lists (RFC 5280 section 5), v2, assembled here and
 * signed by the caller's signer. */

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "crypto/internal.h"
#include "crypto/x509_int.h"
#include "keywarden/log.h"

/* Extension { extnID, extnValue OCTET STRING { value } } (not critical);
 * value is cleared. */
static void ext(kw_der *d, int nid, kw_der *value)
{
	kw_der e;
	kw_der_init(&e);
	kw_der_oid(&e, nid);
	kw_der_wrap(&e, KW_DER_OCTET_STRING, value);
	kw_der_wrap(d, KW_DER_SEQUENCE, &e);
}

static bool reason_valid(kw_crl_reason r)
{
	return (r >= KW_CRL_UNSPECIFIED && r <= KW_CRL_CERTIFICATE_HOLD) ||
	       (r >= KW_CRL_REMOVE_FROM_CRL && r <= KW_CRL_AA_COMPROMISE);
}

/* revokedCertificates; nothing when n is 0 (RFC 5280 5.1.2.6). */
static kw_rc entries(kw_der *tbs, const kw_crl_entry *e, size_t n)
{
	kw_der list;

	if (n == 0)
		return KW_OK;
	kw_der_init(&list);
	for (size_t i = 0; i < n; i++) {
		kw_der one, exts, v;
		kw_der_init(&one);
		kw_der_init(&exts);
		kw_der_init(&v);
		if (!reason_valid(e[i].reason) || e[i].serial_len == 0 ||
		    e[i].serial_len > KW_X509_SERIAL_MAX) {
			kw_der_clear(&list);
			return KW_E_INVALID;
		}
		kw_der_uint_bytes(&one, e[i].serial, e[i].serial_len);
		kw_der_time(&one, e[i].revoked_at);
		if (e[i].reason != KW_CRL_UNSPECIFIED) {
			/* reasonCode: ENUMERATED */
			uint8_t r = (uint8_t)e[i].reason;
			kw_der_tlv(&v, 0x0a, &r, 1);
			ext(&exts, NID_crl_reason, &v);
			kw_der_wrap(&one, KW_DER_SEQUENCE, &exts);
		}
		kw_der_wrap(&list, KW_DER_SEQUENCE, &one);
	}
	kw_der_wrap(tbs, KW_DER_SEQUENCE, &list);
	return tbs->err;
}

/* crlExtensions: authorityKeyIdentifier and cRLNumber. */
static void crl_exts(kw_der *tbs, const uint8_t aki[20], uint64_t number)
{
	kw_der all, v, id;

	kw_der_init(&all);
	kw_der_init(&v);
	kw_der_init(&id);
	kw_der_tlv(&id, KW_DER_CTX0_PRIM, aki, 20); /* [0] keyIdentifier */
	kw_der_wrap(&v, KW_DER_SEQUENCE, &id);
	ext(&all, NID_authority_key_identifier, &v);
	kw_der_uint(&v, number);
	ext(&all, NID_crl_number, &v);
	kw_der_wrap(&id, KW_DER_SEQUENCE, &all);
	kw_der_wrap(tbs, KW_DER_CTX0, &id);
}

static kw_rc issuer_key_id(X509 *issuer, uint8_t out[20])
{
	const ASN1_OCTET_STRING *id = X509_get0_subject_key_id(issuer);
	unsigned char *spki = NULL;
	int n;
	kw_rc rc;

	if (id != NULL && ASN1_STRING_length(id) == 20) {
		memcpy(out, ASN1_STRING_get0_data(id), 20);
		return KW_OK;
	}
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki);
	rc = n > 0 ? kw_spki_key_id(spki, (size_t)n, out) : KW_E_INVALID;
	OPENSSL_free(spki);
	return rc;
}

static kw_rc check_crl(const uint8_t *der, size_t len, X509 *issuer)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	EVP_PKEY *pk = X509_get0_pubkey(issuer);
	kw_rc rc = KW_E_CRYPTO;

	if (crl != NULL && p == der + len && pk != NULL &&
	    X509_CRL_verify(crl, pk) == 1)
		rc = KW_OK;

	if (rc != KW_OK)
		KW_LOG_ERROR("a CRL just signed does not verify with its "
			     "issuer's key");
	X509_CRL_free(crl);
	return rc;
}

kw_rc kw_x509_crl_sign(const kw_x509_signer *s, uint64_t number,
		       int64_t this_update, int64_t next_update,
		       const kw_crl_entry *e, size_t n, uint8_t **out,
		       size_t *out_len)
{
	X509 *issuer = NULL;
	unsigned char *buf = NULL;
	uint8_t aki[20];
	kw_der tbs, val, crl;
	kw_rc rc = KW_E_INVALID;

	kw_der_init(&tbs);
	kw_der_init(&val);
	kw_der_init(&crl);
	if (s == NULL || s->cert == NULL || s->sign == NULL || out == NULL ||
	    out_len == NULL || (n > 0 && e == NULL) ||
	    next_update <= this_update)
		goto out;
	rc = kw_signer_cert(s, &issuer);
	if (rc == KW_OK)
		rc = issuer_key_id(issuer, aki);
	if (rc != KW_OK)
		goto out;
	kw_der_uint(&tbs, 1); /* v2 */
	rc = kw_sig_alg(&tbs, s->type, kw_x509_sig_hash(s->type));
	if (rc != KW_OK)
		goto out;
	kw_der_ossl(&tbs, &buf,
		    i2d_X509_NAME(X509_get_subject_name(issuer), &buf));
	kw_der_time(&tbs, this_update);
	kw_der_time(&tbs, next_update);
	rc = entries(&tbs, e, n);
	if (rc != KW_OK)
		goto out;
	crl_exts(&tbs, aki, number);
	kw_der_wrap(&val, KW_DER_SEQUENCE, &tbs);
	rc = val.err;
	if (rc == KW_OK)
		rc = kw_x509_sign_wrap(&crl, s, val.p, val.len);
	if (rc == KW_OK)
		rc = check_crl(crl.p, crl.len, issuer);
	if (rc == KW_OK)
		rc = kw_der_finish(&crl, out, out_len);
out:
	kw_der_clear(&tbs);
	kw_der_clear(&val);
	kw_der_clear(&crl);
	X509_free(issuer);
	ERR_clear_error();
	return rc;
}
