/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_PKI_INTERNAL_H
#define KW_PKI_INTERNAL_H

/*
 * Shared inside src/lib/pki only.
 *
 *   pki.c      the handle, the clock, serials, signing through the keys
 *              module, loading and saving records in a transaction
 *   names.c    names and general names as text; patterns; constraints
 *   profile.c  the profile table and the rules applied at issuance
 *   record.c   the plaintext of CA, certificate and TSA records
 *   ca.c       creating, reading and updating CAs
 *   issue.c    issuance and the inventory
 *   crl.c      revocation, CRLs and the CRL files
 *   sign.c     code signing and time stamps
 */

#include <pthread.h>
#include <stdarg.h>

#include "crypto/pki.h"
#include "keywarden/pki.h"
#include "keywarden/secret.h"

struct kw_pki {
	kw_barrier *b;
	kw_store *s;
	kw_keys *ks;
	char *crl_dir; /* NULL = no files */
	int64_t (*now)(void *now_arg);
	void *now_arg;
	/* Serialises CRL signing of one process (two requests finding a
	 * CRL due sign it once); the record's compare-and-swap covers
	 * other nodes. */
	pthread_mutex_t crl_lock;
};

int64_t kw_pki_now(const kw_pki *p);

/* Writes a client-safe message into err (may be NULL); returns rc. */
kw_rc kw_pki_fail(char *err, size_t err_len, kw_rc rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A fresh serial: 16 random bytes, positive and of fixed length (the top
 * bit clear, the next one set): 126 random bits. */
kw_rc kw_pki_serial_new(uint8_t out[16]);
/* Lowercase hex of a serial (room for KW_CERT_SERIAL_MAX + 1). */
void kw_pki_serial_hex(const uint8_t *serial, size_t len, char *out);
/* A serial's canonical hex from hex text (any case, "x-" id allowed,
 * leading zeros dropped). KW_E_INVALID if malformed. */
kw_rc kw_pki_serial_norm(const char *in, char out[KW_CERT_SERIAL_MAX + 1]);

/* ---- signing through the keys module ------------------------------------ */

/* What kw_pki_sign_cb needs: the key (by id) of a partition. */
typedef struct kw_pki_key_ref {
	kw_pki *p;
	const char *partition;
	const char *key_id;
} kw_pki_key_ref;

/* kw_x509_sign_fn over kw_key_sign (arg: a kw_pki_key_ref). */
kw_rc kw_pki_sign_cb(void *arg, kw_hash h, const uint8_t *msg, size_t len,
		     uint8_t **out_sig, size_t *out_len);

/* The SubjectPublicKeyInfo (DER) and type of a keywarden key; *out_info
 * (optional) its metadata. KW_E_UNSUPPORTED for symmetric keys. */
kw_rc kw_pki_key_spki(kw_pki *p, const char *partition, const char *key,
		      uint8_t **out_spki, size_t *out_len,
		      kw_key_info **out_info);

/* ---- records ------------------------------------------------------------ */

typedef struct kw_pki_rev {
	uint8_t serial[KW_X509_SERIAL_MAX];
	size_t serial_len;
	int64_t at;
	unsigned reason;
} kw_pki_rev;

/* A CA record: the info, its revocation list and its latest CRL. */
typedef struct kw_ca_rec {
	kw_ca_info info;
	kw_pki_rev *revoked; /* [info.revoked] */
	uint8_t *crl;	     /* latest CRL (DER) or NULL */
	size_t crl_len;
	int64_t crl_this_update;
} kw_ca_rec;

void kw_pki_ca_rec_free(kw_ca_rec *r);
/* A deep copy of r->info (the cert DER too). */
kw_rc kw_pki_ca_info_copy(const kw_ca_info *in, kw_ca_info **out);
kw_rc kw_pki_cert_info_copy(const kw_cert_info *in, kw_cert_info **out);

kw_rc kw_pki_ca_encode(const kw_ca_rec *r, kw_secret **out);
/* Strict: unknown or repeated tags, missing fields, values out of range
 * give KW_E_INTEGRITY. record_version is left 0. */
kw_rc kw_pki_ca_decode(const uint8_t *p, size_t len, kw_ca_rec **out);
kw_rc kw_pki_cert_encode(const kw_cert_info *c, kw_secret **out);
kw_rc kw_pki_cert_decode(const uint8_t *p, size_t len, kw_cert_info **out);
kw_rc kw_pki_tsa_encode(const kw_tsa_info *t, kw_secret **out);
kw_rc kw_pki_tsa_decode(const uint8_t *p, size_t len, kw_tsa_info *out);

/* Record ids and names. */
#define KW_PKI_TSA_PREFIX "tsa-"
void kw_pki_ca_group(const char *partition, char *out, size_t size);
void kw_pki_ca_lookup(const char *partition, const char *name, char *out,
		      size_t size);
void kw_pki_cert_group(const char *partition, char *out, size_t size);

/* Reads a CA by name (or, by_id, by its id) in t. KW_E_NOT_FOUND also for
 * a CA of another partition. */
kw_rc kw_pki_ca_load(kw_pki *p, kw_store_txn *t, const char *partition,
		     const char *name, bool by_id, kw_ca_rec **out);
/* Writes r: a new record when r->info.record_version is 0, else a
 * compare-and-swap on it; the new version is written back. */
kw_rc kw_pki_ca_save(kw_pki *p, kw_store_txn *t, kw_ca_rec *r);
/* Most CAs in a chain (a root and 16 below it). */
#define KW_PKI_CHAIN_MAX 17
/* The CA name and its ancestors, the CA first, into out[0..*out_n) (room
 * for KW_PKI_CHAIN_MAX; records already there are freed first, so it may
 * be rerun). KW_E_NOT_FOUND: no such CA; KW_E_INTEGRITY: a parent is
 * missing or the chain is too long. */
kw_rc kw_pki_ca_chain_load(kw_pki *p, kw_store_txn *t, const char *partition,
			   const char *name, kw_ca_rec **out, size_t *out_n);
void kw_pki_ca_chain_free(kw_ca_rec **r, size_t n);

kw_rc kw_pki_cert_load(kw_pki *p, kw_store_txn *t, const char *partition,
		       const char *serial_or_id, kw_cert_info **out);
kw_rc kw_pki_cert_save(kw_pki *p, kw_store_txn *t, kw_cert_info *c);

/* Runs fn in a write transaction, retrying a few times on KW_E_CONFLICT. */
typedef kw_rc (*kw_pki_txn_fn)(kw_pki *p, kw_store_txn *t, void *arg);
kw_rc kw_pki_write(kw_pki *p, kw_pki_txn_fn fn, void *arg);
/* The same in a read transaction, once. */
kw_rc kw_pki_read(kw_pki *p, kw_pki_txn_fn fn, void *arg);

/* ---- names (names.c) --------------------------------------------------- */

/* "CN=a,O=b" (or OpenSSL's "/CN=a/O=b"), with '\' escaping. "" is the
 * empty name. KW_E_INVALID with err for anything else. */
kw_rc kw_pki_dn_parse(const char *text, kw_dn *out, char *err, size_t err_len);
/* The text form (RFC 4514 escaping); false if it was cut to size. */
bool kw_pki_dn_format(const kw_dn *dn, char *out, size_t size);
/* The value of the first attribute of type t, or NULL. */
const char *kw_pki_dn_get(const kw_dn *dn, kw_dn_type t);

/* "DNS:www.example.com", "IP:10.0.0.1", "email:a@example.com", "URI:...";
 * subtree true reads name constraints ("DNS:.example.com",
 * "IP:10.0.0.0/8", "email:example.com", "URI:.example.com"). DNS names are
 * lowercased, IP addresses written canonically. */
kw_rc kw_pki_san_parse(const char *text, bool subtree, kw_san *out, char *err,
		       size_t err_len);
void kw_pki_san_format(const kw_san *s, char *out, size_t size);
/* Checks one name against a profile pattern (a kw_pki_san_parse text
 * with the wildcards of kw_profile_rules). */
bool kw_pki_pattern_match(const char *pattern, const kw_san *name);
kw_rc kw_pki_pattern_valid(const char *pattern, char *err, size_t err_len);
/* '*' matches any run of characters (also none); nothing else is special. */
bool kw_pki_glob(const char *pattern, const char *s);
/* Whether name satisfies the constraints (RFC 5280 4.2.1.10 semantics: a
 * type with permitted subtrees must match one; no excluded one may
 * match). */
bool kw_pki_nc_allows(const kw_san *name, const kw_san *permitted,
		      size_t n_permitted, const kw_san *excluded,
		      size_t n_excluded);

/* ---- profiles (profile.c) --------------------------------------------------- */

/* Checks a CA's rules for profile p (patterns, days). */
kw_rc kw_pki_rules_valid(kw_profile p, const kw_profile_rules *r, char *err,
			 size_t err_len);

/* What a request for a leaf certificate asks, after the overrides. */
typedef struct kw_pki_ask {
	kw_profile profile;
	kw_key_type key_type;
	const kw_dn *subject;
	const kw_san *sans;
	size_t n_sans;
	const kw_csr *csr; /* NULL when issued for a keywarden key */
	bool odd_names;	   /* the names used hold something kw_dn or
			    * kw_san cannot represent */
} kw_pki_ask;

/* Applies the CA's rules for a->profile: fills t's ku, eku and
 * eku_critical, and may add the CN to the SANs (sans has room for
 * KW_SANS_MAX + 1 and *n_sans is updated). chain is the issuing CA and
 * its ancestors (name constraints). KW_E_INVALID / KW_E_STATE with err. */
kw_rc kw_pki_profile_apply(const kw_ca_rec *const *chain, size_t n_chain,
			   const kw_pki_ask *a, kw_san *sans, size_t *n_sans,
			   kw_x509_tbs *t, char *err, size_t err_len);

/* ---- CRLs (crl.c) ------------------------------------------------------ */

/* Signs a new CRL for r (which the caller holds in a write transaction)
 * and stores it in r (not yet saved). */
kw_rc kw_pki_crl_sign(kw_pki *p, kw_ca_rec *r);
/* Writes r's CRL to the CRL directory (if configured); logs failures. */
void kw_pki_crl_write(kw_pki *p, const kw_ca_rec *r);

#endif
