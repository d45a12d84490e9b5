/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_CRYPTO_X509_INT_H
#define KW_CRYPTO_X509_INT_H

/*
 * Shared by the X.509 / CMS / TSA files of crypto/ (x509_*.c, cms.c,
 * tsa.c) only: conversions between the plain types of pki.h and
 * OpenSSL's, and the signing step every signed structure shares.
 */

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/der.h"
#include "crypto/pki.h"

/* A new X509_NAME holding dn (UTF8String values; PrintableString where
 * X.520 asks for it, e.g. C). NULL if a value is refused or on no memory. */
X509_NAME *kw_dn_to_x509(const kw_dn *dn);
/* dn of n; *unrepresentable (optional) is set when n has a multi-valued
 * RDN or an attribute type kw_dn does not name (such entries are left
 * out). KW_OK, KW_E_INVALID (a value not UTF-8 or over the limit),
 * KW_E_LIMIT (over KW_DN_ATTRS_MAX attributes). */
kw_rc kw_dn_from_x509(const X509_NAME *n, kw_dn *out, bool *unrepresentable);

/* A GENERAL_NAME of s; subtree true reads an IP as "addr/prefix" (name
 * constraints). NULL if s is malformed (not ASCII, a bad address). */
GENERAL_NAME *kw_san_to_gen(const kw_san *s, bool subtree);
/* s of g. KW_OK; KW_E_UNSUPPORTED for a type kw_san does not hold;
 * KW_E_INVALID for a value that is not printable ASCII, too long, or a bad
 * address. */
kw_rc kw_san_from_gen(const GENERAL_NAME *g, kw_san *out);

/* Keywarden key type of pkey (RSA 2048/3072/4096, P-256/384/521,
 * Ed25519); KW_E_UNSUPPORTED otherwise, KW_E_INVALID for NULL. */
kw_rc kw_pkey_key_type(EVP_PKEY *pkey, kw_key_type *out);

/* extendedKeyUsage bits of a stack of OIDs (KW_EKU_OTHER for others). */
uint32_t kw_eku_bits(const EXTENDED_KEY_USAGE *eku);
/* The keyUsage bits of a BIT STRING. */
uint32_t kw_ku_bits(const ASN1_BIT_STRING *ku);

/* A malloc()ed copy of what an i2d_*() call wrote into *buf (n bytes; n <= 0
 * means it failed); *buf is freed with OPENSSL_free and set to NULL (the
 * pointer is passed for the reason kw_der_ossl gives). NULL on failure. */
uint8_t *kw_i2d_copy(unsigned char **buf, int n, size_t *out_len);

/* The signature AlgorithmIdentifier of a key type signing with hash h
 * (sha*WithRSAEncryption, ecdsa-with-SHA*, Ed25519), appended to d.
 * KW_E_UNSUPPORTED for combinations keywarden does not sign with. */
kw_rc kw_sig_alg(kw_der *d, kw_key_type t, kw_hash h);

/*
 * Signs tbs (an encoded TBSCertificate or TBSCertList) with s and appends
 * SEQUENCE { tbs, algorithm, BIT STRING signature } to d. KW_OK or the
 * codes of s->sign and kw_sig_alg.
 */
kw_rc kw_x509_sign_wrap(kw_der *d, const kw_x509_signer *s, const uint8_t *tbs,
			size_t tbs_len);

/* The certificate s->cert parsed (NULL when self-signing; then *out is
 * NULL too). KW_OK or KW_E_INVALID. */
kw_rc kw_signer_cert(const kw_x509_signer *s, X509 **out);

/* One SignedData with a single signer (cms.c). */
typedef struct kw_cms_params {
	const kw_x509_signer *signer; /* cert required */
	const kw_blob *chain;	      /* more certificates to include */
	size_t n_chain;
	bool with_certs;	/* include the signer's certificate and chain */
	int content_nid;	/* eContentType (NID_pkcs7_data, ...) */
	const uint8_t *content; /* eContent; NULL = detached */
	size_t content_len;
	kw_hash hash;	       /* digestAlgorithm: SHA-256/384/512 */
	const uint8_t *digest; /* of the content under hash */
	size_t digest_len;
	int64_t signing_time; /* 0 = no signingTime attribute */
	const kw_blob *extra; /* more signed attributes (each an encoded
			       * Attribute) */
	size_t n_extra;
} kw_cms_params;

/* ContentInfo { signedData } for p, DER. Codes as kw_cms_sign_digest. */
kw_rc kw_cms_signed_data(const kw_cms_params *p, uint8_t **out,
			 size_t *out_len);

/* keyIdentifier of a public key: SHA-1 over the subjectPublicKey BIT
 * STRING's bytes (RFC 5280 4.2.1.2 (1)). out has 20 bytes. */
kw_rc kw_spki_key_id(const uint8_t *spki, size_t len, uint8_t out[20]);

#endif
