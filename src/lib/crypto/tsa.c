/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */

/* RFC 3161 time stamps: requests parsed with OpenSSL, TSTInfo and the
 * response assembled here, the token signed through cms.c. */

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ts.h>

#include "crypto/internal.h"
#include "crypto/x509_int.h"

#define TS_REQ_MAX (16u * 1024u)

static kw_rc hash_of_nid(int nid, kw_hash *out)
{
	switch (nid) {
	case NID_sha256:
		*out = KW_HASH_SHA256;
		return KW_OK;
	case NID_sha384:
		*out = KW_HASH_SHA384;
		return KW_OK;
	case NID_sha512:
		*out = KW_HASH_SHA512;
		return KW_OK;
	default:
		return KW_E_UNSUPPORTED; /* SHA-1 and others */
	}
}

static kw_rc req_fill(TS_REQ *r, kw_ts_req *q)
{
	TS_MSG_IMPRINT *mi = TS_REQ_get_msg_imprint(r);
	X509_ALGOR *alg = mi != NULL ? TS_MSG_IMPRINT_get_algo(mi) : NULL;
	ASN1_OCTET_STRING *msg = mi != NULL ? TS_MSG_IMPRINT_get_msg(mi) : NULL;
	const ASN1_INTEGER *nonce = TS_REQ_get_nonce(r);
	ASN1_OBJECT *policy = TS_REQ_get_policy_id(r);
	const ASN1_OBJECT *obj = NULL;
	int ptype = V_ASN1_UNDEF;
	kw_rc rc;

	if (TS_REQ_get_version(r) != 1 || alg == NULL || msg == NULL)
		return KW_E_INVALID;
	if (TS_REQ_get_ext_count(r) > 0)
		return KW_E_UNSUPPORTED;
	X509_ALGOR_get0(&obj, &ptype, NULL, alg);
	rc = hash_of_nid(OBJ_obj2nid(obj), &q->hash);
	if (rc != KW_OK)
		return rc;
	if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL)
		return KW_E_INVALID;
	q->null_params = ptype == V_ASN1_NULL;
	if ((size_t)ASN1_STRING_length(msg) != kw_hash_size(q->hash))
		return KW_E_INVALID;
	q->imprint_len = kw_hash_size(q->hash);
	memcpy(q->imprint, ASN1_STRING_get0_data(msg), q->imprint_len);
	if (nonce != NULL) {
		size_t n = (size_t)ASN1_STRING_length(nonce);
		if (ASN1_STRING_type(nonce) != V_ASN1_INTEGER || n == 0 ||
		    n > sizeof(q->nonce))
			return KW_E_INVALID;
		q->has_nonce = true;
		q->nonce_len = n;
		memcpy(q->nonce, ASN1_STRING_get0_data(nonce), n);
	}
	if (policy != NULL) {
		int n = OBJ_obj2txt(q->policy, sizeof(q->policy), policy, 1);
		if (n <= 0 || (size_t)n > KW_TS_POLICY_MAX)
			return KW_E_INVALID;
	}
	q->cert_req = TS_REQ_get_cert_req(r) != 0;
	return KW_OK;
}

kw_rc kw_ts_req_parse(const uint8_t *in, size_t len, kw_ts_req *out)
{
	const unsigned char *p = in;
	TS_REQ *r = NULL;
	kw_ts_req q;
	kw_rc rc = KW_E_INVALID;

	memset(&q, 0, sizeof(q));
	if (in == NULL || out == NULL || len == 0 || len > TS_REQ_MAX)
		goto out;
	r = d2i_TS_REQ(NULL, &p, (long)len);
	if (r == NULL || p != in + len)
		goto out;
	rc = req_fill(r, &q);
	if (rc == KW_OK)
		*out = q;
out:
	TS_REQ_free(r);
	ERR_clear_error();
	return rc;
}

/* TSTInfo (RFC 3161 2.4.2). */
static kw_rc tst_info(const kw_ts_req *q, const char *policy,
		      const uint8_t *serial, size_t serial_len, int64_t t,
		      unsigned accuracy_s, uint8_t **out, size_t *out_len)
{
	ASN1_OBJECT *pol = OBJ_txt2obj(policy, 1);
	unsigned char *buf = NULL;
	kw_der tst, v, alg;
	int hnid = q->hash == KW_HASH_SHA256   ? NID_sha256
		   : q->hash == KW_HASH_SHA384 ? NID_sha384
					       : NID_sha512;

	kw_der_init(&tst);
	kw_der_init(&v);
	kw_der_init(&alg);
	if (pol == NULL) {
		ERR_clear_error();
		return KW_E_INVALID;
	}
	kw_der_uint(&tst, 1);
	kw_der_ossl(&tst, &buf, i2d_ASN1_OBJECT(pol, &buf));
	ASN1_OBJECT_free(pol);
	kw_der_alg(&v, hnid, q->null_params);
	kw_der_tlv(&v, KW_DER_OCTET_STRING, q->imprint, q->imprint_len);
	kw_der_wrap(&tst, KW_DER_SEQUENCE, &v);
	kw_der_uint_bytes(&tst, serial, serial_len);
	kw_der_gentime(&tst, t);
	if (accuracy_s > 0) {
		kw_der_uint(&alg, accuracy_s);
		kw_der_wrap(&tst, KW_DER_SEQUENCE, &alg);
	}
	if (q->has_nonce)
		/* OpenSSL keeps the magnitude: a leading 0x00 comes back */
		kw_der_uint_bytes(&tst, q->nonce, q->nonce_len);
	kw_der_wrap(&v, KW_DER_SEQUENCE, &tst);
	return kw_der_finish(&v, out, out_len);
}

/* The signingCertificateV2 attribute (RFC 5035) naming cert by its SHA-256
 * hash (the default hashAlgorithm, so it is left out). */
static kw_rc ess_attr(const kw_x509_signer *s, uint8_t **out, size_t *out_len)
{
	uint8_t h[KW_DIGEST_MAX];
	size_t hl = 0;
	kw_der d, id, ids, sc, set;
	kw_rc rc = kw_digest(KW_HASH_SHA256, s->cert, s->cert_len, h, &hl);

	if (rc != KW_OK)
		return rc;
	kw_der_init(&d);
	kw_der_init(&id);
	kw_der_init(&ids);
	kw_der_init(&sc);
	kw_der_init(&set);
	kw_der_tlv(&id, KW_DER_OCTET_STRING, h, hl);
	kw_der_wrap(&ids, KW_DER_SEQUENCE, &id); /* ESSCertIDv2 */
	kw_der_wrap(&sc, KW_DER_SEQUENCE, &ids); /* certs */
	kw_der_wrap(&set, KW_DER_SEQUENCE, &sc); /* SigningCertificateV2 */
	kw_der_oid(&d, NID_id_smime_aa_signingCertificateV2);
	kw_der_wrap(&d, KW_DER_SET, &set);
	kw_der_wrap(&id, KW_DER_SEQUENCE, &d);
	return kw_der_finish(&id, out, out_len);
}

kw_rc kw_ts_resp_sign(const kw_ts_req *q, const kw_x509_signer *s,
		      const kw_blob *chain, size_t n_chain, const char *policy,
		      const uint8_t *serial, size_t serial_len,
		      int64_t gen_time, unsigned accuracy_s, uint8_t **out,
		      size_t *out_len)
{
	uint8_t *tst = NULL, *ess = NULL, *token = NULL;
	size_t tst_len = 0, ess_len = 0, token_len = 0, dl = 0;
	uint8_t dg[KW_DIGEST_MAX];
	kw_hash h;
	kw_blob extra;
	kw_der resp, status;
	kw_rc rc = KW_E_INVALID;

	kw_der_init(&resp);
	kw_der_init(&status);
	if (q == NULL || s == NULL || s->cert == NULL || policy == NULL ||
	    serial == NULL || serial_len == 0 ||
	    serial_len > KW_X509_SERIAL_MAX || out == NULL || out_len == NULL)
		goto out;
	h = KW_HASH_SHA256;
	rc = tst_info(q, policy, serial, serial_len, gen_time, accuracy_s, &tst,
		      &tst_len);
	if (rc == KW_OK)
		rc = kw_digest(h, tst, tst_len, dg, &dl);
	if (rc == KW_OK)
		rc = ess_attr(s, &ess, &ess_len);
	if (rc != KW_OK)
		goto out;
	extra.p = ess;
	extra.len = ess_len;
	kw_cms_params p = {
		.signer = s,
		.chain = chain,
		.n_chain = n_chain,
		.with_certs = q->cert_req,
		.content_nid = NID_id_smime_ct_TSTInfo,
		.content = tst,
		.content_len = tst_len,
		.hash = h,
		.digest = dg,
		.digest_len = dl,
		.extra = &extra,
		.n_extra = 1,
	};
	rc = kw_cms_signed_data(&p, &token, &token_len);
	if (rc != KW_OK)
		goto out;
	kw_der_uint(&status, 0); /* granted */
	kw_der_wrap(&resp, KW_DER_SEQUENCE, &status);
	kw_der_raw(&resp, token, token_len);
	kw_der_wrap(&status, KW_DER_SEQUENCE, &resp);
	rc = kw_der_finish(&status, out, out_len);
out:
	free(tst);
	free(ess);
	free(token);
	kw_der_clear(&resp);
	kw_der_clear(&status);
	return rc;
}

kw_rc kw_ts_resp_reject(kw_ts_fail fail, const char *text, uint8_t **out,
			size_t *out_len)
{
	unsigned bit = (unsigned)fail;
	uint8_t bits[5] = {0};
	kw_der info, v, resp;

	if (out == NULL || out_len == NULL || bit > 25)
		return KW_E_INVALID;
	kw_der_init(&info);
	kw_der_init(&v);
	kw_der_init(&resp);
	kw_der_uint(&info, 2); /* rejection */
	if (text != NULL) {
		kw_der_tlv(&v, 0x0c, text, strlen(text)); /* UTF8String */
		kw_der_wrap(&info, KW_DER_SEQUENCE, &v);
	}
	/* a named BIT STRING without trailing zero bits (X.690 11.2.2) */
	bits[0] = (uint8_t)(7 - bit % 8);
	bits[1 + bit / 8] = (uint8_t)(0x80u >> (bit % 8));
	kw_der_tlv(&info, KW_DER_BIT_STRING, bits, 2 + bit / 8);
	kw_der_wrap(&resp, KW_DER_SEQUENCE, &info);
	kw_der_wrap(&v, KW_DER_SEQUENCE, &resp);
	return kw_der_finish(&v, out, out_len);
}
