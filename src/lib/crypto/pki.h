/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_CRYPTO_PKI_H
#define KW_CRYPTO_PKI_H

/*
 * X.509, CMS and RFC 3161 encodings for src/lib/pki (crypto/ is the only
 * place that includes OpenSSL). The CA's private key never comes here: every
 * signature is made by a kw_x509_sign_fn the caller supplies (the keys
 * module's sign operation inside the daemon). The structures around the
 * signature are DER-encoded here from OpenSSL's encodings of their parts
 * (names, times, extensions, public keys), so nothing needs a private
 * EVP_PKEY; every certificate and CRL is parsed back and its signature
 * checked with the signer's public key before it is returned.
 *
 * Conventions as in crypto.h: KW_OK or the codes listed; outputs written
 * only on success; byte outputs malloc()ed and freed with free(); NULL
 * arguments where something is needed give KW_E_INVALID. Everything here
 * is thread-safe (no shared state).
 *
 *   der.c        the DER writer shared by the files below
 *   x509_name.c  names and subject alternative names <-> OpenSSL
 *   x509_csr.c   PKCS#10 requests: parse, check proof of possession
 *   x509_cert.c  certificates: build and sign, parse, check an issuer
 *   x509_crl.c   CRLs
 *   cms.c        CMS SignedData (detached over a digest; embedded content)
 *   tsa.c        RFC 3161 requests and responses
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "keywarden/algs.h"
#include "keywarden/rc.h"

/* ---- names -------------------------------------------------------------- */

/* Attribute types of a distinguished name that keywarden reads and writes.
 * Stable numbers (they are in sealed records). */
typedef enum kw_dn_type {
	KW_DN_NONE = 0,
	KW_DN_CN = 1,
	KW_DN_O = 2,
	KW_DN_OU = 3,
	KW_DN_C = 4,
	KW_DN_ST = 5,
	KW_DN_L = 6,
	KW_DN_SERIAL = 7, /* serialNumber */
	KW_DN_EMAIL = 8,  /* emailAddress (deprecated, read for refusal) */
	KW_DN_DC = 9,	  /* domainComponent */
	KW_DN_TYPE_COUNT_
} kw_dn_type;

#define KW_DN_ATTRS_MAX 16
#define KW_DN_VALUE_MAX 128 /* bytes (UTF-8) of one value */

typedef struct kw_dn_attr {
	kw_dn_type type;
	char value[KW_DN_VALUE_MAX + 1];
} kw_dn_attr;

/* A name as a sequence of single-attribute RDNs, in certificate order
 * (the first is the most significant, as `openssl x509 -subject` prints). */
typedef struct kw_dn {
	size_t n;
	kw_dn_attr attrs[KW_DN_ATTRS_MAX];
} kw_dn;

/* Whether s (NUL-terminated) is a value a name may hold: 1..KW_DN_VALUE_MAX
 * bytes of well-formed UTF-8 without control characters. */
bool kw_dn_value_valid(const char *s);

/* "CN", "O", "OU", "C", "ST", "L", "serialNumber", "emailAddress", "DC";
 * NULL for others. */
const char *kw_dn_type_name(kw_dn_type t);
/* Case-insensitive; KW_E_UNSUPPORTED for an unknown type. */
kw_rc kw_dn_type_parse(const char *name, size_t len, kw_dn_type *out);

typedef enum kw_san_type {
	KW_SAN_NONE = 0,
	KW_SAN_DNS = 1,
	KW_SAN_IP = 2,	  /* text: dotted IPv4 or RFC 5952 IPv6 */
	KW_SAN_EMAIL = 3, /* rfc822Name */
	KW_SAN_URI = 4,
	KW_SAN_TYPE_COUNT_
} kw_san_type;

#define KW_SAN_VALUE_MAX 255
#define KW_SANS_MAX	 100

/* A general name. In name constraints an IP value carries its mask as a
 * prefix length ("10.0.0.0/8"), DNS and email values are subtrees
 * ("example.com", ".example.com", "user@example.com"). */
typedef struct kw_san {
	kw_san_type type;
	char value[KW_SAN_VALUE_MAX + 1];
} kw_san;

/* "DNS", "IP", "email", "URI" (OpenSSL's configuration spelling). */
const char *kw_san_type_name(kw_san_type t);

/* ---- key usages --------------------------------------------------------- */

/* keyUsage bits: bit i is RFC 5280's bit i. */
enum {
	KW_KU_DIGITAL_SIGNATURE = 1u << 0,
	KW_KU_NON_REPUDIATION = 1u << 1,
	KW_KU_KEY_ENCIPHERMENT = 1u << 2,
	KW_KU_DATA_ENCIPHERMENT = 1u << 3,
	KW_KU_KEY_AGREEMENT = 1u << 4,
	KW_KU_KEY_CERT_SIGN = 1u << 5,
	KW_KU_CRL_SIGN = 1u << 6,
	KW_KU_ENCIPHER_ONLY = 1u << 7,
	KW_KU_DECIPHER_ONLY = 1u << 8,
};

/* extendedKeyUsage purposes; KW_EKU_OTHER stands for any other OID. */
enum {
	KW_EKU_SERVER_AUTH = 1u << 0,
	KW_EKU_CLIENT_AUTH = 1u << 1,
	KW_EKU_CODE_SIGNING = 1u << 2,
	KW_EKU_EMAIL_PROTECTION = 1u << 3,
	KW_EKU_TIME_STAMPING = 1u << 4,
	KW_EKU_OCSP_SIGNING = 1u << 5,
	KW_EKU_OTHER = 1u << 31,
};

/* "serverAuth", "clientAuth", "codeSigning", "emailProtection",
 * "timeStamping", "OCSPSigning"; NULL for others. */
const char *kw_eku_name(uint32_t single_bit);

/* ---- the signer ----------------------------------------------------------- */

/*
 * Signs msg with the issuing key: hash-and-sign with h (PKCS#1 v1.5 for
 * RSA, ECDSA with a DER signature for EC), or pure EdDSA when h is
 * KW_HASH_NONE (Ed25519). *out_sig is malloc()ed. Returns KW_OK or the
 * error to pass on.
 */
typedef kw_rc (*kw_x509_sign_fn)(void *arg, kw_hash h, const uint8_t *msg,
				 size_t len, uint8_t **out_sig,
				 size_t *out_len);

typedef struct kw_x509_signer {
	kw_key_type type; /* RSA, EC or Ed25519 */
	/* The issuer's certificate (DER); NULL when self-signing (the
	 * issuer is then the subject, and the signature is checked against
	 * the subject's public key). */
	const uint8_t *cert;
	size_t cert_len;
	kw_x509_sign_fn sign;
	void *arg;
} kw_x509_signer;

/* The hash certificates and CRLs are signed with for a key type: SHA-256
 * for RSA and P-256, SHA-384 for P-384, SHA-512 for P-521, none (pure
 * EdDSA) for Ed25519; KW_HASH_NONE for other types too. */
kw_hash kw_x509_sig_hash(kw_key_type t);

/* A DER blob (not owned). */
typedef struct kw_blob {
	const uint8_t *p;
	size_t len;
} kw_blob;

/* ---- public keys, PEM ------------------------------------------------------ */

/* The keywarden key type of a SubjectPublicKeyInfo (DER): RSA 2048/3072/
 * 4096, P-256/384/521, Ed25519. KW_E_INVALID malformed; KW_E_UNSUPPORTED
 * any other key. */
kw_rc kw_spki_key_type(const uint8_t *spki, size_t len, kw_key_type *out);

/* A SubjectPublicKeyInfo PEM to DER. KW_E_INVALID if it is none. */
kw_rc kw_spki_from_pem(const char *pem, uint8_t **out, size_t *out_len);

/* PEM text (malloc, NUL-terminated) of der under label ("CERTIFICATE",
 * "X509 CRL", "PKCS7"). */
kw_rc kw_pem_encode(const char *label, const uint8_t *der, size_t len,
		    char **out);

/* Every CERTIFICATE block of a PEM text (other blocks are skipped) as DER;
 * free with kw_blobs_free. KW_E_INVALID if there is none, or one does not
 * parse; KW_E_LIMIT above max certificates. */
kw_rc kw_pem_certs(const char *pem, size_t len, size_t max, uint8_t ***out,
		   size_t **out_lens, size_t *out_n);
void kw_blobs_free(uint8_t **p, size_t *lens, size_t n);

/* ---- requests (PKCS#10) ------------------------------------------------- */

/* What a certificate request asks for. The profile decides what is
 * issued; this only says what was asked. */
typedef struct kw_csr {
	kw_key_type key_type;
	uint8_t *spki; /* SubjectPublicKeyInfo DER */
	size_t spki_len;
	kw_dn subject;
	size_t n_sans;
	kw_san *sans; /* requested subjectAltName entries */
	bool has_ku;
	uint32_t ku;
	bool has_eku;
	uint32_t eku; /* KW_EKU_OTHER set for any other purpose */
	bool ca;      /* basicConstraints cA = TRUE requested */
	/* A requested name keywarden does not represent (directoryName,
	 * otherName, registeredID, a DN attribute of another type, a
	 * multi-valued RDN): such requests are refused by the caller. */
	bool unrepresentable;
	size_t n_other_ext; /* other requested extensions (never copied) */
} kw_csr;

/*
 * Parses a PKCS#10 request (PEM or DER, at most 64 KiB) and checks its
 * signature with its own public key (proof of possession).
 * KW_E_INVALID: not a request, trailing data, a name or SAN value over the
 * limits above; KW_E_VERIFY: the signature does not verify;
 * KW_E_UNSUPPORTED: a key of another type; KW_E_LIMIT: more than
 * KW_SANS_MAX names or KW_DN_ATTRS_MAX attributes. Free with kw_csr_free.
 */
kw_rc kw_csr_parse(const uint8_t *in, size_t len, kw_csr **out);
void kw_csr_free(kw_csr *c);

/* ---- certificates -------------------------------------------------------- */

#define KW_X509_SERIAL_MAX 20

typedef struct kw_name_constraints {
	const kw_san *permitted;
	size_t n_permitted;
	const kw_san *excluded;
	size_t n_excluded;
} kw_name_constraints;

/* The content of a certificate to be signed. */
typedef struct kw_x509_tbs {
	uint8_t serial[KW_X509_SERIAL_MAX]; /* positive, big-endian */
	size_t serial_len;
	const kw_dn *subject;
	const uint8_t *spki;
	size_t spki_len;
	int64_t not_before, not_after; /* unix seconds */
	bool ca;
	int path_len; /* CA only; -1 = no limit */
	uint32_t ku;  /* keyUsage (critical); 0 = none */
	uint32_t eku; /* extendedKeyUsage; 0 = none; never KW_EKU_OTHER */
	bool eku_critical;
	const kw_san *sans;
	size_t n_sans;
	const kw_name_constraints *nc; /* CA only; NULL = none */
	const char *crl_url;	       /* cRLDistributionPoints; NULL = none */
} kw_x509_tbs;

/*
 * Encodes t as an X.509 v3 certificate issued by s (issuer name and
 * authorityKeyIdentifier from s->cert, or from t when self-signing),
 * with subjectKeyIdentifier (SHA-1 of the public key, RFC 5280 4.2.1.2
 * method 1) and basicConstraints (critical) always present, signs it with
 * s->sign and checks the signature before returning the DER.
 * KW_E_INVALID: inconsistent content (a serial of 0 or over 20 bytes, a
 * time outside 1950..9999, not_after before not_before, an EKU of
 * KW_EKU_OTHER, a value OpenSSL refuses); KW_E_UNSUPPORTED: a signer key
 * type that cannot sign; KW_E_CRYPTO: the signature does not verify with
 * the issuer's key; the codes of s->sign.
 */
kw_rc kw_x509_cert_sign(const kw_x509_tbs *t, const kw_x509_signer *s,
			uint8_t **out, size_t *out_len);

/* What keywarden reads back from a certificate. */
typedef struct kw_x509_info {
	kw_dn subject;
	kw_dn issuer;
	bool unrepresentable; /* a name attribute kw_dn cannot hold */
	uint8_t serial[KW_X509_SERIAL_MAX];
	size_t serial_len;
	int64_t not_before, not_after;
	bool ca;
	int path_len; /* -1 = no limit or not a CA */
	bool has_ku;
	uint32_t ku;
	uint32_t eku; /* 0 = no extendedKeyUsage extension */
	kw_key_type key_type;
	uint8_t *spki; /* malloc */
	size_t spki_len;
} kw_x509_info;

/* Parses a certificate (DER). KW_E_INVALID if it is none (or has trailing
 * bytes); KW_E_UNSUPPORTED for a public key of another type. Free with
 * kw_x509_info_free. */
kw_rc kw_x509_info_parse(const uint8_t *der, size_t len, kw_x509_info **out);
void kw_x509_info_free(kw_x509_info *i);

/* The DER encodings of a certificate's subject and issuer names and of its
 * serial number (an INTEGER), as PKCS#11 certificate objects carry them
 * (CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER); each malloc()ed. */
typedef struct kw_x509_parts {
	uint8_t *subject, *issuer, *serial;
	size_t subject_len, issuer_len, serial_len;
} kw_x509_parts;
kw_rc kw_x509_parts_get(const uint8_t *der, size_t len, kw_x509_parts *out);
void kw_x509_parts_clear(kw_x509_parts *p);

/* KW_OK if cert's signature verifies with issuer's public key and its
 * issuer name is issuer's subject; KW_E_VERIFY if not; KW_E_INVALID if
 * either does not parse. */
KW_WUR kw_rc kw_x509_check_issued(const uint8_t *cert, size_t cert_len,
				  const uint8_t *issuer, size_t issuer_len);

/* ---- CRLs ------------------------------------------------------------------- */

/* RFC 5280 5.3.1 reason codes (7 is unused). */
typedef enum kw_crl_reason {
	KW_CRL_UNSPECIFIED = 0,
	KW_CRL_KEY_COMPROMISE = 1,
	KW_CRL_CA_COMPROMISE = 2,
	KW_CRL_AFFILIATION_CHANGED = 3,
	KW_CRL_SUPERSEDED = 4,
	KW_CRL_CESSATION_OF_OPERATION = 5,
	KW_CRL_CERTIFICATE_HOLD = 6,
	KW_CRL_REMOVE_FROM_CRL = 8,
	KW_CRL_PRIVILEGE_WITHDRAWN = 9,
	KW_CRL_AA_COMPROMISE = 10,
} kw_crl_reason;

typedef struct kw_crl_entry {
	uint8_t serial[KW_X509_SERIAL_MAX];
	size_t serial_len;
	int64_t revoked_at;
	kw_crl_reason reason; /* unspecified: no reasonCode extension */
} kw_crl_entry;

/* A v2 CRL issued by s (s->cert required) with cRLNumber `number` and
 * authorityKeyIdentifier, listing e[0..n). KW_E_INVALID for a reason
 * outside RFC 5280's list or next_update <= this_update; otherwise as
 * kw_x509_cert_sign. */
kw_rc kw_x509_crl_sign(const kw_x509_signer *s, uint64_t number,
		       int64_t this_update, int64_t next_update,
		       const kw_crl_entry *e, size_t n, uint8_t **out,
		       size_t *out_len);

/* ---- CMS ------------------------------------------------------------------- */

/*
 * A detached CMS SignedData (RFC 5652) over content whose digest under h
 * (SHA-256/384/512) is digest: signedAttrs hold contentType id-data,
 * signingTime and messageDigest; the signer is identified by issuer and
 * serial number of s->cert (required), whose public key must be the
 * signing key's; certificates holds s->cert and chain[0..n_chain). RSA
 * (PKCS#1 v1.5) and ECDSA signers only: OpenSSL 3.0 can neither make nor
 * check Ed25519 CMS signatures (RFC 8419). DER output.
 * KW_E_INVALID: a digest of the wrong length, no certificate, a chain
 * entry that does not parse; KW_E_UNSUPPORTED: h not allowed, an Ed25519
 * signer; the codes of
 * s->sign; KW_E_CRYPTO: the signature does not verify with the
 * certificate's key (the wrong key for this certificate).
 */
kw_rc kw_cms_sign_digest(const kw_x509_signer *s, const kw_blob *chain,
			 size_t n_chain, kw_hash h, const uint8_t *digest,
			 size_t digest_len, int64_t signing_time, uint8_t **out,
			 size_t *out_len);

/* ---- RFC 3161 time stamps ------------------------------------------------------ */

#define KW_TS_POLICY_MAX 64 /* dotted OID text */

/* A TimeStampReq. */
typedef struct kw_ts_req {
	kw_hash hash;
	bool null_params; /* the hash AlgorithmIdentifier had NULL params */
	uint8_t imprint[KW_DIGEST_MAX];
	size_t imprint_len;
	bool has_nonce;
	uint8_t nonce[32]; /* big-endian magnitude (non-negative) */
	size_t nonce_len;
	bool cert_req;
	char policy[KW_TS_POLICY_MAX + 1]; /* "" = none requested */
} kw_ts_req;

/*
 * Parses a DER TimeStampReq (at most 16 KiB). KW_E_INVALID: malformed, a
 * version other than 1, an imprint of the wrong length, a nonce over 32
 * bytes; KW_E_UNSUPPORTED: a hash other than SHA-256/384/512 (SHA-1 is
 * refused), or request extensions (none are supported; RFC 3161 says to
 * reject them).
 */
kw_rc kw_ts_req_parse(const uint8_t *in, size_t len, kw_ts_req *out);

/* The failure reasons of a rejection (PKIFailureInfo bits). */
typedef enum kw_ts_fail {
	KW_TS_BAD_ALG = 0,
	KW_TS_BAD_REQUEST = 2,
	KW_TS_BAD_DATA_FORMAT = 5,
	KW_TS_TIME_NOT_AVAILABLE = 14,
	KW_TS_UNACCEPTED_POLICY = 15,
	KW_TS_UNACCEPTED_EXTENSION = 16,
	KW_TS_SYSTEM_FAILURE = 25,
} kw_ts_fail;

/*
 * A granted TimeStampResp for q: TSTInfo (version 1, policy, the request's
 * imprint and nonce, serial, genTime with second precision, accuracy of
 * accuracy_s seconds, ordering false) in a SignedData signed by s with
 * SHA-256, whose signedAttrs hold contentType
 * id-ct-TSTInfo, messageDigest and an ESS signingCertificateV2 naming
 * s->cert; certificates holds s->cert and chain[0..n_chain) when
 * q->cert_req. policy is a dotted OID (the TSA's). Codes as
 * kw_cms_sign_digest.
 */
kw_rc kw_ts_resp_sign(const kw_ts_req *q, const kw_x509_signer *s,
		      const kw_blob *chain, size_t n_chain, const char *policy,
		      const uint8_t *serial, size_t serial_len,
		      int64_t gen_time, unsigned accuracy_s, uint8_t **out,
		      size_t *out_len);

/* A rejection TimeStampResp (status rejection, failInfo fail, statusString
 * text if not NULL). */
kw_rc kw_ts_resp_reject(kw_ts_fail fail, const char *text, uint8_t **out,
			size_t *out_len);

#endif
