/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

/* CMS SignedData (RFC 5652) with one signer whose signature is made by the
 * caller's signer over the DER of its signed attributes. Used for detached
 * code signatures and for RFC 3161 time-stamp tokens (tsa.c). */

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/internal.h"
#include "crypto/x509_int.h"
#include "keywarden/log.h"

static int digest_nid(kw_hash h)
{
	switch (h) {
	case KW_HASH_SHA256:
		return NID_sha256;
	case KW_HASH_SHA384:
		return NID_sha384;
	case KW_HASH_SHA512:
		return NID_sha512;
	default:
		return NID_undef;
	}
}

/* Attribute { type, SET { value } }, appended as one blob of d. */
static void attr(kw_der *d, int nid, kw_der *value)
{
	kw_der a, set;
	kw_der_init(&a);
	kw_der_init(&set);
	kw_der_oid(&a, nid);
	kw_der_wrap(&set, KW_DER_SET, value);
	kw_der_raw(&a, set.p, set.len);
	if (set.err != KW_OK)
		a.err = set.err;
	kw_der_clear(&set);
	kw_der_wrap(d, KW_DER_SEQUENCE, &a);
}

/* The signature algorithm a SignerInfo names: rsaEncryption as OpenSSL
 * writes it, or ecdsa-with-<h>. */
static kw_rc signer_alg(kw_der *d, kw_key_type t, kw_hash h)
{
	if (kw_key_type_class(t) == KW_CLASS_RSA) {
		kw_der_alg(d, NID_rsaEncryption, true);
		return KW_OK;
	}
	return kw_sig_alg(d, t, h);
}

/* Checks sig over msg with the certificate's key: a signature by another
 * key than the certificate's is caught here rather than by the relying
 * party. */
static kw_rc check_sig(X509 *cert, kw_hash h, const uint8_t *msg, size_t len,
		       const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = kw_md(h);
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	kw_rc rc = KW_E_CRYPTO;

	if (ctx != NULL && pk != NULL &&
	    EVP_DigestVerifyInit(ctx, NULL, md, NULL, pk) == 1 &&
	    EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1)
		rc = KW_OK;
	if (rc != KW_OK)
		KW_LOG_WARN("a CMS signature does not verify with the signer's "
			    "certificate: key and certificate do not match");
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* Sorted SET OF the DER certificates: the signer's, then the chain. */
static kw_rc certificates(kw_der *sd, const kw_x509_signer *s,
			  const kw_blob *chain, size_t n_chain)
{
	kw_blob *all = calloc(n_chain + 1, sizeof(*all));

	if (all == NULL)
		return KW_E_NOMEM;
	all[0].p = s->cert;
	all[0].len = s->cert_len;
	for (size_t i = 0; i < n_chain; i++) {
		const unsigned char *p = chain[i].p;
		X509 *x = p != NULL ? d2i_X509(NULL, &p, (long)chain[i].len)
				    : NULL;
		bool ok = x != NULL && p == chain[i].p + chain[i].len;
		X509_free(x);
		if (!ok) {
			free(all);
			ERR_clear_error();
			return KW_E_INVALID;
		}
		all[i + 1] = chain[i];
	}
	kw_der_set_of(sd, KW_DER_CTX0, all, n_chain + 1);
	free(all);
	return KW_OK;
}

kw_rc kw_cms_signed_data(const kw_cms_params *p, uint8_t **out, size_t *out_len)
{
	const kw_x509_signer *s = p->signer;
	X509 *cert = NULL;
	unsigned char *buf = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	kw_blob *attrs = NULL;
	kw_der list, set, v, si, sd, ci;
	size_t n_attrs = 0;
	kw_rc rc = KW_E_INVALID;

	kw_der_init(&list);
	kw_der_init(&set);
	kw_der_init(&v);
	kw_der_init(&si);
	kw_der_init(&sd);
	kw_der_init(&ci);
	if (s->cert == NULL || s->sign == NULL ||
	    p->digest_len != kw_hash_size(p->hash))
		goto out;
	/* Ed25519 (RFC 8419) is left out: OpenSSL 3.0 can neither make nor
	 * check such signatures, so no relying party here could use one. */
	rc = KW_E_UNSUPPORTED;
	if (digest_nid(p->hash) == NID_undef ||
	    kw_key_type_class(s->type) == KW_CLASS_EDDSA)
		goto out;
	rc = kw_signer_cert(s, &cert);
	if (rc != KW_OK)
		goto out;

	/* signedAttrs, each attribute kept apart for sorting */
	rc = KW_E_NOMEM;
	attrs = calloc(4 + p->n_extra, sizeof(*attrs));
	if (attrs == NULL)
		goto out;
	kw_der_oid(&v, p->content_nid);
	attr(&list, NID_pkcs9_contentType, &v);
	attrs[n_attrs++].len = list.len;
	if (p->signing_time != 0) {
		kw_der_time(&v, p->signing_time);
		attr(&list, NID_pkcs9_signingTime, &v);
		attrs[n_attrs++].len = list.len;
	}
	kw_der_tlv(&v, KW_DER_OCTET_STRING, p->digest, p->digest_len);
	attr(&list, NID_pkcs9_messageDigest, &v);
	attrs[n_attrs++].len = list.len;
	for (size_t i = 0; i < p->n_extra; i++) {
		kw_der_raw(&list, p->extra[i].p, p->extra[i].len);
		attrs[n_attrs++].len = list.len;
	}
	rc = list.err;
	if (rc != KW_OK)
		goto out;
	/* the lengths above are end offsets: make them (start, len) */
	for (size_t i = n_attrs; i-- > 0;) {
		size_t start = i > 0 ? attrs[i - 1].len : 0;
		attrs[i].p = list.p + start;
		attrs[i].len -= start;
	}
	kw_der_set_of(&set, KW_DER_SET, attrs, n_attrs);
	rc = set.err;
	if (rc != KW_OK)
		goto out;
	rc = s->sign(s->arg, p->hash, set.p, set.len, &sig, &sig_len);
	if (rc != KW_OK)
		goto out;
	rc = check_sig(cert, p->hash, set.p, set.len, sig, sig_len);
	if (rc != KW_OK)
		goto out;

	/* SignerInfo */
	kw_der_uint(&si, 1);
	kw_der_ossl(&v, &buf, i2d_X509_NAME(X509_get_issuer_name(cert), &buf));
	kw_der_ossl(&v, &buf,
		    i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &buf));
	kw_der_wrap(&si, KW_DER_SEQUENCE, &v);
	kw_der_alg(&si, digest_nid(p->hash), false);
	set.p[0] = KW_DER_CTX0; /* [0] IMPLICIT SET OF Attribute */
	kw_der_raw(&si, set.p, set.len);
	rc = signer_alg(&si, s->type, p->hash);
	if (rc != KW_OK)
		goto out;
	kw_der_tlv(&si, KW_DER_OCTET_STRING, sig, sig_len);

	/* SignedData: version 1 for id-data, 3 for other content types */
	kw_der_uint(&sd, p->content_nid == NID_pkcs7_data ? 1 : 3);
	kw_der_alg(&v, digest_nid(p->hash), false);
	kw_der_wrap(&sd, KW_DER_SET, &v);
	kw_der_oid(&v, p->content_nid);
	if (p->content != NULL) {
		kw_der inner;
		kw_der_init(&inner);
		kw_der_tlv(&inner, KW_DER_OCTET_STRING, p->content,
			   p->content_len);
		kw_der_wrap(&v, KW_DER_CTX0, &inner);
	}
	kw_der_wrap(&sd, KW_DER_SEQUENCE, &v);
	if (p->with_certs) {
		rc = certificates(&sd, s, p->chain, p->n_chain);
		if (rc != KW_OK)
			goto out;
	}
	kw_der_wrap(&v, KW_DER_SEQUENCE, &si);
	kw_der_wrap(&sd, KW_DER_SET, &v);

	/* ContentInfo */
	kw_der_oid(&ci, NID_pkcs7_signed);
	kw_der_wrap(&v, KW_DER_SEQUENCE, &sd);
	kw_der_wrap(&ci, KW_DER_CTX0, &v);
	kw_der_wrap(&v, KW_DER_SEQUENCE, &ci);
	rc = kw_der_finish(&v, out, out_len);
out:
	free(attrs);
	free(sig);
	X509_free(cert);
	kw_der_clear(&list);
	kw_der_clear(&set);
	kw_der_clear(&v);
	kw_der_clear(&si);
	kw_der_clear(&sd);
	kw_der_clear(&ci);
	ERR_clear_error();
	return rc;
}

kw_rc kw_cms_sign_digest(const kw_x509_signer *s, const kw_blob *chain,
			 size_t n_chain, kw_hash h, const uint8_t *digest,
			 size_t digest_len, int64_t signing_time, uint8_t **out,
			 size_t *out_len)
{
	kw_cms_params p = {
		.signer = s,
		.chain = chain,
		.n_chain = n_chain,
		.with_certs = true,
		.content_nid = NID_pkcs7_data,
		.hash = h,
		.digest = digest,
		.digest_len = digest_len,
		.signing_time = signing_time,
	};

	if (s == NULL || digest == NULL || out == NULL || out_len == NULL ||
	    (n_chain > 0 && chain == NULL) || signing_time == 0)
		return KW_E_INVALID;
	return kw_cms_signed_data(&p, out, out_len);
}
